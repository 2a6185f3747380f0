"""Share group membership with real share consumers: confluent-kafka's ``ShareConsumer``
(librdkafka's KIP-932 consumer) joins, is assigned partitions, leaves when closed, and carries on
at its epoch across a broker restart.

Each consumer polls in a thread of its own (a ShareConsumer is not thread-safe, so that thread
also closes it); the group is watched with ShareGroupDescribe, its members told apart by client
id. Records are the data path's business (``test_share_fetch``); these tests look at membership.
Like the tool tests, they run against Apache Kafka 4.3 too (``ODRADEK_COMPAT_TARGET=kafka``).
"""

from __future__ import annotations

import threading

import confluent_kafka
import pytest

from odradek.wire import ErrorCode

from .clients import wait_until
from .java.targets import start_broker, stop_broker
from .share_members import describe
from .test_share_groups import create_topic

RUNS_AGAINST_KAFKA_TOO = True
SESSION_MS = 10_000  # longer than a broker restart
BROKER_OVERRIDES = {
    "offsets.topic.num.partitions": 5,
    "group.share.heartbeat.interval.ms": 500, "group.share.min.heartbeat.interval.ms": 100,
    "group.share.session.timeout.ms": SESSION_MS, "group.share.min.session.timeout.ms": 1000,
}


class PolledShareConsumer:
    """A ShareConsumer subscribed to ``topics``, polled by its own thread until ``close``."""

    def __init__(self, broker, group_id: str, topics: list[str], client_id: str):
        self.client_id = client_id
        self._stop = threading.Event()
        self._consumer = confluent_kafka.ShareConsumer({
            "bootstrap.servers": broker.bootstrap, "group.id": group_id, "client.id": client_id})
        self._consumer.subscribe(topics)
        self._thread = threading.Thread(target=self._poll, name=f"share-consumer-{client_id}", daemon=True)
        self._thread.start()

    def _poll(self) -> None:
        try:
            while not self._stop.is_set():
                self._consumer.poll(0.2)
        finally:
            self._consumer.close()

    def close(self) -> None:
        if not self._stop.is_set():
            self._stop.set()
            self._thread.join(30)


@pytest.fixture
def share_consumers():
    made: list[PolledShareConsumer] = []

    def make(broker, group_id: str, topics: list[str], count: int) -> list[PolledShareConsumer]:
        consumers = [PolledShareConsumer(broker, group_id, topics, f"{group_id}-{len(made) + i}")
                     for i in range(count)]
        made.extend(consumers)
        return consumers

    yield make
    for consumer in made:
        consumer.close()


def settled_group(broker, group: str, client_ids: set[str], partitions: int):
    """The described group once its members are exactly ``client_ids``, each with partitions,
    together all of them, every one at the group's epoch and the target's."""
    def check():
        [found] = describe(broker, group)
        if found.error_code != ErrorCode.NONE or {m.client_id for m in found.members} != client_ids:
            return None
        held = [{p for tp in m.assignment.topic_partitions for p in tp.partitions} for m in found.members]
        epochs = {m.member_epoch for m in found.members} | {found.group_epoch, found.assignment_epoch}
        return found if all(held) and set().union(*held) == set(range(partitions)) and len(epochs) == 1 else None
    return wait_until(check, timeout=60, interval=0.2, what=f"share group {group} to settle on {sorted(client_ids)}")


def test_share_consumers_join_and_are_assigned_every_partition(module_broker, share_consumers, topic):
    create_topic(module_broker, topic, 2)
    group = f"share-{topic}"
    consumers = share_consumers(module_broker, group, [topic], 3)
    described = settled_group(module_broker, group, {c.client_id for c in consumers}, 2)
    assert (described.group_state, described.assignor_name) == ("Stable", "simple")
    assert len({m.member_id for m in described.members}) == 3
    assert all(m.subscribed_topic_names == [topic] for m in described.members)
    sharing = [sum(p in {q for tp in m.assignment.topic_partitions for q in tp.partitions} for m in described.members)
               for p in range(2)]
    assert sharing == [2, 2]  # three members on two partitions: ceil(3 / 2) members on each


def test_a_closed_share_consumer_leaves_at_once(module_broker, share_consumers, topic):
    create_topic(module_broker, topic, 2)
    group = f"share-{topic}"
    staying, leaving = share_consumers(module_broker, group, [topic], 2)
    before = settled_group(module_broker, group, {staying.client_id, leaving.client_id}, 2)

    leaving.close()  # a heartbeat with epoch -1, well within the session timeout
    after = settled_group(module_broker, group, {staying.client_id}, 2)
    assert after.group_epoch > before.group_epoch


def test_share_consumers_carry_on_at_their_epochs_when_the_broker_restarts(tmp_path, share_consumers, topic):
    broker = start_broker(tmp_path / "data", BROKER_OVERRIDES)
    try:
        create_topic(broker, topic, 2)
        group = f"share-{topic}"
        consumers = share_consumers(broker, group, [topic], 2)
        before = settled_group(broker, group, {c.client_id for c in consumers}, 2)

        broker.restart()
        after = settled_group(broker, group, {c.client_id for c in consumers}, 2)
        assert {(m.member_id, m.member_epoch) for m in after.members} == \
               {(m.member_id, m.member_epoch) for m in before.members}
        assert after.group_epoch == before.group_epoch  # nobody rejoined: the group came back as it was
    finally:
        for consumer in consumers:
            consumer.close()
        stop_broker(broker)
