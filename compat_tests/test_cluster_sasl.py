"""SCRAM users in a cluster: kept in ZooKeeper as ZooKeeper-era Kafka keeps them
(``/config/users/<user>``, announced under ``/config/changes``), so a user added through one
broker logs in on every broker. Each broker has a SASL_PLAINTEXT listener for clients beside the
PLAINTEXT one the brokers (and the harness) use.
"""

from __future__ import annotations

import json
from types import SimpleNamespace

import confluent_kafka.admin
import pytest
from confluent_kafka.admin import ScramCredentialInfo, ScramMechanism, UserScramCredentialUpsertion

from odradek.server.security.sasl.scram_credential import ScramCredential

from .clients import ck_wait, wait_until
from .cluster_process import Cluster
from .cluster_tools import kazoo
from .sasl_helpers import ADMIN, BROKER, ck_sasl, kp_sasl
from .zookeeper_process import free_port

pytestmark = pytest.mark.usefixtures("cluster_traceback_guard")
SASL_PORTS = {1: free_port(), 2: free_port()}


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    per_broker = {broker_id: {
        "listeners": f"PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:{port}",
        "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT",
        "inter.broker.listener.name": "PLAINTEXT"} for broker_id, port in SASL_PORTS.items()}
    running = Cluster(tmp_path_factory.mktemp("cluster"), size=2, overrides=BROKER, broker_overrides=per_broker).start()
    yield running
    running.stop()


def sasl_bootstrap(broker_id: int) -> str:
    return f"127.0.0.1:{SASL_PORTS[broker_id]}"


def sasl_listener(broker_id: int) -> SimpleNamespace:
    """What the client helpers need of a broker: the address of its SASL listener."""
    return SimpleNamespace(bootstrap=sasl_bootstrap(broker_id))


def test_a_scram_user_added_through_one_broker_logs_in_on_the_other(cluster, clients, topic):
    admin = confluent_kafka.admin.AdminClient({"bootstrap.servers": sasl_bootstrap(1), **ck_sasl(*ADMIN)})
    ck_wait(admin.alter_user_scram_credentials([UserScramCredentialUpsertion(
        "dora", ScramCredentialInfo(ScramMechanism.SCRAM_SHA_256, 8192), b"dora-secret")]))

    zk = kazoo(cluster)
    try:
        document = json.loads(zk.get("/config/users/dora")[0])
        changes = [json.loads(zk.get(f"/config/changes/{child}")[0])
                   for child in sorted(zk.get_children("/config/changes"))]
    finally:
        zk.stop()
        zk.close()
    assert document["version"] == 1 and list(document["config"]) == ["SCRAM-SHA-256"]
    credential = ScramCredential.from_string(document["config"]["SCRAM-SHA-256"])  # Kafka's text form
    assert credential.iterations == 8192 and b"dora-secret" not in document["config"]["SCRAM-SHA-256"].encode()
    assert {"version": 2, "entity_path": "users/dora"} in changes

    def produced_through_broker_2():
        try:
            producer = clients.kp_producer(sasl_listener(2), max_block_ms=3000,
                                           **kp_sasl("SCRAM-SHA-256", "dora", "dora-secret"))
        except Exception:  # the change may not have reached broker 2 yet
            return None
        return producer.send(topic, b"hello").get(timeout=15)
    assert wait_until(produced_through_broker_2, timeout=30, what="dora to log in on broker 2").offset == 0
