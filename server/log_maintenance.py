"""Keeping the logs bounded while the broker runs: retention, on a background task.

Every ``log.retention.check.interval.ms`` each partition drops the old segments its topic's
retention lets go (storage decides which, from segment metadata, and renames their files on
the event loop: cheap). The files themselves are removed ``file.delete.delay.ms`` later in a
worker thread, as Kafka does, so a read planned just before still completes and request
handling never waits on the disk. Removals cut short by shutdown are finished at startup.
"""

from __future__ import annotations

import logging
from pathlib import Path

import trio

from odradek.storage.config_def import ConfigDef, at_least
from odradek.storage.errors import InvalidConfigError
from odradek.storage.log_manager import LogManager

log = logging.getLogger("odradek.server")

RETENTION_CHECK_INTERVAL = ConfigDef("log.retention.check.interval.ms", "long", "300000", validator=at_least(1))


class LogMaintenance:
    def __init__(self, broker) -> None:
        self._logs: LogManager = broker.logs
        try:
            self.retention_check_interval_ms = RETENTION_CHECK_INTERVAL.parse(
                broker.config.get(RETENTION_CHECK_INTERVAL.name, RETENTION_CHECK_INTERVAL.default)
            )
        except InvalidConfigError as exc:
            raise ValueError(str(exc)) from None

    async def run(self) -> None:
        """Apply retention periodically until cancelled."""
        async with trio.open_nursery() as removals:
            while True:
                await trio.sleep(self.retention_check_interval_ms / 1000)
                self.apply_retention(removals)

    def apply_retention(self, removals: trio.Nursery) -> None:
        for partition, renamed in self._logs.delete_old_segments():
            removals.start_soon(_remove_later, renamed, partition.config.file_delete_delay_ms)


async def _remove_later(paths: list[Path], delay_ms: int) -> None:
    await trio.sleep(delay_ms / 1000)
    await trio.to_thread.run_sync(LogManager.remove_files, paths)
    log.debug("Removed %d file(s) of deleted segments", len(paths))
