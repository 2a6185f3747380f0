"""KIP-368 sessions (``connections.max.reauth.ms``) and OAUTHBEARER's unsecured tokens on a
SASL_PLAINTEXT listener; also run against Apache Kafka 4.3 (``ODRADEK_COMPAT_TARGET=kafka``).

A v1+ SaslAuthenticate answer tells the client how long its session lasts; once it has passed,
the connection is closed at its next request unless the client re-authenticated on it (a new
SaslHandshake and SaslAuthenticate, as the same principal). An OAUTHBEARER token's expiry bounds
the session too.
"""

from __future__ import annotations

import time

import pytest

from odradek.wire import ApiKey, ErrorCode

from .clients import ck_produce
from .java.targets import start_sasl_broker, stop_broker
from .raw_kafka import outcome
from .sasl_helpers import (OAUTHBEARER_JAAS, PLAIN_JAAS, SaslWire, ck_sasl, kp_sasl, oauthbearer_token,
                           plain_token, unsecured_jwt)

LIFETIME_MS = 2000
BROKER = {"sasl.enabled.mechanisms": "PLAIN,OAUTHBEARER", "connections.max.reauth.ms": LIFETIME_MS,
          "listener.name.sasl_plaintext.plain.sasl.jaas.config": PLAIN_JAAS,
          "listener.name.sasl_plaintext.oauthbearer.sasl.jaas.config": OAUTHBEARER_JAAS}
METADATA = {"topics": None, "allow_auto_topic_creation": False, "include_topic_authorized_operations": False}


@pytest.fixture(scope="module")
def sasl_broker(tmp_path_factory):
    process = start_sasl_broker(tmp_path_factory.mktemp("data"), BROKER)
    yield process
    stop_broker(process)


def test_the_session_lifetime_is_told_and_enforced(sasl_broker):
    with SaslWire(sasl_broker) as wire:
        started = time.monotonic()
        answer = wire.login_plain("alice", "alice-secret", version=1)
        assert (answer.error_code, answer.session_lifetime_ms) == (0, LIFETIME_MS)
        assert wire.send(ApiKey.METADATA, 12, METADATA) is not None
        time.sleep(max(0.0, started + LIFETIME_MS / 1000 + 0.3 - time.monotonic()))
        assert wire.send(ApiKey.METADATA, 12, METADATA) is None  # expired: disconnected


def test_re_authenticating_on_the_connection_renews_the_session(sasl_broker):
    with SaslWire(sasl_broker) as wire:
        started = time.monotonic()
        assert wire.login_plain("alice", "alice-secret").session_lifetime_ms == LIFETIME_MS
        time.sleep(LIFETIME_MS / 2000)
        again = wire.login_plain("alice", "alice-secret")
        assert (again.error_code, again.session_lifetime_ms) == (0, LIFETIME_MS)
        time.sleep(max(0.0, started + LIFETIME_MS / 1000 + 0.3 - time.monotonic()))  # past the first session
        assert wire.send(ApiKey.METADATA, 12, METADATA) is not None


def test_re_authentication_comes_at_most_once_a_second(sasl_broker):
    with SaslWire(sasl_broker) as wire:
        assert wire.login_plain("alice", "alice-secret").error_code == 0
        assert wire.login_plain("alice", "alice-secret").error_code == 0  # the first one: at once
        refused = wire.handshake("PLAIN")
        assert (refused.error_code, refused.mechanisms) == (ErrorCode.ILLEGAL_SASL_STATE, [])
        assert wire.send(ApiKey.METADATA, 12, METADATA) is not None  # and the connection serves on


def test_re_authentication_keeps_the_mechanism(sasl_broker):
    """The handshake is answered; the token that follows closes the connection, unanswered."""
    with SaslWire(sasl_broker) as wire:
        assert wire.login_plain("alice", "alice-secret").error_code == 0
        assert wire.handshake("OAUTHBEARER").error_code == 0
        jwt = unsecured_jwt({"sub": "alice", "exp": int(time.time()) + 3600})
        assert wire.authenticate(oauthbearer_token(jwt)) is None


def test_re_authentication_keeps_the_principal(sasl_broker):
    with SaslWire(sasl_broker) as wire:
        assert wire.login_plain("alice", "alice-secret").error_code == 0
        answer = wire.login_plain("admin", "admin-secret")
        assert (answer.error_code, answer.error_message) == (
            ErrorCode.SASL_AUTHENTICATION_FAILED,
            "Cannot change principals during re-authentication from User.alice: User.admin")
        assert outcome(wire.sock) == "closed"


@pytest.mark.parametrize("client", ["confluent-kafka", "kafka-python"])
def test_clients_re_authenticate_and_keep_producing(sasl_broker, clients, topic, client):
    """Three session lifetimes of producing on one connection: the clients re-authenticate (KIP-368)."""
    deadline, offsets = time.monotonic() + 3 * LIFETIME_MS / 1000, []
    if client == "confluent-kafka":
        errors = []
        producer = clients.ck_producer(sasl_broker, **ck_sasl("PLAIN", "alice", "alice-secret"),
                                       error_cb=errors.append)
        while time.monotonic() < deadline:
            offsets += [m.offset() for m in ck_produce(producer, topic, [(None, b"x")])]
            time.sleep(0.2)
        assert errors == []
    else:
        producer = clients.kp_producer(sasl_broker, **kp_sasl("PLAIN", "alice", "alice-secret"))
        while time.monotonic() < deadline:
            offsets.append(producer.send(topic, b"x").get(timeout=15).offset)
            time.sleep(0.2)
    assert len(offsets) >= 10


def test_an_unsecured_oauthbearer_token_logs_in_as_its_subject(sasl_broker):
    with SaslWire(sasl_broker) as wire:
        assert wire.handshake("OAUTHBEARER").error_code == 0
        jwt = unsecured_jwt({"sub": "olivia", "iat": int(time.time()), "exp": int(time.time()) + 3600})
        answer = wire.authenticate(oauthbearer_token(jwt))
        assert (answer.error_code, answer.auth_bytes, answer.session_lifetime_ms) == (0, b"", LIFETIME_MS)
        assert wire.send(ApiKey.METADATA, 12, METADATA) is not None


def test_an_oauthbearer_token_expiring_first_bounds_the_session(sasl_broker):
    with SaslWire(sasl_broker) as wire:
        assert wire.handshake("OAUTHBEARER").error_code == 0
        answer = wire.authenticate(oauthbearer_token(unsecured_jwt({"sub": "olivia", "exp": time.time() + 1.0})))
        assert answer.error_code == 0 and 0 < answer.session_lifetime_ms <= 1000


@pytest.mark.parametrize("claims", [
    {"sub": "olivia", "exp": 1_000_000_000},  # expired in 2001
    {"exp": 4_000_000_000},  # no subject
    {"sub": "olivia"},  # no expiry
])
def test_a_bad_oauthbearer_token_is_refused(sasl_broker, claims):
    """RFC 7628: an error challenge, which the client acknowledges with ^A; then Kafka's failure."""
    with SaslWire(sasl_broker) as wire:
        assert wire.handshake("OAUTHBEARER").error_code == 0
        challenge = wire.authenticate(oauthbearer_token(unsecured_jwt(claims)))
        assert (challenge.error_code, challenge.auth_bytes) == (0, b'{"status":"invalid_token"}')
        answer = wire.authenticate(b"\x01")
        assert (answer.error_code, answer.error_message) == (ErrorCode.SASL_AUTHENTICATION_FAILED,
                                                             '{"status":"invalid_token"}')
        assert outcome(wire.sock) == "closed"


def test_confluent_kafka_with_an_unsecured_jwt(sasl_broker, clients, topic):
    settings = {"security.protocol": "SASL_PLAINTEXT", "sasl.mechanisms": "OAUTHBEARER",
                "enable.sasl.oauthbearer.unsecure.jwt": True, "sasl.oauthbearer.config": "principal=olivia"}
    producer = clients.ck_producer(sasl_broker, **settings)
    assert [m.offset() for m in ck_produce(producer, topic, [(None, b"token")])] == [0]
