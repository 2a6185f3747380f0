"""Share groups' data path (KIP-932) on the wire: ShareFetch, ShareAcknowledge and the share
coordinator, against a real broker process, every expectation proved against Apache Kafka 4.3
with ``ODRADEK_COMPAT_TARGET=kafka``.

Members are ``share_client.ShareMember``s, which send ShareFetch/ShareAcknowledge themselves, so a
test decides exactly which offsets are accepted, released or rejected, and when a member goes
quiet or dies; the share partitions are initialized as Kafka's group coordinator initializes
them. The record lock duration is lowered (Kafka's minimum, 1 s, is allowed with
``group.share.min.record.lock.duration.ms``) to keep lock expiries quick.
"""

from __future__ import annotations

import json
import threading
import time

import confluent_kafka
import pytest
from odradek.wire import ApiKey, ErrorCode

from .clients import TIMEOUT, ck_produce
from .group_helpers import create_topic
from odradek.server.groups.offsets_topic import partition_for
from odradek.server.share.share_partition_key import SharePartitionKey, topic_id_text

from .java.kafka_tool import DUMP_LOG, run_tool
from .odradek_cli import run
from .java.targets import TARGET, start_broker, stop_broker
from .share_client import ACCEPT, RELEASE, REJECT, RENEW, ShareMember, initialize
from .wire_client import WireClient

LOCK_MS = 2000
DELIVERY_LIMIT = 3
RUNS_AGAINST_KAFKA_TOO = True
BROKER_OVERRIDES = {
    "group.share.record.lock.duration.ms": LOCK_MS,
    "group.share.min.record.lock.duration.ms": 1000,
    "group.share.delivery.count.limit": DELIVERY_LIMIT,
    "share.coordinator.state.topic.num.partitions": 3,
    "offsets.topic.num.partitions": 1,
}
GROUP = "share-group"
GROUP_RESOURCE = 32  # the GROUP config resource


@pytest.fixture
def share_broker(module_broker):
    """The module's broker (each test uses topics of its own)."""
    return module_broker


@pytest.fixture
def own_broker(tmp_path, _traceback_guard):
    """A broker of the test's own, to restart or kill."""
    broker = start_broker(tmp_path / "data", BROKER_OVERRIDES)
    _traceback_guard.append((broker, 0))
    yield broker
    stop_broker(broker)


@pytest.fixture
def share_topic(share_broker, clients, topic):
    """A one-partition topic whose share partition starts at offset 0 for GROUP; its id."""
    create_topic(clients, share_broker, topic, 1)
    return initialize(share_broker, GROUP, topic, start_offset=0)


@pytest.fixture
def share_members(share_broker):
    made: list[ShareMember] = []

    def member(tid, **kwargs) -> ShareMember:
        made.append(ShareMember(share_broker, GROUP, tid, **kwargs))
        return made[-1]

    yield member
    for made_member in made:
        made_member.close()


def produce(clients, broker, topic: str, count: int, per_batch: int = 10, tag: str = "") -> list[bytes]:
    """``count`` records in batches of ``per_batch`` (one flush each); their values."""
    producer = clients.ck_producer(broker, **{"linger.ms": 100})
    values = [f"{tag}{i}".encode() for i in range(count)]
    for start in range(0, count, per_batch):
        ck_produce(producer, topic, [(None, value) for value in values[start:start + per_batch]], partition=0)
    return values


def wait_past(seconds: float) -> None:
    time.sleep(seconds)


# -- sessions and requests ---------------------------------------------------------------------

def test_session_errors_are_answered_for_the_whole_request(share_broker, share_topic, share_members):
    member = share_members(share_topic)
    assert member.fetch(epoch=3).error_code == ErrorCode.SHARE_SESSION_NOT_FOUND
    assert member.fetch(acks={0: [(0, 0, [ACCEPT])]}).error_code == ErrorCode.INVALID_REQUEST  # acks at epoch 0
    assert member.acknowledge({0: [(0, 0, [ACCEPT])]}, epoch=0).error_code == ErrorCode.INVALID_SHARE_SESSION_EPOCH
    opened = member.fetch(max_wait_ms=0)
    assert (opened.error_code, opened.lock_timeout_ms) == (ErrorCode.NONE, LOCK_MS)
    assert member.fetch(epoch=5, max_wait_ms=0).error_code == ErrorCode.INVALID_SHARE_SESSION_EPOCH
    refused = member.acknowledge({0: [(0, 0, [ACCEPT])]}, epoch=7)
    assert (refused.error_code, refused.lock_timeout_ms) == (ErrorCode.INVALID_SHARE_SESSION_EPOCH, 0)
    assert share_members(share_topic, member_id="").fetch().error_code == ErrorCode.INVALID_REQUEST
    assert share_members(share_topic, member_id="x" * 37).fetch().error_code == ErrorCode.INVALID_REQUEST


def test_a_session_answers_only_partitions_with_news(share_broker, share_topic, share_members, clients, topic):
    member = share_members(share_topic, partitions=(0, 5))
    first = member.fetch(max_wait_ms=300)
    assert (first.error(0), first.error(5)) == (ErrorCode.NONE, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
    quiet = member.fetch(max_wait_ms=300, partitions=())
    assert set(quiet.partitions) == {5}  # the error again; nothing new at partition 0
    produce(clients, share_broker, topic, 3)
    assert member.fetch(partitions=(), forget=(5,)).partitions.keys() == {0}
    closed = member.close_session()
    assert closed.error_code == ErrorCode.NONE
    assert member.fetch(epoch=member.epoch).error_code == ErrorCode.SHARE_SESSION_NOT_FOUND


def test_a_share_partition_never_initialized_is_an_error_after_the_wait(share_broker, clients, topic, share_members):
    create_topic(clients, share_broker, topic, 1)
    tid = initialize(share_broker, "other-group", topic)  # another group's state: not this one's
    started = time.monotonic()
    answer = share_members(tid).fetch(max_wait_ms=1000)
    assert answer.error(0) == ErrorCode.UNKNOWN_SERVER_ERROR
    assert time.monotonic() - started >= 0.9


# -- acquiring ---------------------------------------------------------------------------------

def test_records_are_acquired_in_whole_batches_once(share_broker, share_topic, share_members, clients, topic):
    sent = produce(clients, share_broker, topic, 30, per_batch=10)
    a, b = share_members(share_topic), share_members(share_topic)
    got = a.fetch(max_records=5, batch_size=5)
    assert got.acquired() == [(0, 9, 1)]  # MaxRecords is soft: a whole batch
    assert [d.value for d in got.deliveries] == sent[:10]
    assert b.fetch(batch_size=10).acquired() == [(10, 19, 1), (20, 29, 1)]  # cut at BatchSize
    assert share_members(share_topic).fetch(max_wait_ms=300).acquired() == []


def test_record_limit_mode_acquires_exactly_max_records(share_broker, share_topic, share_members, clients, topic):
    produce(clients, share_broker, topic, 10, per_batch=10)
    a, b = share_members(share_topic), share_members(share_topic)
    assert a.fetch(max_records=3, record_limit=True).acquired() == [(0, 2, 1)]
    assert b.fetch(max_records=3, record_limit=True).acquired() == [(3, 5, 1)]


def test_latest_is_where_a_group_starts_by_default(share_broker, clients, topic, share_members):
    create_topic(clients, share_broker, topic, 1)
    produce(clients, share_broker, topic, 5, tag="before-")
    tid = initialize(share_broker, GROUP, topic)  # start offset -1: share.auto.offset.reset decides
    member = share_members(tid)
    assert member.fetch(max_wait_ms=200).acquired() == []
    after = produce(clients, share_broker, topic, 5, tag="after-")
    assert [d.value for d in member.fetch().deliveries] == after


def test_a_fetch_waits_for_records_and_wakes_when_they_come(share_broker, share_topic, share_members, clients, topic):
    member = share_members(share_topic)
    member.fetch(max_wait_ms=0)
    answers = []
    waiting = threading.Thread(target=lambda: answers.append(member.fetch(max_wait_ms=4000)))
    started = time.monotonic()
    waiting.start()
    time.sleep(0.5)
    sent = produce(clients, share_broker, topic, 3)
    waiting.join(10)
    assert time.monotonic() - started < 3.5, "woken by the records, not by the end of its wait"
    first = [d.value for d in answers[0].deliveries]
    assert first and first == sent[:len(first)]  # the producer may have sent them in more than one batch
    rest = member.fetch_until(lambda got: len(first) + len(got) >= len(sent)) if len(first) < len(sent) else []
    assert first + [d.value for d in rest] == sent


def test_three_members_get_distinct_records_and_all_once(share_broker, share_topic, share_members, clients, topic):
    sent = produce(clients, share_broker, topic, 300, per_batch=5)
    group = [share_members(share_topic) for _ in range(3)]
    delivered: dict[str, list] = {m.member_id: [] for m in group}

    def consume(member: ShareMember) -> None:
        acks: list = []
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and sum(len(v) for v in delivered.values()) < len(sent):
            answer = member.fetch(acks={0: acks} if acks else None, max_records=20, batch_size=10, max_wait_ms=200)
            acks = [(first, last, [ACCEPT]) for first, last, _ in answer.acquired()]
            delivered[member.member_id] += answer.deliveries
        if acks:
            member.acknowledge({0: acks})

    threads = [threading.Thread(target=consume, args=(m,)) for m in group]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(40)
    values = [d.value for got in delivered.values() for d in got]
    assert sorted(values) == sorted(sent), "every record delivered exactly once"
    assert all(delivered.values()), "each member got records"
    assert all(d.delivery_count == 1 for got in delivered.values() for d in got)


# -- acknowledging -----------------------------------------------------------------------------

def test_acknowledgement_errors_per_partition(share_broker, share_topic, share_members, clients, topic):
    produce(clients, share_broker, topic, 10)
    owner, other = share_members(share_topic), share_members(share_topic)
    assert owner.fetch().acquired() == [(0, 9, 1)]
    other.fetch(max_wait_ms=0)
    assert other.acknowledge({0: [(0, 9, [ACCEPT])]}).error(0) == ErrorCode.INVALID_RECORD_STATE
    assert owner.acknowledge({0: [(0, 20, [ACCEPT])]}).error(0) == ErrorCode.INVALID_REQUEST
    assert owner.acknowledge({0: [(0, 9, [7])]}).error(0) == ErrorCode.INVALID_REQUEST
    assert owner.acknowledge({0: [(0, 9, [RENEW])]}).error(0) == ErrorCode.INVALID_REQUEST  # not a renewal
    assert owner.acknowledge({0: [(0, 9, [ACCEPT, RELEASE])]}).error(0) == ErrorCode.INVALID_REQUEST
    assert owner.acknowledge({0: [(0, 5, [ACCEPT]), (3, 9, [ACCEPT])]}).error(0) == ErrorCode.INVALID_REQUEST
    assert owner.acknowledge({0: [(5, 3, [ACCEPT])]}).error(0) == ErrorCode.INVALID_REQUEST
    assert owner.acknowledge({0: [(0, 9, [ACCEPT])]}).error(0) == ErrorCode.NONE
    again = owner.acknowledge({0: [(5, 5, [ACCEPT])]})
    assert again.error(0) in (ErrorCode.INVALID_RECORD_STATE, ErrorCode.NONE)  # already past the start offset


def test_release_redelivers_at_once_and_reject_never(share_broker, share_topic, share_members, clients, topic):
    sent = produce(clients, share_broker, topic, 4, per_batch=4)
    first, second = share_members(share_topic), share_members(share_topic)
    assert first.fetch().acquired() == [(0, 3, 1)]
    types = [ACCEPT, RELEASE, REJECT, RELEASE]
    answer = first.fetch(acks={0: [(0, 3, types)]}, max_wait_ms=1000)
    assert answer.ack_error(0) == ErrorCode.NONE
    assert answer.acquired() == [(1, 1, 2), (3, 3, 2)]  # released: at once, to whoever fetches next
    assert [d.value for d in answer.deliveries] == [sent[1], sent[3]]
    first.acknowledge({0: [(1, 1, [ACCEPT]), (3, 3, [ACCEPT])]})
    assert second.fetch(max_wait_ms=500).acquired() == []  # the rejected record: never again


def test_renew_extends_the_lock(share_broker, share_topic, share_members, clients, topic):
    produce(clients, share_broker, topic, 2, per_batch=2)
    holder, waiter = share_members(share_topic), share_members(share_topic)
    holder.fetch()
    waiter.fetch(max_wait_ms=0)
    wait_past(LOCK_MS / 2000)
    assert holder.acknowledge({0: [(0, 1, [RENEW])]}, renew=True).error(0) == ErrorCode.NONE
    wait_past(LOCK_MS / 1000 * 0.75)  # past the first lock's end, not the renewed one's
    assert waiter.fetch(max_wait_ms=0).acquired() == []
    assert holder.acknowledge({0: [(0, 1, [ACCEPT])]}).error(0) == ErrorCode.NONE


def test_renewing_through_share_fetch_fetches_nothing(share_broker, share_topic, share_members, clients, topic):
    produce(clients, share_broker, topic, 4, per_batch=2)
    member = share_members(share_topic)
    assert member.fetch(batch_size=2).acquired() == [(0, 1, 1), (2, 3, 1)]
    renewing = {0: [(0, 1, [RENEW])]}
    refused = member.fetch(acks=renewing, is_renew_ack=True)  # the limits must all be 0
    assert refused.error_code == ErrorCode.INVALID_REQUEST
    renewed = member.fetch(acks=renewing, is_renew_ack=True, max_wait_ms=0, min_bytes=0, max_records=0, max_bytes=0)
    assert (renewed.error_code, renewed.ack_error(0), renewed.acquired()) == (ErrorCode.NONE, ErrorCode.NONE, [])


def test_piggy_backed_acknowledgements_fail_apart_from_the_fetch(share_broker, share_topic, share_members, clients,
                                                                topic):
    produce(clients, share_broker, topic, 4, per_batch=2)
    member = share_members(share_topic)
    assert member.fetch(max_records=1).acquired() == [(0, 1, 1)]
    answer = member.fetch(acks={0: [(2, 3, [ACCEPT])]})  # never handed out yet
    assert (answer.error(0), answer.ack_error(0)) == (ErrorCode.NONE, ErrorCode.INVALID_REQUEST)
    assert answer.acquired() == [(2, 3, 1)]


def test_version_1_serves_batch_acquisition(share_broker, share_topic, share_members, clients, topic):
    sent = produce(clients, share_broker, topic, 3, per_batch=3)
    member = share_members(share_topic, version=1)
    answer = member.fetch()
    assert (answer.lock_timeout_ms, answer.acquired()) == (LOCK_MS, [(0, 2, 1)])
    assert [d.value for d in answer.deliveries] == sent
    acked = member.acknowledge({0: [(0, 2, [ACCEPT])]})
    assert (acked.error(0), acked.lock_timeout_ms) == (ErrorCode.NONE, 0)  # v1 answers carry no lock duration


# -- a member that goes quiet or dies ----------------------------------------------------------

def test_a_quiet_member_s_records_go_to_another_after_the_lock_duration(share_broker, share_topic, share_members,
                                                                        clients, topic):
    sent = produce(clients, share_broker, topic, 5, per_batch=5)
    quiet, other = share_members(share_topic), share_members(share_topic)
    assert quiet.fetch().acquired() == [(0, 4, 1)]  # then never acknowledges, staying connected
    started = time.monotonic()
    assert other.fetch(max_wait_ms=int(LOCK_MS * 0.6)).acquired() == []
    redelivered = other.fetch_until(lambda got: got, max_wait_ms=LOCK_MS)
    assert [(d.value, d.delivery_count) for d in redelivered] == [(v, 2) for v in sent]
    assert time.monotonic() - started >= LOCK_MS / 1000 * 0.9
    assert quiet.acknowledge({0: [(0, 4, [ACCEPT])]}).error(0) == ErrorCode.INVALID_RECORD_STATE


def test_a_member_that_disconnects_releases_its_records_at_once(share_broker, share_topic, share_members,
                                                                clients, topic):
    sent = produce(clients, share_broker, topic, 5, per_batch=5)
    dying, other = share_members(share_topic), share_members(share_topic)
    assert dying.fetch().acquired() == [(0, 4, 1)]
    other.fetch(max_wait_ms=0)
    dying.close()  # its process died: the connection is gone, the broker ends its session
    started = time.monotonic()
    # short polls: Kafka does not wake a waiting fetch when records are released, only a new one
    redelivered = other.fetch_until(lambda got: got, max_wait_ms=100)
    assert [(d.value, d.delivery_count) for d in redelivered] == [(v, 2) for v in sent]
    assert time.monotonic() - started < LOCK_MS / 1000 * 0.75


def test_the_delivery_count_limit_archives_a_poison_record(share_broker, share_topic, share_members, clients, topic):
    sent = produce(clients, share_broker, topic, 5, per_batch=5)
    member = share_members(share_topic)
    deliveries = []
    for _ in range(6):
        answer = member.fetch(max_wait_ms=300)
        deliveries += answer.deliveries
        acks = [(d.offset, d.offset, [RELEASE if d.offset == 2 else ACCEPT]) for d in answer.deliveries]
        if acks:
            assert member.acknowledge({0: acks}).error(0) == ErrorCode.NONE
    poison = [d.delivery_count for d in deliveries if d.offset == 2]
    assert poison == list(range(1, DELIVERY_LIMIT + 1)), "delivered up to the limit, then archived"
    assert sorted(d.value for d in deliveries if d.offset != 2) == sorted(sent[:2] + sent[3:])
    assert member.fetch(max_wait_ms=300).acquired() == []


@pytest.fixture
def few_sessions_broker(tmp_path, _traceback_guard):
    broker = start_broker(tmp_path / "data", {**BROKER_OVERRIDES, "group.share.max.share.sessions": 2,
                                              "group.share.max.size": 2})
    _traceback_guard.append((broker, 0))
    yield broker
    stop_broker(broker)


def test_a_broker_keeps_at_most_its_share_session_limit(few_sessions_broker, clients, topic):
    create_topic(clients, few_sessions_broker, topic, 1)
    tid = initialize(few_sessions_broker, GROUP, topic, start_offset=0)
    first, second, third = (ShareMember(few_sessions_broker, GROUP, tid) for _ in range(3))
    try:
        assert first.fetch(max_wait_ms=0).error_code == ErrorCode.NONE
        assert second.fetch(max_wait_ms=0).error_code == ErrorCode.NONE
        started = time.monotonic()
        assert third.fetch(max_wait_ms=500).error_code == ErrorCode.SHARE_SESSION_LIMIT_REACHED
        assert time.monotonic() - started >= 0.45  # answered after the request's wait
        first.close_session()
        assert third.fetch(max_wait_ms=0).error_code == ErrorCode.NONE
    finally:
        for member in (first, second, third):
            member.close()


# -- a group's own settings (group configs) ----------------------------------------------------

def set_group_configs(broker, group: str, configs: dict[str, str]) -> None:
    with WireClient(broker) as wire:
        answer = wire.send(ApiKey.INCREMENTAL_ALTER_CONFIGS, 1, {"validate_only": False, "resources": [{
            "resource_type": GROUP_RESOURCE, "resource_name": group,
            "configs": [{"name": k, "config_operation": 0, "value": v} for k, v in configs.items()]}]})
    assert answer.responses[0].error_code == ErrorCode.NONE, answer.responses[0].error_message


def test_a_group_s_own_lock_duration_and_delivery_limit_apply(share_broker, clients, topic):
    group = f"{topic}-own"
    set_group_configs(share_broker, group, {"share.record.lock.duration.ms": "1000",
                                            "share.delivery.count.limit": "2"})
    create_topic(clients, share_broker, topic, 1)
    tid = initialize(share_broker, group, topic, start_offset=0)
    produce(clients, share_broker, topic, 1, per_batch=1)
    with ShareMember(share_broker, group, tid) as member:
        first = member.fetch()
        assert (first.lock_timeout_ms, first.acquired()) == (1000, [(0, 0, 1)])
        second = member.fetch_until(lambda got: got, max_wait_ms=1500)  # its lock ran out after 1 s
        assert [d.delivery_count for d in second] == [2]
        wait_past(1.2)  # and again: the group's limit, 2, is reached
        assert member.fetch(max_wait_ms=500).acquired() == []


@pytest.mark.parametrize("reset", ["earliest", "by_duration:PT1H"])
def test_a_group_may_start_at_older_records(share_broker, clients, topic, reset):
    group = f"{topic}-group"
    set_group_configs(share_broker, group, {"share.auto.offset.reset": reset})
    create_topic(clients, share_broker, topic, 1)
    sent = produce(clients, share_broker, topic, 5)
    tid = initialize(share_broker, group, topic)
    with ShareMember(share_broker, group, tid) as member:
        assert [d.value for d in member.fetch_until(lambda got: len(got) >= 5)] == sent


def test_read_committed_delivers_only_committed_records(share_broker, clients, topic):
    group = f"{topic}-committed"
    set_group_configs(share_broker, group, {"share.isolation.level": "read_committed"})
    create_topic(clients, share_broker, topic, 1)
    tid = initialize(share_broker, group, topic, start_offset=0)
    producer = confluent_kafka.Producer({"bootstrap.servers": share_broker.bootstrap,
                                         "transactional.id": f"{topic}-txn", "linger.ms": 5})
    try:
        producer.init_transactions(TIMEOUT)
        for values, commit in (([b"c1", b"c2"], True), ([b"a1", b"a2"], False), ([b"c3"], True)):
            producer.begin_transaction()
            for value in values:
                producer.produce(topic, value, partition=0)
            producer.flush(TIMEOUT)
            (producer.commit_transaction if commit else producer.abort_transaction)(TIMEOUT)
        producer.begin_transaction()
        producer.produce(topic, b"open", partition=0)  # still open: past the last stable offset
        producer.flush(TIMEOUT)
        with ShareMember(share_broker, group, tid) as member:
            got = member.fetch_until(lambda got: len(got) >= 3)
            assert [d.value for d in got] == [b"c1", b"c2", b"c3"]
            assert member.fetch(max_wait_ms=300).deliveries == []
            producer.commit_transaction(TIMEOUT)
            assert [d.value for d in member.fetch_until(lambda got: got)] == [b"open"]
    finally:
        producer.flush(5)


# -- durability --------------------------------------------------------------------------------

@pytest.mark.parametrize("crash", [False, True], ids=["restart", "kill-9"])
def test_a_broker_restart_loses_and_repeats_nothing_acknowledged(own_broker, clients, topic, crash):
    create_topic(clients, own_broker, topic, 1)
    tid = initialize(own_broker, GROUP, topic, start_offset=0)
    sent = produce(clients, own_broker, topic, 40, per_batch=10)
    member = ShareMember(own_broker, GROUP, tid)
    answer = member.fetch(max_records=20, batch_size=10)
    assert answer.acquired() == [(0, 9, 1), (10, 19, 1)]
    # 0-9 accepted, 10-14 released, 15-19 still held when the broker goes, 20-39 never fetched
    assert member.acknowledge({0: [(0, 9, [ACCEPT]), (10, 14, [RELEASE])]}).error(0) == ErrorCode.NONE
    own_broker.restart(crash=crash)
    member.close()

    with ShareMember(own_broker, GROUP, tid) as after:
        delivered = after.fetch_until(lambda got: len(got) >= 30, max_wait_ms=LOCK_MS)
    assert sorted(d.value for d in delivered) == sorted(sent[10:]), "nothing accepted again, nothing lost"
    counts = {d.offset: d.delivery_count for d in delivered}
    assert {counts[o] for o in range(10, 15)} == {2}  # released: its delivery count kept
    assert {counts[o] for o in range(20, 40)} == {1}
    assert {counts[o] for o in range(15, 20)} <= {1, 2}  # acquired only: Kafka does not persist it


def test_the_share_state_is_read_back_by_the_coordinator(share_broker, share_topic, share_members, clients, topic):
    produce(clients, share_broker, topic, 10, per_batch=10)
    member = share_members(share_topic)
    member.fetch()
    member.acknowledge({0: [(0, 9, [ACCEPT, ACCEPT, RELEASE] + [ACCEPT] * 7)]})
    with WireClient(share_broker) as wire:
        body = {"group_id": GROUP, "topics": [{"topic_id": share_topic, "partitions": [{"partition": 0,
                                                                                         "leader_epoch": -1}]}]}
        read = wire.send(ApiKey.READ_SHARE_GROUP_STATE, 0, body).results[0].partitions[0]
        summary = wire.send(ApiKey.READ_SHARE_GROUP_STATE_SUMMARY, 1, body).results[0].partitions[0]
    assert read.error_code == ErrorCode.NONE
    # Kafka writes the start offset it had before this acknowledgement moved it
    assert read.start_offset == 0
    covered = {o: (b.delivery_state, b.delivery_count) for b in read.state_batches
               for o in range(b.first_offset, b.last_offset + 1)}
    assert covered[2] == (0, 1) and covered[0] == covered[9] == (2, 1)
    assert (summary.error_code, summary.start_offset) == (ErrorCode.NONE, 0)


def test_share_state_records_are_kafkas(kafka_jars, share_broker, share_topic, share_members, clients, topic):
    """__share_group_state holds ShareSnapshot and ShareUpdate records, in the partition Kafka
    puts them in, that Kafka's own DumpLogSegments decodes, and odradek dump-log prints as it does."""
    produce(clients, share_broker, topic, 3, per_batch=3)
    member = share_members(share_topic)
    member.fetch()
    member.acknowledge({0: [(0, 2, [ACCEPT])]})
    index = partition_for(SharePartitionKey(GROUP, share_topic, 0).coordinator_key(),
                          BROKER_OVERRIDES["share.coordinator.state.topic.num.partitions"])
    log_dir = share_broker.data_dir / "logs" if TARGET == "kafka" else share_broker.data_dir
    segments = sorted((log_dir / f"__share_group_state-{index}").glob("*.log"))
    assert segments, f"no segment of __share_group_state-{index}"
    dumped = run_tool(DUMP_LOG, "--share-group-state-decoder", "--files", str(segments[0]))
    ours = run("dump-log", "--share-group-state-decoder", str(segments[0]))  # odradek's tool, the same file
    assert (ours.code, ours.err, ours.out.splitlines()) == (0, "", dumped.stdout.splitlines())
    records = [(json.loads(line.split(" key: ", 1)[1].split(" payload: ", 1)[0]),
                json.loads(line.split(" payload: ", 1)[1])) for line in dumped.lines() if " key: " in line]
    ours = [(key["type"], value["data"]) for key, value in records
            if (key["data"]["groupId"], key["data"]["topicId"]) == (GROUP, topic_id_text(share_topic))]
    assert [kind for kind, _ in ours][:2] == ["0", "1"]  # the initialization's snapshot, then an update
    snapshot, update = ours[0][1], ours[-1][1]
    assert (snapshot["startOffset"], snapshot["stateBatches"]) == (0, [])
    assert update["stateBatches"] == [{"firstOffset": 0, "lastOffset": 2, "deliveryState": 2, "deliveryCount": 1}]
