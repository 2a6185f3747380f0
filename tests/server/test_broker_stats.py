"""What the broker counts as it serves, and the /metrics registry that reads it, in one process:
requests encoded and dispatched to the real handlers over real storage, then the registry's
exposition parsed with prometheus-client's parser."""

from __future__ import annotations

import itertools
import time

import pytest
from prometheus_client.parser import text_string_to_metric_families

from odradek.server.broker import Broker
from odradek.server.broker_config import BrokerConfig
from odradek.server.dispatch import dispatch
from odradek.server.startup_error import ConfigError
from odradek.server.stats import NULL_STATS
from odradek.server.stats.request_stats import RequestStats
from odradek.server.web.metrics.endpoint import MetricsEndpoint
from odradek.server.web.metrics.names import error_name, request_name
from odradek.server.web.web_settings import WebSettings
from odradek.storage.partition_log import wall_clock_ms
from odradek.wire import ApiKey, ErrorCode, RequestHeader, encode_request, parse_response
from odradek.wire.records import Record, build_batch

_ids = itertools.count(1)


@pytest.fixture
def broker(tmp_path):
    broker = Broker(BrokerConfig.load(data_dir=str(tmp_path), overrides=["metrics.port=0"]))
    broker.open_storage()
    broker.groups.adopt(broker.groups.load())
    broker.logs.create_topic("t", 2)
    yield broker
    broker.logs.close()


async def call(broker, api_key: int, version: int, body: dict):
    frame = encode_request(api_key, version, next(_ids), "test", body)[4:]
    chunks = await dispatch(broker, frame, "test", "PLAINTEXT")
    _, response = parse_response(api_key, version, b"".join(bytes(c) for c in chunks)[4:])
    return response, len(frame) + 4, sum(len(c) for c in chunks)


def batch(count: int) -> bytes:
    return build_batch([Record(i, 0, None, b"v%d" % i) for i in range(count)], base_timestamp=wall_clock_ms())


async def samples(broker) -> dict:
    body, _ = await MetricsEndpoint(broker).exposition()
    text = body.decode()
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


async def test_produce_and_fetch_are_counted_per_topic_request_and_error(broker):
    records = batch(5)
    produce = {"transactional_id": None, "acks": 1, "timeout_ms": 1000, "topic_data": [
        {"name": "t", "partition_data": [{"index": 0, "records": records}, {"index": 1, "records": records}]},
        {"name": "nope", "partition_data": [{"index": 0, "records": records}]}]}
    _, produce_in, produce_out = await call(broker, ApiKey.PRODUCE, 9, produce)
    _, fetch_in, fetch_out = await call(broker, ApiKey.FETCH, 11, {
        "replica_id": -1, "max_wait_ms": 0, "min_bytes": 0, "max_bytes": 1 << 20, "isolation_level": 0,
        "session_id": 0, "session_epoch": -1, "forgotten_topics_data": [], "rack_id": "",
        "topics": [{"topic": "t", "partitions": [{"partition": 0, "current_leader_epoch": -1, "fetch_offset": 0,
                                                   "log_start_offset": -1, "partition_max_bytes": 1 << 20}]}]})

    found = await samples(broker)
    value = lambda name, **labels: found[(name, frozenset(labels.items()))]  # noqa: E731
    assert value("kafka_server_brokertopicmetrics_messagesin_total", topic="t") == 10
    assert value("kafka_server_brokertopicmetrics_messagesin_total") == 10
    assert value("kafka_server_brokertopicmetrics_bytesin_total", topic="t") == 2 * len(records)
    assert value("kafka_server_brokertopicmetrics_bytesout_total", topic="t") == len(records)
    assert value("kafka_network_requestmetrics_requests_total", request="Produce", version="9") == 1
    assert value("kafka_network_requestmetrics_requests_total", request="Fetch", version="11") == 1
    assert value("kafka_network_requestmetrics_errors_total", request="Produce", error="NONE") == 2
    assert value("kafka_network_requestmetrics_errors_total", request="Produce",
                 error="UNKNOWN_TOPIC_OR_PARTITION") == 1
    assert value("kafka_network_requestmetrics_errors_total", request="Fetch", error="NONE") == 2  # top, partition
    assert value("kafka_network_requestmetrics_totaltimems_count", request="Produce") == 1
    assert value("kafka_server_socket_server_metrics_incoming_byte_total") == produce_in + fetch_in
    assert value("kafka_server_socket_server_metrics_outgoing_byte_total") == produce_out + fetch_out
    assert value("kafka_log_log_logendoffset", topic="t", partition="0") == 5
    assert value("kafka_log_log_size", topic="t", partition="1") == len(records)
    assert value("kafka_server_replicamanager_partitioncount") == 2
    assert value("kafka_server_replicamanager_underreplicatedpartitions") == 0


async def test_acks_0_counts_the_request_without_a_response(broker):
    produce = {"transactional_id": None, "acks": 0, "timeout_ms": 1000,
               "topic_data": [{"name": "t", "partition_data": [{"index": 0, "records": batch(3)}]}]}
    frame = encode_request(ApiKey.PRODUCE, 9, next(_ids), "test", produce)[4:]
    assert await dispatch(broker, frame, "test", "PLAINTEXT") is None
    [(api_key, counts)] = broker.stats.requests.by_api()
    assert (api_key, counts.versions[9], sum(counts.versions), counts.errors) == (ApiKey.PRODUCE, 1, 1, {})
    assert broker.stats.topics.by_topic["t"].messages_in == 3


def test_error_codes_are_found_where_the_schema_puts_them_and_times_fall_in_their_bucket():
    stats = RequestStats()
    body = {"error_code": ErrorCode.NONE, "responses": [
        {"topic": "a", "partitions": [{"error_code": 0}, {"error_code": ErrorCode.NOT_LEADER_OR_FOLLOWER}]},
        {"topic": "b", "partitions": ({"error_code": 6, "records": b"\0" * 10},)}],
        "unrelated": [{"error_code": 7}]}  # not where Fetch's schema has error codes
    header = RequestHeader(ApiKey.FETCH, 12, 1, "test")
    now = time.perf_counter()
    stats.served(header, now - 0.003, 10, body, [b"\0\0\0\x06", b"ab"])
    stats.served(header, now, 10, None, None)
    [(_, fetch)] = stats.by_api()
    assert fetch.errors == {0: 2, 6: 2}
    assert sum(fetch.buckets) == 2 and sum(fetch.buckets[3:]) >= 1  # one of them over 2.5 ms
    assert fetch.sum_ms >= 3.0 and fetch.versions[12] == 2
    assert (stats.bytes_in, stats.bytes_out) == (28, 10)


def test_without_a_metrics_port_the_broker_counts_nothing(tmp_path):
    broker = Broker(BrokerConfig.load(data_dir=str(tmp_path)))
    assert broker.web is None and broker.stats is NULL_STATS
    broker.stats.requests.served(RequestHeader(ApiKey.FETCH, 12, 1, "test"), 0.0, 10, {}, [b"\0\0\0\0"])
    broker.stats.topics.produced("t", 1, 10)
    assert not hasattr(broker.stats.topics, "by_topic")
    # refusals and the broker's own closes go to the same null recorder
    assert broker.acceptor.network is NULL_STATS.network and broker.open_connections.network is NULL_STATS.network
    broker.stats.network.refusing("PLAINTEXT", "max_connections_per_ip")
    broker.stats.network.closing("PLAINTEXT", "idle")
    assert not hasattr(broker.stats.network, "refused")


def test_the_null_network_recorder_takes_every_call_the_counting_one_does():
    from odradek.server.stats.network_stats import NetworkStats, NullNetworkStats
    calls = {name for name in dir(NetworkStats) if not name.startswith("_") and callable(getattr(NetworkStats, name))}
    assert calls == {name for name in dir(NullNetworkStats) if not name.startswith("_")}


def test_connection_creation_rate_is_kafkas_rate_over_two_windows():
    from odradek.server.stats.network_stats import WINDOW, CreationRate
    rate = CreationRate()
    for i in range(30):
        rate.record(100.0 + i * 0.1)
    assert rate.per_second(103.0) == pytest.approx(30 / (3 + WINDOW))  # not 10/s: one full window besides
    rate.record(100.0 + WINDOW + 5)  # a second window
    assert rate.per_second(100.0 + WINDOW + 10) == pytest.approx(31 / (WINDOW + 10))
    assert rate.per_second(100.0 + 4 * WINDOW) == 0.0  # both windows too old


def test_kafka_names_for_requests_and_errors():
    assert [request_name(k) for k in (ApiKey.PRODUCE, ApiKey.API_VERSIONS, ApiKey.OFFSET_FOR_LEADER_EPOCH)] == \
        ["Produce", "ApiVersions", "OffsetForLeaderEpoch"]
    assert error_name(3) == "UNKNOWN_TOPIC_OR_PARTITION"
    assert error_name(12345) == "12345"


def test_metrics_settings(tmp_path):
    def settings(*overrides):
        return WebSettings.from_config(BrokerConfig.load(data_dir=str(tmp_path), overrides=list(overrides)))

    assert settings() is None
    assert settings("metrics.port=9404") == WebSettings("", 9404)  # the default listener: every interface
    assert settings("listeners=PLAINTEXT://127.0.0.1:9092", "metrics.port=0") == WebSettings("127.0.0.1", 0)
    assert settings("metrics.port=9404", "metrics.host=::1") == WebSettings("::1", 9404)
    with pytest.raises(ConfigError, match=r"^metrics.port=-1: a port is between 0 and 65535$"):
        settings("metrics.port=-1")
