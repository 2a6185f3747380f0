"""The tools' client: version negotiation, bootstrap parsing, routing and decoding against a
scripted broker on a real socket, the partitioner and the range assignor."""

from __future__ import annotations

import contextlib
import dataclasses
import socket
import threading
import time
import uuid

import pytest

from odradek.tools.client import Client, KafkaError, cluster, errors, pipelined_producer
from odradek.tools.client.cluster import parse_bootstrap
from odradek.tools.client.connection import shared_versions
from odradek.tools.client.group_member import range_assign
from odradek.tools.client.partitioner import Partitioner, murmur2
from odradek.wire import API_BY_KEY, ApiKey, ErrorCode, FrameSplitter, encode_response, parse_request


class ScriptedBroker:
    """Answers ApiVersions with ``ranges`` and other requests with ``answers[api_key](header, body)``
    (or, where that returns a ``(header, body)`` pair, answers as if to that header's request);
    records the (api key, version) of every request and counts the connections it accepted."""

    def __init__(self, ranges: dict[int, tuple[int, int]], answers: dict):
        self.ranges, self.answers, self.seen, self.connections = ranges, answers, [], 0
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            conn, _ = self.listener.accept()
            self.connections += 1
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        splitter = FrameSplitter(1 << 20)
        with conn, contextlib.suppress(OSError):  # the client may close while an answer is on its way
            while data := conn.recv(65536):
                for frame in splitter.feed(data):
                    header, body = parse_request(frame)
                    self.seen.append((header.api_key, header.api_version))
                    if header.api_key == ApiKey.API_VERSIONS:
                        answer = {"api_keys": [{"api_key": k, "min_version": lo, "max_version": hi}
                                               for k, (lo, hi) in self.ranges.items()]}
                    else:
                        answer = self.answers[header.api_key](header, body)
                    if isinstance(answer, tuple):
                        header, answer = answer
                    conn.sendall(encode_response(header, answer))


TOPIC_ID = uuid.UUID(int=7)


def metadata_answer(header, body):
    return {"brokers": [{"node_id": 5, "host": "127.0.0.1", "port": 1}], "cluster_id": "c", "controller_id": 5,
            "topics": [{"name": "t", "topic_id": TOPIC_ID, "partitions": [
                {"partition_index": p, "leader_id": 5, "replica_nodes": [5], "isr_nodes": [5]} for p in (1, 0)]}]}


def test_the_client_speaks_the_highest_version_both_sides_know_and_decodes_metadata():
    broker = ScriptedBroker({ApiKey.API_VERSIONS: (0, 3), ApiKey.METADATA: (0, 9), 9999: (0, 1)},
                            {ApiKey.METADATA: metadata_answer})
    with Client(f"127.0.0.1:{broker.port}") as client:
        metadata = client.metadata(["t"])
        assert client.connection().versions == {ApiKey.API_VERSIONS: 3, ApiKey.METADATA: 9}
        assert broker.seen == [(ApiKey.API_VERSIONS, 3), (ApiKey.METADATA, 9)]
        assert metadata.brokers == {5: ("127.0.0.1", 1)} and metadata.controller_id == 5
        info = metadata.topics["t"]
        assert sorted(info.partitions) == [0, 1] and info.partitions[1].leader == 5
        assert client.by_leader([("t", 0), ("t", 1)]) == {5: [("t", 0), ("t", 1)]}
        with pytest.raises(KafkaError, match="UNKNOWN_TOPIC_OR_PARTITION"):
            client.by_leader([("t", 2)])
        with pytest.raises(KafkaError, match="share no version of FETCH"):
            client.connection().version(ApiKey.FETCH)


def test_topic_ids_in_answers_resolve_to_names():
    broker = ScriptedBroker({ApiKey.API_VERSIONS: (0, 3), ApiKey.METADATA: (0, 13)},
                            {ApiKey.METADATA: metadata_answer})
    with Client(f"127.0.0.1:{broker.port}") as client:
        assert client.topic_id("t") == TOPIC_ID
        assert client.topic_name({"topic_id": TOPIC_ID}) == "t"
        assert client.topic_name({"name": "named"}) == "named"


def test_an_abandoned_request_closes_its_connection_and_its_late_answer_is_never_read():
    """A request given up on (here by a socket timeout; Ctrl-C is the same) must not leave its
    answer to be read as the next request's: the next request goes out on a new connection."""
    late = [0.6]

    def slow_metadata(header, body):
        time.sleep(late.pop() if late else 0)
        return metadata_answer(header, body)

    broker = ScriptedBroker({ApiKey.API_VERSIONS: (0, 3), ApiKey.METADATA: (0, 12), ApiKey.FIND_COORDINATOR: (0, 4)},
                            {ApiKey.METADATA: slow_metadata, ApiKey.FIND_COORDINATOR: lambda header, body: {
                                "coordinators": [{"key": "g", "node_id": 5, "host": "h", "port": 1}]}})
    with Client(f"127.0.0.1:{broker.port}", timeout=0.3) as client:
        with pytest.raises(TimeoutError):
            client.metadata(["t"])
        assert client.connection().closed is False and broker.connections == 2
        time.sleep(0.5)  # the first Metadata answer is written to the abandoned connection meanwhile
        assert client.coordinator("g") == 5
        assert sorted(client.metadata(["t"]).topics["t"].partitions) == [0, 1]


def test_an_answer_to_another_request_is_refused_before_it_is_decoded():
    def misnumbered(header, body):
        return dataclasses.replace(header, correlation_id=header.correlation_id + 7), metadata_answer(header, body)

    broker = ScriptedBroker({ApiKey.API_VERSIONS: (0, 3), ApiKey.METADATA: (0, 12)}, {ApiKey.METADATA: misnumbered})
    with Client(f"127.0.0.1:{broker.port}") as client:
        with pytest.raises(ConnectionError, match=r"answered request 9, expected 2"):
            client.metadata(["t"])
        assert broker.connections == 1
        assert not client.connection().closed and broker.connections == 2  # the broken one was dropped


def test_partitions_may_ask_for_auto_creation_and_wait_for_leaders(monkeypatch):
    monkeypatch.setattr(errors, "RETRY_BACKOFF", 0.01)
    monkeypatch.setattr(cluster, "AUTO_CREATE_WAIT", 0.1)
    asked = []

    def creating(header, body):
        asked.append(body.allow_auto_topic_creation)
        if len(asked) == 1 or body.topics[0].name == "gone":
            return {"topics": [{"name": body.topics[0].name,  # Kafka 4's first answer to a creating request
                                "error_code": ErrorCode.UNKNOWN_TOPIC_OR_PARTITION}]}
        if len(asked) == 2:
            return {"topics": [{"name": "t", "error_code": ErrorCode.LEADER_NOT_AVAILABLE}]}
        answer = metadata_answer(header, body)
        if len(asked) == 3:
            answer["topics"][0]["partitions"][0]["leader_id"] = -1
        return answer

    broker = ScriptedBroker({ApiKey.API_VERSIONS: (0, 3), ApiKey.METADATA: (0, 12)}, {ApiKey.METADATA: creating})
    with Client(f"127.0.0.1:{broker.port}") as client:
        assert sorted(client.partitions(["t"], auto_create=True)["t"].partitions) == [0, 1]
        assert asked == [True] * 4
        with pytest.raises(KafkaError, match="topic gone: UNKNOWN_TOPIC_OR_PARTITION$"):
            client.partitions(["gone"])  # without auto_create an unknown topic is final at once
        assert asked[4:] == [False]
        with pytest.raises(KafkaError, match=r"topic gone: UNKNOWN_TOPIC_OR_PARTITION \(the broker did not create"):
            client.partitions(["gone"], auto_create=True)


def test_shared_versions_keep_only_overlapping_ranges():
    ours = API_BY_KEY[ApiKey.FETCH].valid_versions
    assert shared_versions({ApiKey.FETCH: (0, 10_000)}) == {ApiKey.FETCH: ours.high}
    assert shared_versions({ApiKey.FETCH: (0, ours.low - 1)}) == {}
    assert shared_versions({ApiKey.FETCH: (ours.low, ours.low)}) == {ApiKey.FETCH: ours.low}


def test_bootstrap_servers_default_to_port_9092():
    assert parse_bootstrap("a:1, b ,[::1]:3") == [("a", 1), ("b", 9092), ("::1", 3)]
    with pytest.raises(ValueError):
        parse_bootstrap(" , ")


def test_unreachable_bootstrap_raises_connection_error():
    with socket.create_server(("127.0.0.1", 0)) as placeholder:
        port = placeholder.getsockname()[1]
    with pytest.raises(ConnectionError, match="no bootstrap broker answered"):
        Client(f"127.0.0.1:{port}").metadata()


@pytest.mark.parametrize("key, expected", [
    (b"21", -973932308), (b"foobar", -790332482), (b"a-little-bit-long-string", -985981536),
    (b"abc", 479470107), (b"", 275646681),
])
def test_murmur2_matches_kafkas_java_producer(key, expected):
    assert murmur2(key) == expected


def test_keyed_records_stick_to_a_partition_and_keyless_ones_rotate():
    partitioner = Partitioner()
    assert partitioner.partition(b"foobar", 7) == (-790332482 & 0x7FFFFFFF) % 7
    assert [partitioner.partition(None, 3) for _ in range(4)] == [0, 1, 2, 0]


def test_range_assignor_gives_contiguous_ranges_extra_partitions_first():
    plan = range_assign({"m2": ["a", "b"], "m1": ["a"], "m3": ["a"]}, {"a": 7, "b": 2})
    assert plan == {"m1": [("a", 0), ("a", 1), ("a", 2)], "m2": [("a", 3), ("a", 4), ("b", 0), ("b", 1)],
                    "m3": [("a", 5), ("a", 6)]}
    assert range_assign({"m": ["x"]}, {"a": 2}) == {"m": []}


def test_retriable_errors_are_retried_and_others_raised_at_once(monkeypatch):
    monkeypatch.setattr(errors, "RETRY_BACKOFF", 0)
    outcomes = [KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER, "produce"),
                KafkaError(ErrorCode.LEADER_NOT_AVAILABLE, "produce"), "done"]

    def attempt():
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    assert errors.retrying(attempt) == "done" and not outcomes
    calls = []

    def refused():
        calls.append(1)
        raise KafkaError(ErrorCode.TOPIC_AUTHORIZATION_FAILED, "topic t")

    with pytest.raises(KafkaError, match="topic t: TOPIC_AUTHORIZATION_FAILED"):
        errors.retrying(refused)
    assert len(calls) == 1


def test_describe_topics_follows_the_cursor_and_falls_back_to_metadata():
    def pages(header, body):
        start = body.cursor.partition_index if body.cursor else 0
        return {"topics": [{"name": "t", "topic_id": TOPIC_ID, "partitions": [
            {"partition_index": start, "leader_id": 5, "replica_nodes": [5], "isr_nodes": [5],
             "eligible_leader_replicas": [], "last_known_elr": [5]}]}],
            "next_cursor": {"topic_name": "t", "partition_index": start + 1} if start < 2 else None}

    paged = ScriptedBroker({ApiKey.API_VERSIONS: (0, 3), ApiKey.DESCRIBE_TOPIC_PARTITIONS: (0, 0)},
                           {ApiKey.DESCRIBE_TOPIC_PARTITIONS: pages})
    with Client(f"127.0.0.1:{paged.port}") as client:
        info = client.describe_topics(["t"])["t"]
    assert sorted(info.partitions) == [0, 1, 2]
    assert (info.partitions[2].elr, info.partitions[2].last_known_elr) == ([], [5])
    assert paged.seen.count((ApiKey.DESCRIBE_TOPIC_PARTITIONS, 0)) == 3

    old = ScriptedBroker({ApiKey.API_VERSIONS: (0, 3), ApiKey.METADATA: (0, 12)}, {ApiKey.METADATA: metadata_answer})
    with Client(f"127.0.0.1:{old.port}") as client:
        info = client.describe_topics(["t"])["t"]
    assert sorted(info.partitions) == [0, 1] and info.partitions[0].elr is None


def test_a_connection_pipelines_requests_and_reads_answers_in_order():
    broker = ScriptedBroker({ApiKey.API_VERSIONS: (0, 3), ApiKey.METADATA: (0, 9)}, {ApiKey.METADATA: metadata_answer})
    with Client(f"127.0.0.1:{broker.port}") as client:
        connection = client.connection()
        for _ in range(3):
            assert connection.send(ApiKey.METADATA, {"topics": [{"name": "t"}], "allow_auto_topic_creation": False})
        assert connection.in_flight == 3
        with pytest.raises(RuntimeError, match="3 sent request"):
            connection.request(ApiKey.METADATA, {"topics": None})
        answers = [connection.receive() for _ in range(3)]
        assert [answer.topics[0].name for answer in answers] == ["t"] * 3
        assert connection.in_flight == 0
        with pytest.raises(RuntimeError, match="no request awaits"):
            connection.receive()


def test_the_pipelined_producer_bounds_requests_in_flight_and_resends_a_retriable_refusal(monkeypatch):
    monkeypatch.setattr(pipelined_producer, "RETRY_BACKOFF", 0)
    refusals = [ErrorCode.NOT_LEADER_OR_FOLLOWER]
    written = []

    def produce(header, body):
        part = body.topic_data[0].partition_data[0]
        code = refusals.pop(0) if refusals else 0
        if not code:
            written.append(bytes(part.records))
        return {"responses": [{"name": "t", "partition_responses": [
            {"index": part.index, "error_code": code, "base_offset": -1 if code else len(written) - 1}]}]}

    broker = ScriptedBroker({ApiKey.API_VERSIONS: (0, 3), ApiKey.METADATA: (0, 12), ApiKey.PRODUCE: (0, 9)},
                            {ApiKey.PRODUCE: produce})

    def metadata_here(header, body):  # node 5 is the scripted broker itself
        answer = metadata_answer(header, body)
        answer["brokers"] = [{"node_id": 5, "host": "127.0.0.1", "port": broker.port}]
        return answer

    broker.answers[ApiKey.METADATA] = metadata_here
    acknowledged, in_flight = [], []
    with Client(f"127.0.0.1:{broker.port}") as client:
        producer = pipelined_producer.PipelinedProducer(client, lambda records, ms: acknowledged.append(records), max_in_flight=3)
        for i in range(10):
            producer.send(("t", i % 2), i + 1, b"batch-%d" % i)
            in_flight.append(client.connection(5).in_flight)
        producer.flush()
        assert client.connection(5).in_flight == 0
    assert max(in_flight) == 3
    assert sorted(acknowledged) == list(range(1, 11))
    assert sorted(written) == sorted(b"batch-%d" % i for i in range(10))  # the refused batch, sent again
