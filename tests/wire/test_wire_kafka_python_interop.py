"""Our encodings against a second implementation: kafka-python 3 reads what we write and, writing
it back, produces the very same bytes (for every API and version both of us know)."""

import importlib
import pkgutil

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from odradek.wire import API_BY_KEY, ApiKey, encode

from wire_strategies import message_values

kafka_protocol = pytest.importorskip("kafka.protocol")
ApiMessage = importlib.import_module("kafka.protocol.api_message").ApiMessage


def _kafka_python_classes() -> dict:
    for module in pkgutil.walk_packages(kafka_protocol.__path__, "kafka.protocol."):
        if ".old" not in module.name and "generate" not in module.name:
            importlib.import_module(module.name)
    found, pending = {}, [ApiMessage]
    while pending:
        cls = pending.pop()
        pending += cls.__subclasses__()
        if cls is not ApiMessage and cls._class_version is None:
            found[(cls.API_KEY, cls.type)] = cls
    return found


CASES = [
    (cls, getattr(API_BY_KEY[key], kind), version)
    for (key, kind), cls in sorted(_kafka_python_classes().items())
    for version in getattr(API_BY_KEY[key], kind).valid_versions
    if version <= cls.max_version
]


def assert_kafka_python_rewrites_the_same_bytes(cls, version, ours: bytes) -> None:
    decoded = cls.decode(ours, version=version)
    decoded._header = None  # kafka-python's decode leaves it unset
    assert bytes(decoded.encode(version=version)) == ours


@pytest.mark.parametrize(("cls", "message", "version"), CASES,
                         ids=[f"{message.name}-v{version}" for _, message, version in CASES])
def test_defaults(cls, message, version):
    assert_kafka_python_rewrites_the_same_bytes(cls, version, encode(message, version, {}))


def _generated(case):
    cls, message, version = case
    values = message_values(message, version)
    if message is API_BY_KEY[ApiKey.API_VERSIONS].response:
        # kafka-python reads an ApiVersions error response as v0, as Kafka clients do.
        values = values.map(lambda value: {**value, "error_code": 0})
    return values.map(lambda value: (cls, message, version, value))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(CASES).flatmap(_generated))
def test_generated_values(case):
    cls, message, version, value = case
    assert_kafka_python_rewrites_the_same_bytes(cls, version, encode(message, version, value))
