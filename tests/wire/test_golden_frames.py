"""Frames recorded from real clients (kafka-python, confluent-kafka) decode, and re-encode byte for byte.

The frames come from ``golden/capture.py`` (see there to re-record); ``golden/frames/index.json``
names each file's API, version, correlation id and the client that sent it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from odradek.wire import RequestHeader, encode_request, encode_response, frame, parse_request, parse_response

FRAMES = Path(__file__).parent / "golden" / "frames"
INDEX = json.loads((FRAMES / "index.json").read_text())
REQUESTS = [entry for entry in INDEX if entry["kind"] == "request"]
RESPONSES = [entry for entry in INDEX if entry["kind"] == "response"]
RECORDED_APIS = {0, 1, 2, 3, 18, 19, 20, 32}  # Produce, Fetch, ListOffsets, Metadata, ApiVersions,
#                                               CreateTopics, DeleteTopics, DescribeConfigs


def by_file(entry: dict) -> str:
    return entry["file"].removesuffix(".bin")


def test_both_clients_recorded_every_api():
    for client in ("kafka-python", "confluent-kafka"):
        assert {e["api_key"] for e in REQUESTS if e["client"] == client} == RECORDED_APIS, client
    produce_variants = {e["file"] for e in REQUESTS if e["api_key"] == 0}
    assert len(produce_variants) == 4, "one uncompressed and one compressed Produce per client"


@pytest.mark.parametrize("entry", REQUESTS, ids=by_file)
def test_request_round_trips(entry):
    data = (FRAMES / entry["file"]).read_bytes()
    header, body = parse_request(data)

    assert (header.api_key, header.api_version, header.correlation_id) == (
        entry["api_key"], entry["api_version"], entry["correlation_id"])
    assert header.client_id == entry["client"]
    assert encode_request(header.api_key, header.api_version, header.correlation_id, header.client_id,
                          body) == frame(data)


@pytest.mark.parametrize("entry", RESPONSES, ids=by_file)
def test_response_round_trips(entry):
    data = (FRAMES / entry["file"]).read_bytes()
    correlation_id, body = parse_response(entry["api_key"], entry["api_version"], data)

    assert correlation_id == entry["correlation_id"]
    request = RequestHeader(entry["api_key"], entry["api_version"], correlation_id, None)
    assert encode_response(request, body) == frame(data)


@pytest.mark.parametrize("entry", [e for e in REQUESTS if e["api_key"] == 0], ids=by_file)
def test_produce_requests_carry_the_batch_as_sent(entry):
    """The records field stays raw bytes: the codec must not touch a client's (maybe compressed) batch,
    nor copy it: it is a view of the request frame itself."""
    frame = (FRAMES / entry["file"]).read_bytes()
    _, body = parse_request(frame)
    [topic] = body.topic_data
    [partition] = topic.partition_data
    records = partition.records
    assert isinstance(records, memoryview) and records.obj is frame
    assert records[16] == 2  # magic byte of record batch v2
    codec = int.from_bytes(records[21:23], "big") & 0x7  # the batch attributes' low bits
    assert codec == {"none": 0, "gzip": 1, "zstd": 4}[entry["variant"]]
