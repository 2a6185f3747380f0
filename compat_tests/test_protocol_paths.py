"""Protocol paths that client libraries rarely take, answered as Kafka answers them."""

from __future__ import annotations

import socket
import struct

import pytest

from odradek.wire import ApiKey, ErrorCode

from .raw_kafka import header_v1, read_response, record_batch
from .wire_client import WireClient


def create(client: WireClient, name: str, partitions: int = 1, **extra) -> dict:
    body = {"topics": [{"name": name, "num_partitions": partitions, "replication_factor": 1, **extra}],
            "timeout_ms": 5000}
    return client.send(ApiKey.CREATE_TOPICS, 7, body).topics[0]


def metadata(client: WireClient, names) -> list:
    topics = None if names is None else [{"name": n} for n in names]
    return client.send(ApiKey.METADATA, 12, {"topics": topics, "allow_auto_topic_creation": False}).topics


def test_delete_topics_by_topic_id(module_broker, topic):
    with WireClient(module_broker) as client:
        created = create(client, topic)
        assert created.error_code == ErrorCode.NONE
        [described] = metadata(client, [topic])
        assert described.topic_id == created.topic_id
        answer = client.send(ApiKey.DELETE_TOPICS, 6, {"topics": [{"name": None, "topic_id": created.topic_id}],
                                                        "timeout_ms": 5000})
        [result] = answer.responses
        assert (result.name, result.topic_id, result.error_code) == (topic, created.topic_id, ErrorCode.NONE)
        assert metadata(client, [topic])[0].error_code == ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
        again = client.send(ApiKey.DELETE_TOPICS, 6, {"topics": [{"name": None, "topic_id": created.topic_id}]})
        assert again.responses[0].error_code == ErrorCode.UNKNOWN_TOPIC_ID


def test_metadata_by_topic_id(module_broker, topic):
    with WireClient(module_broker) as client:
        created = create(client, topic, partitions=2)
        answer = client.send(ApiKey.METADATA, 12, {"topics": [{"topic_id": created.topic_id, "name": None}]})
        [described] = answer.topics
        assert (described.name, described.error_code, len(described.partitions)) == (topic, 0, 2)
        assert answer.controller_id == answer.brokers[0].node_id


def test_create_topics_validate_only_and_replication_factor(module_broker, topic):
    with WireClient(module_broker) as client:
        checked = client.send(ApiKey.CREATE_TOPICS, 7, {"topics": [{"name": topic, "num_partitions": 3,
                                                                    "replication_factor": 1}],
                                                        "validate_only": True}).topics[0]
        assert (checked.error_code, checked.num_partitions) == (ErrorCode.NONE, 3)
        assert metadata(client, [topic])[0].error_code == ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
        too_many = create(client, topic, replication_factor=3)
        assert too_many.error_code == ErrorCode.INVALID_REPLICATION_FACTOR
        defaults = create(client, topic, num_partitions=-1, replication_factor=-1)
        assert (defaults.error_code, defaults.num_partitions, defaults.replication_factor) == (0, 1, 1)
        configs = {c.name: c for c in defaults.configs}
        assert configs["cleanup.policy"].value == "delete"
        assert create(client, topic).error_code == ErrorCode.TOPIC_ALREADY_EXISTS
        bad = create(client, topic + "-bad", configs=[{"name": "no.such.config", "value": "1"}])
        assert bad.error_code == ErrorCode.INVALID_CONFIG


def test_produce_versions_below_3_are_advertised_but_refused(module_broker, topic):
    with WireClient(module_broker) as client:
        versions = client.send(ApiKey.API_VERSIONS, 3, {})
        produce = next(k for k in versions.api_keys if k.api_key == ApiKey.PRODUCE)
        assert produce.min_version == 0
    # A v2 request carries a legacy message set: Kafka 4 closes the connection.
    payload = header_v1(ApiKey.PRODUCE, 2, 7) + struct.pack(">hii", 1, 1000, 0)
    with socket.create_connection(("127.0.0.1", module_broker.port), timeout=5) as sock:
        sock.sendall(struct.pack(">i", len(payload)) + payload)
        assert read_response(sock) is None


def test_failed_acks_zero_produce_closes_the_connection(module_broker, topic):
    with WireClient(module_broker) as client:
        body = {"acks": 0, "timeout_ms": 1000, "topic_data": [
            {"name": topic + "-missing", "partition_data": [{"index": 0, "records": bytes(record_batch([b"x"]))}]}]}
        assert client.send(ApiKey.PRODUCE, 9, body) is None


def test_list_offsets_max_timestamp_and_fetch_by_topic_id(module_broker, topic):
    with WireClient(module_broker) as client:
        created = create(client, topic)
        for value in (b"a", b"b", b"c"):
            body = {"acks": -1, "timeout_ms": 1000, "topic_data": [
                {"name": topic, "partition_data": [{"index": 0, "records": bytes(record_batch([value]))}]}]}
            assert client.send(ApiKey.PRODUCE, 9, body).responses[0].partition_responses[0].error_code == 0
        offsets = client.send(ApiKey.LIST_OFFSETS, 9, {"replica_id": -1, "topics": [
            {"name": topic, "partitions": [{"partition_index": 0, "timestamp": t} for t in (-1, -2, -3)]}]})
        latest, earliest, max_ts = offsets.topics[0].partitions
        assert (latest.offset, earliest.offset) == (3, 0)
        assert max_ts.offset in (0, 1, 2) and max_ts.timestamp > 0
        fetched = client.send(ApiKey.FETCH, 16, {"max_wait_ms": 0, "min_bytes": 0, "max_bytes": 1 << 20, "topics": [
            {"topic_id": created.topic_id, "partitions": [
                {"partition": 0, "fetch_offset": 1, "partition_max_bytes": 1 << 20}]}]})
        [part] = fetched.responses[0].partitions
        assert (fetched.responses[0].topic_id, part.error_code, part.high_watermark) == (created.topic_id, 0, 3)
        assert part.records  # whole batches from the one holding offset 1


@pytest.mark.parametrize("version", [1, 5, 7, 8, 10])
def test_offset_fetch_by_topic_at_every_layout(module_broker, topic, version):
    """OffsetFetch changed shape at v8 (groups) and v10 (topic IDs): each answers an explicit list."""
    with WireClient(module_broker) as client:
        created = create(client, topic, partitions=2)
        commit = client.send(ApiKey.OFFSET_COMMIT, 8, {
            "group_id": topic, "generation_id_or_member_epoch": -1, "member_id": "",
            "topics": [{"name": topic, "partitions": [
                {"partition_index": 0, "committed_offset": 42, "committed_metadata": "m"}]}]})
        assert commit.topics[0].partitions[0].error_code == ErrorCode.NONE
        wanted = {"name": topic, "topic_id": created.topic_id, "partition_indexes": [0, 1]}
        if version >= 8:
            answer = client.send(ApiKey.OFFSET_FETCH, version, {"groups": [{"group_id": topic, "topics": [wanted]}]})
            [group] = answer.groups
            assert group.error_code == ErrorCode.NONE
            partitions = group.topics[0].partitions
        else:
            answer = client.send(ApiKey.OFFSET_FETCH, version, {"group_id": topic, "topics": [wanted]})
            partitions = answer.topics[0].partitions
        assert [(p.partition_index, p.committed_offset, p.metadata) for p in partitions] == [
            (0, 42, "m"), (1, -1, "")]
