"""ACLs with Kafka's own ``kafka-acls`` tool, and what real clients see when they are denied.

Everything runs on PLAINTEXT, so every client is ``User:ANONYMOUS``. The module's broker starts
with ``super.users=User:ANONYMOUS`` just long enough for kafka-acls to give ANONYMOUS the cluster
operations a test harness needs (ALTER and DESCRIBE to manage ACLs, CREATE to make its topics,
CLUSTER_ACTION for Kafka's own broker-to-controller requests), then restarts without super users:
that the grant is still there after the restart is the first proof that ACLs persist. Each test
then grants topic, group and transactional-id ACLs itself and removes them at its end.

These run against Apache Kafka too (``ODRADEK_COMPAT_TARGET=kafka``): every denial's error code
here is Kafka 4.3's.
"""

from __future__ import annotations

import base64
import uuid

import confluent_kafka
import pytest
from kafka.record.default_records import DefaultRecordBatchBuilder

from odradek.server.handlers.topic_lookup import NO_TOPIC_ID
from odradek.wire import ApiKey, ErrorCode

from .clients import TIMEOUT, ck_read, wait_until
from .java.kafka_tool import run_tool
from .java.targets import TARGET, start_broker, stop_broker
from .raw_kafka import record_batch
from .wire_client import WireClient

pytestmark = pytest.mark.usefixtures("kafka_jars")

ACL_COMMAND = "org.apache.kafka.tools.AclCommand"
AUTHORIZER = "org.apache.kafka.metadata.authorizer.StandardAuthorizer"
ANONYMOUS = "User:ANONYMOUS"


def kafka_acls(broker, *args: str, check: bool = True):
    return run_tool(ACL_COMMAND, "--bootstrap-server", broker.bootstrap, *args, check=check)


@pytest.fixture(scope="module")
def secured(tmp_path_factory):
    broker = start_broker(tmp_path_factory.mktemp("data"), {"authorizer.class.name": AUTHORIZER,
                                                            "super.users": ANONYMOUS})
    try:
        kafka_acls(broker, "--add", "--allow-principal", ANONYMOUS, "--cluster", "--operation", "Alter",
                   "--operation", "Describe", "--operation", "Create", "--operation", "ClusterAction")
        del broker.overrides["super.users"]
        broker.restart()
        yield broker
    finally:
        stop_broker(broker)


@pytest.fixture
def wire(secured):
    with WireClient(secured) as client:
        yield client


@pytest.fixture
def granted(secured):
    """ACLs a test adds (kafka-acls --add arguments after the principal), removed at its end."""
    added: list[tuple[str, ...]] = []

    def grant(*args: str, permission: str = "--allow-principal") -> None:
        kafka_acls(secured, "--add", permission, ANONYMOUS, *args)
        added.append((permission, ANONYMOUS, *args))

    yield grant
    for args in added:
        kafka_acls(secured, "--remove", "--force", *args)


def create_topic(wire, name: str, partitions: int = 1) -> None:
    answer = wire.send(ApiKey.CREATE_TOPICS, 7, {"timeout_ms": 30_000, "validate_only": False, "topics": [
        {"name": name, "num_partitions": partitions, "replication_factor": 1, "assignments": [], "configs": []}]})
    assert answer.topics[0].error_code == ErrorCode.NONE


def produce(wire, topic: str, value: bytes = b"v", transactional: str | None = None) -> int:
    """One record; with ``transactional``, a transactional batch under that transactional id."""
    records = bytes(record_batch([value])) if transactional is None else transactional_batch(value)
    answer = wire.send(ApiKey.PRODUCE, 9, {"transactional_id": transactional, "acks": -1, "timeout_ms": 10_000,
                                           "topic_data": [{"name": topic, "partition_data": [
                                               {"index": 0, "records": records}]}]})
    return answer.responses[0].partition_responses[0].error_code


def transactional_batch(value: bytes) -> bytes:
    builder = DefaultRecordBatchBuilder(magic=2, compression_type=0, is_transactional=True, producer_id=1000,
                                        producer_epoch=0, base_sequence=0, batch_size=1 << 20)
    builder.append(0, timestamp=None, key=None, value=value, headers=[])
    return bytes(builder.build())


def fetch(wire, topic: str) -> int:
    answer = wire.send(ApiKey.FETCH, 11, {
        "replica_id": -1, "max_wait_ms": 0, "min_bytes": 0, "max_bytes": 1 << 20, "isolation_level": 0,
        "session_id": 0, "session_epoch": -1, "rack_id": "", "forgotten_topics_data": [],
        "topics": [{"topic": topic, "partitions": [{"partition": 0, "current_leader_epoch": -1, "fetch_offset": 0,
                                                    "log_start_offset": -1, "partition_max_bytes": 1 << 20}]}]})
    return answer.responses[0].partitions[0].error_code


def metadata(wire, topics: list[str] | None):
    answer = wire.send(ApiKey.METADATA, 12, {"topics": None if topics is None else [{"name": t} for t in topics],
                                             "allow_auto_topic_creation": False,
                                             "include_topic_authorized_operations": True})
    return {t.name: (t.error_code, t.topic_authorized_operations) for t in answer.topics}


def test_without_acls_anonymous_is_denied_and_sees_no_topic(wire, topic):
    create_topic(wire, topic)
    assert produce(wire, topic) == ErrorCode.TOPIC_AUTHORIZATION_FAILED
    assert fetch(wire, topic) == ErrorCode.TOPIC_AUTHORIZATION_FAILED
    assert topic not in metadata(wire, None)
    assert metadata(wire, [topic])[topic][0] == ErrorCode.TOPIC_AUTHORIZATION_FAILED
    missing = f"{topic}-missing"  # not there either: the same answer, so existence is not revealed
    assert metadata(wire, [missing])[missing][0] == ErrorCode.TOPIC_AUTHORIZATION_FAILED


def test_kafka_acls_grant_applies_at_once_write_without_read(secured, wire, granted, topic):
    create_topic(wire, topic)
    granted("--operation", "Write", "--topic", topic)
    assert produce(wire, topic) == ErrorCode.NONE
    assert fetch(wire, topic) == ErrorCode.TOPIC_AUTHORIZATION_FAILED
    code, operations = metadata(wire, [topic])[topic]
    assert code == ErrorCode.NONE and operations == (1 << 4) | (1 << 8)  # WRITE, and the DESCRIBE it implies
    listed = kafka_acls(secured, "--list", "--topic", topic).stdout
    assert f"ResourcePattern(resourceType=TOPIC, name={topic}, patternType=LITERAL)" in listed
    assert f"(principal={ANONYMOUS}, host=*, operation=WRITE, permissionType=ALLOW)" in listed

    kafka_acls(secured, "--remove", "--force", "--allow-principal", ANONYMOUS, "--operation", "Write",
               "--topic", topic)
    assert produce(wire, topic) == ErrorCode.TOPIC_AUTHORIZATION_FAILED
    assert kafka_acls(secured, "--list", "--topic", topic).stdout.count("permissionType") == 0


def test_deny_beats_allow(wire, granted, topic):
    create_topic(wire, topic)
    granted("--operation", "All", "--topic", topic)
    assert produce(wire, topic) == ErrorCode.NONE
    granted("--operation", "Write", "--topic", topic, permission="--deny-principal")
    assert produce(wire, topic) == ErrorCode.TOPIC_AUTHORIZATION_FAILED
    assert fetch(wire, topic) == ErrorCode.NONE


def test_prefixed_topic_and_group_acls_let_a_consumer_group_work(secured, wire, granted, clients, topic):
    prefix, group = f"{topic}-", f"{topic}-group"
    name = f"{prefix}orders"
    create_topic(wire, name)
    granted("--operation", "Write", "--operation", "Read", "--topic", prefix, "--resource-pattern-type", "prefixed")
    for i in range(3):
        assert produce(wire, name, b"record-%d" % i) == ErrorCode.NONE

    assert find_group_coordinator(wire, group) == ErrorCode.GROUP_AUTHORIZATION_FAILED

    granted("--operation", "Read", "--group", group)
    # READ implies DESCRIBE (Kafka may still be creating __consumer_offsets: COORDINATOR_NOT_AVAILABLE)
    assert wait_until(lambda: find_group_coordinator(wire, group) != ErrorCode.COORDINATOR_NOT_AVAILABLE)
    assert find_group_coordinator(wire, group) == ErrorCode.NONE
    consumer = clients.ck_consumer(secured, **{"group.id": group, "enable.auto.commit": False,
                                               "auto.offset.reset": "earliest"})
    consumer.subscribe([name])
    records = ck_read(consumer, 3)
    assert [r.value() for r in records] == [b"record-0", b"record-1", b"record-2"]
    consumer.commit(offsets=[confluent_kafka.TopicPartition(name, 0, 3)], asynchronous=False)
    [committed] = consumer.committed([confluent_kafka.TopicPartition(name, 0)], timeout=TIMEOUT)
    assert committed.offset == 3


COORDINATOR_NOT_READY = (ErrorCode.NOT_COORDINATOR, ErrorCode.COORDINATOR_NOT_AVAILABLE,
                         ErrorCode.COORDINATOR_LOAD_IN_PROGRESS)


def find_group_coordinator(wire, group: str) -> int:
    answer = wire.send(ApiKey.FIND_COORDINATOR, 4, {"key_type": 0, "coordinator_keys": [group]})
    return answer.coordinators[0].error_code


def test_a_transactional_producer_needs_its_transactional_id_acl(secured, wire, granted, clients, topic):
    create_topic(wire, topic)
    granted("--operation", "Write", "--topic", topic)
    transactional_id = f"{topic}-txn"
    answer = wire.send(ApiKey.INIT_PRODUCER_ID, 4, {"transactional_id": transactional_id,
                                                    "transaction_timeout_ms": 10_000,
                                                    "producer_id": -1, "producer_epoch": -1})
    assert answer.error_code == ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED
    assert produce(wire, topic, transactional=transactional_id) == ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED

    granted("--operation", "Write", "--operation", "Describe", "--transactional-id", transactional_id)
    producer = clients.ck_producer(secured, **{"transactional.id": transactional_id, "enable.idempotence": True})
    producer.init_transactions(TIMEOUT)
    producer.begin_transaction()
    producer.produce(topic, value=b"in a transaction")
    producer.commit_transaction(TIMEOUT)
    assert fetch(wire, topic) == ErrorCode.TOPIC_AUTHORIZATION_FAILED  # WRITE still does not READ


def test_a_transactional_batch_behind_a_plain_one_needs_the_transactional_id_acl(wire, granted, topic):
    """One partition's records: a plain batch, then a transactional one. Kafka (v3+) refuses a
    partition with more than one batch (INVALID_RECORD) and so never writes it; odradek takes
    several, so it checks the transactional id's ACL against every batch, not only the first.
    Either way nothing is written: the next record lands at offset 0."""
    create_topic(wire, topic)
    granted("--operation", "Write", "--topic", topic)
    transactional_id = f"{topic}-txn"
    records = bytes(record_batch([b"plain"])) + transactional_batch(b"hidden")
    answer = wire.send(ApiKey.PRODUCE, 9, {"transactional_id": transactional_id, "acks": -1, "timeout_ms": 10_000,
                                           "topic_data": [{"name": topic, "partition_data": [
                                               {"index": 0, "records": records}]}]})
    refused = answer.responses[0].partition_responses[0]
    expected = ErrorCode.INVALID_RECORD if TARGET == "kafka" else ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED
    assert refused.error_code == expected
    answer = wire.send(ApiKey.PRODUCE, 9, {"transactional_id": None, "acks": -1, "timeout_ms": 10_000,
                                           "topic_data": [{"name": topic, "partition_data": [
                                               {"index": 0, "records": bytes(record_batch([b"next"]))}]}]})
    written = answer.responses[0].partition_responses[0]
    assert (written.error_code, written.base_offset) == (ErrorCode.NONE, 0)


def test_a_regex_subscription_is_assigned_only_topics_the_member_may_describe(wire, granted, topic):
    """KIP-848: the coordinator resolves the regex, to the topics the heartbeat's principal may
    DESCRIBE (Kafka's filterTopicDescribeAuthorizedTopics); Metadata hides the other one too."""
    allowed, denied, group = f"{topic}-allowed", f"{topic}-denied", f"{topic}-group"
    for name in (allowed, denied):
        create_topic(wire, name)
    granted("--operation", "Describe", "--topic", allowed)
    granted("--operation", "Read", "--group", group)
    assert set(metadata(wire, None)) & {allowed, denied} == {allowed}
    allowed_id = wire.send(ApiKey.METADATA, 12, {"topics": [{"name": allowed}], "allow_auto_topic_creation": False,
                                                 "include_topic_authorized_operations": False}).topics[0].topic_id
    member_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")

    def join():  # Kafka makes its offsets topic on the first FindCoordinator: until then, not the coordinator
        find_group_coordinator(wire, group)
        answer = wire.send(ApiKey.CONSUMER_GROUP_HEARTBEAT, 1, {
            "group_id": group, "member_id": member_id, "member_epoch": 0, "rebalance_timeout_ms": 30_000,
            "subscribed_topic_names": None, "subscribed_topic_regex": f"{topic}-(allowed|denied)",
            "topic_partitions": []})
        assert answer.error_code in (ErrorCode.NONE, *COORDINATOR_NOT_READY), answer
        return answer if answer.error_code == ErrorCode.NONE else None
    joined = wait_until(join, TIMEOUT, interval=0.2, what="joining the group")
    epoch = joined.member_epoch

    def assigned():  # Kafka resolves regexes in the background: the assignment may come later
        nonlocal epoch
        answer = wire.send(ApiKey.CONSUMER_GROUP_HEARTBEAT, 1, {
            "group_id": group, "member_id": member_id, "member_epoch": epoch, "topic_partitions": None})
        assert answer.error_code == ErrorCode.NONE
        epoch = answer.member_epoch
        return answer.assignment if answer.assignment and answer.assignment.topic_partitions else None
    try:
        assignment = (joined.assignment if joined.assignment and joined.assignment.topic_partitions
                      else wait_until(assigned, TIMEOUT, interval=0.5, what="an assignment for the regex"))
        assert [(t.topic_id, list(t.partitions)) for t in assignment.topic_partitions] == [(allowed_id, [0])]
    finally:
        wire.send(ApiKey.CONSUMER_GROUP_HEARTBEAT, 1, {"group_id": group, "member_id": member_id, "member_epoch": -1})


def test_idempotent_producer_needs_write_on_some_topic(wire, granted, topic):
    idempotent = {"transactional_id": None, "transaction_timeout_ms": 0, "producer_id": -1, "producer_epoch": -1}
    assert wire.send(ApiKey.INIT_PRODUCER_ID, 4, idempotent).error_code == ErrorCode.CLUSTER_AUTHORIZATION_FAILED
    granted("--operation", "Write", "--topic", f"{topic}-anything")
    assert wire.send(ApiKey.INIT_PRODUCER_ID, 4, idempotent).error_code == ErrorCode.NONE


@pytest.mark.skipif(TARGET != "odradek", reason="reads odradek's ACL file and log")
def test_acls_survive_a_restart(secured, wire, granted, topic):
    create_topic(wire, topic)
    granted("--operation", "Write", "--topic", topic)
    secured.restart()
    with WireClient(secured) as again:
        assert produce(again, topic) == ErrorCode.NONE
        assert fetch(again, topic) == ErrorCode.TOPIC_AUTHORIZATION_FAILED


def create_acls(wire, *creations: dict):
    return wire.send(ApiKey.CREATE_ACLS, 3, {"creations": [
        {"resource_type": 2, "resource_name": "acl-checks", "resource_pattern_type": 3, "principal": "User:x",
         "host": "*", "operation": 3, "permission_type": 3, **creation} for creation in creations]})


def test_acl_apis_refuse_bad_bindings_and_filters(secured, wire):
    answer = create_acls(wire, {"resource_type": 4, "resource_name": "not-the-cluster"}, {"resource_name": ""},
                         {"principal": "alice"}, {})
    assert [(r.error_code, r.error_message) for r in answer.results] == [
        (ErrorCode.INVALID_REQUEST, "The only valid name for the CLUSTER resource is kafka-cluster"),
        (ErrorCode.INVALID_REQUEST, "Invalid empty resource name"),
        (ErrorCode.INVALID_REQUEST, "Could not parse principal from `alice` (no colon is present separating the "
                                    "principal type from the principal name)"),
        (ErrorCode.NONE, "")]
    # a filter-only code in a binding: Kafka fails the whole request, the good creation too
    for bad in ({"resource_pattern_type": 2}, {"resource_pattern_type": 1}, {"resource_type": 1},
                {"operation": 1}, {"permission_type": 1}):
        answer = create_acls(wire, bad, {"resource_name": "acl-checks-2"})
        assert [r.error_code for r in answer.results] == [ErrorCode.UNKNOWN_SERVER_ERROR] * 2
    # an undefined code: Kafka cannot parse the request and hangs up
    with WireClient(secured) as other:
        assert other.send(ApiKey.DESCRIBE_ACLS, 3, {
            "resource_type_filter": 2, "resource_name_filter": None, "pattern_type_filter": 3,
            "principal_filter": None, "host_filter": None, "operation": 0, "permission_type": 1}) is None
    kafka_acls(secured, "--remove", "--force", "--allow-principal", "User:x", "--operation", "Read",
               "--topic", "acl-checks")


@pytest.mark.skipif(TARGET != "odradek", reason="odradek's own start-up and settings")
def test_super_users_see_everything_and_no_authorizer_means_security_disabled(tmp_path, clients, topic):
    from .broker_process import BrokerProcess

    broker = BrokerProcess(tmp_path / "super", {"authorizer.class.name": AUTHORIZER,
                                                "super.users": f"User:admin;{ANONYMOUS}"}).start()
    try:
        with WireClient(broker) as wire:
            create_topic(wire, topic)
            assert produce(wire, topic) == ErrorCode.NONE
            assert metadata(wire, None)[topic][0] == ErrorCode.NONE
    finally:
        assert broker.stop() == 0
    plain = BrokerProcess(tmp_path / "plain").start()
    try:
        with WireClient(plain) as wire:
            answer = wire.send(ApiKey.DESCRIBE_ACLS, 3, {
                "resource_type_filter": 1, "resource_name_filter": None, "pattern_type_filter": 1,
                "principal_filter": None, "host_filter": None, "operation": 1, "permission_type": 1})
            assert (answer.error_code, answer.error_message) == (ErrorCode.SECURITY_DISABLED,
                                                                 "No Authorizer is configured.")
    finally:
        assert plain.stop() == 0


LOADING = (ErrorCode.COORDINATOR_NOT_AVAILABLE, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, ErrorCode.NOT_COORDINATOR)


def test_group_offset_and_admin_apis_deny_with_kafkas_codes(wire, granted, topic):
    """Each API's refusal, as Kafka 4.3 words it, first for want of a group ACL, then of topic ACLs."""
    group = f"{topic}-group"
    create_topic(wire, topic)
    commit = {"group_id": group, "generation_id_or_member_epoch": -1, "member_id": "", "group_instance_id": None,
              "topics": [{"name": topic, "partitions": [{"partition_index": 0, "committed_offset": 1,
                                                         "committed_leader_epoch": -1, "committed_metadata": ""}]}]}
    fetch_offsets = {"groups": [{"group_id": group, "topics": [{"name": topic, "partition_indexes": [0]}]}],
                     "require_stable": False}

    def committed() -> int:
        return wire.send(ApiKey.OFFSET_COMMIT, 8, commit).topics[0].partitions[0].error_code

    assert committed() == ErrorCode.GROUP_AUTHORIZATION_FAILED
    assert wire.send(ApiKey.OFFSET_FETCH, 8, fetch_offsets).groups[0].error_code == ErrorCode.GROUP_AUTHORIZATION_FAILED
    join = wire.send(ApiKey.JOIN_GROUP, 5, {"group_id": group, "session_timeout_ms": 10_000,
                                            "rebalance_timeout_ms": 10_000, "member_id": "", "group_instance_id": None,
                                            "protocol_type": "consumer", "protocols": [{"name": "range",
                                                                                       "metadata": b""}]})
    assert join.error_code == ErrorCode.GROUP_AUTHORIZATION_FAILED
    described = wire.send(ApiKey.DESCRIBE_GROUPS, 5, {"groups": [group], "include_authorized_operations": True})
    assert described.groups[0].error_code == ErrorCode.GROUP_AUTHORIZATION_FAILED

    granted("--operation", "Read", "--group", group)
    assert committed() == ErrorCode.TOPIC_AUTHORIZATION_FAILED
    # (as a client does: find the coordinator first, which has Kafka create __consumer_offsets)
    assert wait_until(lambda: find_group_coordinator(wire, group) != ErrorCode.COORDINATOR_NOT_AVAILABLE)
    fetched = wait_until(lambda: next((g for g in wire.send(ApiKey.OFFSET_FETCH, 8, fetch_offsets).groups
                                       if g.error_code not in LOADING), None))
    assert (fetched.error_code, fetched.topics[0].partitions[0].error_code) == (
        ErrorCode.NONE, ErrorCode.TOPIC_AUTHORIZATION_FAILED)
    listed = wire.send(ApiKey.LIST_OFFSETS, 7, {"replica_id": -1, "isolation_level": 0, "topics": [
        {"name": topic, "partitions": [{"partition_index": 0, "current_leader_epoch": -1, "timestamp": -1}]}]})
    assert listed.topics[0].partitions[0].error_code == ErrorCode.TOPIC_AUTHORIZATION_FAILED
    deleted = wire.send(ApiKey.DELETE_TOPICS, 6, {"topics": [{"name": topic, "topic_id": NO_TOPIC_ID},
                                                             {"name": f"{topic}-missing", "topic_id": NO_TOPIC_ID}],
                                                  "timeout_ms": 10_000})
    assert [r.error_code for r in deleted.responses] == [ErrorCode.TOPIC_AUTHORIZATION_FAILED] * 2
    grown = wire.send(ApiKey.CREATE_PARTITIONS, 3, {"topics": [{"name": topic, "count": 2, "assignments": None}],
                                                    "timeout_ms": 10_000, "validate_only": True})
    assert grown.results[0].error_code == ErrorCode.TOPIC_AUTHORIZATION_FAILED
    configs = wire.send(ApiKey.DESCRIBE_CONFIGS, 4, {"resources": [
        {"resource_type": 2, "resource_name": topic, "configuration_keys": None},
        {"resource_type": 4, "resource_name": "1", "configuration_keys": None}],
        "include_synonyms": False, "include_documentation": False})
    assert [r.error_code for r in configs.results] == [ErrorCode.TOPIC_AUTHORIZATION_FAILED,
                                                       ErrorCode.CLUSTER_AUTHORIZATION_FAILED]

    granted("--operation", "Read", "--topic", topic)
    assert committed() == ErrorCode.NONE


def test_transaction_apis_need_the_transactional_id(wire, topic):
    transactional_id, group = f"{topic}-txn", f"{topic}-group"
    assert wire.send(ApiKey.FIND_COORDINATOR, 4, {"key_type": 1, "coordinator_keys": [transactional_id]}) \
        .coordinators[0].error_code == ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED
    producer = {"transactional_id": transactional_id, "producer_id": 1, "producer_epoch": 0}
    assert wire.send(ApiKey.ADD_OFFSETS_TO_TXN, 3, {**producer, "group_id": group}).error_code == \
        ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED
    assert wire.send(ApiKey.END_TXN, 3, {**producer, "committed": True}).error_code == \
        ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED
    offsets = wire.send(ApiKey.TXN_OFFSET_COMMIT, 3, {
        **producer, "group_id": group, "generation_id": -1, "member_id": "", "group_instance_id": None,
        "topics": [{"name": topic, "partitions": [{"partition_index": 0, "committed_offset": 1,
                                                   "committed_leader_epoch": -1, "committed_metadata": ""}]}]})
    assert offsets.topics[0].partitions[0].error_code == ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED
    added = wire.send(ApiKey.ADD_PARTITIONS_TO_TXN, 3, {
        "v3_and_below_transactional_id": transactional_id, "v3_and_below_producer_id": 1,
        "v3_and_below_producer_epoch": 0, "v3_and_below_topics": [{"name": topic, "partitions": [0]}]})
    assert added.results_by_topic_v3_and_below[0].results_by_partition[0].partition_error_code == \
        ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED


def test_auto_creation_needs_create_on_the_cluster_or_the_topic(secured, wire, granted, topic):
    def auto_create() -> int:
        answer = wire.send(ApiKey.METADATA, 12, {"topics": [{"name": topic}], "allow_auto_topic_creation": True,
                                                 "include_topic_authorized_operations": False})
        return answer.topics[0].error_code

    cluster_create = ("--allow-principal", ANONYMOUS, "--cluster", "--operation", "Create")
    kafka_acls(secured, "--remove", "--force", *cluster_create)
    try:
        assert auto_create() == ErrorCode.TOPIC_AUTHORIZATION_FAILED  # not even DESCRIBE
        granted("--operation", "Describe", "--topic", topic)
        assert auto_create() == ErrorCode.TOPIC_AUTHORIZATION_FAILED  # DESCRIBE, but no CREATE
        assert topic not in metadata(wire, None)
        granted("--operation", "Create", "--topic", topic)
        assert wait_until(lambda: auto_create() == ErrorCode.NONE)
    finally:
        kafka_acls(secured, "--add", *cluster_create)


def test_share_fetch_needs_the_group_and_the_topic(secured, wire, granted, topic):
    from .share_client import ShareMember, initialize

    group = f"{topic}-share"
    create_topic(wire, topic)
    granted("--operation", "Write", "--topic", topic)
    assert produce(wire, topic, b"shared") == ErrorCode.NONE
    tid = initialize(secured, group, topic, start_offset=0)
    with ShareMember(secured, group, tid) as member:
        assert member.fetch(max_wait_ms=0).error_code == ErrorCode.GROUP_AUTHORIZATION_FAILED
        granted("--operation", "Read", "--group", group)
        answer = member.fetch(max_wait_ms=0)
        assert (answer.error_code, answer.error()) == (ErrorCode.NONE, ErrorCode.TOPIC_AUTHORIZATION_FAILED)
        dropped = wire.send(ApiKey.DELETE_SHARE_GROUP_OFFSETS, 0, {"group_id": group, "topics": [{"topic_name": topic}]})
        assert dropped.error_code == ErrorCode.GROUP_AUTHORIZATION_FAILED  # DELETE on the group, not READ
        granted("--operation", "Read", "--topic", topic)
        assert [d.value for d in member.fetch_until(lambda delivered: delivered)] == [b"shared"]
