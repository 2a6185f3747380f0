"""The SASL mechanisms odradek serves, by Kafka's names.

On their own, apart from ``listener_sasl`` (which parses JAAS configs), so that checking a
broker's settings (``server/security_settings.py``) can name them without importing the SASL code
a plaintext broker never uses (start-up time).
"""

from __future__ import annotations

PLAIN = "PLAIN"
SCRAM_MECHANISMS = ("SCRAM-SHA-256", "SCRAM-SHA-512")
OAUTHBEARER = "OAUTHBEARER"
SERVED_MECHANISMS = (PLAIN, *SCRAM_MECHANISMS, OAUTHBEARER)
