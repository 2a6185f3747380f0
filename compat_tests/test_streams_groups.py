"""Kafka Streams 4.3.1 with ``group.protocol=streams``: streams groups (KIP-1071) on the broker.

The scenarios of ``test_streams`` (a word count with exactly-once processing whose result stays
exact when an instance is SIGKILLed, a windowed count whose wiped store is restored from its
changelog), run with the Streams rebalance protocol: the broker takes the topology from the
members' StreamsGroupHeartbeat, creates the repartition and changelog topics with the configs
Streams asks for, and assigns the tasks. Then, with members speaking the protocol themselves:
Kafka's answers to bad heartbeats, revocation before hand-over (and fencing past the rebalance
timeout), what ListGroups, StreamsGroupDescribe and kafka-streams-groups say of the group, and
that a restarted broker still has it.

The session timeout is lowered to 6 s (Kafka's minimum allows 45 s) so that a killed instance's
tasks move on within the tests' bounds; the same settings are given to Apache Kafka 4.3.1 with
``ODRADEK_COMPAT_TARGET=kafka``.
"""

from __future__ import annotations

import collections
import shutil
import threading
import time

import pytest

from odradek.wire import ApiKey, ErrorCode

from .clients import ck_produce
from .java.jvm_app import wait_for
from .java.kafka_tool import run_tool
from .java.targets import TARGET, start_broker, stop_broker
from .test_streams import (  # noqa: F401  (fixtures)
    WAIT, CommittedTable, count_words_while_one_dies, create_topics, instances, streams_program, streams_properties,
    topic_config,
)
from .wire_client import WireClient

SESSION_MS = 6000
BROKER_OVERRIDES = {
    "group.initial.rebalance.delay.ms": 0,
    "group.streams.session.timeout.ms": SESSION_MS, "group.streams.min.session.timeout.ms": SESSION_MS,
    "group.streams.heartbeat.interval.ms": 1000, "group.streams.min.heartbeat.interval.ms": 1000,
    "group.streams.initial.rebalance.delay.ms": 0,
}
RUNS_AGAINST_KAFKA_TOO = True
pytestmark = pytest.mark.usefixtures("apps_jars", "streams_program")

STREAMS_GROUPS_TOOL = "org.apache.kafka.tools.streams.StreamsGroupCommand"  # what kafka-streams-groups.sh runs
LIST_GROUPS_VERSION = 5
STREAMS_GROUP_DESCRIBE_VERSION = 0


def streams_group_properties(broker, application: str, state_dir, input_topic: str, output_topic: str) -> dict:
    properties = streams_properties(broker, application, state_dir, input_topic, output_topic)
    for name in ("consumer.session.timeout.ms", "consumer.heartbeat.interval.ms"):  # the broker's, here
        properties.pop(name)
    return {**properties, "group.protocol": "streams"}


COORDINATOR_NOT_READY = (ErrorCode.NOT_COORDINATOR, ErrorCode.COORDINATOR_NOT_AVAILABLE,
                         ErrorCode.COORDINATOR_LOAD_IN_PROGRESS)


def coordinator_ready(wire, group_id: str) -> None:
    """FindCoordinator until the group's coordinator is ready (it creates __consumer_offsets first)."""
    def ready() -> bool:
        answer = wire.send(ApiKey.FIND_COORDINATOR, 4, {"key_type": 0, "coordinator_keys": [group_id]})
        return answer.coordinators[0].error_code == ErrorCode.NONE
    wait_for(ready, 60, f"the coordinator of {group_id}")


def describe(broker, group_id: str):
    with WireClient(broker) as wire:
        coordinator_ready(wire, group_id)
        holder = []

        def described() -> bool:
            answer = wire.send(ApiKey.STREAMS_GROUP_DESCRIBE, STREAMS_GROUP_DESCRIBE_VERSION,
                               {"group_ids": [group_id], "include_authorized_operations": False})
            holder[:] = [answer.groups[0]]
            return answer.groups[0].error_code not in COORDINATOR_NOT_READY
        wait_for(described, 60, f"StreamsGroupDescribe of {group_id}")
    return holder[0]


def listed(broker) -> dict[str, tuple[str, str]]:
    with WireClient(broker) as wire:
        answer = wire.send(ApiKey.LIST_GROUPS, LIST_GROUPS_VERSION, {"states_filter": [], "types_filter": []})
    return {g.group_id: (g.group_type, g.protocol_type) for g in answer.groups}


def one_source_topology(source: str) -> dict:
    """A StreamsGroupHeartbeat topology (epoch 1) of one subtopology reading ``source``, no state."""
    return {"epoch": 1, "subtopologies": [{
        "subtopology_id": "0", "source_topics": [source], "source_topic_regex": [],
        "state_changelog_topics": [], "repartition_sink_topics": [], "repartition_source_topics": [],
        "copartition_groups": []}]}


def test_the_streams_apis_and_streams_version_are_advertised(module_broker):
    """Kafka Streams uses the protocol only if the broker advertises StreamsGroupHeartbeat; Kafka 4.3
    serves it only with ``streams.version`` 1 finalized (its default since 4.2)."""
    with WireClient(module_broker) as wire:
        answer = wire.send(ApiKey.API_VERSIONS, 3, {"client_software_name": "odradek-tests",
                                                    "client_software_version": "1"})
    versions = {k.api_key: (k.min_version, k.max_version) for k in answer.api_keys}
    assert versions[ApiKey.STREAMS_GROUP_HEARTBEAT] == (0, 0)
    assert versions[ApiKey.STREAMS_GROUP_DESCRIBE] == (0, 0)
    finalized = {f.name: (f.min_version_level, f.max_version_level) for f in answer.finalized_features}
    assert finalized["streams.version"] == (1, 1)


@pytest.mark.skipif(TARGET == "kafka", reason="Kafka sets streams.version when formatting, not as a property")
def test_with_streams_version_0_streams_groups_are_off(tmp_path, topic):
    broker = start_broker(tmp_path / "data", {"streams.version": 0})
    try:
        with WireClient(broker) as wire:
            answer = wire.send(ApiKey.API_VERSIONS, 3, {"client_software_name": "odradek-tests",
                                                        "client_software_version": "1"})
            assert ApiKey.STREAMS_GROUP_HEARTBEAT in {k.api_key for k in answer.api_keys}  # advertised, as by Kafka
            assert "streams.version" not in {f.name for f in answer.finalized_features}
            heartbeat = wire.send(ApiKey.STREAMS_GROUP_HEARTBEAT, 0, {
                "group_id": "g", "member_id": "m", "member_epoch": 0, "endpoint_information_epoch": 0})
            assert heartbeat.error_code == ErrorCode.UNSUPPORTED_VERSION
            [described] = wire.send(ApiKey.STREAMS_GROUP_DESCRIBE, 0, {
                "group_ids": ["g"], "include_authorized_operations": False}).groups
            assert described.error_code == ErrorCode.UNSUPPORTED_VERSION
    finally:
        stop_broker(broker)


def test_word_count_exactly_once_with_an_instance_killed(instances, module_broker, clients, tmp_path, topic):
    application = f"{topic}-app"
    input_topic, output_topic = f"{topic}-lines", f"{topic}-counts"
    create_topics(clients, module_broker, {input_topic: 4, output_topic: 2})
    first = instances("first", "wordcount", streams_group_properties(
        module_broker, application, tmp_path / "state-1", input_topic, output_topic))
    second = instances("second", "wordcount", streams_group_properties(
        module_broker, application, tmp_path / "state-2", input_topic, output_topic))
    first.wait_running()
    second.wait_running()

    # the broker created the internal topics as the topology asks
    assert topic_config(clients, module_broker, f"{application}-word-counts-changelog", "cleanup.policy") == "compact"
    topics = clients.ck_admin(module_broker).list_topics(timeout=10).topics
    assert len(topics[f"{application}-words-repartition"].partitions) == 4
    assert len(topics[f"{application}-word-counts-changelog"].partitions) == 4
    group = describe(module_broker, application)
    assert group.error_code == ErrorCode.NONE
    assert listed(module_broker)[application][0] == "streams"

    count_words_while_one_dies(clients, module_broker, input_topic, output_topic, second)
    assert first.running

    # the dead instance's member was fenced at its session's end: every task runs in the first
    def one_member_has_everything() -> bool:
        described = describe(module_broker, application)
        return (len(described.members) == 1 and described.group_state == "Stable"
                and sum(len(t.partitions) for t in described.members[0].assignment.active_tasks) == 8)
    wait_for(one_member_has_everything, WAIT, "the surviving member running all 8 tasks")


def test_windowed_count_restored_from_its_changelog(instances, module_broker, clients, tmp_path, topic):
    application = f"{topic}-app"
    input_topic, output_topic = f"{topic}-events", f"{topic}-windows"
    create_topics(clients, module_broker, {input_topic: 2, output_topic: 1})
    state_dir = tmp_path / "state"
    properties = streams_group_properties(module_broker, application, state_dir, input_topic, output_topic)
    minute = 60_000
    base = (int(time.time() * 1000) // minute - 10) * minute
    expected: collections.Counter[str] = collections.Counter()
    producer = clients.ck_producer(module_broker)

    def produce(events: list[tuple[str, int]]) -> None:
        for key, at in events:
            ck_produce(producer, input_topic, [(key.encode(), b"event")], timestamp=at)
            expected[f"{key}@{at // minute * minute}"] += 1

    produce([(key, base + offset) for key in ("a", "b", "c") for offset in range(0, 2 * minute, 7_000)])
    table = CommittedTable(clients, module_broker, output_topic, 1)
    instance = instances("before", "windowed", properties)
    instance.wait_running()
    table.wait_equal(dict(expected), "the windowed counts")
    assert instance.stop() == 143
    # the member left the group on close: the group stays, empty, with its topology
    wait_for(lambda: describe(module_broker, application).group_state == "Empty", WAIT, "the group empty")
    shutil.rmtree(state_dir)

    produce([(key, base + offset) for key in ("a", "c", "d") for offset in range(30_000, 3 * minute, 11_000)])
    restarted = instances("after", "windowed", properties)
    restarted.wait_running()
    table.wait_equal(dict(expected), "the windowed counts, continued from the restored store")
    assert "Finished restoring changelog" in restarted.log_text()
    assert topic_config(clients, module_broker, f"{application}-windowed-counts-changelog",
                        "cleanup.policy") == "compact,delete"


def test_describe_and_errors(module_broker, clients, topic):
    """StreamsGroupDescribe of a group that does not exist, and a heartbeat Kafka refuses."""
    group = describe(module_broker, f"{topic}-nobody")
    assert group.error_code == ErrorCode.GROUP_ID_NOT_FOUND
    with WireClient(module_broker) as wire:
        coordinator_ready(wire, f"{topic}-g")
        answer = wire.send(ApiKey.STREAMS_GROUP_HEARTBEAT, 0, {
            "group_id": f"{topic}-g", "member_id": "m", "member_epoch": 0, "endpoint_information_epoch": 0,
            "rebalance_timeout_ms": 1000, "topology": None})
        assert (answer.error_code, answer.error_message) == (ErrorCode.INVALID_REQUEST,
                                                             "ActiveTasks must be empty when (re-)joining.")
        no_tasks = {"active_tasks": [], "standby_tasks": [], "warmup_tasks": []}
        answer = wire.send(ApiKey.STREAMS_GROUP_HEARTBEAT, 0, {
            "group_id": f"{topic}-g", "member_id": "m", "member_epoch": 0, "endpoint_information_epoch": 0,
            "rebalance_timeout_ms": 1000, "topology": None, **no_tasks})
        assert (answer.error_code, answer.error_message) == (ErrorCode.INVALID_REQUEST,
                                                             "Topology must be non-null when (re-)joining.")
        answer = wire.send(ApiKey.STREAMS_GROUP_HEARTBEAT, 0, {
            "group_id": f"{topic}-g", "member_id": "m", "member_epoch": 3, "endpoint_information_epoch": 0})
        assert answer.error_code == ErrorCode.GROUP_ID_NOT_FOUND
        topology = {"epoch": 1, "subtopologies": [{
            "subtopology_id": "0", "source_topics": [f"{topic}-missing"], "source_topic_regex": [],
            "state_changelog_topics": [{"name": f"{topic}-g-store-changelog", "partitions": 0,
                                        "replication_factor": 0, "topic_configs": []}],
            "repartition_sink_topics": [], "repartition_source_topics": [], "copartition_groups": []}]}
        answer = wire.send(ApiKey.STREAMS_GROUP_HEARTBEAT, 0, {
            "group_id": f"{topic}-g", "member_id": "m", "member_epoch": 0, "endpoint_information_epoch": 0,
            "rebalance_timeout_ms": 1000, "topology": topology, "process_id": "p", **no_tasks})
        assert answer.error_code == ErrorCode.NONE
        assert answer.member_epoch >= 1
        assert [s.status_code for s in answer.status] == [1]  # MISSING_SOURCE_TOPICS
        assert answer.active_tasks == []
        answer = wire.send(ApiKey.STREAMS_GROUP_HEARTBEAT, 0, {
            "group_id": f"{topic}-g", "member_id": "m", "member_epoch": answer.member_epoch + 5,
            "endpoint_information_epoch": 0})
        assert answer.error_code == ErrorCode.FENCED_MEMBER_EPOCH
        topology["subtopologies"][0]["state_changelog_topics"][0]["partitions"] = 3
        answer = wire.send(ApiKey.STREAMS_GROUP_HEARTBEAT, 0, {
            "group_id": f"{topic}-g", "member_id": "m2", "member_epoch": 0, "endpoint_information_epoch": 0,
            "rebalance_timeout_ms": 1000, "topology": topology, "process_id": "p", **no_tasks})
        assert answer.error_code == ErrorCode.STREAMS_INVALID_TOPOLOGY
    assert listed(module_broker)[f"{topic}-g"] == ("streams", "streams")
    described = describe(module_broker, f"{topic}-g")
    assert described.group_state == "NotReady"
    assert [m.member_id for m in described.members] == ["m"]
    assert described.topology.subtopologies[0].source_topics == [f"{topic}-missing"]


class RawMember:
    """A streams group member speaking StreamsGroupHeartbeat itself: it owns what it was last given."""

    def __init__(self, wire, group_id: str, member_id: str, topology: dict, rebalance_timeout_ms: int = 30_000):
        self.wire, self.group_id, self.member_id, self.topology = wire, group_id, member_id, topology
        self.rebalance_timeout_ms = rebalance_timeout_ms
        self.epoch = 0
        self.active: list[dict] = []
        self.stubborn = False  # True: it keeps claiming the tasks it has (never revokes)
        self.last_error = ErrorCode.NONE

    def heartbeat(self):
        body = {"group_id": self.group_id, "member_id": self.member_id, "member_epoch": self.epoch,
                "endpoint_information_epoch": 0, "active_tasks": self.active, "standby_tasks": [],
                "warmup_tasks": []}
        if self.epoch == 0:
            body.update(rebalance_timeout_ms=self.rebalance_timeout_ms, topology=self.topology,
                        process_id=f"process-{self.member_id}")
        answer = self.wire.send(ApiKey.STREAMS_GROUP_HEARTBEAT, 0, body)
        if answer.error_code in COORDINATOR_NOT_READY:  # loading: the caller tries again
            return None
        if self.stubborn and answer.error_code != ErrorCode.NONE:
            self.last_error = answer.error_code
            return None
        assert answer.error_code == ErrorCode.NONE, answer
        self.epoch = answer.member_epoch
        if answer.active_tasks is not None and not self.stubborn:
            self.active = [{"subtopology_id": t.subtopology_id, "partitions": list(t.partitions)}
                           for t in answer.active_tasks]
        return answer

    def task_count(self) -> int:
        return sum(len(t["partitions"]) for t in self.active)


@pytest.fixture
def own_broker(tmp_path):
    process = start_broker(tmp_path / "data", BROKER_OVERRIDES)
    yield process
    stop_broker(process)


def test_a_restarted_broker_keeps_the_group(own_broker, clients, topic):
    """The group's records are in __consumer_offsets: after a restart the coordinator has the same
    epochs, members and tasks, and a member carries on at its epoch. Along the way: a second member
    joining gets the tasks the first gives up, never a task the first still runs."""
    create_topics(clients, own_broker, {f"{topic}-in": 4})
    group_id = f"{topic}-app"
    topology = one_source_topology(f"{topic}-in")
    with WireClient(own_broker) as wire:
        coordinator_ready(wire, group_id)
        first = RawMember(wire, group_id, "first-member-id", topology)
        wait_for(lambda: first.heartbeat() and first.task_count() == 4, 30, "the first member running 4 tasks")
        second = RawMember(wire, group_id, "second-member-id", topology)

        def balanced() -> bool:
            second.heartbeat()
            first.heartbeat()
            owned = [(t["subtopology_id"], p) for m in (first, second) for t in m.active for p in t["partitions"]]
            assert len(owned) == len(set(owned)), f"a task given to both members: {owned}"
            return first.task_count() == second.task_count() == 2 and first.epoch == second.epoch
        wait_for(balanced, 30, "two members running 2 tasks each", interval=0.3)
        before = describe(own_broker, group_id)
    assert before.group_state == "Stable"

    own_broker.restart()
    after = describe(own_broker, group_id)
    assert (after.group_state, after.group_epoch, after.assignment_epoch) == \
        (before.group_state, before.group_epoch, before.assignment_epoch)

    def members(described) -> dict:
        return {m.member_id: (m.member_epoch, m.process_id, [(t.subtopology_id, sorted(t.partitions))
                                                             for t in m.assignment.active_tasks])
                for m in described.members}
    assert members(after) == members(before)
    with WireClient(own_broker) as wire:
        first.wire = wire
        answer = wait_for(first.heartbeat, 30, "a heartbeat after the restart")
        assert answer.member_epoch == before.group_epoch


def test_static_membership_is_refused_by_kafka_streams_itself(instances, module_broker, clients, tmp_path, topic):
    """The third scenario of ``test_streams`` (a static member restarted within its session) cannot
    run with this protocol: Kafka Streams 4.3.1 refuses ``group.instance.id`` with
    ``group.protocol=streams`` before it talks to any broker (against Kafka as here)."""
    application = f"{topic}-app"
    create_topics(clients, module_broker, {f"{topic}-lines": 1, f"{topic}-counts": 1})
    static = instances("static", "wordcount", {
        **streams_group_properties(module_broker, application, tmp_path / "state", f"{topic}-lines",
                                   f"{topic}-counts"), "group.instance.id": "static"})
    wait_for(lambda: not static.running, 60, "the static instance to exit")
    assert "Streams rebalance protocol does not support static membership" in static.log_text()


def heartbeating(member: RawMember, *tool_args: str):
    """Run a tool while the member heartbeats every second (its session is 6 s, a JVM's start longer)."""
    result = []
    tool = threading.Thread(target=lambda: result.append(run_tool(*tool_args)))
    tool.start()
    while tool.is_alive():
        member.heartbeat()
        tool.join(1.0)
    assert result, f"{tool_args[0]} failed"
    return result[0]


def test_the_streams_groups_tool_lists_and_describes_the_group(own_broker, clients, topic):
    """``kafka-streams-groups`` (StreamsGroupCommand) --list and --describe --members, and
    DescribeGroups, which describes classic groups only, on a streams group."""
    create_topics(clients, own_broker, {f"{topic}-in": 2})
    group_id = f"{topic}-app"
    topology = one_source_topology(f"{topic}-in")
    with WireClient(own_broker) as wire:
        coordinator_ready(wire, group_id)
        member = RawMember(wire, group_id, "the-member-id", topology)
        wait_for(lambda: member.heartbeat() and member.task_count() == 2, 30, "the member running 2 tasks")
        [described] = wire.send(ApiKey.DESCRIBE_GROUPS, 6, {"groups": [group_id],
                                                            "include_authorized_operations": False}).groups
        assert described.error_code == ErrorCode.GROUP_ID_NOT_FOUND
        listing = heartbeating(member, STREAMS_GROUPS_TOOL, "--bootstrap-server", own_broker.bootstrap, "--list")
        described_members = heartbeating(member, STREAMS_GROUPS_TOOL, "--bootstrap-server", own_broker.bootstrap,
                                         "--describe", "--members", "--group", group_id)
    assert group_id in listing.stdout.split()
    assert "the-member-id" in described_members.stdout, described_members.stdout
    assert "process-the-member-id" in described_members.stdout, described_members.stdout


def test_a_member_that_does_not_revoke_in_its_rebalance_timeout_is_fenced(own_broker, clients, topic):
    create_topics(clients, own_broker, {f"{topic}-in": 4})
    group_id = f"{topic}-app"
    topology = one_source_topology(f"{topic}-in")
    with WireClient(own_broker) as wire:
        coordinator_ready(wire, group_id)
        stubborn = RawMember(wire, group_id, "stubborn-member-id", topology, rebalance_timeout_ms=2000)
        wait_for(lambda: stubborn.heartbeat() and stubborn.task_count() == 4, 30, "the first member running 4 tasks")
        stubborn.stubborn = True
        other = RawMember(wire, group_id, "other-member-id", topology)

        def fenced_and_taken_over() -> bool:
            stubborn.heartbeat()
            other.heartbeat()
            return stubborn.last_error != ErrorCode.NONE and other.task_count() == 4
        wait_for(fenced_and_taken_over, 30, "the stubborn member fenced, the other running all 4 tasks", interval=0.5)
    assert stubborn.last_error in (ErrorCode.FENCED_MEMBER_EPOCH, ErrorCode.UNKNOWN_MEMBER_ID)
