"""Configs in a three-broker cluster, changed with Kafka's own ``kafka-configs`` through any one
broker: a topic's overrides live in ZooKeeper's ``/config/topics/<topic>`` and every broker that
hosts the topic applies them; dynamic broker configs live in ``/config/brokers/<default>`` and
``/config/brokers/<id>``, every broker takes the cluster-wide ones, and a restarted broker reads
its own back; a group's configs live in ``/config/groups/<group>`` and every broker knows them,
its coordinator wherever it is. Each change leaves Kafka's notification under ``/config/changes``.
"""

from __future__ import annotations

import json

import confluent_kafka
import pytest

from odradek.storage.log_config import DYNAMIC_BROKER_CONFIG, DYNAMIC_DEFAULT_BROKER_CONFIG, DYNAMIC_TOPIC_CONFIG
from odradek.wire import ApiKey, ErrorCode

from .cluster_process import Cluster, wait_until
from .cluster_tools import SETTLE, tool
from .java.kafka_tool import CONFIGS, TOPICS
from .wire_client import WireClient

TOPIC, BROKER, GROUP = 2, 4, 32  # ConfigResource types
GROUP_CONFIG = 8  # a DescribeConfigs source
TOPIC_MAX_LENGTH = 60
pytestmark = pytest.mark.usefixtures("kafka_jars", "cluster_traceback_guard")


def through(cluster: Cluster, broker_id: int) -> str:
    """A bootstrap of that one broker (the tool still talks to the others the metadata names)."""
    return cluster.brokers[broker_id].bootstrap


def kept_topic_configs(cluster: Cluster, broker_id: int, topic: str) -> dict[str, str] | None:
    """What the broker keeps on its disk of the topic's overrides (None: it keeps no such topic)."""
    document = json.loads((cluster.brokers[broker_id].data_dir / "odradek-topics.json").read_text())
    return next((t["configs"] for t in document["topics"] if t["name"] == topic), None)


def topic_config_znode(zk, topic: str) -> dict[str, str]:
    return json.loads(zk.get(f"/config/topics/{topic}")[0])["config"]


def notifications(zk) -> list[str]:
    return [json.loads(zk.get(f"/config/changes/{child}")[0])["entity_path"]
            for child in sorted(zk.get_children("/config/changes"))]


def described(cluster: Cluster, broker_id: int, resource_type: int, name: str) -> dict[str, tuple]:
    """DescribeConfigs of one resource asked of one broker: name -> (value, source)."""
    with WireClient(cluster.brokers[broker_id]) as wire:
        answer = wire.send(ApiKey.DESCRIBE_CONFIGS, 4, {"resources": [
            {"resource_type": resource_type, "resource_name": name, "configuration_keys": None}],
            "include_synonyms": False, "include_documentation": False})
    [result] = answer.results
    assert result.error_code == ErrorCode.NONE, result.error_message
    return {c.name: (c.value, c.config_source) for c in result.configs}


def test_topic_configs_altered_through_one_broker_apply_on_every_replica(cluster, zk, topic):
    tool(cluster, TOPICS, "--create", "--topic", topic, "--partitions", "3", "--replication-factor", "3",
         "--config", "retention.ms=86400000")
    partitions = cluster.wait_for_leaders(topic, 3, isr_size=3)
    assert {p.leader for p in partitions.values()} == {1, 2, 3}
    assert topic_config_znode(zk, topic) == {"retention.ms": "86400000"}  # CreateTopics' configs

    entity = ("--entity-type", "topics", "--entity-name", topic)
    altered = tool(cluster, CONFIGS, *entity, "--alter", "--add-config", "max.message.bytes=2000,cleanup.policy=compact",
                   bootstrap=through(cluster, 3))
    assert altered.lines() == [f"Completed updating config for topic {topic}."]
    expected = {"retention.ms": "86400000", "max.message.bytes": "2000", "cleanup.policy": "compact"}
    assert topic_config_znode(zk, topic) == expected
    assert notifications(zk)[-1] == f"topics/{topic}"
    for broker_id in cluster.brokers:  # every replica applies it, and keeps it
        wait_until(lambda: kept_topic_configs(cluster, broker_id, topic) == expected, SETTLE,
                   f"broker {broker_id} to apply the new configs")
        assert described(cluster, broker_id, TOPIC, topic)["max.message.bytes"] == ("2000", DYNAMIC_TOPIC_CONFIG)
    for broker_id in cluster.brokers:
        lines = tool(cluster, CONFIGS, *entity, "--describe", bootstrap=through(cluster, broker_id)).lines()
        assert lines[0] == f"Dynamic configs for topic {topic} are:"
        assert sorted(line.split()[0] for line in lines[1:]) == [
            "cleanup.policy=compact", "max.message.bytes=2000", "retention.ms=86400000"]

    # every leader (one per broker) now refuses a record over the new limit
    producer = confluent_kafka.Producer({"bootstrap.servers": cluster.bootstrap, "acks": "all",
                                         "message.max.bytes": 100_000, "message.timeout.ms": 15_000})
    reports = []
    for partition in range(3):
        producer.produce(topic, key=b"k", value=b"x" * 5000, partition=partition,
                         on_delivery=lambda err, msg: reports.append((msg.partition(), err and err.code())))
    assert producer.flush(30) == 0
    assert sorted(reports) == [(p, confluent_kafka.KafkaError.MSG_SIZE_TOO_LARGE) for p in range(3)]

    tool(cluster, CONFIGS, *entity, "--alter", "--delete-config", "max.message.bytes,cleanup.policy",
         bootstrap=through(cluster, 1))
    assert topic_config_znode(zk, topic) == {"retention.ms": "86400000"}
    for broker_id in cluster.brokers:
        wait_until(lambda: kept_topic_configs(cluster, broker_id, topic) == {"retention.ms": "86400000"}, SETTLE,
                   f"broker {broker_id} to apply the deletion")


def test_topic_config_errors_in_a_cluster(cluster, topic):
    entity = ("--entity-type", "topics", "--entity-name", topic)
    missing = tool(cluster, CONFIGS, *entity, "--alter", "--add-config", "retention.ms=1", check=False)
    assert missing.returncode != 0 and f"Topic '{topic}' does not exist." in missing.stdout + missing.stderr
    tool(cluster, TOPICS, "--create", "--topic", topic, "--partitions", "1", "--replication-factor", "2")
    cluster.wait_for_leaders(topic, 1, isr_size=2)
    bad = tool(cluster, CONFIGS, *entity, "--alter", "--add-config", "retention.ms=soon", check=False)
    assert bad.returncode != 0 and "Invalid value soon for configuration retention.ms" in bad.stdout + bad.stderr


def test_cluster_wide_broker_defaults_reach_every_broker(cluster, zk, topic):
    tool(cluster, TOPICS, "--create", "--topic", topic, "--partitions", "1", "--replication-factor", "3")
    cluster.wait_for_leaders(topic, 1, isr_size=3)
    default = ("--entity-type", "brokers", "--entity-default")
    assert json.loads(zk.get("/config/brokers/<default>")[0])["config"] == {"min.insync.replicas": "1"}
    altered = tool(cluster, CONFIGS, *default, "--alter", "--add-config", "log.retention.ms=172800000",
                   bootstrap=through(cluster, 2))
    assert altered.lines() == ["Completed updating default config for brokers in the cluster."]
    assert json.loads(zk.get("/config/brokers/<default>")[0])["config"] == {
        "min.insync.replicas": "1", "log.retention.ms": "172800000"}
    assert notifications(zk)[-1] == "brokers/<default>"
    for broker_id in cluster.brokers:
        wait_until(lambda: described(cluster, broker_id, BROKER, str(broker_id))["log.retention.ms"]
                   == ("172800000", DYNAMIC_DEFAULT_BROKER_CONFIG), SETTLE, f"broker {broker_id} to take the default")
        assert described(cluster, broker_id, TOPIC, topic)["retention.ms"] == ("172800000", DYNAMIC_DEFAULT_BROKER_CONFIG)
    lines = tool(cluster, CONFIGS, *default, "--describe", bootstrap=through(cluster, 1)).lines()
    assert lines[0] == "Default configs for brokers in the cluster are:"
    assert ("  log.retention.ms=172800000 sensitive=false "
            "synonyms={DYNAMIC_DEFAULT_BROKER_CONFIG:log.retention.ms=172800000}") in lines[1:]

    tool(cluster, CONFIGS, *default, "--alter", "--delete-config", "log.retention.ms", bootstrap=through(cluster, 3))
    for broker_id in cluster.brokers:
        wait_until(lambda: described(cluster, broker_id, BROKER, str(broker_id))["log.retention.ms"][1]
                   != DYNAMIC_DEFAULT_BROKER_CONFIG, SETTLE, f"broker {broker_id} to drop the default")


def test_a_brokers_own_configs_are_kept_in_zookeeper_across_restarts(cluster, zk):
    entity = ("--entity-type", "brokers", "--entity-name", "2")
    altered = tool(cluster, CONFIGS, *entity, "--alter", "--add-config", "log.cleaner.backoff.ms=750")
    assert altered.lines() == ["Completed updating config for broker 2."]
    assert json.loads(zk.get("/config/brokers/2")[0])["config"] == {"log.cleaner.backoff.ms": "750"}
    assert notifications(zk)[-1] == "brokers/2"
    assert described(cluster, 2, BROKER, "2")["log.cleaner.backoff.ms"] == ("750", DYNAMIC_BROKER_CONFIG)
    assert described(cluster, 1, BROKER, "1")["log.cleaner.backoff.ms"][1] != DYNAMIC_BROKER_CONFIG

    cluster.restart(2)
    cluster.wait_for_brokers({1, 2, 3})
    assert described(cluster, 2, BROKER, "2")["log.cleaner.backoff.ms"] == ("750", DYNAMIC_BROKER_CONFIG)
    lines = tool(cluster, CONFIGS, *entity, "--describe").lines()
    assert lines == ["Dynamic configs for broker 2 are:",
                     "  log.cleaner.backoff.ms=750 sensitive=false synonyms={DYNAMIC_BROKER_CONFIG:"
                     "log.cleaner.backoff.ms=750, DEFAULT_CONFIG:log.cleaner.backoff.ms=15000}"]
    tool(cluster, CONFIGS, *entity, "--alter", "--delete-config", "log.cleaner.backoff.ms")
    assert json.loads(zk.get("/config/brokers/2")[0])["config"] == {}


def listed_groups(cluster: Cluster, broker_id: int) -> list[str]:
    with WireClient(cluster.brokers[broker_id]) as wire:
        answer = wire.send(ApiKey.LIST_CONFIG_RESOURCES, 1, {"resource_types": [GROUP]})
    return [r.resource_name for r in answer.config_resources]


def heartbeat_interval_given(cluster: Cluster, group: str) -> tuple[int, int]:
    """(the group's coordinator, the heartbeat interval it gives a new consumer-protocol member)."""
    def join():
        with WireClient(next(b for b in cluster.brokers.values() if b.running)) as wire:
            [found] = wire.send(ApiKey.FIND_COORDINATOR, 4, {"key_type": 0, "coordinator_keys": [group]}).coordinators
        if found.error_code != ErrorCode.NONE or found.node_id not in cluster.brokers:
            return None
        with WireClient(cluster.brokers[found.node_id]) as wire:
            joined = wire.send(ApiKey.CONSUMER_GROUP_HEARTBEAT, 1, {
                "group_id": group, "member_id": f"member-of-{group}", "member_epoch": 0,
                "rebalance_timeout_ms": 10_000, "subscribed_topic_names": [group], "topic_partitions": []})
        return (found.node_id, joined.heartbeat_interval_ms) if joined.error_code == ErrorCode.NONE else None

    return wait_until(join, SETTLE, f"a member to join group {group}")


def test_group_configs_live_in_zookeeper_and_reach_every_broker(cluster, zk, topic):
    group = f"{topic}/team.a"  # a group id is no path: it is percent-encoded in the znode's name
    entity = ("--entity-type", "groups", "--entity-name", group)
    altered = tool(cluster, CONFIGS, *entity, "--alter", "--add-config",
                   "consumer.heartbeat.interval.ms=6000,share.delivery.count.limit=4", bootstrap=through(cluster, 3))
    assert altered.lines() == [f"Completed updating config for group {group}."]
    znode = f"/config/groups/{topic}%2Fteam%2Ea"
    assert json.loads(zk.get(znode)[0])["config"] == {"consumer.heartbeat.interval.ms": "6000",
                                                      "share.delivery.count.limit": "4"}
    assert notifications(zk)[-1] == f"groups/{topic}%2Fteam%2Ea"
    for broker_id in cluster.brokers:
        wait_until(lambda: group in listed_groups(cluster, broker_id), SETTLE, f"broker {broker_id} to list the group")
        assert described(cluster, broker_id, GROUP, group)["share.delivery.count.limit"] == ("4", GROUP_CONFIG)
    coordinator, interval = heartbeat_interval_given(cluster, group)
    assert interval == 6000

    cluster.restart(coordinator, crash=True)  # it reads every group's configs back from ZooKeeper
    cluster.wait_for_brokers({1, 2, 3})
    assert group in listed_groups(cluster, coordinator)
    assert heartbeat_interval_given(cluster, group)[1] == 6000

    bad = tool(cluster, CONFIGS, *entity, "--alter", "--add-config", "share.delivery.count.limit=11", check=False)
    assert bad.returncode != 0 and ("share.delivery.count.limit must be less than or equal to "
                                    "group.share.max.delivery.count.limit") in bad.stderr
    tool(cluster, CONFIGS, *entity, "--alter", "--delete-config",
         "consumer.heartbeat.interval.ms,share.delivery.count.limit", bootstrap=through(cluster, 1))
    assert zk.exists(znode) is None
    for broker_id in cluster.brokers:
        wait_until(lambda: group not in listed_groups(cluster, broker_id), SETTLE,
                   f"broker {broker_id} to forget the group's configs")
