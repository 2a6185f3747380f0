"""A deleted topic's committed offsets are deleted with it, in every group (Kafka's
GroupCoordinator.onPartitionsDeleted): a topic created again under the same name starts with no
committed offset, so a consumer of the group reads it from its reset position rather than from
where the old topic was left. (kafka-streams-application-reset depends on it: it deletes an
application's repartition topics, which Streams then creates again.) The module runs against
Apache Kafka too (``ODRADEK_COMPAT_TARGET=kafka``).
"""

from __future__ import annotations

import time

import confluent_kafka
from confluent_kafka.admin import NewTopic

RUNS_AGAINST_KAFKA_TOO = True


def _committed(admin, group: str, topic: str) -> list[int]:
    request = confluent_kafka.ConsumerGroupTopicPartitions(group, [confluent_kafka.TopicPartition(topic, p)
                                                                   for p in range(2)])
    found = admin.list_consumer_group_offsets([request])[group].result(30).topic_partitions
    return [tp.offset for tp in found]


def _wait_until(predicate, what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def test_deleting_a_topic_deletes_the_groups_offsets_of_it(module_broker, clients, topic):
    admin = clients.ck_admin(module_broker)
    group = f"{topic}-group"
    admin.create_topics([NewTopic(topic, 2, 1)])[topic].result(30)
    consumer = clients.ck_consumer(module_broker, **{"group.id": group})
    consumer.commit(offsets=[confluent_kafka.TopicPartition(topic, 0, 7), confluent_kafka.TopicPartition(topic, 1, 3)],
                    asynchronous=False)
    other = f"{topic}-kept"  # another topic's offsets in the same group stay
    admin.create_topics([NewTopic(other, 2, 1)])[other].result(30)
    consumer.commit(offsets=[confluent_kafka.TopicPartition(other, 0, 5)], asynchronous=False)
    assert _committed(admin, group, topic) == [7, 3]

    admin.delete_topics([topic])[topic].result(30)
    _wait_until(lambda: topic not in admin.list_topics(timeout=10).topics, "the topic to be deleted")
    admin.create_topics([NewTopic(topic, 2, 1)])[topic].result(30)
    _wait_until(lambda: topic in admin.list_topics(timeout=10).topics, "the topic to be created again")
    assert _committed(admin, group, topic) == [confluent_kafka.OFFSET_INVALID] * 2
    assert _committed(admin, group, other)[0] == 5
