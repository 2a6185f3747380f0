"""Share group membership (KIP-932): ShareGroupHeartbeat, ShareGroupDescribe, and the group APIs
that know share groups (ListGroups, DescribeGroups, DeleteGroups, the offset APIs).

Members are driven on the wire (``share_members``) so that a test decides when each heartbeats,
or stops; the broker's heartbeat interval and session timeout are lowered so that groups settle
in seconds. Like the tool tests, these run against Apache Kafka 4.3 too
(``ODRADEK_COMPAT_TARGET=kafka``), which is where their expectations come from.
"""

from __future__ import annotations

import time
import uuid

import confluent_kafka
import pytest
from confluent_kafka.admin import AdminClient

from odradek.wire import ApiKey, ErrorCode

from .clients import wait_until
from .java.kafka_tool import SHARE_GROUPS, run_tool
from .java.targets import TARGET, start_broker, stop_broker
from .share_members import WireShareMember, beat_until, describe, heartbeating, wait_for_coordinator
from .wire_client import WireClient

RUNS_AGAINST_KAFKA_TOO = True
SESSION_MS = 4000
MAX_SIZE = 3
BROKER_OVERRIDES = {
    "offsets.topic.num.partitions": 5,
    "group.share.heartbeat.interval.ms": 300, "group.share.min.heartbeat.interval.ms": 100,
    "group.share.session.timeout.ms": SESSION_MS, "group.share.min.session.timeout.ms": 1000,
    "group.share.max.size": MAX_SIZE,
}
SHARE_VERSION_FEATURE = "share.version"
GROUP_RESOURCE, SET = 32, 0  # IncrementalAlterConfigs' GROUP resource type and SET operation
GROUP_AUTHORIZED_OPERATIONS = 3400  # READ, DELETE, DESCRIBE, DESCRIBE_CONFIGS, ALTER_CONFIGS: no authorizer


@pytest.fixture
def group(topic):
    return f"share-{topic}"


@pytest.fixture
def join():
    """Makes wire members of a share group, and closes them (without leaving) at the end."""
    made: list[WireShareMember] = []

    def make(broker, group_id: str, topics: list[str], count: int = 1) -> list[WireShareMember]:
        members = [WireShareMember(broker, group_id, topics) for _ in range(count)]
        made.extend(members)
        return members

    yield make
    for member in made:
        member.close()


def create_topic(broker, name: str, partitions: int) -> uuid.UUID:
    with WireClient(broker) as wire:
        answer = wire.send(ApiKey.CREATE_TOPICS, 7, {"timeout_ms": 30_000, "validate_only": False, "topics": [
            {"name": name, "num_partitions": partitions, "replication_factor": 1, "assignments": [], "configs": []}]})
        assert answer.topics[0].error_code == ErrorCode.NONE, answer

        def known():  # Kafka's brokers learn of a new topic a moment after CreateTopics answers
            found = wire.send(ApiKey.METADATA, 12, {"topics": [{"topic_id": uuid.UUID(int=0), "name": name}],
                                                    "allow_auto_topic_creation": False,
                                                    "include_topic_authorized_operations": False})
            t = found.topics[0]
            return t.topic_id if t.error_code == ErrorCode.NONE and len(t.partitions) == partitions else None
        return wait_until(known, what=f"topic {name} in the metadata")


def settled(members: list[WireShareMember], partitions: int):
    """The check that every member has partitions, together all of them, at the group's epoch."""
    def check():
        epochs = {m.epoch for m in members}
        covered = set().union(*(m.partitions() for m in members))
        return len(epochs) == 1 and all(m.partitions() for m in members) and covered == set(range(partitions))
    return check


def listed(broker, states=(), types=()) -> dict[str, tuple[str, str, str]]:
    with WireClient(broker) as wire:
        answer = wire.send(ApiKey.LIST_GROUPS, 5, {"states_filter": list(states), "types_filter": list(types)})
    assert answer.error_code == ErrorCode.NONE
    return {g.group_id: (g.protocol_type, g.group_state, g.group_type) for g in answer.groups}


def test_the_share_apis_and_share_version_are_advertised(wire):
    answer = wire.send(ApiKey.API_VERSIONS, 3, {"client_software_name": "odradek-tests",
                                                "client_software_version": "1"})
    versions = {k.api_key: (k.min_version, k.max_version) for k in answer.api_keys}
    assert versions[ApiKey.SHARE_GROUP_HEARTBEAT] == (1, 1)
    assert versions[ApiKey.SHARE_GROUP_DESCRIBE] == (1, 1)
    finalized = {f.name: (f.min_version_level, f.max_version_level) for f in answer.finalized_features}
    assert finalized[SHARE_VERSION_FEATURE] == (1, 1)
    assert answer.finalized_features_epoch >= 0


def test_members_join_share_every_partition_and_are_described(module_broker, wire, join, topic, group):
    topic_id = create_topic(module_broker, topic, 3)
    wait_for_coordinator(wire, group)
    first, second = join(module_broker, group, [topic], 2)
    answer = first.beat()
    assert (answer.error_code, answer.member_id, answer.heartbeat_interval_ms) == (ErrorCode.NONE, first.member_id, 300)
    assert answer.member_epoch == 2 and answer.assignment is not None  # a new group starts at epoch 1

    beat_until([first, second], settled([first, second], 3), what="both members to have partitions")
    [described] = describe(module_broker, group, include_authorized_operations=True)
    assert (described.error_code, described.group_state, described.assignor_name) == (ErrorCode.NONE, "Stable", "simple")
    assert described.group_epoch == described.assignment_epoch == first.epoch
    assert described.authorized_operations == GROUP_AUTHORIZED_OPERATIONS
    by_id = {m.member_id: m for m in described.members}
    assert set(by_id) == {first.member_id, second.member_id}
    for member in (first, second):
        shown = by_id[member.member_id]
        assert (shown.member_epoch, shown.subscribed_topic_names, shown.client_host, shown.rack_id) == \
               (member.epoch, [topic], "/127.0.0.1", None)
        assert [(tp.topic_id, tp.topic_name, set(tp.partitions)) for tp in shown.assignment.topic_partitions] == \
               [(topic_id, topic, member.partitions())]


def test_more_members_than_partitions_share_each_partition(module_broker, wire, join, topic, group):
    topic_id = create_topic(module_broker, topic, 1)
    wait_for_coordinator(wire, group)
    members = join(module_broker, group, [topic], 3)
    beat_until(members, settled(members, 1), what="every member to share the partition")
    assert [m.assigned for m in members] == [{topic_id: {0}}] * 3


def test_leaving_members_bump_the_epoch_until_the_group_is_empty(module_broker, wire, join, topic, group):
    create_topic(module_broker, topic, 2)
    wait_for_coordinator(wire, group)
    first, second = join(module_broker, group, [topic], 2)
    beat_until([first, second], settled([first, second], 2), what="both members to have a partition")
    epoch = first.epoch

    answer = second.leave()
    assert (answer.error_code, answer.member_id, answer.member_epoch) == (ErrorCode.NONE, second.member_id, -1)
    [described] = describe(module_broker, group)
    assert [m.member_id for m in described.members] == [first.member_id]
    assert described.group_epoch == epoch + 1
    beat_until([first], lambda: first.partitions() == {0, 1}, what="the one left to take both partitions")

    first.leave()
    [described] = describe(module_broker, group)
    assert (described.group_state, described.members) == ("Empty", [])
    assert listed(module_broker)[group] == ("share", "Empty", "share")


def test_a_silent_member_is_removed_when_its_session_times_out(module_broker, wire, join, topic, group):
    create_topic(module_broker, topic, 2)
    wait_for_coordinator(wire, group)
    alive, silent = join(module_broker, group, [topic], 2)
    beat_until([alive, silent], settled([alive, silent], 2), what="both members to have a partition")
    stopped_at = time.monotonic()
    beat_until([alive], lambda: alive.partitions() == {0, 1}, timeout=SESSION_MS / 1000 + 20,
               what="the silent member's partition to move")
    took = time.monotonic() - stopped_at
    assert took >= SESSION_MS / 2000, f"the partition moved {took:.1f}s after the member went silent"
    assert [m.member_id for m in describe(module_broker, group)[0].members] == [alive.member_id]
    answer = silent.beat()
    assert answer.error_code == ErrorCode.UNKNOWN_MEMBER_ID


def test_list_groups_shows_share_groups_by_type_and_state(module_broker, wire, join, topic, group):
    create_topic(module_broker, topic, 1)
    wait_for_coordinator(wire, group)
    [member] = join(module_broker, group, [topic])
    member.beat()
    assert listed(module_broker)[group] == ("share", "Stable", "share")
    assert group in listed(module_broker, types=["Share"])
    assert group in listed(module_broker, states=["stable"], types=["share"])
    assert group not in listed(module_broker, types=["consumer", "classic"])
    assert group not in listed(module_broker, states=["empty"])


def test_delete_groups_deletes_only_an_empty_share_group(module_broker, wire, join, topic, group):
    create_topic(module_broker, topic, 1)
    wait_for_coordinator(wire, group)
    [member] = join(module_broker, group, [topic])
    beat_until([member], lambda: member.partitions() == {0}, what="the member to have the partition")
    admin = AdminClient({"bootstrap.servers": module_broker.bootstrap})

    with pytest.raises(confluent_kafka.KafkaException) as refused:
        admin.delete_consumer_groups([group])[group].result(30)
    assert refused.value.args[0].code() == confluent_kafka.KafkaError.NON_EMPTY_GROUP
    member.leave()
    admin.delete_consumer_groups([group])[group].result(30)
    [gone] = describe(module_broker, group)
    assert (gone.error_code, gone.error_message) == (ErrorCode.GROUP_ID_NOT_FOUND, f"Group {group} not found.")
    assert group not in listed(module_broker)

    rejoined = join(module_broker, group, [topic])[0].beat()  # a new group of that name starts afresh
    assert (rejoined.error_code, rejoined.member_epoch) == (ErrorCode.NONE, 2)


def test_heartbeat_errors_are_kafkas(module_broker, wire, join, topic, group):
    create_topic(module_broker, topic, 1)
    wait_for_coordinator(wire, group)
    [member] = join(module_broker, group, [topic])
    beat_until([member], lambda: member.partitions() == {0}, what="the member to have the partition")

    def error(epoch, topics=None, member_id=None, group_id=None, rack_id=None):
        answer = wire.send(ApiKey.SHARE_GROUP_HEARTBEAT, 1, {
            "group_id": group if group_id is None else group_id, "member_id": member_id or member.member_id,
            "member_epoch": epoch, "rack_id": rack_id, "subscribed_topic_names": topics})
        return answer.error_code, answer.error_message

    assert error(member.epoch + 1)[0] == ErrorCode.FENCED_MEMBER_EPOCH
    assert error(1)[0] == ErrorCode.FENCED_MEMBER_EPOCH  # behind, and not its previous epoch
    assert error(member.epoch, member_id="not-a-member") == (
        ErrorCode.UNKNOWN_MEMBER_ID, f"Member not-a-member is not a member of group {group}.")
    missing = f"{group}-missing"
    wait_for_coordinator(wire, missing)
    assert error(1, group_id=missing) == (ErrorCode.GROUP_ID_NOT_FOUND, f"Share group {missing} not found.")
    assert error(-1, group_id=missing) == (ErrorCode.GROUP_ID_NOT_FOUND, f"Group {missing} not found.")
    assert error(0, []) == (ErrorCode.INVALID_REQUEST, "SubscribedTopicNames must be set in first request.")
    assert error(0, [topic], rack_id="") == (ErrorCode.INVALID_REQUEST, "RackId can't be empty.")
    assert error(-2) == (ErrorCode.INVALID_REQUEST, "MemberEpoch is invalid.")
    assert error(0, [topic], member_id="x" * 37) == (ErrorCode.INVALID_REQUEST, None)
    assert error(0, [topic], group_id="") == (ErrorCode.INVALID_REQUEST, "GroupId can't be empty.")

    for other in join(module_broker, group, [topic], MAX_SIZE - 1):
        assert other.beat().error_code == ErrorCode.NONE
    full = (ErrorCode.GROUP_MAX_SIZE_REACHED, f"The share group has reached its maximum capacity of {MAX_SIZE} members.")
    assert error(0, [topic], member_id=str(uuid.uuid4())) == full
    assert error(member.epoch, member_id="not-a-member") == full  # a full group refuses strangers first


def test_the_other_group_apis_answer_for_a_share_group_as_kafka_does(module_broker, wire, join, topic, group):
    create_topic(module_broker, topic, 1)
    wait_for_coordinator(wire, group)
    [member] = join(module_broker, group, [topic])
    member.beat()

    [v6] = wire.send(ApiKey.DESCRIBE_GROUPS, 6, {"groups": [group], "include_authorized_operations": True}).groups
    assert (v6.error_code, v6.error_message, v6.group_state) == (
        ErrorCode.GROUP_ID_NOT_FOUND, f"Group {group} is not a classic group.", "Dead")
    [v5] = wire.send(ApiKey.DESCRIBE_GROUPS, 5, {"groups": [group], "include_authorized_operations": True}).groups
    assert (v5.error_code, v5.group_state, v5.members) == (ErrorCode.NONE, "Dead", [])

    joined = wire.send(ApiKey.JOIN_GROUP, 9, {
        "group_id": group, "session_timeout_ms": 10_000, "rebalance_timeout_ms": 10_000, "member_id": "",
        "group_instance_id": None, "protocol_type": "consumer", "protocols": [{"name": "range", "metadata": b""}],
        "reason": None})
    assert joined.error_code == ErrorCode.INCONSISTENT_GROUP_PROTOCOL
    heartbeat = wire.send(ApiKey.HEARTBEAT, 4, {"group_id": group, "generation_id": 1, "member_id": "m",
                                                "group_instance_id": None})
    assert heartbeat.error_code == ErrorCode.UNKNOWN_MEMBER_ID
    consumer = wire.send(ApiKey.CONSUMER_GROUP_HEARTBEAT, 1, {
        "group_id": group, "member_id": str(uuid.uuid4()), "member_epoch": 0, "instance_id": None, "rack_id": None,
        "rebalance_timeout_ms": 10_000, "subscribed_topic_names": [topic], "subscribed_topic_regex": None,
        "server_assignor": None, "topic_partitions": []})
    assert (consumer.error_code, consumer.error_message) == (ErrorCode.GROUP_ID_NOT_FOUND,
                                                             f"Group {group} is not a consumer group.")
    committed = wire.send(ApiKey.OFFSET_COMMIT, 9, {
        "group_id": group, "generation_id_or_member_epoch": -1, "member_id": "", "group_instance_id": None,
        "topics": [{"name": topic, "partitions": [{"partition_index": 0, "committed_offset": 1,
                                                   "committed_leader_epoch": -1, "committed_metadata": ""}]}]})
    assert committed.topics[0].partitions[0].error_code == ErrorCode.GROUP_ID_NOT_FOUND
    fetched = wire.send(ApiKey.OFFSET_FETCH, 8, {"groups": [{"group_id": group, "topics": None}],
                                                 "require_stable": False})
    assert (fetched.groups[0].error_code, fetched.groups[0].topics) == (ErrorCode.NONE, [])


# Long enough for Kafka to be back from a kill -9 (its controller fences the broker meanwhile)
# before the sessions it restarts at load time expire.
RESTART_SESSION_MS = 10_000


@pytest.mark.parametrize("crash", [False, True], ids=["restart", "kill-9"])
def test_a_restarted_broker_keeps_the_group_and_its_epochs(tmp_path, join, topic, crash):
    broker = start_broker(tmp_path / "data", {**BROKER_OVERRIDES, "group.share.session.timeout.ms": RESTART_SESSION_MS})
    try:
        group = f"share-{topic}"
        create_topic(broker, topic, 2)
        with WireClient(broker) as wire:
            wait_for_coordinator(wire, group)
        staying, leaving = join(broker, group, [topic], 2)
        beat_until([staying, leaving], settled([staying, leaving], 2), what="both members to have a partition")
        [before] = describe(broker, group)
        for member in (staying, leaving):
            member.close()

        broker.restart(crash=crash)
        [after] = wait_until(lambda: _described(broker, group), timeout=60, what="the group to be loaded")
        assert (after.group_state, after.group_epoch, after.assignment_epoch) == \
               (before.group_state, before.group_epoch, before.assignment_epoch)
        assert sorted((m.member_id, m.member_epoch, [set(tp.partitions) for tp in m.assignment.topic_partitions])
                      for m in after.members) == \
               sorted((m.member_id, m.member_epoch, [set(tp.partitions) for tp in m.assignment.topic_partitions])
                      for m in before.members)

        [back] = join(broker, group, [topic])
        back.member_id, back.epoch, back.assigned = staying.member_id, staying.epoch, staying.assigned
        answer = back.beat()  # where it left off: same epoch, nothing to rejoin
        assert (answer.error_code, answer.member_epoch) == (ErrorCode.NONE, staying.epoch)
        beat_until([back], lambda: back.partitions() == {0, 1}, timeout=RESTART_SESSION_MS / 1000 + 30,
                   what="the member that did not come back to time out")
    finally:
        stop_broker(broker)


def _described(broker, group):
    try:
        found = describe(broker, group)
    except OSError:  # still starting
        return None
    return found if found[0].error_code == ErrorCode.NONE else None


@pytest.mark.skipif(TARGET == "kafka", reason="Kafka sets share.version when formatting, not as a property")
def test_with_share_version_0_share_groups_are_off(tmp_path, topic):
    broker = start_broker(tmp_path / "data", {"share.version": 0})
    try:
        with WireClient(broker) as wire:
            answer = wire.send(ApiKey.API_VERSIONS, 3, {"client_software_name": "odradek-tests",
                                                        "client_software_version": "1"})
            assert ApiKey.SHARE_GROUP_HEARTBEAT in {k.api_key for k in answer.api_keys}  # advertised, as by Kafka
            assert SHARE_VERSION_FEATURE not in {f.name for f in answer.finalized_features}
            heartbeat = wire.send(ApiKey.SHARE_GROUP_HEARTBEAT, 1, {
                "group_id": "g", "member_id": str(uuid.uuid4()), "member_epoch": 0, "rack_id": None,
                "subscribed_topic_names": [topic]})
            assert heartbeat.error_code == ErrorCode.UNSUPPORTED_VERSION
            [described] = wire.send(ApiKey.SHARE_GROUP_DESCRIBE, 1, {
                "group_ids": ["g"], "include_authorized_operations": False}).groups
            assert described.error_code == ErrorCode.UNSUPPORTED_VERSION
    finally:
        stop_broker(broker)


def test_kafka_share_groups_lists_describes_and_deletes(kafka_jars, module_broker, wire, join, topic, group):
    """The membership half of ``kafka-share-groups``: --list, --describe --members/--state, --delete."""
    create_topic(module_broker, topic, 2)
    wait_for_coordinator(wire, group)
    [member] = join(module_broker, group, [topic])
    beat_until([member], lambda: member.partitions() == {0, 1}, what="the member to have both partitions")

    def tool(*args: str, check: bool = True):
        return run_tool(SHARE_GROUPS, "--bootstrap-server", module_broker.bootstrap, *args, check=check)

    with heartbeating(member):  # each run of the tool takes longer than the member's session
        assert group in tool("--list").lines()
        assert [line.split() for line in tool("--list", "--state", "stable").lines()
                if line.startswith(group)] == [[group, "Stable"]]
        [header, row] = tool("--describe", "--group", group, "--members", "--verbose").lines()
        assert header.split() == ["GROUP", "CONSUMER-ID", "HOST", "CLIENT-ID", "#PARTITIONS", "MEMBER-EPOCH",
                                  "ASSIGNMENT"]
        assert row.split() == [group, member.member_id, "/127.0.0.1", f"share-member-{group}", "2",
                               str(member.epoch), f"{topic}:0,1"]
        [header, row] = tool("--describe", "--group", group, "--state").lines()
        assert header.split() == ["GROUP", "COORDINATOR", "(ID)", "STATE", "#MEMBERS"]
        assert (row.split()[0], row.split()[-2:]) == (group, ["Stable", "1"])
        refused = tool("--delete", "--group", group, check=False)
        assert f"Share group '{group}' is not EMPTY." in refused.stdout + refused.stderr
    member.leave()
    assert f"Deletion of requested share groups ('{group}') was successful." in tool("--delete", "--group", group).stdout
    assert group not in tool("--list").lines()


def test_a_groups_own_heartbeat_interval_and_session_timeout_are_used(module_broker, wire, join, topic, group):
    """``share.heartbeat.interval.ms`` and ``share.session.timeout.ms`` set on the group
    (``kafka-configs --entity-type groups``) win over the broker's group.share.* settings."""
    create_topic(module_broker, topic, 1)
    wait_for_coordinator(wire, group)
    answer = wire.send(ApiKey.INCREMENTAL_ALTER_CONFIGS, 1, {"validate_only": False, "resources": [{
        "resource_type": GROUP_RESOURCE, "resource_name": group, "configs": [
            {"name": "share.heartbeat.interval.ms", "config_operation": SET, "value": "700"},
            {"name": "share.session.timeout.ms", "config_operation": SET, "value": "2000"}]}]})
    assert [(r.error_code, r.error_message) for r in answer.responses] == [(ErrorCode.NONE, None)]
    alive, silent = join(module_broker, group, [topic], 2)
    beat_until([alive, silent], settled([alive, silent], 1), what="both members to share the partition")
    assert alive.interval_ms == 700
    stopped_at = time.monotonic()
    wait_until(lambda: [m.member_id for m in describe(module_broker, group)[0].members] == [alive.member_id]
               if alive.beat().error_code == ErrorCode.NONE else None,
               timeout=SESSION_MS / 1000 + 10, interval=0.3, what="the silent member's own session to expire")
    assert time.monotonic() - stopped_at < SESSION_MS / 1000  # its group's 2 s, not the broker's 4 s
