"""SASL on a SASL_PLAINTEXT listener with real clients: PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512.

Runs against odradek, or with ``ODRADEK_COMPAT_TARGET=kafka`` against Apache Kafka 4.3 with the
same settings (``java.targets.start_sasl_broker``), which is where the expectations come from:
Kafka's messages on failure, the disconnection of a client that skips authentication, the
session lifetime of KIP-368.
"""

from __future__ import annotations

import logging
import socket
import struct
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from confluent_kafka.admin import ScramCredentialInfo, ScramMechanism, UserScramCredentialUpsertion

from odradek.wire import ApiKey, ErrorCode

from .clients import ck_produce, ck_read, ck_wait, kp_read, wait_until
from .java.targets import TARGET, start_sasl_broker, stop_broker
from .raw_kafka import outcome
from .sasl_helpers import ADMIN, BROKER, SaslWire, ck_sasl, kp_sasl, plain_token

USERS = {  # user -> (mechanism, password); the SCRAM ones are added by AlterUserScramCredentials
    "alice": ("PLAIN", "alice-secret"),
    "bob": ("SCRAM-SHA-256", "bob-secret"),
    "carol": ("SCRAM-SHA-512", "carol-secret"),
}
METADATA = {"topics": None, "allow_auto_topic_creation": False, "include_topic_authorized_operations": False}
SCRAM_TYPES = {"SCRAM-SHA-256": ScramMechanism.SCRAM_SHA_256, "SCRAM-SHA-512": ScramMechanism.SCRAM_SHA_512}


@pytest.fixture(scope="module")
def sasl_broker(tmp_path_factory):
    process = start_sasl_broker(tmp_path_factory.mktemp("data"), BROKER)
    yield process
    stop_broker(process)


@pytest.fixture(scope="module")
def scram_users(sasl_broker):
    """bob and carol, added through the admin API as the PLAIN user admin."""
    import confluent_kafka.admin

    admin = confluent_kafka.admin.AdminClient({"bootstrap.servers": sasl_broker.bootstrap, **ck_sasl(*ADMIN)})
    upserts = [UserScramCredentialUpsertion(user, ScramCredentialInfo(SCRAM_TYPES[mechanism], 8192), password.encode())
               for user, (mechanism, password) in USERS.items() if mechanism.startswith("SCRAM")]
    ck_wait(admin.alter_user_scram_credentials(upserts))
    return USERS


@pytest.mark.parametrize("user", list(USERS))
def test_kafka_python_produces_and_consumes(sasl_broker, scram_users, clients, topic, user):
    mechanism, password = scram_users[user]
    producer = clients.kp_producer(sasl_broker, **kp_sasl(mechanism, user, password))
    for i in range(3):
        producer.send(topic, f"{user}-{i}".encode()).get(timeout=15)
    consumer = clients.kp_consumer(sasl_broker, **kp_sasl(mechanism, user, password))
    consumer.subscribe([topic])
    assert [m.value for m in kp_read(consumer, 3)] == [f"{user}-{i}".encode() for i in range(3)]


@pytest.mark.parametrize("user", list(USERS))
def test_confluent_kafka_produces_and_consumes(sasl_broker, scram_users, clients, topic, user):
    mechanism, password = scram_users[user]
    producer = clients.ck_producer(sasl_broker, **ck_sasl(mechanism, user, password))
    ck_produce(producer, topic, [(None, f"{user}-{i}".encode()) for i in range(3)])
    consumer = clients.ck_consumer(sasl_broker, **ck_sasl(mechanism, user, password))
    consumer.subscribe([topic])
    assert [m.value() for m in ck_read(consumer, 3)] == [f"{user}-{i}".encode() for i in range(3)]


PLAIN_FAILED = "Authentication failed: Invalid username or password"


def _scram_failed(mechanism):
    return f"Authentication failed during authentication due to invalid credentials with SASL mechanism {mechanism}"


@pytest.mark.parametrize("mechanism, user, password, message", [
    ("PLAIN", "alice", "wrong", PLAIN_FAILED),
    ("PLAIN", "mallory", "alice-secret", PLAIN_FAILED),
    ("SCRAM-SHA-256", "bob", "wrong", _scram_failed("SCRAM-SHA-256")),
    ("SCRAM-SHA-256", "mallory", "bob-secret", _scram_failed("SCRAM-SHA-256")),
    ("SCRAM-SHA-512", "carol", "wrong", _scram_failed("SCRAM-SHA-512")),
    ("SCRAM-SHA-512", "bob", "bob-secret", _scram_failed("SCRAM-SHA-512")),  # bob has no SHA-512 credential
])
def test_wrong_password_and_unknown_user_are_refused_with_kafkas_message(sasl_broker, scram_users, clients,
                                                                          mechanism, user, password, message):
    errors = []
    producer = clients.ck_producer(sasl_broker, **ck_sasl(mechanism, user, password), error_cb=errors.append)
    wait_until(lambda: producer.poll(0.1) is not None and errors, what="an authentication error")
    assert errors[0].code() == -169  # _AUTHENTICATION, librdkafka's code for a refused login
    assert f"SASL authentication error: {message}" in errors[0].str()


def test_kafka_python_reports_the_refusal(sasl_broker, scram_users, clients, caplog):
    """kafka-python gives up bootstrapping (KafkaTimeoutError) after logging the broker's message."""
    from kafka.errors import KafkaTimeoutError

    caplog.set_level(logging.WARNING, logger="kafka")
    with pytest.raises(KafkaTimeoutError):
        clients.kp_producer(sasl_broker, max_block_ms=3000, **kp_sasl("PLAIN", "alice", "wrong"))
    assert PLAIN_FAILED in caplog.text


def test_the_wire_answer_to_a_wrong_password_then_the_connection_closes(sasl_broker):
    with SaslWire(sasl_broker) as wire:
        answer = wire.login_plain("alice", "wrong")
        assert (answer.error_code, answer.error_message) == (ErrorCode.SASL_AUTHENTICATION_FAILED, PLAIN_FAILED)
        assert outcome(wire.sock) == "closed"


def test_an_unknown_mechanism_is_answered_with_the_enabled_ones_then_closed(sasl_broker):
    with SaslWire(sasl_broker) as wire:
        answer = wire.handshake("GSSAPI")
        assert answer.error_code == ErrorCode.UNSUPPORTED_SASL_MECHANISM
        assert sorted(answer.mechanisms) == sorted(BROKER["sasl.enabled.mechanisms"].split(","))
        assert outcome(wire.sock) == "closed"


@pytest.mark.parametrize("first", ["metadata", "after-api-versions", "authenticate-before-handshake",
                                   "api-versions-twice"])
def test_a_client_that_skips_authentication_is_disconnected(sasl_broker, first):
    with SaslWire(sasl_broker) as wire:
        if first in ("after-api-versions", "api-versions-twice"):
            assert wire.send(ApiKey.API_VERSIONS, 3, {"client_software_name": "t",
                                                      "client_software_version": "1"}).error_code == 0
        if first == "authenticate-before-handshake":
            assert wire.authenticate(plain_token("alice", "alice-secret")) is None
        elif first == "api-versions-twice":
            assert wire.send(ApiKey.API_VERSIONS, 3, {"client_software_name": "t",
                                                      "client_software_version": "1"}) is None
        else:
            assert wire.send(ApiKey.METADATA, 12, METADATA) is None


def test_after_logging_in_the_connection_serves_requests(sasl_broker):
    with SaslWire(sasl_broker) as wire:
        answer = wire.login_plain("alice", "alice-secret")
        assert (answer.error_code, answer.session_lifetime_ms) == (0, 0)  # no connections.max.reauth.ms
        metadata = wire.send(ApiKey.METADATA, 12, METADATA)
        assert [b.port for b in metadata.brokers] == [sasl_broker.port]
        again = wire.authenticate(plain_token("alice", "alice-secret"))
        assert again.error_code == ErrorCode.ILLEGAL_SASL_STATE
        # no session lifetime (connections.max.reauth.ms): nothing to re-authenticate
        assert (wire.handshake("PLAIN").error_code, wire.handshake("PLAIN").mechanisms) == (
            ErrorCode.ILLEGAL_SASL_STATE, [])
        assert wire.send(ApiKey.METADATA, 12, METADATA) is not None


def test_legacy_handshake_v0_takes_bare_tokens(sasl_broker):
    """After SaslHandshake v0 the client sends its token as a bare size-prefixed frame, and gets
    one back (an empty one for PLAIN); then it speaks Kafka as usual."""
    with SaslWire(sasl_broker) as wire:
        assert wire.handshake("PLAIN", version=0).error_code == 0
        wire.send_bare(plain_token("alice", "alice-secret"))
        assert wire.sock.recv(4) == b"\0\0\0\0"
        assert wire.send(ApiKey.API_VERSIONS, 0, {}).error_code == 0


def test_a_huge_token_is_refused_before_it_is_read(sasl_broker, scram_users, clients, topic):
    """A 100 MB SaslAuthenticate frame announced by an unauthenticated client: the connection is
    closed (Kafka: sasl.server.max.receive.size, 512 KB), and the broker serves others as before."""
    with SaslWire(sasl_broker) as wire:
        assert wire.handshake("PLAIN").error_code == 0
        wire.sock.sendall(struct.pack(">i", 100 * 1024 * 1024) + b"\0" * 65536)
        assert outcome(wire.sock) == "closed"
    producer = clients.kp_producer(sasl_broker, **kp_sasl("PLAIN", "alice", "alice-secret"))
    assert producer.send(topic, b"still here").get(timeout=15).offset == 0


def test_a_thousand_failed_logins_while_another_client_keeps_working(sasl_broker, scram_users, clients, topic):
    producer = clients.kp_producer(sasl_broker, **kp_sasl("SCRAM-SHA-256", "bob", "bob-secret"))
    stop, sent = threading.Event(), []

    def keep_producing():
        while not stop.is_set():
            sent.append(producer.send(topic, b"%d" % len(sent)).get(timeout=15).offset)
            time.sleep(0.01)

    def fail_once(i):
        with SaslWire(sasl_broker) as wire:
            answer = wire.login_plain("alice", f"guess-{i}")
            return answer.error_code, outcome(wire.sock)

    worker = threading.Thread(target=keep_producing)
    worker.start()
    try:
        with ThreadPoolExecutor(max_workers=25) as pool:
            results = list(pool.map(fail_once, range(1000)))
    finally:
        stop.set()
        worker.join(30)
    assert results == [(ErrorCode.SASL_AUTHENTICATION_FAILED, "closed")] * 1000
    assert len(sent) >= 5 and sent == list(range(len(sent)))


@pytest.fixture(scope="module")
def plaintext_broker(tmp_path_factory):
    from .java.targets import start_broker

    process = start_broker(tmp_path_factory.mktemp("plaintext"))
    yield process
    stop_broker(process)


def test_sasl_requests_on_a_plaintext_listener_are_illegal(plaintext_broker):
    """Kafka answers them (ILLEGAL_SASL_STATE) and keeps serving the connection."""
    with SaslWire(plaintext_broker) as wire:
        assert wire.handshake("PLAIN").error_code == ErrorCode.ILLEGAL_SASL_STATE
        answer = wire.authenticate(plain_token("alice", "alice-secret"))
        assert (answer.error_code, answer.error_message) == (
            ErrorCode.ILLEGAL_SASL_STATE, "SaslAuthenticate request received after successful authentication")
        assert wire.send(ApiKey.API_VERSIONS, 0, {}).error_code == 0
