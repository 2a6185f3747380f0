"""Group configs, the GROUP config resource (type 32): what DescribeConfigs lists for a group, what
IncrementalAlterConfigs and AlterConfigs accept and refuse (and in which words), ListConfigResources,
``kafka-configs --entity-type groups``, confluent-kafka's AdminClient, and the consumer group
coordinator using a group's own session timeout and heartbeat interval.

These run against Apache Kafka too (``ODRADEK_COMPAT_TARGET=kafka``), which shows that what they
expect is what Kafka 4.3 does; the restart test runs against odradek alone (the Kafka launcher
formats a new cluster at each start).
"""

from __future__ import annotations

import time
import uuid

import pytest
from confluent_kafka import KafkaException
from confluent_kafka.admin import AlterConfigOpType, ConfigEntry, ConfigResource, ResourceType
from odradek.wire import ApiKey, ErrorCode

from .clients import ck_wait, wait_until
from .group_helpers import create_topic
from .java.kafka_tool import CONFIGS, run_tool
from .java.targets import TARGET, start_broker, stop_broker
from .wire_client import WireClient

RUNS_AGAINST_KAFKA_TOO = True
GROUP, BROKER = 32, 4
SET, DELETE, APPEND, SUBTRACT = 0, 1, 2, 3
DYNAMIC_BROKER, DYNAMIC_DEFAULT, STATIC, DEFAULT, GROUP_CONFIG = 2, 3, 4, 5, 8
BOOLEAN, STRING, INT = 1, 2, 3
OK = (ErrorCode.NONE, None)

#: Kafka 4.3's group configs: (default value, type, the broker setting it stands for, or None).
KAFKA_GROUP_CONFIGS = {
    "consumer.session.timeout.ms": ("45000", INT, "group.consumer.session.timeout.ms"),
    "consumer.heartbeat.interval.ms": ("5000", INT, "group.consumer.heartbeat.interval.ms"),
    "consumer.assignment.interval.ms": ("1000", INT, "group.consumer.assignment.interval.ms"),
    "share.session.timeout.ms": ("45000", INT, "group.share.session.timeout.ms"),
    "share.heartbeat.interval.ms": ("5000", INT, "group.share.heartbeat.interval.ms"),
    "share.record.lock.duration.ms": ("30000", INT, "group.share.record.lock.duration.ms"),
    "share.delivery.count.limit": ("5", INT, "group.share.delivery.count.limit"),
    "share.partition.max.record.locks": ("2000", INT, "group.share.partition.max.record.locks"),
    "share.auto.offset.reset": ("latest", STRING, None),
    "share.isolation.level": ("read_uncommitted", STRING, None),
    "share.renew.acknowledge.enable": ("true", BOOLEAN, None),
    "share.assignment.interval.ms": ("1000", INT, "group.share.assignment.interval.ms"),
    "streams.session.timeout.ms": ("45000", INT, "group.streams.session.timeout.ms"),
    "streams.heartbeat.interval.ms": ("5000", INT, "group.streams.heartbeat.interval.ms"),
    "streams.num.standby.replicas": ("0", INT, "group.streams.num.standby.replicas"),
    "streams.initial.rebalance.delay.ms": ("3000", INT, "group.streams.initial.rebalance.delay.ms"),
    "streams.assignment.interval.ms": ("1000", INT, "group.streams.assignment.interval.ms"),
}


@pytest.fixture
def group(topic):
    return topic  # a name unique to the test


def describe_result(wire, group: str, keys: list[str] | None = None, *, synonyms: bool = True,
                    documentation: bool = False):
    answer = wire.send(ApiKey.DESCRIBE_CONFIGS, 4, {
        "include_synonyms": synonyms, "include_documentation": documentation,
        "resources": [{"resource_type": GROUP, "resource_name": group, "configuration_keys": keys}]})
    [result] = answer.results
    return result


def describe(wire, group: str, keys: list[str] | None = None, *, synonyms: bool = True) -> dict[str, tuple]:
    """name -> (value, source, read_only, sensitive, type, synonyms) of each config described."""
    result = describe_result(wire, group, keys, synonyms=synonyms)
    assert (result.error_code, result.error_message) == (ErrorCode.NONE, ""), result.error_message
    return {c.name: (c.value, c.config_source, c.read_only, c.is_sensitive, c.config_type,
                     [(s.name, s.value, s.source) for s in c.synonyms]) for c in result.configs}


def alter(wire, group: str, changes: list[tuple[str, int, str | None]], validate_only: bool = False):
    answer = wire.send(ApiKey.INCREMENTAL_ALTER_CONFIGS, 1, {"validate_only": validate_only, "resources": [{
        "resource_type": GROUP, "resource_name": group,
        "configs": [{"name": key, "config_operation": operation, "value": value}
                    for key, operation, value in changes]}]})
    [result] = answer.responses
    return result.error_code, result.error_message


def replace(wire, group: str, configs: dict[str, str | None]):
    """Legacy AlterConfigs: ``configs`` become the group's whole set."""
    answer = wire.send(ApiKey.ALTER_CONFIGS, 2, {"validate_only": False, "resources": [{
        "resource_type": GROUP, "resource_name": group,
        "configs": [{"name": key, "value": value} for key, value in configs.items()]}]})
    [result] = answer.responses
    return result.error_code, result.error_message


def listed_groups(wire) -> list[str]:
    answer = wire.send(ApiKey.LIST_CONFIG_RESOURCES, 1, {"resource_types": [GROUP]})
    assert answer.error_code == ErrorCode.NONE
    return [r.resource_name for r in answer.config_resources]


def own_configs(wire, group: str) -> dict[str, str]:
    """What the group sets itself."""
    return {name: entry[0] for name, entry in describe(wire, group).items() if entry[1] == GROUP_CONFIG}


def set_and_wait(wire, group: str, changes: list[tuple[str, int, str | None]], expected: dict[str, str]) -> None:
    """Change the group's configs, then wait for DescribeConfigs to show them (Kafka's broker takes a
    change from its metadata log a moment after answering)."""
    assert alter(wire, group, changes) == OK
    wait_until(lambda: own_configs(wire, group) == expected, what=f"group {group}'s configs {expected}")


def default_entry(name: str, overrides: dict[str, tuple[str, int]] | None = None) -> tuple:
    """A config the group does not set, as Kafka describes it: the broker setting's value and layers."""
    value, kind, synonym = KAFKA_GROUP_CONFIGS[name]
    if synonym is None:
        return value, DEFAULT, False, False, kind, [(name, value, DEFAULT)]
    layers = [(synonym, v, source) for v, source in (overrides or {}).get(synonym, [])] + [(synonym, value, DEFAULT)]
    return layers[0][1], layers[0][2], False, False, kind, layers


def test_a_group_without_configs_is_described_with_kafkas_defaults(wire, group):
    """Any group id, known or not: every group config, at the broker's settings and Kafka's defaults."""
    assert describe(wire, group) == {name: default_entry(name) for name in KAFKA_GROUP_CONFIGS}
    assert describe(wire, group, []) == describe(wire, group)  # no names: all of them
    assert describe(wire, group, ["share.isolation.level", "no.such.config"]) == {
        "share.isolation.level": default_entry("share.isolation.level")}
    plain = describe(wire, group, ["consumer.session.timeout.ms"], synonyms=False)
    assert plain == {"consumer.session.timeout.ms": ("45000", DEFAULT, False, False, INT, [])}
    empty = describe_result(wire, "")
    assert (empty.error_code, empty.error_message, list(empty.configs)) == (
        ErrorCode.INVALID_REQUEST, "Group name must not be empty", [])


def test_documentation_is_sent_when_asked_for(wire, group):
    asked = describe_result(wire, group, documentation=True)
    assert len(asked.configs) == len(KAFKA_GROUP_CONFIGS)
    assert all(c.documentation for c in asked.configs)
    assert all(c.documentation is None for c in describe_result(wire, group).configs)


def test_set_configs_are_described_with_the_group_as_their_source(wire, group):
    set_and_wait(wire, group, [("consumer.session.timeout.ms", SET, " 50000 "), ("share.auto.offset.reset", SET,
                                                                                 "by_duration:P1DT2H"),
                               ("share.renew.acknowledge.enable", SET, "FALSE")],
                 {"consumer.session.timeout.ms": "50000", "share.auto.offset.reset": "by_duration:P1DT2H",
                  "share.renew.acknowledge.enable": "false"})
    described = describe(wire, group)
    assert described["consumer.session.timeout.ms"] == ("50000", GROUP_CONFIG, False, False, INT, [
        ("consumer.session.timeout.ms", "50000", GROUP_CONFIG),
        ("group.consumer.session.timeout.ms", "45000", DEFAULT)])
    assert described["share.auto.offset.reset"] == ("by_duration:P1DT2H", GROUP_CONFIG, False, False, STRING, [
        ("share.auto.offset.reset", "by_duration:P1DT2H", GROUP_CONFIG), ("share.auto.offset.reset", "latest", DEFAULT)])
    assert described["share.renew.acknowledge.enable"] == ("false", GROUP_CONFIG, False, False, BOOLEAN, [
        ("share.renew.acknowledge.enable", "false", GROUP_CONFIG),
        ("share.renew.acknowledge.enable", "true", DEFAULT)])
    unset = set(KAFKA_GROUP_CONFIGS) - {"consumer.session.timeout.ms", "share.auto.offset.reset",
                                        "share.renew.acknowledge.enable"}
    assert {name: described[name] for name in unset} == {name: default_entry(name) for name in unset}

    # the other changes keep what is set; a deleted config, set or not, goes back to the broker's
    set_and_wait(wire, group, [("share.delivery.count.limit", SET, "7"), ("share.auto.offset.reset", DELETE, None),
                               ("streams.num.standby.replicas", DELETE, None)],
                 {"consumer.session.timeout.ms": "50000", "share.delivery.count.limit": "7",
                  "share.renew.acknowledge.enable": "false"})
    assert alter(wire, group, [("share.delivery.count.limit", SET, "8")], validate_only=True) == OK
    time.sleep(0.5)  # a validate-only change that went through would be visible by now
    assert own_configs(wire, group)["share.delivery.count.limit"] == "7"


def test_list_config_resources_names_the_groups_with_configs_first(wire, group):
    assert group not in listed_groups(wire)
    set_and_wait(wire, group, [("share.record.lock.duration.ms", SET, "20000")],
                 {"share.record.lock.duration.ms": "20000"})
    assert group in listed_groups(wire)
    answer = wire.send(ApiKey.LIST_CONFIG_RESOURCES, 1, {"resource_types": []})
    kinds = [r.resource_type for r in answer.config_resources]
    assert kinds[:kinds.index(8)] == [GROUP] * kinds.index(8)  # groups, then the broker's loggers, ...
    assert alter(wire, group, [("share.record.lock.duration.ms", DELETE, None)]) == OK
    wait_until(lambda: group not in listed_groups(wire), what="the group without configs no longer listed")


OFFSET_RESET_MESSAGE = ("Invalid value {0} for configuration share.auto.offset.reset: Invalid value `{0}` for "
                        "configuration share.auto.offset.reset. The value must be either 'earliest', 'latest' or of "
                        "the format 'by_duration:<PnDTnHnMn.nS>'.")


@pytest.mark.parametrize("changes, code, message", [
    ([("no.such.config", SET, "1")], ErrorCode.INVALID_CONFIG, "Unknown group config name: no.such.config"),
    ([("group.consumer.session.timeout.ms", SET, "50000")], ErrorCode.INVALID_CONFIG,
     "Unknown group config name: group.consumer.session.timeout.ms"),
    ([("consumer.session.timeout.ms", SET, "abc")], ErrorCode.INVALID_CONFIG,
     "Invalid value abc for configuration consumer.session.timeout.ms: Not a number of type INT"),
    ([("consumer.session.timeout.ms", SET, "0")], ErrorCode.INVALID_CONFIG,
     "Invalid value 0 for configuration consumer.session.timeout.ms: Value must be at least 1"),
    ([("consumer.session.timeout.ms", SET, "1000")], ErrorCode.INVALID_CONFIG,
     "consumer.session.timeout.ms must be greater than or equal to group.consumer.min.session.timeout.ms"),
    ([("consumer.session.timeout.ms", SET, "70000")], ErrorCode.INVALID_CONFIG,
     "consumer.session.timeout.ms must be less than or equal to group.consumer.max.session.timeout.ms"),
    ([("consumer.heartbeat.interval.ms", SET, "50000")], ErrorCode.INVALID_CONFIG,
     "consumer.heartbeat.interval.ms must be less than or equal to group.consumer.max.heartbeat.interval.ms"),
    ([("consumer.assignment.interval.ms", SET, "20000")], ErrorCode.INVALID_CONFIG,
     "consumer.assignment.interval.ms must be less than or equal to group.consumer.max.assignment.interval.ms"),
    ([("share.record.lock.duration.ms", SET, "999")], ErrorCode.INVALID_CONFIG,
     "Invalid value 999 for configuration share.record.lock.duration.ms: Value must be at least 1000"),
    ([("share.record.lock.duration.ms", SET, "2000")], ErrorCode.INVALID_CONFIG,
     "share.record.lock.duration.ms must be greater than or equal to group.share.min.record.lock.duration.ms"),
    ([("share.delivery.count.limit", SET, "11")], ErrorCode.INVALID_CONFIG,
     "share.delivery.count.limit must be less than or equal to group.share.max.delivery.count.limit"),
    ([("share.partition.max.record.locks", SET, "5000")], ErrorCode.INVALID_CONFIG,
     "share.partition.max.record.locks must be less than or equal to group.share.max.partition.max.record.locks"),
    ([("share.session.timeout.ms", SET, "44999")], ErrorCode.INVALID_CONFIG,
     "share.session.timeout.ms must be greater than or equal to group.share.min.session.timeout.ms"),
    ([("streams.num.standby.replicas", SET, "3")], ErrorCode.INVALID_CONFIG,
     "streams.num.standby.replicas must be less than or equal to group.streams.max.standby.replicas"),
    ([("share.auto.offset.reset", SET, "none")], ErrorCode.INVALID_CONFIG, OFFSET_RESET_MESSAGE.format("none")),
    ([("share.auto.offset.reset", SET, "EARLIEST")], ErrorCode.INVALID_CONFIG,
     OFFSET_RESET_MESSAGE.format("EARLIEST")),
    ([("share.auto.offset.reset", SET, "by_duration:-PT1H")], ErrorCode.INVALID_CONFIG,
     OFFSET_RESET_MESSAGE.format("by_duration:-PT1H")),
    ([("share.isolation.level", SET, "READ_COMMITTED")], ErrorCode.INVALID_CONFIG,
     "Invalid value READ_COMMITTED for configuration share.isolation.level: String must be one of: "
     "read_committed, read_uncommitted"),
    ([("share.renew.acknowledge.enable", SET, "yes")], ErrorCode.INVALID_CONFIG,
     "Invalid value yes for configuration share.renew.acknowledge.enable: Expected value to be either true or false"),
    # the first problem in Kafka's order: names, then values in turn, then the broker's bounds
    ([("zzz", SET, "1"), ("consumer.session.timeout.ms", SET, "x")], ErrorCode.INVALID_CONFIG,
     "Unknown group config name: zzz"),
    ([("share.delivery.count.limit", SET, "x"), ("consumer.session.timeout.ms", SET, "y")], ErrorCode.INVALID_CONFIG,
     "Invalid value y for configuration consumer.session.timeout.ms: Not a number of type INT"),
    ([("streams.num.standby.replicas", SET, "3"), ("consumer.session.timeout.ms", SET, "1")],
     ErrorCode.INVALID_CONFIG,
     "consumer.session.timeout.ms must be greater than or equal to group.consumer.min.session.timeout.ms"),
    ([("consumer.session.timeout.ms", APPEND, "1")], ErrorCode.INVALID_CONFIG,
     "Can't APPEND to key consumer.session.timeout.ms because its type is not LIST."),
    ([("no.such.config", SUBTRACT, "1")], ErrorCode.INVALID_CONFIG,
     "Can't SUBTRACT to key no.such.config because its type is not LIST."),
    ([("consumer.session.timeout.ms", SET, None)], ErrorCode.INVALID_REQUEST,
     "Null value not supported for : consumer.session.timeout.ms"),
    ([("share.delivery.count.limit", SET, "6"), ("share.delivery.count.limit", DELETE, None)],
     ErrorCode.INVALID_REQUEST, "Error due to duplicate config keys"),
])
def test_refused_changes_get_kafkas_answer_and_change_nothing(wire, group, changes, code, message):
    set_and_wait(wire, group, [("share.delivery.count.limit", SET, "4")], {"share.delivery.count.limit": "4"})
    assert alter(wire, group, changes) == (code, message)
    assert alter(wire, group, changes, validate_only=True) == (code, message)
    time.sleep(0.2)
    assert own_configs(wire, group) == {"share.delivery.count.limit": "4"}


def test_the_default_group_resource_cannot_be_changed(wire):
    assert alter(wire, "", [("share.delivery.count.limit", SET, "6")]) == (
        ErrorCode.INVALID_REQUEST, "Default group resources are not allowed.")


def test_legacy_alter_configs_replaces_every_config_of_a_group(wire, group):
    set_and_wait(wire, group, [("share.delivery.count.limit", SET, "7"), ("consumer.session.timeout.ms", SET, "50000")],
                 {"share.delivery.count.limit": "7", "consumer.session.timeout.ms": "50000"})
    assert replace(wire, group, {"share.record.lock.duration.ms": "20000"}) == OK
    wait_until(lambda: own_configs(wire, group) == {"share.record.lock.duration.ms": "20000"},
               what="the group's configs replaced")
    assert replace(wire, group, {"no.such.config": "1"}) == (ErrorCode.INVALID_CONFIG,
                                                             "Unknown group config name: no.such.config")
    assert replace(wire, group, {"share.record.lock.duration.ms": None}) == (
        ErrorCode.INVALID_REQUEST, "Null value not supported for : share.record.lock.duration.ms")
    assert own_configs(wire, group) == {"share.record.lock.duration.ms": "20000"}


def test_kafka_configs_tool_sets_describes_and_deletes_group_configs(kafka_jars, module_broker, group):
    common = ["--bootstrap-server", module_broker.bootstrap, "--entity-type", "groups", "--entity-name", group]
    missing = run_tool(CONFIGS, *common, "--describe")
    assert missing.lines() == [f"The group '{group}' doesn't exist and doesn't have dynamic config."]

    changed = run_tool(CONFIGS, *common, "--alter", "--add-config",
                       "consumer.session.timeout.ms=50000,share.auto.offset.reset=earliest")
    assert changed.lines() == [f"Completed updating config for group {group}."]
    dynamic = [f"Dynamic configs for group {group} are:",
               "  consumer.session.timeout.ms=50000 sensitive=false synonyms={DYNAMIC_GROUP_CONFIG:"
               "consumer.session.timeout.ms=50000, DEFAULT_CONFIG:group.consumer.session.timeout.ms=45000}",
               "  share.auto.offset.reset=earliest sensitive=false synonyms={DYNAMIC_GROUP_CONFIG:"
               "share.auto.offset.reset=earliest, DEFAULT_CONFIG:share.auto.offset.reset=latest}"]
    wait_until(lambda: run_tool(CONFIGS, *common, "--describe").lines() == dynamic, what="the tool's description")
    everything = run_tool(CONFIGS, "--bootstrap-server", module_broker.bootstrap, "--group", group, "--describe",
                          "--all").lines()
    assert everything[0] == f"All configs for group {group} are:"
    assert everything[1:] == sorted(everything[1:]) and len(everything) == 1 + len(KAFKA_GROUP_CONFIGS)
    assert everything[1] == ("  consumer.assignment.interval.ms=1000 sensitive=false synonyms={DEFAULT_CONFIG:"
                             "group.consumer.assignment.interval.ms=1000}")
    assert dynamic[1] in everything and dynamic[2] in everything
    every_group = run_tool(CONFIGS, "--bootstrap-server", module_broker.bootstrap, "--entity-type", "groups",
                           "--describe").lines()
    assert dynamic[0] in every_group

    refused = run_tool(CONFIGS, *common, "--alter", "--add-config", "consumer.session.timeout.ms=1", check=False)
    assert refused.returncode == 1
    assert ("InvalidConfigurationException: consumer.session.timeout.ms must be greater than or equal to "
            "group.consumer.min.session.timeout.ms") in refused.stderr
    unknown = run_tool(CONFIGS, *common, "--alter", "--add-config", "bogus=1", check=False)
    assert unknown.returncode == 1 and "InvalidConfigurationException: Unknown group config name: bogus" in unknown.stderr

    deleted = run_tool(CONFIGS, *common, "--alter", "--delete-config", "share.auto.offset.reset")
    assert deleted.lines() == [f"Completed updating config for group {group}."]
    wait_until(lambda: run_tool(CONFIGS, *common, "--describe").lines() == dynamic[:2], what="the config deleted")


def test_confluent_kafka_admin_client_describes_and_changes_group_configs(module_broker, clients, group):
    admin = clients.ck_admin(module_broker)
    change = ConfigResource(ResourceType.GROUP, group, incremental_configs=[
        ConfigEntry("share.delivery.count.limit", "4", incremental_operation=AlterConfigOpType.SET),
        ConfigEntry("share.isolation.level", "read_committed", incremental_operation=AlterConfigOpType.SET)])
    ck_wait(admin.incremental_alter_configs([change], request_timeout=10))

    def described() -> dict:
        [entries] = ck_wait(admin.describe_configs([ConfigResource(ResourceType.GROUP, group)],
                                                   request_timeout=10)).values()
        return {name: (entry.value, int(entry.source), [(s.name, s.value, int(s.source))
                                                        for s in entry.synonyms.values()])
                for name, entry in entries.items()}

    wait_until(lambda: described()["share.delivery.count.limit"][0] == "4", what="the change described")
    entries = described()
    assert set(entries) == set(KAFKA_GROUP_CONFIGS)
    assert entries["share.delivery.count.limit"] == ("4", GROUP_CONFIG, [
        ("share.delivery.count.limit", "4", GROUP_CONFIG), ("group.share.delivery.count.limit", "5", DEFAULT)])
    assert entries["share.isolation.level"][:2] == ("read_committed", GROUP_CONFIG)
    assert entries["share.session.timeout.ms"][:2] == ("45000", DEFAULT)

    bad = ConfigResource(ResourceType.GROUP, group, incremental_configs=[
        ConfigEntry("share.delivery.count.limit", "40", incremental_operation=AlterConfigOpType.SET)])
    with pytest.raises(KafkaException) as refused:
        ck_wait(admin.incremental_alter_configs([bad], request_timeout=10))
    error = refused.value.args[0]
    assert (error.code(), error.str()) == (
        ErrorCode.INVALID_CONFIG,
        "share.delivery.count.limit must be less than or equal to group.share.max.delivery.count.limit")


def test_the_broker_settings_are_a_groups_defaults_and_bounds(tmp_path, group):
    """A static setting, a cluster-wide and a per-broker dynamic one, under the group's own value."""
    broker = start_broker(tmp_path / "data", {"group.consumer.session.timeout.ms": 50000,
                                              "group.share.max.delivery.count.limit": 6})
    try:
        with WireClient(broker) as wire:
            for resource, name, value in (("", "group.consumer.assignment.interval.ms", "2000"),
                                          ("1", "group.share.assignment.interval.ms", "3000")):
                answer = wire.send(ApiKey.INCREMENTAL_ALTER_CONFIGS, 1, {"validate_only": False, "resources": [{
                    "resource_type": BROKER, "resource_name": resource,
                    "configs": [{"name": name, "config_operation": SET, "value": value}]}]})
                assert [(r.error_code, r.error_message) for r in answer.responses] == [OK]
            layers = {"group.consumer.session.timeout.ms": [("50000", STATIC)],
                      "group.consumer.assignment.interval.ms": [("2000", DYNAMIC_DEFAULT)],
                      "group.share.assignment.interval.ms": [("3000", DYNAMIC_BROKER)]}
            expected = {name: default_entry(name, layers) for name in KAFKA_GROUP_CONFIGS}
            wait_until(lambda: describe(wire, group) == expected, what="the broker's settings described")

            assert alter(wire, group, [("share.delivery.count.limit", SET, "7")]) == (
                ErrorCode.INVALID_CONFIG,
                "share.delivery.count.limit must be less than or equal to group.share.max.delivery.count.limit")
            set_and_wait(wire, group, [("consumer.session.timeout.ms", SET, "55000")],
                         {"consumer.session.timeout.ms": "55000"})
            assert describe(wire, group, ["consumer.session.timeout.ms"]) == {"consumer.session.timeout.ms": (
                "55000", GROUP_CONFIG, False, False, INT, [
                    ("consumer.session.timeout.ms", "55000", GROUP_CONFIG),
                    ("group.consumer.session.timeout.ms", "50000", STATIC),
                    ("group.consumer.session.timeout.ms", "45000", DEFAULT)])}
    finally:
        stop_broker(broker)


COORDINATOR_NOT_READY = {ErrorCode.COORDINATOR_NOT_AVAILABLE, ErrorCode.NOT_COORDINATOR,
                         ErrorCode.COORDINATOR_LOAD_IN_PROGRESS}


def join(wire, group: str, topic: str):
    """A new consumer-protocol member joins (epoch 0) and says nothing more; the heartbeat's answer.
    As a client does, it finds the coordinator first (a new broker then creates its offsets topic)."""
    member_id = f"member-{uuid.uuid4()}"

    def coordinator():
        [found] = wire.send(ApiKey.FIND_COORDINATOR, 4, {"key_type": 0, "coordinator_keys": [group]}).coordinators
        return found.error_code == ErrorCode.NONE

    def heartbeat():
        answer = wire.send(ApiKey.CONSUMER_GROUP_HEARTBEAT, 1, {
            "group_id": group, "member_id": member_id, "member_epoch": 0, "rebalance_timeout_ms": 10_000,
            "subscribed_topic_names": [topic], "topic_partitions": []})
        return None if answer.error_code in COORDINATOR_NOT_READY else answer

    wait_until(coordinator, what=f"group {group}'s coordinator")
    return wait_until(heartbeat, what=f"a member to join group {group}")


def members_of(wire, group: str) -> list[str]:
    [described] = wire.send(ApiKey.CONSUMER_GROUP_DESCRIBE, 0, {
        "group_ids": [group], "include_authorized_operations": False}).groups
    return [m.member_id for m in described.members]


def test_consumer_group_members_get_the_groups_heartbeat_interval_and_session_timeout(tmp_path, clients, group):
    """With the broker's bounds lowered, a group set to a 3 s session timeout loses a silent member
    within seconds, where the broker's own 45 s would keep it; its members are told its heartbeat
    interval, the other groups' members the broker's."""
    broker = start_broker(tmp_path / "data", {"group.consumer.min.session.timeout.ms": 1000,
                                              "group.consumer.min.heartbeat.interval.ms": 500})
    try:
        create_topic(clients, broker, group, 1)
        with WireClient(broker) as wire:
            set_and_wait(wire, group, [("consumer.session.timeout.ms", SET, "3000"),
                                       ("consumer.heartbeat.interval.ms", SET, "1000")],
                         {"consumer.session.timeout.ms": "3000", "consumer.heartbeat.interval.ms": "1000"})
            joined = join(wire, group, group)
            assert (joined.error_code, joined.heartbeat_interval_ms) == (ErrorCode.NONE, 1000)
            other = join(wire, f"{group}-other", group)
            assert (other.error_code, other.heartbeat_interval_ms) == (ErrorCode.NONE, 5000)
            assert members_of(wire, group) == [joined.member_id]
            started = time.monotonic()
            wait_until(lambda: members_of(wire, group) == [], timeout=15, what="the silent member fenced")
            assert time.monotonic() - started < 15
            assert members_of(wire, f"{group}-other") == [other.member_id]  # the broker's 45 s
    finally:
        clients.close_all()
        stop_broker(broker)


@pytest.mark.skipif(TARGET == "kafka", reason="the Kafka launcher formats a new cluster at each start")
def test_group_configs_survive_a_restart_and_a_kill_9(tmp_path, group):
    """Each change answered is kept: the coordinator uses it again after a restart, or a kill -9."""
    broker = start_broker(tmp_path / "data", {"group.consumer.min.heartbeat.interval.ms": 500})
    try:
        with WireClient(broker) as wire:
            assert alter(wire, group, [("consumer.heartbeat.interval.ms", SET, "800"),
                                       ("share.auto.offset.reset", SET, "earliest")]) == OK
            assert alter(wire, f"{group}-gone", [("share.delivery.count.limit", SET, "3")]) == OK
            assert alter(wire, f"{group}-gone", [("share.delivery.count.limit", DELETE, None)]) == OK
        expected = {"consumer.heartbeat.interval.ms": "800", "share.auto.offset.reset": "earliest"}
        for crash, limit in ((False, "3"), (True, "4")):
            with WireClient(broker) as wire:
                assert alter(wire, group, [("share.delivery.count.limit", SET, limit)]) == OK
            expected["share.delivery.count.limit"] = limit
            broker.restart(crash=crash)
            with WireClient(broker) as wire:
                assert own_configs(wire, group) == expected
                assert listed_groups(wire) == [group]
                joined = join(wire, group, "no-such-topic")
                assert (joined.error_code, joined.heartbeat_interval_ms) == (ErrorCode.NONE, 800)
    finally:
        stop_broker(broker)
