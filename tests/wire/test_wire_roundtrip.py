"""Encode → decode → encode gives the same bytes and the same values, for every message."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from odradek.wire import ALL_APIS, API_BY_NAME, decode, default_struct, encode
from odradek.wire.codec import UNKNOWN_TAGGED_FIELDS

from wire_strategies import assert_matches, versioned_values

ALL_MESSAGE_VERSIONS = [
    pytest.param(message, version, id=f"{message.name}-v{version}")
    for api in ALL_APIS
    for message in (api.request, api.response)
    for version in message.valid_versions
]


@pytest.mark.parametrize(("message", "version"), ALL_MESSAGE_VERSIONS)
def test_defaults_round_trip_for_every_message_version(message, version):
    encoded = encode(message, version, {})
    decoded = decode(message, version, encoded)
    assert encode(message, version, decoded) == encoded
    assert set(decoded) == {field.name for field in message.fields}
    defaults = default_struct(message.fields)
    for field in message.fields:
        if version not in field.versions or defaults[field.name] is not None:
            assert decoded[field.name] == defaults[field.name], field.name


REPRESENTATIVE = ["Produce", "Fetch", "Metadata", "ApiVersions", "CreateTopics", "JoinGroup",
                  "SyncGroup", "ListOffsets", "OffsetCommit", "DescribeConfigs",
                  "ConsumerGroupHeartbeat", "DescribeTopicPartitions"]


@pytest.mark.parametrize("direction", ["request", "response"])
@pytest.mark.parametrize("api_name", REPRESENTATIVE)
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_generated_values_round_trip(api_name, direction, data):
    message = getattr(API_BY_NAME[api_name], direction)
    version, value = data.draw(versioned_values(message))
    encoded = encode(message, version, value)
    decoded = decode(message, version, encoded)
    assert_matches(value, decoded)
    assert UNKNOWN_TAGGED_FIELDS not in decoded
    assert encode(message, version, decoded) == encoded
