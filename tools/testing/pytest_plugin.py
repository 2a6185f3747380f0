"""The pytest plugin: odradek brokers as fixtures, found through the ``pytest11`` entry point.

Installing odradek is enough; no conftest. Fixtures:

``kafka_broker``
    The bootstrap address (``"127.0.0.1:PORT"``) of a fresh broker with a temporary data
    directory, session-scoped unless the ini option ``odradek_scope`` says ``module``,
    ``package``, ``class`` or ``function``. Its properties come from the ini option
    ``odradek_broker_properties`` (lines of ``key=value``).
``kafka_broker_factory``
    ``kafka_broker_factory(properties=None, **options)`` starts another ``Broker`` (stop,
    restart, ``.bootstrap``); all are closed after the test.
``kafka_cluster_factory``
    ``kafka_cluster_factory(brokers=3, properties=None)`` starts a ``Cluster`` (ZooKeeper and N
    brokers; needs Java); closed after the test.
``kafka_topic``
    A topic named after the test, created on ``kafka_broker``;
    ``@pytest.mark.kafka_topic(partitions=3, configs={...})`` shapes it.
``kafka_create_topic``
    ``kafka_create_topic(name, partitions=1, ...)`` on ``kafka_broker``: ``create_topic`` bound to it.

The plugin imports nothing of the broker or the wire codecs: test runs that use no fixture pay nothing.
"""

from __future__ import annotations

import re

import pytest

from .broker import Broker
from .cluster import Cluster
from .topics import create_topic

SCOPES = ("session", "package", "module", "class", "function")


def pytest_addoption(parser):
    parser.addini("odradek_scope", "scope of the kafka_broker fixture (default: session)", default="session")
    parser.addini("odradek_broker_properties", "Kafka properties (key=value lines) of the kafka_broker fixture",
                  type="linelist", default=[])


def pytest_configure(config):
    config.addinivalue_line("markers", "kafka_topic(partitions=1, replication_factor=-1, configs=None): "
                                       "how odradek's kafka_topic fixture creates the test's topic")


def _broker_scope(fixture_name, config) -> str:
    scope = (config.getini("odradek_scope") or "session").strip()
    if scope not in SCOPES:
        raise pytest.UsageError(f"odradek_scope = {scope!r}: use one of {', '.join(SCOPES)}")
    return scope


def _ini_properties(config) -> dict[str, str]:
    properties = {}
    for line in config.getini("odradek_broker_properties"):
        key, equals, value = line.partition("=")
        if not equals or not key.strip():
            raise pytest.UsageError(f"odradek_broker_properties: expected key=value, got {line!r}")
        properties[key.strip()] = value.strip()
    return properties


@pytest.fixture(scope=_broker_scope)
def kafka_broker(pytestconfig) -> str:
    with Broker(_ini_properties(pytestconfig)) as running:
        yield running.bootstrap


@pytest.fixture
def kafka_broker_factory():
    """``kafka_broker_factory(properties, **options)`` starts a ``Broker`` of this test's own."""
    yield from _closing_factory(Broker)


@pytest.fixture
def kafka_cluster_factory():
    """``kafka_cluster_factory(brokers, properties, **options)`` starts a ``Cluster`` of this test's own."""
    yield from _closing_factory(Cluster)


def _closing_factory(kind):
    """A factory fixture's body: what it makes (``kind(...)``) is started, and closed after the
    test, the last made first."""
    made = []

    def start(*args, **options):
        running = kind(*args, **options)
        made.append(running)
        return running.start()

    yield start
    for running in reversed(made):
        running.close()


@pytest.fixture
def kafka_create_topic(kafka_broker):
    def create(name: str, partitions: int = 1, replication_factor: int = -1, configs=None, **options) -> str:
        return create_topic(kafka_broker, name, partitions, replication_factor, configs, **options)
    return create


@pytest.fixture
def kafka_topic(request, kafka_broker) -> str:
    """A topic unique to the test (its name, made legal for Kafka), on ``kafka_broker``."""
    marker = request.node.get_closest_marker("kafka_topic")
    shape = dict(marker.kwargs) if marker else {}
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", request.node.nodeid).strip("-")[-200:].lstrip("-.")
    return create_topic(kafka_broker, name, exist_ok=True, **shape)
