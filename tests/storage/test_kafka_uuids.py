"""Random ids as Kafka's ``Uuid.randomUuid`` makes them: ``kafka-storage.sh format -t <id>`` and
``kafka-topics.sh --topic-id <id>`` read an id starting with '-' as an option, so Kafka never
makes one, and neither may we (a benchmark's Kafka once refused to format for it)."""

from odradek.storage.topic_metadata import kafka_id_string, new_kafka_uuid


def test_no_id_starts_with_a_dash_or_is_reserved():
    ids = [new_kafka_uuid() for _ in range(5000)]  # a plain uuid4 starts with '-' once in 64
    strings = [kafka_id_string(i) for i in ids]
    assert not [s for s in strings if s.startswith("-")]
    assert all(i.int > 1 for i in ids)
    assert all(len(s) == 22 for s in strings)
    assert len(set(ids)) == len(ids)
