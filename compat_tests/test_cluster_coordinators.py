"""Group and transaction coordinators in a three-broker cluster, used by real clients.

A group's coordinator is the leader of its ``__consumer_offsets`` partition, a transactional
id's the leader of its ``__transaction_state`` partition; FindCoordinator (asked of any broker)
names it. The tests pick keys whose coordinator is not the broker the clients bootstrap from,
run consumer groups (kafka-python, confluent-kafka), transactions whose partitions are led by
other brokers than their coordinator (so markers travel as WriteTxnMarkers and transactional
batches are verified with AddPartitionsToTxn between brokers) and consume-transform-produce
with ``send_offsets_to_transaction``; then kill -9 a group's coordinator and a transaction's
coordinator and check that the new leader of the partition takes over with nothing
acknowledged lost. The destructive tests run on a cluster of their own.
"""

from __future__ import annotations

import json
import time

import confluent_kafka
import pytest
import trio
from confluent_kafka import TopicPartition as CkPartition
from kafka import TopicPartition as KpPartition

from odradek.tools.client import Client
from odradek.tools.client.errors import check, retrying
from odradek.tools.client.offsets import fetch_committed
from odradek.wire import ApiKey, ErrorCode

from .cluster_process import Cluster, wait_until
from .clients import TIMEOUT, ck_produce, ck_read, close_ck_producer, kp_read

GROUP, TRANSACTION = 0, 1
CLUSTER_OVERRIDES = {
    "default.replication.factor": 3,
    # an abandoned transaction is aborted within seconds, not Kafka's 10 s rounds
    "transaction.abort.timed.out.transaction.cleanup.interval.ms": 500,
}
pytestmark = pytest.mark.usefixtures("cluster_traceback_guard")


@pytest.fixture
def own_cluster(tmp_path):
    """A cluster for one test that kills brokers."""
    running = Cluster(tmp_path / "cluster", overrides=CLUSTER_OVERRIDES).start()
    yield running
    running.stop()


def find_coordinator(bootstrap: str, key: str, key_type: int) -> int:
    """FindCoordinator, asked of the first broker of ``bootstrap`` (retried while the coordinator
    is not available yet): the coordinator's broker id."""
    with Client(bootstrap, timeout=10.0) as client:
        def ask():
            answer = client.send(ApiKey.FIND_COORDINATOR, {"key": key, "key_type": key_type,
                                                           "coordinator_keys": [key]})
            found = answer.coordinators[0] if answer.coordinators else answer
            check(found.error_code, f"FindCoordinator for {key}", found.error_message)
            return found.node_id
        return retrying(ask, timeout=30.0)


def key_coordinated_by_another(cluster: Cluster, prefix: str, key_type: int, avoid: set[int]) -> tuple[str, int]:
    """A key (group or transactional id) whose coordinator is none of the brokers in ``avoid``,
    as broker 1 answers FindCoordinator; and that coordinator."""
    for attempt in range(200):
        key = f"{prefix}-{attempt}"
        coordinator = find_coordinator(cluster.brokers[1].bootstrap, key, key_type)
        if coordinator not in avoid:
            return key, coordinator
    raise AssertionError(f"no {prefix} key is coordinated outside brokers {sorted(avoid)}")


def logged(broker, text: str, timeout: float = 10.0) -> None:
    """Until the broker's log (read by a thread of the test) has a line with ``text``."""
    wait_until(lambda: text in broker.log_text(), timeout, f"{text!r} in the log of {broker.bootstrap}")


def create_topic(cluster: Cluster, clients, name: str, partitions: int = 3) -> dict:
    from confluent_kafka.admin import NewTopic
    clients.ck_admin(cluster).create_topics([NewTopic(name, partitions, 3)])[name].result(30)
    return cluster.wait_for_leaders(name, partitions, isr_size=3)


def committed(cluster: Cluster, group: str, topic: str, partitions: int) -> dict[int, int]:
    """The group's committed offsets, fetched from its coordinator (wherever it is now)."""
    with Client(cluster.bootstrap, timeout=10.0) as client:
        found = retrying(lambda: fetch_committed(client, group, client.coordinator(group),
                                                 [(topic, p) for p in range(partitions)]), timeout=30.0)
    return {p: found.get((topic, p), -1) for p in range(partitions)}


# --- consumer groups ---------------------------------------------------------------------------

def test_find_coordinator_names_the_leader_of_the_keys_partition_from_every_broker(cluster):
    group, coordinator = key_coordinated_by_another(cluster, "anywhere", GROUP, avoid={1})
    for broker in cluster.brokers.values():
        assert find_coordinator(broker.bootstrap, group, GROUP) == coordinator
    offsets = cluster.metadata(["__consumer_offsets"]).topics["__consumer_offsets"]
    assert len(offsets.partitions) == 6  # offsets.topic.num.partitions, replicated on all three brokers
    assert all(sorted(p.replicas) == [1, 2, 3] for p in offsets.partitions.values())
    from odradek.server.groups.offsets_topic import partition_for
    assert offsets.partitions[partition_for(group, 6)].leader == coordinator


def test_a_kafka_python_group_commits_to_a_coordinator_that_is_not_the_bootstrap_broker(cluster, clients):
    create_topic(cluster, clients, "kp-group-input")
    producer = clients.kp_producer(cluster, acks="all")
    for i in range(30):
        producer.send("kp-group-input", b"%d" % i, partition=i % 3)
    producer.flush(timeout=TIMEOUT)
    group, coordinator = key_coordinated_by_another(cluster, "kp-group", GROUP, avoid={1})

    consumer = clients.kp_consumer(cluster.brokers[1], group_id=group)
    consumer.subscribe(["kp-group-input"])
    assert len(kp_read(consumer, 30, timeout=30)) == 30
    consumer.commit()
    assert {p: consumer.committed(KpPartition("kp-group-input", p)) for p in range(3)} == {0: 10, 1: 10, 2: 10}
    assert committed(cluster, group, "kp-group-input", 3) == {0: 10, 1: 10, 2: 10}
    logged(cluster.brokers[coordinator], f"Stabilized group {group} generation 1")
    assert f"group {group}" not in cluster.brokers[1].log_text()


def test_a_confluent_kafka_group_commits_to_a_coordinator_that_is_not_the_bootstrap_broker(cluster, clients):
    create_topic(cluster, clients, "ck-group-input")
    producer = clients.ck_producer(cluster, acks="all")
    for p in range(3):
        ck_produce(producer, "ck-group-input", [(None, b"%d" % i) for i in range(10)], partition=p)
    group, coordinator = key_coordinated_by_another(cluster, "ck-group", GROUP, avoid={1})

    consumer = clients.ck_consumer(cluster.brokers[1], **{"group.id": group, "enable.auto.offset.store": True})
    consumer.subscribe(["ck-group-input"])
    assert len(ck_read(consumer, 30, timeout=30)) == 30
    consumer.commit(asynchronous=False)
    found = consumer.committed([CkPartition("ck-group-input", p) for p in range(3)], timeout=TIMEOUT)
    assert {tp.partition: tp.offset for tp in found} == {0: 10, 1: 10, 2: 10}
    assert committed(cluster, group, "ck-group-input", 3) == {0: 10, 1: 10, 2: 10}
    logged(cluster.brokers[coordinator], f"Stabilized group {group} generation 1")


# --- transactions ------------------------------------------------------------------------------

def transactional_producer(clients, broker, transactional_id: str, **config):
    """A confluent-kafka transactional producer bootstrapping from ``broker`` (one, or the cluster)."""
    producer = clients.ck_producer(broker, **{"transactional.id": transactional_id, "enable.idempotence": True,
                                              "acks": "all", "message.timeout.ms": 30_000, **config})
    producer.init_transactions(30)
    return producer


def read_committed(clients, cluster: Cluster, topic: str, partitions: int, count: int,
                   isolation: str = "read_committed") -> list[bytes]:
    """Exactly ``count`` values from the topic (none arrives in the next second)."""
    consumer = clients.ck_consumer(cluster, **{"isolation.level": isolation})
    consumer.assign([CkPartition(topic, p, 0) for p in range(partitions)])
    values = [m.value() for m in ck_read(consumer, count, timeout=30)]
    extra = [m for m in consumer.consume(num_messages=10, timeout=1.0) if m.error() is None]
    assert not extra, f"more than {count} records: {[m.value() for m in extra]}"
    return values


def test_a_transaction_across_partitions_led_by_different_brokers(cluster, clients):
    leaders = {p.leader for p in create_topic(cluster, clients, "txn-spread").values()}
    assert leaders == {1, 2, 3}  # so at least two partitions are led away from the coordinator
    transactional_id, coordinator = key_coordinated_by_another(cluster, "spread", TRANSACTION, avoid={1})
    producer = transactional_producer(clients, cluster.brokers[1], transactional_id)
    for round_, outcome in enumerate(["commit", "abort", "commit"]):
        producer.begin_transaction()
        for p in range(3):
            producer.produce("txn-spread", value=f"{outcome}-{round_}-{p}".encode(), partition=p)
        assert producer.flush(30) == 0
        if outcome == "commit":
            producer.commit_transaction(30)
        else:
            producer.abort_transaction(30)

    assert sorted(read_committed(clients, cluster, "txn-spread", 3, 6)) == sorted(
        f"commit-{r}-{p}".encode() for r in (0, 2) for p in range(3))
    everything = read_committed(clients, cluster, "txn-spread", 3, 9, isolation="read_uncommitted")
    assert sorted(v for v in everything if v.startswith(b"abort")) == [b"abort-1-0", b"abort-1-1", b"abort-1-2"]
    logged(cluster.brokers[coordinator], f"Initialized transactional id {transactional_id}")


def test_consume_transform_produce_with_the_group_and_the_transaction_on_different_brokers(cluster, clients):
    create_topic(cluster, clients, "ctp-input")
    create_topic(cluster, clients, "ctp-output")
    producer = clients.ck_producer(cluster, acks="all")
    for p in range(3):
        ck_produce(producer, "ctp-input", [(None, b"record-%d" % i) for i in range(p, 30, 3)], partition=p)
    transactional_id, txn_coordinator = key_coordinated_by_another(cluster, "ctp-txn", TRANSACTION, avoid=set())
    group, group_coordinator = key_coordinated_by_another(cluster, "ctp-group", GROUP, avoid={txn_coordinator})

    consumer = clients.ck_consumer(cluster, **{"group.id": group, "isolation.level": "read_committed"})
    consumer.subscribe(["ctp-input"])
    transactional = transactional_producer(clients, cluster, transactional_id)
    processed = 0
    deadline = time.monotonic() + 60
    while processed < 30 and time.monotonic() < deadline:
        messages = [m for m in consumer.consume(num_messages=7, timeout=0.5) if m.error() is None]
        if not messages:
            continue
        transactional.begin_transaction()
        for message in messages:
            transactional.produce("ctp-output", value=message.value().upper(), partition=message.partition())
        transactional.send_offsets_to_transaction(consumer.position(consumer.assignment()),
                                                  consumer.consumer_group_metadata(), 30)
        transactional.commit_transaction(30)
        processed += len(messages)
    assert processed == 30

    assert sorted(read_committed(clients, cluster, "ctp-output", 3, 30)) == sorted(
        b"RECORD-%d" % i for i in range(30))
    # the commit marker reached the group's coordinator on the other broker, which published the offsets
    wait_until(lambda: committed(cluster, group, "ctp-input", 3) == {0: 10, 1: 10, 2: 10}, 30,
               what="the transaction's offsets committed")


def test_producer_ids_are_unique_across_brokers_and_reserved_in_zookeeper(cluster, zk):
    ids = []
    for broker in cluster.brokers.values():
        with Client(broker.bootstrap, timeout=10.0) as client:
            for _ in range(3):
                answer = client.send(ApiKey.INIT_PRODUCER_ID, {"transactional_id": None,
                                                               "transaction_timeout_ms": 60_000,
                                                               "producer_id": -1, "producer_epoch": -1})
                assert answer.error_code == ErrorCode.NONE
                ids.append(answer.producer_id)
    assert len(set(ids)) == len(ids) == 9
    block = json.loads(zk.get("/latest_producer_id_block")[0])
    assert block["version"] == 1 and isinstance(block["broker"], int)
    start, end = int(block["block_start"]), int(block["block_end"])
    assert end - start == 999 and start % 1000 == 0 and max(ids) <= end


def test_brokers_racing_for_producer_id_blocks_never_share_one(cluster):
    """Four allocators reserve their first block at once in the real ZooKeeper: the conditional
    writes make each take its own."""
    from types import SimpleNamespace

    from odradek.server.cluster.producer_id_blocks import ZkProducerIdBlocks
    from odradek.server.cluster.zk_client import ZkClient

    async def race() -> list[int]:
        connections = [ZkClient(cluster.zookeeper.connect, 10_000, 10_000) for _ in range(4)]
        firsts: list[int] = []
        try:
            for zk in connections:
                await zk.start()
            allocators = [ZkProducerIdBlocks(SimpleNamespace(zk=zk, broker_id=100 + i,
                                                             config=SimpleNamespace(session_timeout_ms=10_000)))
                          for i, zk in enumerate(connections)]

            async def first_id(allocator) -> None:
                firsts.append(await allocator.allocate())

            async with trio.open_nursery() as nursery:
                for allocator in allocators:
                    nursery.start_soon(first_id, allocator)
        finally:
            for zk in connections:
                await zk.close()
        return firsts

    firsts = trio.run(race)
    assert len(set(firsts)) == 4 and all(first % 1000 == 0 for first in firsts)


# --- failover ----------------------------------------------------------------------------------

def test_a_group_moves_to_the_new_leader_when_its_coordinator_is_killed(own_cluster, clients):
    cluster = own_cluster
    create_topic(cluster, clients, "failover-input")
    producer = clients.kp_producer(cluster, acks="all")
    for i in range(30):
        producer.send("failover-input", b"%d" % i, partition=i % 3)
    producer.flush(timeout=TIMEOUT)
    group, coordinator = key_coordinated_by_another(cluster, "failover-group", GROUP, avoid={1})
    consumer = clients.kp_consumer(cluster.brokers[1], group_id=group, session_timeout_ms=30_000,
                                   max_poll_records=10)
    # the topic's metadata known before the group's first assignment: kafka-python's leader assigns
    # nothing for a topic it has no metadata for, and would wait for its next refresh
    assert consumer.partitions_for_topic("failover-input") == {0, 1, 2}
    consumer.subscribe(["failover-input"])
    assert len(kp_read(consumer, 15, timeout=30)) >= 15
    consumer.commit()
    acknowledged = {p: consumer.committed(KpPartition("failover-input", p)) for p in range(3)}
    assert sum(acknowledged.values()) >= 15

    cluster.kill(coordinator)
    survivors = set(cluster.brokers) - {coordinator}
    new_coordinator = wait_until(
        lambda: (c := find_coordinator(cluster.brokers[1].bootstrap, group, GROUP)) in survivors and c,
        60, f"a new coordinator for {group}")
    assert committed(cluster, group, "failover-input", 3) == acknowledged  # nothing acknowledged is lost
    logged(cluster.brokers[new_coordinator], "Loaded 1 group(s) and the offsets of 1 group(s) from __consumer_offsets")

    # the member carries on with the new coordinator: it reads the rest and commits there
    rest = kp_read(consumer, 30 - sum(acknowledged.values()), timeout=60)
    assert all(int(r.value) >= 0 for r in rest)
    consumer.commit()
    assert committed(cluster, group, "failover-input", 3) == {0: 10, 1: 10, 2: 10}


def test_a_transaction_survives_its_coordinator_being_killed(own_cluster, clients):
    cluster = own_cluster
    create_topic(cluster, clients, "txn-failover")
    transactional_id, coordinator = key_coordinated_by_another(cluster, "failover-txn", TRANSACTION, avoid={1})
    producer = transactional_producer(clients, cluster.brokers[1], transactional_id,
                                      **{"bootstrap.servers": cluster.bootstrap})
    producer.begin_transaction()
    for p in range(3):
        producer.produce("txn-failover", value=b"before-%d" % p, partition=p)
    assert producer.flush(30) == 0

    cluster.kill(coordinator)
    survivors = set(cluster.brokers) - {coordinator}
    wait_until(lambda: find_coordinator(cluster.brokers[1].bootstrap, transactional_id, TRANSACTION) in survivors,
               60, f"a new coordinator for {transactional_id}")
    # the new coordinator has the open transaction (its state was on every in-sync replica): it commits it
    producer.commit_transaction(60)
    assert sorted(read_committed(clients, cluster, "txn-failover", 3, 3)) == [b"before-0", b"before-1", b"before-2"]
    # and the producer goes on with its next transaction there
    producer.begin_transaction()
    producer.produce("txn-failover", value=b"after", partition=0)
    producer.commit_transaction(60)
    assert b"after" in read_committed(clients, cluster, "txn-failover", 3, 4)


def test_an_abandoned_transaction_is_aborted_by_the_new_coordinator(own_cluster, clients):
    cluster = own_cluster
    create_topic(cluster, clients, "txn-abandoned")
    transactional_id, coordinator = key_coordinated_by_another(cluster, "abandoned-txn", TRANSACTION, avoid={1})
    # (made here rather than by ``clients``, whose teardown flushes: a fenced producer refuses that)
    first = confluent_kafka.Producer({"bootstrap.servers": cluster.brokers[1].bootstrap,
                                      "transactional.id": transactional_id, "transaction.timeout.ms": 5000,
                                      "message.timeout.ms": 5000, "socket.timeout.ms": 5000})
    clients.on_close(lambda: close_ck_producer(first))
    first.init_transactions(30)
    first.begin_transaction()
    for p in range(3):
        first.produce("txn-abandoned", value=b"abandoned-%d" % p, partition=p)
    assert first.flush(30) == 0

    cluster.kill(coordinator)  # the producer goes away too, its transaction open
    survivors = set(cluster.brokers) - {coordinator}
    new_coordinator = wait_until(
        lambda: (c := find_coordinator(cluster.brokers[1].bootstrap, transactional_id, TRANSACTION)) in survivors
        and c, 60, f"a new coordinator for {transactional_id}")
    logged(cluster.brokers[new_coordinator], f"Aborting transaction of {transactional_id}", timeout=60)
    # its partitions' last stable offsets move past it: a later transaction's records are readable,
    # the abandoned ones never are
    second = transactional_producer(clients, cluster, "after-" + transactional_id)
    second.begin_transaction()
    for p in range(3):
        second.produce("txn-abandoned", value=b"committed-%d" % p, partition=p)
    second.commit_transaction(60)
    assert sorted(read_committed(clients, cluster, "txn-abandoned", 3, 3)) == [
        b"committed-0", b"committed-1", b"committed-2"]
    # the abandoned producer is fenced: it cannot commit what the coordinator aborted
    with pytest.raises(confluent_kafka.KafkaException):
        first.commit_transaction(30)
