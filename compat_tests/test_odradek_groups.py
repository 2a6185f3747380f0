"""``odradek groups --describe`` (``--offsets``, ``--members``, ``--state``, ``--verbose``) and
``--reset-offsets`` run as processes, against kafka-python members and commits; ``--describe`` of a
share group against confluent-kafka's ShareConsumers.

Where Java is installed the same command lines also run through Kafka 4.3's own
kafka-consumer-groups (``ConsumerGroupCommand``) against the same broker, and the outputs must be
the same, but for the trailing spaces Kafka leaves and the order of reset rows (Kafka's is a hash
map's); a share group's, through kafka-share-groups (``ShareGroupCommand``).  With ``ODRADEK_COMPAT_TARGET=kafka`` the broker is Apache Kafka too.
"""

from __future__ import annotations

import kafka

from .clients import wait_until
from .group_helpers import create_topic, produce_to_partitions, wait_for_records
from .java.kafka_tool import CONSUMER_GROUPS, SHARE_GROUPS, run_tool
from .java.targets import require_kafka_jars
from .odradek_cli import run
from .test_share_consumers import PolledShareConsumer, settled_group

BROKER_OVERRIDES = {"group.initial.rebalance.delay.ms": 0, "offsets.topic.num.partitions": 3,
                    "group.share.heartbeat.interval.ms": 500, "group.share.min.heartbeat.interval.ms": 100}
RUNS_AGAINST_KAFKA_TOO = True
DRY_RUN_WARNING = (
    "WARN: No action will be performed as the --execute option is missing. In version 5.0, this command will "
    "require either --dry-run or --execute to be specified. You should add the --dry-run option explicitly if "
    "you are scripting this command and want to keep the current default behavior without prompting.\n")


def groups(broker, *argv: str):
    return run("groups", "--bootstrap-server", broker.bootstrap, *argv)


def idle_group(clients, broker, topic: str) -> tuple[str, kafka.KafkaConsumer]:
    """A group without members whose offsets kafka-python committed: 2 of 3 on p0, 1 of 3 on p1, none on p2."""
    group = f"{topic}-idle"
    create_topic(clients, broker, topic, 3)
    produce_to_partitions(clients, broker, topic, 3, 3)
    consumer = clients.kp_consumer(broker, group_id=group)
    consumer.commit({kafka.TopicPartition(topic, 0): kafka.OffsetAndMetadata(2, "", 0),
                     kafka.TopicPartition(topic, 1): kafka.OffsetAndMetadata(1, "", -1)})
    return group, consumer


def active_group(clients, broker, members, topic: str) -> tuple[str, list]:
    """Two kafka-python members, one static, sharing three partitions; both have committed all they read."""
    group = f"{topic}-active"
    create_topic(clients, broker, topic, 3)
    sent = produce_to_partitions(clients, broker, topic, 3, 2)
    started = [members.start(broker, "kafka-python", group, [topic], client_id="dynamic-member"),
               members.start(broker, "kafka-python", group, [topic], client_id="static-member",
                             instance_id="static-1")]
    wait_until(lambda: sorted(len(m.assignment) for m in started) == [1, 2])
    wait_for_records(started, len(sent))
    settled_offsets(broker, group)
    return group, started


def settled_offsets(broker, group: str) -> list[list[str]]:
    """``--describe`` rows once every partition is committed to the end and held by a member.

    A kafka-python member may rejoin once more after both have their partitions; while the group
    rebalances, describe shows no member ("-") beside each partition, as Kafka's does.
    """
    def rows():
        found = [line.split() for line in groups(broker, "--describe", "--group", group).out.splitlines()[2:]]
        return found if found and all(row[3:6] == ["2", "2", "0"] and row[6] != "-" for row in found) else None
    return wait_until(rows, what=f"group {group} to settle")


def test_describe_offsets_of_a_group_without_members(module_broker, clients, topic):
    group, _ = idle_group(clients, module_broker, topic)
    ran = groups(module_broker, "--describe", "--group", group)
    assert (ran.code, ran.err) == (0, f"\nConsumer group '{group}' has no active members.\n")
    gw, tw = max(15, len(group)), max(15, len(topic))  # columns as wide as their longest cell, at least 15
    assert ran.out == "\n".join([
        "", f"{'GROUP':<{gw}} {'TOPIC':<{tw}} PARTITION  CURRENT-OFFSET  LOG-END-OFFSET  LAG             "
            "CONSUMER-ID     HOST            CLIENT-ID",
        f"{group:<{gw}} {topic:<{tw}} 0          2               3               1               -               -"
        "               -",
        f"{group:<{gw}} {topic:<{tw}} 1          1               3               2               -               -"
        "               -", ""])
    verbose = groups(module_broker, "--describe", "--group", group, "--offsets", "--verbose").out.splitlines()
    assert verbose[1].split() == ["GROUP", "TOPIC", "PARTITION", "LEADER-EPOCH", "CURRENT-OFFSET", "LOG-END-OFFSET",
                                  "LAG", "CONSUMER-ID", "HOST", "CLIENT-ID"]
    assert [line.split()[3] for line in verbose[2:]] == ["0", "-"]  # the epoch committed with each offset
    members = groups(module_broker, "--describe", "--group", group, "--members")
    assert members.out == "\nGROUP           CONSUMER-ID     HOST            CLIENT-ID       #PARTITIONS\n"
    state = groups(module_broker, "--describe", "--group", group, "--state").out.splitlines()
    assert state[1] == f"{'GROUP':<{len(group)}} COORDINATOR (ID)          ASSIGNMENT-STRATEGY  STATE                #MEMBERS"
    assert state[2].split() == [group, module_broker.bootstrap, "(1)", "-", "Empty", "0"]


def test_describe_members_and_state_of_an_active_group(module_broker, clients, members, topic):
    group, started = active_group(clients, module_broker, members, topic)
    by_id = {m.member_id: m for m in started}
    offsets = settled_offsets(module_broker, group)
    # the member holding most partitions first, each member's partitions in order
    assert [row[2] for row in offsets] == [str(p) for m in sorted(started, key=lambda m: -len(m.assignment))
                                           for _, p in sorted(m.assignment)]
    assert all(row[3:6] == ["2", "2", "0"] and by_id[row[6]].assignment >= {(topic, int(row[2]))} for row in offsets)

    ran = groups(module_broker, "--describe", "--group", group, "--members", "--verbose")
    assert (ran.code, ran.err) == (0, "")
    header, *rows = ran.out.splitlines()[1:]
    assert header.split() == ["GROUP", "CONSUMER-ID", "GROUP-INSTANCE-ID", "HOST", "CLIENT-ID", "#PARTITIONS",
                              "CURRENT-EPOCH", "CURRENT-ASSIGNMENT", "TARGET-EPOCH", "TARGET-ASSIGNMENT"]
    shown = {row.split()[1]: row.split() for row in rows}
    for member_id, member in by_id.items():
        partitions = sorted(p for _, p in member.assignment)
        static = member.instance_id is not None
        assert shown[member_id][2:] == (["static-1"] if static else []) + [
            "/127.0.0.1", "static-member" if static else "dynamic-member", str(len(partitions)), "-",
            f"{topic}:{','.join(map(str, partitions))}", "-", "-"]

    state = groups(module_broker, "--describe", "--group", group, "--state", "--verbose").out.splitlines()
    assert state[1].split() == ["GROUP", "COORDINATOR", "(ID)", "ASSIGNMENT-STRATEGY", "STATE", "GROUP-EPOCH",
                                "TARGET-ASSIGNMENT-EPOCH", "#MEMBERS"]
    assert state[2].split()[3:] == ["range", "Stable", "-", "-", "2"]


def test_reset_offsets_is_a_dry_run_unless_executed(module_broker, clients, topic):
    group, consumer = idle_group(clients, module_broker, topic)
    partitions = [kafka.TopicPartition(topic, p) for p in range(3)]
    gw, tw = max(15, len(group)), max(15, len(topic))
    plan = "\n".join(["", f"{'GROUP':<{gw}} {'TOPIC':<{tw}} PARTITION  NEW-OFFSET",
                      *(f"{group:<{gw}} {topic:<{tw}} {p}          0" for p in range(3)), ""])
    dry = groups(module_broker, "--reset-offsets", "--group", group, "--topic", topic, "--to-earliest")
    assert (dry.code, dry.out, dry.err) == (0, plan, DRY_RUN_WARNING)
    assert [consumer.committed(tp) for tp in partitions] == [2, 1, None]
    explicit = groups(module_broker, "--reset-offsets", "--group", group, "--topic", topic, "--to-earliest",
                      "--dry-run")
    assert (explicit.code, explicit.out, explicit.err) == (0, plan, "")
    executed = groups(module_broker, "--reset-offsets", "--group", group, "--topic", topic, "--to-earliest",
                      "--execute")
    assert (executed.code, executed.out, executed.err) == (0, plan, "")
    assert [consumer.committed(tp) for tp in partitions] == [0, 0, 0]


def test_reset_offsets_refuses_a_group_with_members(module_broker, clients, members, topic):
    group, _ = active_group(clients, module_broker, members, topic)
    # a member's rejoin may still be settling: the refusal names the state the group is in
    wait_until(lambda: "Stable" in groups(module_broker, "--describe", "--group", group, "--state").out)
    ran = groups(module_broker, "--reset-offsets", "--group", group, "--all-topics", "--to-earliest", "--execute")
    assert (ran.code, ran.out) == (1, "")
    assert ran.err == (f"odradek groups: Assignments can only be reset if the group '{group}' is inactive, "
                       "but the current state is Stable.\n")
    rows = groups(module_broker, "--describe", "--group", group).out.splitlines()[2:]
    assert all(row.split()[3] == "2" for row in rows)


def test_the_output_is_kafka_consumer_groups_output(module_broker, clients, members, topic):
    """The same command lines through Kafka's ConsumerGroupCommand and through odradek groups."""
    require_kafka_jars()
    idle, _ = idle_group(clients, module_broker, topic + "-i")
    active, _ = active_group(clients, module_broker, members, topic + "-a")
    for argv in (["--describe", "--group", idle], ["--describe", "--group", idle, "--offsets", "--verbose"],
                 ["--describe", "--group", idle, "--members", "--verbose"], ["--describe", "--group", idle, "--state"],
                 ["--describe", "--group", active], ["--describe", "--group", active, "--members"],
                 ["--describe", "--group", active, "--members", "--verbose"],
                 ["--describe", "--group", active, "--state", "--verbose"],
                 ["--describe", "--group", active, "--group", idle, "--members"]):
        theirs = run_tool(CONSUMER_GROUPS, "--bootstrap-server", module_broker.bootstrap, *argv)
        ours = groups(module_broker, *argv)
        assert ours.code == 0
        assert [line.rstrip() for line in ours.out.splitlines()] == [
            line.rstrip() for line in theirs.stdout.splitlines()], argv
        assert ours.err == theirs.stderr, argv
    argv = ["--reset-offsets", "--group", idle, "--all-topics", "--to-latest"]
    theirs = run_tool(CONSUMER_GROUPS, "--bootstrap-server", module_broker.bootstrap, *argv)
    ours = groups(module_broker, *argv)
    assert sorted(ours.out.splitlines()) == sorted(theirs.stdout.splitlines())
    assert ours.err == theirs.stderr == DRY_RUN_WARNING


def same_as_kafka_share_groups(broker, *argv: str) -> None:
    """The command line through Kafka's ShareGroupCommand and through odradek groups: the same
    stdout (but for Kafka's trailing spaces) and stderr."""
    theirs = run_tool(SHARE_GROUPS, "--bootstrap-server", broker.bootstrap, *argv)
    ours = groups(broker, *argv)
    assert ours.code == 0, ours.err
    assert [line.rstrip() for line in ours.out.splitlines()] == [
        line.rstrip() for line in theirs.stdout.splitlines()], argv
    assert ours.err == theirs.stderr, argv


def share_rows(broker, group: str, *argv: str) -> list[list[str]]:
    return [line.split() for line in groups(broker, "--describe", "--group", group, *argv).out.splitlines()[2:]]


def test_describe_a_share_group_as_kafka_share_groups_does(module_broker, clients, topic):
    """Two ShareConsumers read a two-partition topic to its end: --describe shows each partition's
    start offset and no lag, the members and the state; once they have left, new records are lag."""
    require_kafka_jars()
    group = f"share-{topic}"
    create_topic(clients, module_broker, topic, 2)
    consumers = [PolledShareConsumer(module_broker, group, [topic], f"{group}-{i}") for i in range(2)]
    try:
        settled_group(module_broker, group, {c.client_id for c in consumers}, 2)
        # a share group starts at the end of each partition (share.auto.offset.reset=latest): sent after it settled
        produce_to_partitions(clients, module_broker, topic, 2, 3)
        rows = wait_until(lambda: (found := share_rows(module_broker, group)) and all(
            row[4] == "0" for row in found) and found, timeout=60, interval=0.5, what="every record to be acknowledged")
        assert [row[:3] for row in rows] == [[group, topic, "0"], [group, topic, "1"]]
        members = groups(module_broker, "--describe", "--group", group, "--members", "--verbose")
        assert (members.code, members.err) == (0, "")
        header, *shown = members.out.splitlines()[1:]
        assert header.split() == ["GROUP", "CONSUMER-ID", "HOST", "CLIENT-ID", "#PARTITIONS", "MEMBER-EPOCH",
                                  "ASSIGNMENT"]
        assert sorted(row.split()[3] for row in shown) == [c.client_id for c in consumers]
        assert all(row.split()[2] == "/127.0.0.1" for row in shown)
        assert share_rows(module_broker, group, "--state")[0][-2:] == ["Stable", "2"]
        for argv in ([], ["--verbose"], ["--members"], ["--members", "--verbose"], ["--state"],
                     ["--state", "--verbose"]):
            same_as_kafka_share_groups(module_broker, "--describe", "--group", group, *argv)
    finally:
        for consumer in consumers:
            consumer.close()

    wait_until(lambda: share_rows(module_broker, group, "--state")[0][-2:] == ["Empty", "0"], interval=0.5,
               what="the closed consumers to have left")
    produce_to_partitions(clients, module_broker, topic, 1, 2, tag="late-")  # two more records on partition 0
    rows = share_rows(module_broker, group)
    assert [(row[2], row[4]) for row in rows] == [("0", "2"), ("1", "0")]
    assert {rows[0][3], rows[1][3]} <= {"0", "3"}  # the start offset moves past acknowledged records lazily
    empty = groups(module_broker, "--describe", "--group", group, "--members")
    assert (empty.code, empty.out, empty.err) == (0, "", f"\nShare group '{group}' has no active members.\n")
    for argv in ([], ["--members"], ["--state", "--verbose"]):
        same_as_kafka_share_groups(module_broker, "--describe", "--group", group, *argv)

