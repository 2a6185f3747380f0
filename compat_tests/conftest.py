"""Fixtures that run a real odradek process (or cluster) for real Kafka clients.

``broker``: a fresh broker per test; overrides come from ``@pytest.mark.broker_overrides({...})``.
``module_broker``: one broker shared by a module's tests; overrides come from the module's
``BROKER_OVERRIDES`` dict, and a module whose tests run against Apache Kafka too sets
``RUNS_AGAINST_KAFKA_TOO = True`` to get the broker ``ODRADEK_COMPAT_TARGET`` names
(``java/targets.py``).  Either way the broker is stopped at teardown, and a Python traceback in
its log fails the test that was running when it was written.  ``wire`` is a ``WireClient`` on
``module_broker``.
``clients`` makes Kafka clients and closes them before the broker stops; ``members`` does the
same for consumer-group members, each polled by its own thread or process; ``topic`` is a
name unique to the test, since tests may share a broker, and one Kafka's tools take without a
warning (hyphens, no underscores; at most the module's ``TOPIC_MAX_LENGTH`` characters).
``cluster``: ZooKeeper and three brokers shared by a module's tests; overrides come from the
module's ``CLUSTER_OVERRIDES`` dict, racks from its ``CLUSTER_RACKS`` (broker id -> rack).
``zk`` is a ZooKeeper client on it.  A module asks for ``cluster_traceback_guard``
(``pytestmark = pytest.mark.usefixtures(...)``) to fail a test during which a broker of its
cluster (``cluster``, or a module's own ``own_cluster``) logged a traceback, and for
``kafka_jars`` when its tests run Kafka's own tools whatever the broker (they skip without a
JVM or Maven).
"""

from __future__ import annotations

import re

import pytest

from .broker_process import BrokerProcess
from .clients import Clients
from .cluster_process import Cluster
from .cluster_tools import kazoo
from .group_member import GroupMembers
from .java.targets import require_apps_jars, require_kafka_jars, start_broker, stop_broker
from .wire_client import WireClient

BROKER_FIXTURES = ("broker", "module_broker")
CLUSTER_FIXTURES = ("cluster", "own_cluster")  # the shared cluster, and a module's cluster for one test
TOPIC_MAX_LENGTH = 200  # unless the module says less
#: A user's project run by test_testing_plugin.py in a pytest of its own, not collected with ours.
collect_ignore = ["testing_example"]


def pytest_configure(config):
    config.addinivalue_line("markers", "broker_overrides(dict): Kafka properties for the `broker` fixture")
    config.addinivalue_line("markers", "slow: faults and long runs on a cluster; CI runs them, "
                                       "`-m 'not slow'` skips them locally")


@pytest.fixture
def broker(request, tmp_path, _traceback_guard):
    marker = request.node.get_closest_marker("broker_overrides")
    process = BrokerProcess(tmp_path / "data", marker.args[0] if marker else None).start()
    _traceback_guard.append((process, 0))
    yield process
    _finish(process)


@pytest.fixture(scope="module")
def module_broker(request, tmp_path_factory):
    overrides = getattr(request.module, "BROKER_OVERRIDES", None)
    data = tmp_path_factory.mktemp("data")
    if getattr(request.module, "RUNS_AGAINST_KAFKA_TOO", False):
        process = start_broker(data, overrides)  # odradek, or Apache Kafka
        yield process
        stop_broker(process)
    else:
        process = BrokerProcess(data, overrides).start()
        yield process
        _finish(process)


@pytest.fixture
def wire(module_broker):
    with WireClient(module_broker) as client:
        yield client


@pytest.fixture(scope="session")
def kafka_jars():
    """Apache Kafka's jars, installed once; without a JVM or Maven the tests asking for them skip."""
    require_kafka_jars()


@pytest.fixture(scope="session")
def apps_jars():
    """Kafka Connect's and Kafka Streams' jars, installed once; without a JVM or Maven the tests
    asking for them skip."""
    require_apps_jars()


@pytest.fixture(scope="module")
def cluster(request, tmp_path_factory):
    overrides = getattr(request.module, "CLUSTER_OVERRIDES", None)
    racks = getattr(request.module, "CLUSTER_RACKS", None)
    running = Cluster(tmp_path_factory.mktemp("cluster"), overrides=overrides, racks=racks).start()
    yield running
    running.stop()


@pytest.fixture
def zk(cluster):
    client = kazoo(cluster)
    yield client
    client.stop()
    client.close()


@pytest.fixture
def clients(request):
    for name in BROKER_FIXTURES:  # set the broker up first so that it is torn down last
        if name in request.fixturenames:
            request.getfixturevalue(name)
    made = Clients()
    yield made
    made.close_all()


@pytest.fixture
def members(clients):  # after `clients`, so that members close before the broker stops
    made = GroupMembers()
    yield made
    made.close_all()


@pytest.fixture
def topic(request) -> str:
    """The test's name with hyphens for underscores and brackets (Kafka's topic tool warns that
    '_' and '.' collide in metric names), at most the module's ``TOPIC_MAX_LENGTH`` characters."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", request.node.name).strip("-").replace("_", "-")
    return name[:getattr(request.module, "TOPIC_MAX_LENGTH", TOPIC_MAX_LENGTH)]


@pytest.fixture(autouse=True)
def _traceback_guard(request):
    """Fail the current test if a broker it used logged a traceback while it ran."""
    watched: list[tuple[BrokerProcess, int]] = []  # (broker, first log line written during this test)
    if "module_broker" in request.fixturenames:
        shared = request.getfixturevalue("module_broker")
        watched.append((shared, shared.log_length()))
    yield watched
    found = [tb for process, since in watched for tb in process.tracebacks(since)]
    assert not found, "the broker logged a traceback:\n" + "\n".join(found)


@pytest.fixture
def cluster_traceback_guard(request):
    """Fail the current test if a broker of a cluster it used logged a traceback while it ran."""
    clusters = [request.getfixturevalue(name) for name in CLUSTER_FIXTURES if name in request.fixturenames]
    since = [(broker, broker.log_length()) for c in clusters for broker in c.brokers.values()]
    yield
    found = [tb for broker, start in since for tb in broker.tracebacks(start)]
    assert not found, "a broker logged a traceback:\n" + "\n".join(found)


def _finish(process: BrokerProcess) -> None:
    code = process.stop()
    print(f"--- broker log ({process.bootstrap}, exit code {code}) ---\n{process.log_text()[-20000:]}")
    assert code == 0, f"odradek exited with {code} on SIGTERM"
