"""The background task that applies retention, and the delayed removal of deleted segment files."""

from __future__ import annotations

import pytest
import trio
import trio.testing

from odradek.server.broker import Broker
from odradek.server.broker_config import BrokerConfig
from odradek.wire.records import Record, build_batch


def old_batch() -> bytes:
    """One 300-byte record stamped in 1970: long past any retention."""
    return build_batch([Record(offset_delta=0, timestamp_delta=0, key=None, value=b"x" * 300)], base_timestamp=1_000)


@pytest.fixture
def broker(tmp_path):
    broker = Broker(BrokerConfig.load(data_dir=str(tmp_path), overrides=[
        "log.retention.check.interval.ms=1000", "log.retention.ms=5000", "log.segment.delete.delay.ms=60000"]))
    broker.logs.startup()
    yield broker
    broker.logs.close()


def test_retention_runs_every_interval_and_files_go_after_the_delete_delay(broker, tmp_path):
    broker.logs.create_topic("t", 1, {"internal.segment.bytes": "1000"})
    log = broker.logs.partition("t", 0)
    for _ in range(8):
        log.append(old_batch(), now_ms=2_000)
    segments_before = len(list((tmp_path / "t-0").glob("*.log")))
    assert segments_before > 1

    async def scenario():
        async with trio.open_nursery() as nursery:
            nursery.start_soon(broker.maintenance.run)
            await trio.sleep(0.5)
            assert log.log_start_offset == 0  # the first check is one interval after start
            await trio.sleep(1)
            assert log.log_start_offset == log.log_end_offset == 8
            assert list((tmp_path / "t-0").glob("*.log.deleted"))
            await trio.sleep(59)
            assert list((tmp_path / "t-0").glob("*.log.deleted"))
            await trio.sleep(1.5)
            nursery.cancel_scope.cancel()  # waits for a removal already running in its thread

    trio.run(scenario, clock=trio.testing.MockClock(autojump_threshold=0))
    assert not list((tmp_path / "t-0").glob("*.deleted"))
    assert [p.name for p in (tmp_path / "t-0").glob("*.log")] == [f"{8:020d}.log"]


def test_a_bad_check_interval_is_refused(tmp_path):
    config = BrokerConfig.load(data_dir=str(tmp_path), overrides=["log.retention.check.interval.ms=0"])
    with pytest.raises(ValueError, match="log.retention.check.interval.ms"):
        Broker(config)
