"""Frames recorded from real Kafka clients (tests/wire/golden/capture.py) decode and re-encode
byte for byte.  Skipped until frames have been recorded."""

import json
from pathlib import Path

import pytest

from odradek.wire import RequestHeader, encode_request, encode_response, parse_request, parse_response

FRAMES = Path(__file__).resolve().parent / "golden" / "frames"
INDEX = json.loads((FRAMES / "index.json").read_text()) if (FRAMES / "index.json").is_file() else []

if not INDEX:
    pytest.skip("no recorded frames (run tests/wire/golden/capture.py)", allow_module_level=True)


@pytest.mark.parametrize("entry", INDEX, ids=lambda entry: entry["file"])
def test_recorded_frame_round_trips(entry):
    frame = (FRAMES / entry["file"]).read_bytes()
    api_key, version, correlation_id = entry["api_key"], entry["api_version"], entry["correlation_id"]
    if entry["kind"] == "request":
        header, body = parse_request(frame)
        assert (header.api_key, header.api_version, header.correlation_id) == (api_key, version, correlation_id)
        again = encode_request(api_key, version, correlation_id, header.client_id, body)
    else:
        parsed_correlation_id, body = parse_response(api_key, version, frame)
        assert parsed_correlation_id == correlation_id
        again = encode_response(RequestHeader(api_key, version, correlation_id, None), body)
    assert again[4:] == frame
