"""``odradek dump-log`` on the segments a real broker wrote for real clients: confluent-kafka's
consumer groups in ``__consumer_offsets`` (``--offsets-decoder``), classic and KIP-848 ones, a
share group's records, and
its transactions in ``__transaction_state`` (``--transaction-log-decoder``), and records whose
bytes are not text.

Where Java is installed, the output is also compared with Kafka's own kafka-dump-log
(``DumpLogSegments``) on the same files, line for line.  With ``ODRADEK_COMPAT_TARGET=kafka`` the
segments are written by Apache Kafka instead.
"""

from __future__ import annotations

import json
from pathlib import Path

import confluent_kafka

from .clients import ck_produce, ck_read, ck_wait, wait_until
from .group_helpers import create_topic
from .java.kafka_tool import DUMP_LOG, run_tool
from .java.targets import require_kafka_jars
from .odradek_cli import run
from .share_members import WireShareMember, beat_until, wait_for_coordinator
from .wire_client import WireClient

# one partition each, so a test finds all of its records in partition 0
BROKER_OVERRIDES = {"group.initial.rebalance.delay.ms": 0, "offsets.topic.num.partitions": 1,
                    "transaction.state.log.num.partitions": 1}
RUNS_AGAINST_KAFKA_TOO = True
OFFSETS = "__consumer_offsets"
TRANSACTIONS = "__transaction_state"


def segment(broker, topic: str) -> Path:
    """Partition 0's first segment, wherever the broker keeps its logs."""
    [found] = broker.data_dir.rglob(f"{topic}-0/{0:020d}.log")
    return found


def records(broker, topic: str, *flags: str) -> list[tuple[str, str | None]]:
    """(key, payload) of every record ``odradek dump-log`` prints for the topic's segment."""
    ran = run("dump-log", str(segment(broker, topic)), *flags)
    assert (ran.code, ran.err) == (0, ""), ran.err
    found = []
    for line in ran.out.splitlines():
        if line.startswith("| ") and " key: " in line:
            key, _, payload = line.split(" key: ", 1)[1].partition(" payload: ")
            found.append((key, payload or None))
    return found


def decoded(broker, topic: str, flag: str, wanted) -> list[tuple[dict, dict | str | None]]:
    """The records whose decoded key satisfies ``wanted``, key and value as JSON (a tombstone's
    value as ``<DELETE>``)."""
    pairs = [(json.loads(key), payload if payload == "<DELETE>" else json.loads(payload))
             for key, payload in records(broker, topic, flag) if key.startswith("{")]
    return [(key, value) for key, value in pairs if wanted(key)]


def group_lifetime(broker, clients, topic: str) -> str:
    """A confluent-kafka consumer joins a group, commits, leaves; then the group is deleted."""
    group = f"{topic}-g"
    create_topic(clients, broker, topic, 2)
    ck_produce(clients.ck_producer(broker), topic, [(b"k", b"v")] * 2, partition=0)
    consumer = confluent_kafka.Consumer({
        "bootstrap.servers": broker.bootstrap, "group.id": group, "client.id": "dump-client",
        "auto.offset.reset": "earliest", "enable.auto.commit": False})
    try:
        consumer.subscribe([topic])
        ck_read(consumer, 2)
        consumer.commit(asynchronous=False)
    finally:
        consumer.close()
    ck_wait(clients.ck_admin(broker).delete_consumer_groups([group], request_timeout=10))
    return group


def consumer_group_lifetime(broker, clients, topic: str) -> str:
    """A confluent-kafka consumer of the KIP-848 protocol joins a group, commits, leaves; then
    the group is deleted."""
    group = f"{topic}-g"
    create_topic(clients, broker, topic, 2)
    ck_produce(clients.ck_producer(broker), topic, [(b"k", b"v")] * 2, partition=0)
    consumer = confluent_kafka.Consumer({
        "bootstrap.servers": broker.bootstrap, "group.id": group, "client.id": "dump-client",
        "group.protocol": "consumer", "auto.offset.reset": "earliest", "enable.auto.commit": False})
    try:
        consumer.subscribe([topic])
        ck_read(consumer, 2)
        consumer.commit(asynchronous=False)
    finally:
        consumer.close()
    ck_wait(clients.ck_admin(broker).delete_consumer_groups([group], request_timeout=10))
    return group


def share_group_lifetime(broker, clients, topic: str) -> str:
    """A share group member joins and is assigned both partitions, leaves; then the group is deleted."""
    group = f"{topic}-s"
    create_topic(clients, broker, topic, 2)
    with WireClient(broker) as wire:
        wait_for_coordinator(wire, group)
    member = WireShareMember(broker, group, [topic])
    try:
        beat_until([member], lambda: member.partitions() == {0, 1}, what="the member to have both partitions")
        member.leave()
    finally:
        member.close()
    ck_wait(clients.ck_admin(broker).delete_consumer_groups([group], request_timeout=10))
    return group


def committed_then_aborted(broker, clients, topic: str) -> str:
    """A confluent-kafka transactional producer commits one transaction and aborts the next."""
    transactional_id = f"{topic}-tx"
    create_topic(clients, broker, topic, 2)
    producer = clients.ck_producer(broker, **{"transactional.id": transactional_id, "enable.idempotence": True})
    producer.init_transactions(10)
    producer.begin_transaction()
    producer.produce(topic, value=b"kept", partition=0)
    producer.commit_transaction(10)
    producer.begin_transaction()
    producer.produce(topic, value=b"dropped", partition=1)
    assert producer.flush(10) == 0  # sent, so the abort has a partition to abort (not a local no-op)
    producer.abort_transaction(10)
    return transactional_id


def transaction_states(broker, transactional_id: str) -> list[dict]:
    """The transaction's metadata records, once the abort has completed (the Complete* states
    are written after the markers, a moment after the producer's call returned)."""
    complete_abort = 5  # Kafka's TransactionState ids: Empty 0, Ongoing 1, PrepareCommit 2,
    # PrepareAbort 3, CompleteCommit 4, CompleteAbort 5

    def states():
        found = decoded(broker, TRANSACTIONS, "--transaction-log-decoder",
                        lambda key: key == {"type": "0", "data": {"transactionalId": transactional_id}})
        return [value["data"] for _, value in found]

    return wait_until(lambda: (found := states()) and found[-1]["transactionStatus"] == complete_abort and found)


def test_offsets_decoder_shows_a_groups_commits_metadata_and_deletion(module_broker, clients, topic):
    group = group_lifetime(module_broker, clients, topic)
    ours = decoded(module_broker, OFFSETS, "--offsets-decoder", lambda key: key["data"]["group"] == group)
    commits = [(key["data"], value) for key, value in ours if key["type"] == "1"]
    [(committed, value)] = [(k, v) for k, v in commits if v != "<DELETE>"]
    assert committed == {"group": group, "topic": topic, "partition": 0}
    assert value["version"] in ("3", "4") and value["data"]["offset"] == 2 and value["data"]["metadata"] == ""
    assert commits[-1] == (committed, "<DELETE>")

    metadata = [value for key, value in ours if key["type"] == "2"]
    joined = next(value["data"] for value in metadata if value["data"]["members"])  # Kafka first writes it empty
    assert (joined["protocolType"], joined["protocol"], joined["generation"]) == ("consumer", "range", 1)
    [member] = joined["members"]
    assert (member["clientId"], member["memberId"]) == ("dump-client", joined["leader"])
    assert member["subscription"]["topics"] == [topic]
    assert member["assignment"]["assignedPartitions"] == [{"topic": topic, "partitions": [0, 1]}]
    left = metadata[-2]["data"]  # the consumer left: an empty group, then the deletion's tombstone
    assert (left["generation"], left["members"], left["leader"]) == (2, [], None)
    assert metadata[-1] == "<DELETE>"


def test_offsets_decoder_shows_a_consumer_protocol_groups_records(module_broker, clients, topic):
    """Kafka's KIP-848 record types: the group epoch, the member's subscription, the target
    assignment, the member's current assignment; tombstones when it leaves and when the group
    is deleted."""
    group = consumer_group_lifetime(module_broker, clients, topic)
    ours = decoded(module_broker, OFFSETS, "--offsets-decoder",
                   lambda key: key["data"].get("groupId", key["data"].get("group")) == group)
    types = [(key["type"], value == "<DELETE>") for key, value in ours if key["type"] != "1"]
    by_type = {}
    for key, value in ours:
        if value != "<DELETE>":
            by_type.setdefault(key["type"], []).append((key["data"], value))
    [(member_key, subscription)] = by_type["5"][:1]
    member_id = member_key["memberId"]
    assert subscription["version"] == "0"
    assert (subscription["data"]["clientId"], subscription["data"]["subscribedTopicNames"]) == ("dump-client", [topic])
    first_epoch = by_type["3"][0][1]["data"]
    assert first_epoch["epoch"] >= 1 and "metadataHash" in first_epoch
    target = by_type["7"][0]
    assert target[0] == {"groupId": group, "memberId": member_id}
    assert sorted(target[1]["data"]["topicPartitions"][0]["partitions"]) == [0, 1]
    assert by_type["6"][0][1]["data"]["assignmentEpoch"] == first_epoch["epoch"]
    current = by_type["8"][-1][1]["data"]
    assert current["memberEpoch"] == first_epoch["epoch"] and current["state"] == 0
    assert sorted(current["assignedPartitions"][0]["partitions"]) == [0, 1]
    # the member left: its assignment, target and subscription go, the group epoch moves on
    left = types.index(("8", True))
    assert types[left:left + 4] == [("8", True), ("7", True), ("5", True), ("3", False)]
    # the group was deleted: the target's epoch, Kafka's older subscription metadata, the group epoch
    assert types[-3:] == [("6", True), ("4", True), ("3", True)]


def test_offsets_decoder_shows_a_share_groups_records(module_broker, clients, topic):
    """Kafka's share group record types: the member's subscription, the group epoch, the target
    and current assignments, which partitions have share state; tombstones when the member
    leaves and when the group is deleted."""
    group = share_group_lifetime(module_broker, clients, topic)
    ours = decoded(module_broker, OFFSETS, "--offsets-decoder", lambda key: key["data"].get("groupId") == group)
    by_type: dict[str, list] = {}
    for key, value in ours:
        if value != "<DELETE>":
            by_type.setdefault(key["type"], []).append((key["data"], value["data"]))
    [(member_key, subscription)] = by_type["10"][:1]
    assert subscription["subscribedTopicNames"] == [topic] and subscription["rackId"] is None
    epochs = [epoch["epoch"] for _, epoch in by_type["11"]]
    assert epochs[0] == 2 and epochs == sorted(set(epochs))  # a new group's first member: epoch 2, then up
    assert by_type["13"][-1][0] == member_key and sorted(by_type["13"][-1][1]["topicPartitions"][0]["partitions"]) == [0, 1]
    current = by_type["14"][-1][1]
    assert (current["memberEpoch"], current["state"]) == (by_type["12"][-1][1]["assignmentEpoch"], 0)
    initialized, deleting = by_type["15"][-2][1], by_type["15"][-1][1]  # before and as the group is deleted
    assert [(t["topicName"], t["partitions"]) for t in initialized["initializedTopics"]] == [(topic, [0, 1])]
    assert (deleting["initializedTopics"], [t["topicName"] for t in deleting["deletingTopics"]]) == ([], [topic])
    types = [(key["type"], value == "<DELETE>") for key, value in ours]
    left = types.index(("14", True))
    assert types[left:left + 4] == [("14", True), ("13", True), ("10", True), ("11", False)]
    assert types[-3:] == [("12", True), ("15", True), ("11", True)]  # the group deleted


def test_transaction_log_decoder_shows_a_transactions_states(module_broker, clients, topic):
    found = transaction_states(module_broker, committed_then_aborted(module_broker, clients, topic))
    assert [state["transactionStatus"] for state in found] == [0, 1, 2, 4, 1, 3, 5]
    assert found[0]["transactionPartitions"] is None  # Kafka writes no list for an Empty transaction
    assert found[1]["transactionPartitions"] == [{"topic": topic, "partitionIds": [0]}]
    assert found[4]["transactionPartitions"] == [{"topic": topic, "partitionIds": [1]}]
    assert {state["producerId"] for state in found} == {found[0]["producerId"]}
    assert all(state["transactionTimeoutMs"] == 60_000 for state in found)


def test_record_bytes_that_are_not_text_are_escaped(module_broker, clients, topic):
    create_topic(clients, module_broker, topic, 1)
    ck_produce(clients.ck_producer(module_broker), topic, [(b"\x1b[2J", b"line\nbreak\x00\xff")], partition=0)
    ran = run("dump-log", "--print-data-log", str(segment(module_broker, topic)))
    assert ran.code == 0 and ran.out.isprintable() is False  # newlines between lines only
    [line] = [line for line in ran.out.splitlines() if line.startswith("| ")]
    assert line.isprintable() and line.endswith(" key: \\x1b[2J payload: line\\nbreak\\x00\\xff")


def test_the_output_is_kafkas_dump_log_output(module_broker, clients, topic):
    """The same files through Kafka's DumpLogSegments and through odradek dump-log."""
    require_kafka_jars()
    group_lifetime(module_broker, clients, topic + "-o")
    consumer_group_lifetime(module_broker, clients, topic + "-c")
    share_group_lifetime(module_broker, clients, topic + "-s")
    transaction_states(module_broker, committed_then_aborted(module_broker, clients, topic + "-t"))
    for name, flag in ((topic + "-t", "--print-data-log"), (OFFSETS, "--offsets-decoder"),
                       (TRANSACTIONS, "--transaction-log-decoder")):
        path = str(segment(module_broker, name))
        kafka = run_tool(DUMP_LOG, "--files", path, flag)
        ours = run("dump-log", path, flag)
        assert (ours.code, ours.err) == (0, "")
        assert ours.out.splitlines() == kafka.stdout.splitlines(), name
