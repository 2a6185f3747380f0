"""Fixtures that run a real odradek process for real Kafka clients.

``broker``: a fresh broker per test; overrides come from ``@pytest.mark.broker_overrides({...})``.
``module_broker``: one broker shared by a module's tests; overrides come from the module's
``BROKER_OVERRIDES`` dict.  Either way the broker is stopped at teardown, and a Python
traceback in its log fails the test that was running when it was written.
``clients`` makes Kafka clients and closes them before the broker stops; ``members`` does the
same for consumer-group members, each polled by its own thread or process; ``topic`` is a
name unique to the test, since tests may share a broker.
"""

from __future__ import annotations

import re

import pytest

from .broker_process import BrokerProcess
from .clients import Clients
from .group_member import GroupMembers

BROKER_FIXTURES = ("broker", "module_broker")


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
    process = BrokerProcess(tmp_path_factory.mktemp("data"), overrides).start()
    yield process
    _finish(process)


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
    return re.sub(r"[^A-Za-z0-9._-]+", "-", request.node.name).strip("-")[:200]


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


def _finish(process: BrokerProcess) -> None:
    code = process.stop()
    print(f"--- broker log ({process.bootstrap}, exit code {code}) ---\n{process.log_text()[-20000:]}")
    assert code == 0, f"odradek exited with {code} on SIGTERM"
