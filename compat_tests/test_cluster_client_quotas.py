"""Client quotas in a three-broker cluster: set through any one broker with Kafka's own
``kafka-configs``, kept where ZooKeeper-era Kafka keeps them (``/config/clients/<client-id>``,
``/config/users/<user>[/clients/<client-id>]``, announced under ``/config/changes``), known to
every broker, and read back by a restarted one. A user's quotas share its znode with its SCRAM
credentials: changing one keeps the other.
"""

from __future__ import annotations

import json

import confluent_kafka.admin
import pytest
from confluent_kafka.admin import ScramCredentialInfo, ScramMechanism, UserScramCredentialUpsertion

from odradek.wire import ApiKey, ErrorCode

from .clients import ck_wait
from .cluster_process import Cluster, wait_until
from .cluster_tools import SETTLE, tool
from .java.kafka_tool import CONFIGS
from .wire_client import WireClient

pytestmark = pytest.mark.usefixtures("kafka_jars", "cluster_traceback_guard")


def quotas_on(cluster: Cluster, broker_id: int, entity: list[tuple[str, str | None]]) -> dict[str, float]:
    """DescribeClientQuotas of one exact entity, asked of one broker."""
    components = [{"entity_type": t, "match_type": 0 if n is not None else 1, "match": n} for t, n in entity]
    with WireClient(cluster.brokers[broker_id]) as wire:
        answer = wire.send(ApiKey.DESCRIBE_CLIENT_QUOTAS, 1, {"components": components, "strict": True})
    assert answer.error_code == ErrorCode.NONE, answer.error_message
    return {value.key: value.value for entry in answer.entries for value in entry["values"]}


def znode(zk, path: str) -> dict:
    return json.loads(zk.get(path)[0])


def notifications(zk) -> list[str]:
    return [json.loads(zk.get(f"/config/changes/{child}")[0])["entity_path"]
            for child in sorted(zk.get_children("/config/changes"))]


def test_a_client_quota_set_through_one_broker_is_every_brokers(cluster, zk):
    tool(cluster, CONFIGS, "--alter", "--entity-type", "clients", "--entity-name", "zk-app",
         "--add-config", "producer_byte_rate=1024,consumer_byte_rate=2048", bootstrap=cluster.brokers[1].bootstrap)
    assert znode(zk, "/config/clients/zk-app") == {
        "version": 1, "config": {"producer_byte_rate": "1024", "consumer_byte_rate": "2048"}}
    assert "clients/zk-app" in notifications(zk)
    expected = {"producer_byte_rate": 1024.0, "consumer_byte_rate": 2048.0}
    for broker_id in (2, 3):
        wait_until(lambda: quotas_on(cluster, broker_id, [("client-id", "zk-app")]) == expected, SETTLE,
                   f"broker {broker_id} to know the quota")

    tool(cluster, CONFIGS, "--alter", "--entity-type", "clients", "--entity-name", "zk-app",
         "--delete-config", "producer_byte_rate,consumer_byte_rate", bootstrap=cluster.brokers[2].bootstrap)
    assert not zk.exists("/config/clients/zk-app")
    for broker_id in (1, 3):
        wait_until(lambda: quotas_on(cluster, broker_id, [("client-id", "zk-app")]) == {}, SETTLE,
                   f"broker {broker_id} to forget the quota")


def test_user_and_default_quotas_are_kept_in_kafkas_layout(cluster, zk):
    tool(cluster, CONFIGS, "--alter", "--entity-type", "users", "--entity-name", "zk alice", "--entity-type",
         "clients", "--entity-default", "--add-config", "consumer_byte_rate=300")
    assert znode(zk, "/config/users/zk%20alice/clients/<default>")["config"] == {"consumer_byte_rate": "300"}
    assert "users/zk%20alice/clients/<default>" in notifications(zk)
    wait_until(lambda: quotas_on(cluster, 3, [("user", "zk alice"), ("client-id", None)])
               == {"consumer_byte_rate": 300.0}, SETTLE, "broker 3 to know the quota")


def test_a_users_quota_and_scram_credentials_share_its_znode(cluster, zk):
    admin = confluent_kafka.admin.AdminClient({"bootstrap.servers": cluster.brokers[1].bootstrap})
    ck_wait(admin.alter_user_scram_credentials([UserScramCredentialUpsertion(
        "zk-carol", ScramCredentialInfo(ScramMechanism.SCRAM_SHA_256, 8192), b"carol-secret")]))
    user = ("--entity-type", "users", "--entity-name", "zk-carol")
    tool(cluster, CONFIGS, "--alter", *user, "--add-config", "request_percentage=25")
    assert set(znode(zk, "/config/users/zk-carol")["config"]) == {"SCRAM-SHA-256", "request_percentage"}
    assert znode(zk, "/config/users/zk-carol")["config"]["request_percentage"] == "25.0"

    tool(cluster, CONFIGS, "--alter", *user, "--delete-config", "request_percentage")
    assert set(znode(zk, "/config/users/zk-carol")["config"]) == {"SCRAM-SHA-256"}
    described = ck_wait(admin.describe_user_scram_credentials(["zk-carol"]))
    assert [info.mechanism for info in described["zk-carol"].scram_credential_infos] == [
        ScramMechanism.SCRAM_SHA_256]


def test_a_restarted_broker_reads_the_quotas_back(cluster):
    tool(cluster, CONFIGS, "--alter", "--entity-type", "clients", "--entity-name", "zk-kept",
         "--add-config", "producer_byte_rate=4096")
    cluster.restart(3)
    cluster.wait_for_brokers({1, 2, 3})
    assert quotas_on(cluster, 3, [("client-id", "zk-kept")]) == {"producer_byte_rate": 4096.0}
