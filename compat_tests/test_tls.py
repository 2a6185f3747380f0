"""TLS listeners: real clients over SSL, mutual TLS, and clients that misbehave.

Each broker here has a PLAINTEXT listener (the one ``--port`` sets) and an SSL listener on a port
it picks; the SSL port is read from the ready line's advertised listeners. Certificates are made
by the test run (``certificates.py``).
"""

from __future__ import annotations

import re
import socket
import ssl
import struct
import time
from dataclasses import dataclass

import confluent_kafka
import confluent_kafka.admin
import kafka
import pytest

from .broker_process import BrokerProcess
from .certificates import KEY_PASSWORD, make_certificates
from .clients import ck_produce, ck_read, ck_wait, kp_read, wait_until
from .conftest import _finish


@dataclass(frozen=True)
class Endpoint:
    """Where a client connects: what ``Clients`` reads as ``broker.bootstrap``."""

    bootstrap: str


def ssl_endpoint(broker: BrokerProcess, listener: str = "SSL") -> Endpoint:
    found = re.search(rf"advertised as .*\b{listener}://([^,\s]+)", broker.log_text())
    assert found, f"no {listener} listener in the ready line:\n{broker.log_text()}"
    return Endpoint(found.group(1))


def tls_overrides(certs, **extra) -> dict[str, object]:
    return {
        "listeners": "PLAINTEXT://127.0.0.1:0,SSL://127.0.0.1:0",
        "ssl.keystore.type": "PEM",
        "ssl.keystore.location": certs.broker.keystore,
        "ssl.key.password": KEY_PASSWORD,
        "ssl.truststore.type": "PEM",
        "ssl.truststore.location": certs.ca,
        **extra,
    }


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    return make_certificates(tmp_path_factory.mktemp("certs"))


@pytest.fixture(scope="module")
def tls_broker(certs, tmp_path_factory):
    process = BrokerProcess(tmp_path_factory.mktemp("data"), tls_overrides(certs)).start()
    yield process
    _finish(process)


@pytest.fixture(scope="module")
def mtls_broker(certs, tmp_path_factory):
    """Client certificates required; alice's subject mapped to ``alice``, others kept whole."""
    overrides = tls_overrides(certs, **{
        "listener.name.ssl.ssl.client.auth": "required",
        "ssl.principal.mapping.rules": "RULE:^CN=([^,]+),OU=eng,.*$/$1/L,DEFAULT",
    })
    process = BrokerProcess(tmp_path_factory.mktemp("data"), overrides, log_level="DEBUG").start()
    yield process
    _finish(process)


@pytest.fixture(autouse=True)
def _no_tracebacks(request):
    brokers = [request.getfixturevalue(name) for name in ("tls_broker", "mtls_broker")
               if name in request.fixturenames]
    since = [(broker, broker.log_length()) for broker in brokers]
    yield
    found = [tb for broker, start in since for tb in broker.tracebacks(start)]
    assert not found, "the broker logged a traceback:\n" + "\n".join(found)


def kp_ssl(certs, identity=None) -> dict[str, object]:
    settings = {"security_protocol": "SSL", "ssl_cafile": str(certs.ca), "ssl_check_hostname": True}
    if identity is not None:
        settings.update(ssl_certfile=str(identity.certificate), ssl_keyfile=str(identity.key))
    return settings


def ck_ssl(certs, identity=None) -> dict[str, object]:
    settings = {"security.protocol": "SSL", "ssl.ca.location": str(certs.ca)}
    if identity is not None:
        settings.update({"ssl.certificate.location": str(identity.certificate),
                         "ssl.key.location": str(identity.key)})
    return settings


def test_kafka_python_produces_and_consumes_over_ssl(tls_broker, certs, clients, topic):
    endpoint = ssl_endpoint(tls_broker)
    producer = clients.kp_producer(endpoint, **kp_ssl(certs))
    values = [f"secret-{i}".encode() * 50 for i in range(200)]
    for value in values:
        producer.send(topic, value)
    producer.flush(timeout=15)
    consumer = clients.kp_consumer(endpoint, **kp_ssl(certs))
    consumer.assign([kafka.TopicPartition(topic, 0)])
    assert [record.value for record in kp_read(consumer, len(values))] == values


def test_confluent_kafka_produces_and_consumes_over_ssl(tls_broker, certs, clients, topic):
    endpoint = ssl_endpoint(tls_broker)
    producer = clients.ck_producer(endpoint, **ck_ssl(certs))
    items = [(f"k{i}".encode(), bytes([i % 251]) * 3000) for i in range(300)]
    ck_produce(producer, topic, items)
    consumer = clients.ck_consumer(endpoint, **ck_ssl(certs))
    consumer.assign([confluent_kafka.TopicPartition(topic, 0, 0)])
    got = ck_read(consumer, len(items))
    assert [(message.key(), message.value()) for message in got] == items


def test_metadata_answers_with_the_listener_the_client_came_in_on(tls_broker, certs, clients):
    endpoint = ssl_endpoint(tls_broker)
    over_ssl = clients.ck_admin(endpoint, **ck_ssl(certs)).list_topics(timeout=10)
    plain = clients.ck_admin(tls_broker).list_topics(timeout=10)
    assert [f"{b.host}:{b.port}" for b in over_ssl.brokers.values()] == [endpoint.bootstrap]
    assert [f"{b.host}:{b.port}" for b in plain.brokers.values()] == [tls_broker.bootstrap]
    assert endpoint.bootstrap != tls_broker.bootstrap


def test_a_plaintext_request_on_the_ssl_listener_is_refused_and_the_broker_serves_on(tls_broker, certs, clients,
                                                                                    topic):
    endpoint = ssl_endpoint(tls_broker)
    host, port = endpoint.bootstrap.rsplit(":", 1)
    header = struct.pack(">hhih", 18, 0, 1, 7) + b"odradek"  # ApiVersions v0, correlation id 1
    api_versions = struct.pack(">i", len(header)) + header
    with socket.create_connection((host, int(port)), timeout=5) as plain:
        plain.sendall(api_versions)
        assert _read_to_end(plain)[:1] in (b"", b"\x15")  # closed, at most after a TLS alert record
    producer = clients.kp_producer(endpoint, **kp_ssl(certs))
    producer.send(topic, b"after").get(timeout=10)


def test_garbage_and_a_stalled_handshake_cost_only_their_own_connections(tls_broker, certs, clients, topic):
    host, port = ssl_endpoint(tls_broker).bootstrap.rsplit(":", 1)
    since = tls_broker.log_length()
    garbage = socket.create_connection((host, int(port)), timeout=5)
    stalled = socket.create_connection((host, int(port)), timeout=5)
    try:
        garbage.sendall(b"\x00\x00\x00\x10GET / HTTP/1.1\r\n\r\n" + bytes(range(256)) * 4)
        stalled.sendall(_client_hello_start(host))  # half a ClientHello, and then nothing
        producer = clients.kp_producer(ssl_endpoint(tls_broker), **kp_ssl(certs))
        consumer = clients.kp_consumer(ssl_endpoint(tls_broker), **kp_ssl(certs))
        consumer.assign([kafka.TopicPartition(topic, 0)])
        for i in range(20):
            producer.send(topic, f"v{i}".encode()).get(timeout=10)
        assert [r.value for r in kp_read(consumer, 20)] == [f"v{i}".encode() for i in range(20)]
        assert _read_to_end(garbage)[:1] in (b"", b"\x15")  # closed, at most after a TLS alert record
        wait_until(lambda: "SSL handshake failed" in "".join(tls_broker.log_text().splitlines(True)[since:]),
                   what="the failed handshake's log line")
    finally:
        garbage.close()
        stalled.close()


def test_mutual_tls_names_the_client_by_its_certificate(mtls_broker, certs, clients, topic):
    endpoint = ssl_endpoint(mtls_broker)
    since = mtls_broker.log_length()
    alice = clients.kp_producer(endpoint, **kp_ssl(certs, certs.alice))
    alice.send(topic, b"from alice").get(timeout=10)
    bob = clients.ck_producer(endpoint, **ck_ssl(certs, certs.bob))
    ck_produce(bob, topic, [(None, b"from bob")])
    log = "".join(mtls_broker.log_text().splitlines(True)[since:])
    assert re.search(r"TLS connection from 127\.0\.0\.1:\d+ \(TLSv1\.[23]\) as User:alice \(", log), log
    assert re.search(r"TLS connection from 127\.0\.0\.1:\d+ \(TLSv1\.[23]\) as User:CN=bob,OU=ops,O=acme \(", log), log


@pytest.mark.parametrize("who, reason", [
    ("no certificate", "PEER_DID_NOT_RETURN_A_CERTIFICATE"),
    ("expired", "CERTIFICATE_VERIFY_FAILED (certificate has expired)"),
    ("untrusted", "CERTIFICATE_VERIFY_FAILED (self-signed certificate in certificate chain)"),
])
def test_mutual_tls_refuses_clients_without_a_good_certificate(mtls_broker, certs, clients, topic, who, reason):
    identity = {"no certificate": None, "expired": certs.expired, "untrusted": certs.stranger}[who]
    endpoint = ssl_endpoint(mtls_broker)
    since = mtls_broker.log_length()
    producer = clients.ck_producer(endpoint, **ck_ssl(certs, identity), **{"message.timeout.ms": 3000})
    reports = []
    producer.produce(topic, b"should not land", on_delivery=lambda err, msg: reports.append(err))
    assert producer.flush(10) == 0
    assert len(reports) == 1 and reports[0] is not None, reports  # delivery failed
    wait_until(lambda: f"(SSL handshake failed): {reason}" in "".join(mtls_broker.log_text().splitlines(True)[since:]),
               what="the refused handshake's log line")
    # the message never landed: alice (trusted) reads the partition's end offset
    alice = clients.kp_consumer(endpoint, **kp_ssl(certs, certs.alice))
    partition = kafka.TopicPartition(topic, 0)
    ends = alice.end_offsets([partition])
    assert ends.get(partition, 0) == 0


def _read_to_end(sock: socket.socket) -> bytes:
    """What the broker sends before it closes the connection (bounded by the socket's timeout)."""
    data = b""
    while chunk := sock.recv(4096):
        data += chunk
    return data


def _client_hello_start(host: str) -> bytes:
    """The first bytes of a real ClientHello (a TLS record header and part of its body)."""
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = ssl.create_default_context().wrap_bio(incoming, outgoing, server_hostname=host)
    try:
        tls.do_handshake()
    except ssl.SSLWantReadError:
        pass
    hello = outgoing.read()
    return hello[:len(hello) // 2]


@pytest.mark.slow
def test_a_stalled_handshake_is_closed_after_the_handshake_timeout(tls_broker):
    host, port = ssl_endpoint(tls_broker).bootstrap.rsplit(":", 1)
    since = tls_broker.log_length()
    with socket.create_connection((host, int(port)), timeout=20) as stalled:
        stalled.sendall(_client_hello_start(host))
        started = time.monotonic()
        assert _read_to_end(stalled) == b""
        assert 9 < time.monotonic() - started < 15  # HANDSHAKE_TIMEOUT_S is 10 s
    wait_until(lambda: "(SSL handshake failed): no handshake within 10s" in
               "".join(tls_broker.log_text().splitlines(True)[since:]), what="the timeout's log line")


def test_describe_configs_reports_tls_settings_and_hides_the_key_password(tls_broker, certs, clients):
    admin = clients.ck_admin(ssl_endpoint(tls_broker), **ck_ssl(certs))
    resource = confluent_kafka.admin.ConfigResource("BROKER", "1")
    configs = ck_wait(admin.describe_configs([resource]))[resource]
    assert configs["ssl.keystore.location"].value == str(certs.broker.keystore)
    assert configs["ssl.key.password"].is_sensitive and configs["ssl.key.password"].value is None


def test_requested_client_auth_takes_a_certificate_but_does_not_demand_one(certs, clients, topic, tmp_path):
    overrides = tls_overrides(certs, **{"ssl.client.auth": "requested"})
    broker = BrokerProcess(tmp_path / "data", overrides, log_level="DEBUG").start()
    try:
        endpoint = ssl_endpoint(broker)
        clients.kp_producer(endpoint, **kp_ssl(certs)).send(topic, b"anonymous").get(timeout=10)
        clients.kp_producer(endpoint, **kp_ssl(certs, certs.bob)).send(topic, b"bob").get(timeout=10)
        clients.close_all()
        log = broker.log_text()
        assert re.search(r"TLS connection from \S+ \(TLSv1\.3\) as User:ANONYMOUS \(", log), log
        assert re.search(r"TLS connection from \S+ \(TLSv1\.3\) as User:CN=bob,OU=ops,O=acme \(", log), log
        assert not broker.tracebacks()
    finally:
        _finish(broker)


def test_large_records_cross_many_tls_records_both_ways(tls_broker, certs, clients, topic):
    endpoint = ssl_endpoint(tls_broker)
    producer = clients.ck_producer(endpoint, **ck_ssl(certs))
    items = [(f"k{i}".encode(), bytes([i]) * 900_000) for i in range(4)]
    ck_produce(producer, topic, items)
    consumer = clients.kp_consumer(endpoint, **kp_ssl(certs), max_partition_fetch_bytes=4_000_000)
    consumer.assign([kafka.TopicPartition(topic, 0)])
    assert [(r.key, r.value) for r in kp_read(consumer, len(items))] == items
