"""Fixtures: partition logs and log managers in a temp directory, closed after each test."""

from __future__ import annotations

from pathlib import Path

import pytest

from odradek.storage import log_loader
from odradek.storage.log_config import LogConfig
from odradek.storage.log_manager import LogManager
from odradek.storage.partition_log import PartitionLog
from odradek.storage.producer_state_config import ProducerStateConfig

NOW = 10_000  # a fixed broker clock for appends; test batches carry timestamps near 1_000


@pytest.fixture
def log_dir(tmp_path):
    return tmp_path / "topic-0"


@pytest.fixture
def open_log(log_dir):
    """open_log(topic_overrides, broker_props, producer_config, now_ms) -> PartitionLog on log_dir;
    reopening (a restart) is another call."""
    opened = []

    def opener(overrides: dict[str, str] | None = None, broker: dict[str, str] | None = None,
               producer: ProducerStateConfig = ProducerStateConfig(), now_ms: int = NOW) -> PartitionLog:
        config = LogConfig.from_props(broker or {}, overrides or {})
        log = PartitionLog.open(log_dir, "topic", 0, config, producer, now_ms=now_ms)
        opened.append(log)
        return log

    yield opener
    for log in opened:
        log.close()


@pytest.fixture
def open_manager(tmp_path):
    """open_manager(broker_props, log_dirs) -> started LogManager on the log directories (one,
    tmp_path/data, unless given); closed at teardown."""
    opened = []

    def opener(broker: dict[str, str] | None = None, log_dirs: list[Path] | None = None) -> LogManager:
        manager = LogManager(log_dirs or tmp_path / "data", broker or {})
        manager.startup()
        opened.append(manager)
        return manager

    yield opener
    for manager in opened:
        manager.close()


@pytest.fixture
def jbod(open_manager, tmp_path):
    """jbod(n) -> started LogManager over n log directories, tmp_path/d0..d<n-1>; closed at teardown."""
    return lambda n: open_manager(log_dirs=[tmp_path / f"d{i}" for i in range(n)])


@pytest.fixture
def open_replica(tmp_path):
    """open_replica(name, topic_overrides, now_ms) -> PartitionLog in tmp_path/<name>-0 (a leader's
    or a follower's copy of a partition); reopening is another call; closed at teardown."""
    opened = []

    def opener(name: str, overrides: dict[str, str] | None = None, now_ms: int = NOW) -> PartitionLog:
        config = LogConfig.from_props({}, overrides or {})
        log = PartitionLog.open(tmp_path / f"{name}-0", name, 0, config, now_ms=now_ms)
        opened.append(log)
        return log

    yield opener
    for log in opened:
        log.close()


@pytest.fixture
def replays(monkeypatch):
    """Base offsets of the segments ``log_loader`` replays."""
    replayed = []
    recover = log_loader._recover

    def counting(directory, base, config, now_ms):
        replayed.append(base)
        return recover(directory, base, config, now_ms)

    monkeypatch.setattr(log_loader, "_recover", counting)
    return replayed
