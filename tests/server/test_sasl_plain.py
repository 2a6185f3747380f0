"""SASL/PLAIN's checks and Kafka's messages for each failure (PlainSaslServer's, word for word)."""

import pytest

from odradek.server.security.sasl.mechanism import SaslFailure
from odradek.server.security.sasl.plain import PlainServer

USERS = {"alice": "alice-secret"}


def test_the_right_password_logs_in():
    server = PlainServer(USERS)
    assert server.evaluate(b"\0alice\0alice-secret") == b""
    assert server.complete and server.authorization_id == "alice"
    assert PlainServer(USERS).evaluate(b"alice\0alice\0alice-secret") == b""  # authzid = username


@pytest.mark.parametrize("token, message", [
    (b"\0alice\0wrong", "Authentication failed: Invalid username or password"),
    (b"\0mallory\0alice-secret", "Authentication failed: Invalid username or password"),
    (b"\0\0alice-secret", "Authentication failed: username not specified"),
    (b"\0alice\0", "Authentication failed: password not specified"),
    (b"bob\0alice\0alice-secret", "Authentication failed: Client requested an authorization id that is different "
                                  "from username"),
    (b"alice\0alice-secret", "Invalid SASL/PLAIN response: expected 3 tokens, got 2"),
    (b"a\0b\0c\0d", "Invalid SASL/PLAIN response: expected 3 tokens, got 4"),
])
def test_failures_say_what_kafka_says(token, message):
    server = PlainServer(USERS)
    with pytest.raises(SaslFailure, match=f"^{message}$"):
        server.evaluate(token)
    assert not server.complete
