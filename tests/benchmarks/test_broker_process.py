"""A broker that dies before answering fails its start with its own output quoted."""

import sys

import pytest

from benchmarks.brokers import start_broker
from benchmarks.brokers.process import BrokerProcess, free_port


def test_a_process_that_exits_fails_the_start_with_its_log(tmp_path):
    command = [sys.executable, "-c", "import sys; print('no such config', flush=True); sys.exit(3)"]
    with pytest.raises(RuntimeError, match="(?s)exited with 3.*no such config"):
        BrokerProcess("fake", command, free_port(), tmp_path / "broker.log", start_timeout=10.0)
    assert (tmp_path / "broker.log").read_text() == "no such config\n"


def test_unknown_broker_names_are_refused(tmp_path):
    with pytest.raises(ValueError, match="unknown broker 'redpanda'"):
        start_broker("redpanda", tmp_path, {})
