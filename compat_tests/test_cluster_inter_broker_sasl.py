"""Three brokers that log in to each other with SASL, as Kafka's brokers do.

Clients (and the harness) use each broker's PLAINTEXT listener; ``inter.broker.listener.name``
names an INTERNAL listener that is either SASL_PLAINTEXT with SCRAM-SHA-512 or SASL_SSL with PLAIN,
so the controller's requests, the replica fetchers and every other broker-to-broker request log
in first (``sasl.mechanism.inter.broker.protocol``, the broker's own user from the listener's
JAAS entry). The SCRAM user exists before any broker starts: ``odradek configs --zookeeper``
writes it into ZooKeeper, as ``kafka-configs --zookeeper`` did for ZooKeeper-era Kafka.

The authorizer is on and denies what no ACL allows; the brokers' user ``broker`` is a super user
(as Kafka's inter-broker principal must be, or hold CLUSTER_ACTION), ``User:ANONYMOUS`` too so the
PLAINTEXT clients can work, and any other SCRAM user that reaches the INTERNAL listener is refused
the brokers' own requests. A topic with three replicas takes acks=all writes, loses its leader to
kill -9, and every acknowledged record is read back; the killed broker rejoins the ISR.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import confluent_kafka
import pytest
from kafka.admin import NewTopic

from odradek.wire import ApiKey, ErrorCode

from .certificates import KEY_PASSWORD, make_certificates
from .clients import ck_produce, ck_read
from .cluster_process import Cluster, wait_until
from .cluster_tools import kazoo
from .odradek_cli import run
from .sasl_helpers import SaslWire
from .zookeeper_process import ZooKeeperProcess

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("cluster_traceback_guard")]

BROKER_PASSWORD = "broker-secret"
SCRAM_LOGIN = ('org.apache.kafka.common.security.scram.ScramLoginModule required '
               f'username="broker" password="{BROKER_PASSWORD}";')
PLAIN_LOGIN = ('org.apache.kafka.common.security.plain.PlainLoginModule required '
               f'username="broker" password="{BROKER_PASSWORD}" user_broker="{BROKER_PASSWORD}" '
               'user_mallory="mallory-secret";')
COMMON = {
    "listeners": "PLAINTEXT://127.0.0.1:0,INTERNAL://127.0.0.1:0",
    "inter.broker.listener.name": "INTERNAL",
    "authorizer.class.name": "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
    "super.users": "User:broker;User:ANONYMOUS",
    "allow.everyone.if.no.acl.found": "false",
    "default.replication.factor": 3,
    "min.insync.replicas": 2,
}


def scram_over_sasl_plaintext(root, zookeeper: ZooKeeperProcess) -> tuple[dict, None]:
    for user, password in (("broker", BROKER_PASSWORD), ("mallory", "mallory-secret")):
        ran = run("configs", "--zookeeper", zookeeper.connect, "--alter", "--entity-type", "users",
                  "--entity-name", user, "--add-config", f"SCRAM-SHA-512=[iterations=8192,password={password}]")
        assert ran.code == 0 and ran.out == f"Completed updating config for entity: user-principal '{user}'.\n", ran
    return {
        "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,INTERNAL:SASL_PLAINTEXT",
        "listener.name.internal.sasl.enabled.mechanisms": "SCRAM-SHA-512",
        "sasl.mechanism.inter.broker.protocol": "SCRAM-SHA-512",
        "listener.name.internal.scram-sha-512.sasl.jaas.config": SCRAM_LOGIN,
    }, None


def plain_over_sasl_ssl(root, zookeeper: ZooKeeperProcess) -> tuple[dict, Path]:
    certs = make_certificates(root / "certs")
    return {
        "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,INTERNAL:SASL_SSL",
        "listener.name.internal.sasl.enabled.mechanisms": "PLAIN",
        "sasl.mechanism.inter.broker.protocol": "PLAIN",
        "listener.name.internal.plain.sasl.jaas.config": PLAIN_LOGIN,
        "listener.name.internal.ssl.keystore.type": "PEM",
        "listener.name.internal.ssl.keystore.location": certs.broker.keystore,
        "listener.name.internal.ssl.key.password": KEY_PASSWORD,
        "listener.name.internal.ssl.truststore.type": "PEM",
        "listener.name.internal.ssl.truststore.location": certs.ca,
    }, certs.ca


SETUPS = {"scram-sha-512 over SASL_PLAINTEXT": scram_over_sasl_plaintext, "plain over SASL_SSL": plain_over_sasl_ssl}


@pytest.fixture(scope="module", params=list(SETUPS))
def own_cluster(request, tmp_path_factory):
    root = tmp_path_factory.mktemp("cluster")
    zookeeper = ZooKeeperProcess(root / "zookeeper").start()
    try:
        overrides, ca = SETUPS[request.param](root, zookeeper)
        running = Cluster(root, overrides={**COMMON, **overrides}, zookeeper=zookeeper)
        running.ca = ca  # the CA to check the INTERNAL listener's certificate with, when it is TLS
        try:
            yield running.start()
        finally:
            running.stop()
    finally:
        zookeeper.stop()


def test_brokers_replicate_and_fail_over_after_logging_in_to_each_other(own_cluster, clients):
    topic = "over-sasl"
    clients.kp_admin(own_cluster).create_topics([NewTopic(topic, 3, 3)])
    partitions = own_cluster.wait_for_leaders(topic, 3, isr_size=3)  # the followers fetch: they logged in
    producer = clients.ck_producer(own_cluster, **{"acks": "all", "enable.idempotence": True})
    first = [(f"k{i}".encode(), f"v{i}".encode() * 50) for i in range(200)]
    ck_produce(producer, topic, first)

    victim = partitions[0].leader
    own_cluster.kill(victim)
    moved = wait_until(lambda: all(p.leader != victim and victim not in p.isr for p in
                                   own_cluster.metadata([topic]).topics[topic].partitions.values()),
                       timeout=30, what=f"leaders and ISRs without broker {victim}")
    assert moved
    second = [(f"k{i}".encode(), f"after-{i}".encode()) for i in range(200, 300)]
    ck_produce(producer, topic, second)

    consumer = clients.ck_consumer(own_cluster)
    consumer.assign([confluent_kafka.TopicPartition(topic, p, 0) for p in range(3)])
    assert sorted((m.key(), m.value()) for m in ck_read(consumer, 300)) == sorted(first + second)

    own_cluster.restart(victim)
    own_cluster.wait_for_brokers(set(own_cluster.brokers))
    own_cluster.wait_for_leaders(topic, 3, isr_size=3)  # it logged in again and caught up
    for broker in own_cluster.brokers.values():
        assert "refused this broker's" not in broker.log_text()


def test_another_user_on_the_internal_listener_is_refused_the_brokers_requests(own_cluster):
    """Logging in is not enough: only the super user ``broker`` may CLUSTER_ACTION. Nor does a
    request a broker forwards to the controller (as the brokers' user) pass for the client's: a
    non-controller checks the client before forwarding."""
    controller = own_cluster.controller()
    other = next(b for b in own_cluster.brokers if b != controller)
    with InternalWire(_internal_port(own_cluster, other), own_cluster.ca) as wire:
        if own_cluster.ca is None:
            assert wire.login_scram("SCRAM-SHA-512", "mallory", "mallory-secret") == ErrorCode.NONE
        else:
            assert wire.login_plain("mallory", "mallory-secret").error_code == ErrorCode.NONE
        answer = wire.send(ApiKey.CONTROLLED_SHUTDOWN, 3, {"broker_id": other, "broker_epoch": -1})
        assert answer.error_code == ErrorCode.CLUSTER_AUTHORIZATION_FAILED
        answer = wire.send(ApiKey.ELECT_LEADERS, 2, {"election_type": 0, "topic_partitions": None,
                                                     "timeout_ms": 10_000})
        assert answer.error_code == ErrorCode.CLUSTER_AUTHORIZATION_FAILED


class InternalWire(SaslWire):
    """A raw client of a broker's INTERNAL listener, through TLS when it is SASL_SSL."""

    def __init__(self, port: int, ca: Path | None):
        super().__init__(SimpleNamespace(port=port))
        if ca is not None:
            self.over_tls(ca)


def _internal_port(cluster: Cluster, broker_id: int) -> int:
    """The broker's INTERNAL port, as it registered it in ZooKeeper."""
    zk = kazoo(cluster)
    try:
        registration = json.loads(zk.get(f"/brokers/ids/{broker_id}")[0])
    finally:
        zk.stop()
        zk.close()
    endpoint = next(e for e in registration["endpoints"] if e.startswith("INTERNAL://"))
    return int(endpoint.rpartition(":")[2])
