"""A three-broker cluster whose brokers talk to each other over TLS.

Clients use the PLAINTEXT listener; ``inter.broker.listener.name=INTERNAL`` names an SSL listener
that requires client certificates, so the controller's requests, the replica fetchers and the
brokers' own requests to each other all go through mutual TLS: replicas in sync and a
committed write read back prove it, and no broker logs a failed handshake.
"""

from __future__ import annotations

import json

import confluent_kafka
import pytest
from kafka.admin import NewTopic

from .certificates import KEY_PASSWORD, make_certificates
from .clients import ck_produce, ck_read
from .cluster_process import Cluster
from .cluster_tools import kazoo

pytestmark = pytest.mark.usefixtures("cluster_traceback_guard")


@pytest.fixture(scope="module")
def own_cluster(tmp_path_factory):
    certs = make_certificates(tmp_path_factory.mktemp("certs"))
    overrides = {
        "listeners": "PLAINTEXT://127.0.0.1:0,INTERNAL://127.0.0.1:0",
        "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,INTERNAL:SSL",
        "inter.broker.listener.name": "INTERNAL",
        "listener.name.internal.ssl.keystore.type": "PEM",
        "listener.name.internal.ssl.keystore.location": certs.broker.keystore,
        "listener.name.internal.ssl.key.password": KEY_PASSWORD,
        "listener.name.internal.ssl.truststore.type": "PEM",
        "listener.name.internal.ssl.truststore.location": certs.ca,
        "listener.name.internal.ssl.client.auth": "required",
        "default.replication.factor": 3,
        "min.insync.replicas": 2,
    }
    running = Cluster(tmp_path_factory.mktemp("cluster"), overrides=overrides).start()
    yield running
    running.stop()


def test_brokers_replicate_over_mutual_tls(own_cluster, clients, zk_own):
    registration = json.loads(zk_own.get("/brokers/ids/2")[0])
    internal = [endpoint for endpoint in registration["endpoints"] if endpoint.startswith("INTERNAL://")]
    assert len(internal) == 1 and registration["listener_security_protocol_map"]["INTERNAL"] == "SSL"

    clients.kp_admin(own_cluster).create_topics([NewTopic("over-tls", 3, 3)])
    own_cluster.wait_for_leaders("over-tls", 3, isr_size=3)
    producer = clients.ck_producer(own_cluster, **{"acks": "all"})
    items = [(f"k{i}".encode(), f"v{i}".encode() * 100) for i in range(300)]
    ck_produce(producer, "over-tls", items)
    consumer = clients.ck_consumer(own_cluster)
    consumer.assign([confluent_kafka.TopicPartition("over-tls", p, 0) for p in range(3)])
    assert sorted((m.key(), m.value()) for m in ck_read(consumer, len(items))) == sorted(items)
    own_cluster.wait_for_leaders("over-tls", 3, isr_size=3)  # followers kept up, over TLS
    for broker in own_cluster.brokers.values():
        assert "SSL handshake failed" not in broker.log_text()


@pytest.fixture
def zk_own(own_cluster):
    client = kazoo(own_cluster)
    yield client
    client.stop()
    client.close()
