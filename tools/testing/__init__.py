"""odradek as the Kafka broker of a Python test suite: ``pip install odradek`` and no JVM, no Docker.

``with odradek.testing.broker() as bootstrap:`` runs a fresh ``odradek serve`` on a free port
with a temporary data directory for the block (unittest, scripts); ``Broker`` is the same as an
object that can also be stopped and started again; ``cluster()``/``Cluster`` run ``odradek
cluster`` (ZooKeeper and N brokers, which needs Java for ZooKeeper); ``create_topic`` makes a
topic and waits until it can be produced to. The pytest plugin (``odradek.testing.pytest_plugin``,
registered through the ``pytest11`` entry point) turns these into fixtures.

The broker runs as a child process rather than in a thread of the test process: it keeps its own
event loop, signals and GIL away from the clients under test, and a stop is a real SIGTERM.
"""

from .broker import Broker, BrokerError, broker
from .cluster import Cluster, cluster
from .topics import create_topic

__all__ = ["Broker", "BrokerError", "Cluster", "broker", "cluster", "create_topic"]
