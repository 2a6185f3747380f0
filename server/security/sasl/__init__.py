"""SASL on SASL_PLAINTEXT (and SASL_SSL) listeners: Kafka's SaslHandshake/SaslAuthenticate exchange.

``listener_sasl`` reads each SASL listener's settings (``sasl.enabled.mechanisms``, the JAAS
configs of ``jaas``) once at start-up; ``authenticator`` is the per-connection state machine that
the dispatcher and the two SASL handlers drive; each mechanism (``plain``, ``scram``,
``oauthbearer``) is a small server object that evaluates the client's tokens. SCRAM credentials
(salted and hashed, never the password) are kept by ``scram_credentials``.
"""
