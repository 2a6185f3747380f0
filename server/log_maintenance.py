"""Keeping the logs bounded and durable while the broker runs: background retention, compaction, flushes.

Retention: every ``log.retention.check.interval.ms`` each partition drops the old segments its
topic's retention lets go (storage decides which, from segment metadata, and renames their files
on the event loop: cheap). Compaction (``log.cleaner.enable``): every ``log.cleaner.backoff.ms``
(which, as in Kafka, may change at runtime) the compacted partitions that have enough dirty data
are cleaned one at a time, the rewriting in a worker thread, the swap back on the event loop (see
``odradek.storage.log_cleaner``); where it stopped is checkpointed. Flushes: every
``log.flush.scheduler.interval.ms`` (Kafka's default: never) the partitions whose ``flush.ms``
passed are fsynced in a worker thread (``flush.messages`` is the Produce handler's). Files let go are removed ``file.delete.delay.ms`` later in a worker
thread, as Kafka does, so a read planned just before still completes and request handling never
waits on the disk. Removals cut short by shutdown are finished at startup.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path

import trio

from odradek.storage.config_def import ConfigDef, at_least
from odradek.storage.errors import InvalidConfigError, StorageError
from odradek.storage.log_cleaner import clean
from odradek.storage.log_config import LONG_MAX
from odradek.storage.log_manager import LogManager, flush_all

log = logging.getLogger("odradek.server")

RETENTION_CHECK_INTERVAL = ConfigDef("log.retention.check.interval.ms", "long", "300000", validator=at_least(1))
CLEANER_BACKOFF = ConfigDef("log.cleaner.backoff.ms", "long", "15000", validator=at_least(0))
CLEANER_ENABLE = ConfigDef("log.cleaner.enable", "boolean", "true")
FLUSH_SCHEDULER_INTERVAL = ConfigDef("log.flush.scheduler.interval.ms", "long", LONG_MAX, validator=at_least(0))


class LogMaintenance:
    def __init__(self, broker) -> None:
        self._logs: LogManager = broker.logs
        props = broker.dynamic_configs.effective()
        try:
            values = [d.parse(props.get(d.name, d.default))
                      for d in (RETENTION_CHECK_INTERVAL, CLEANER_BACKOFF, CLEANER_ENABLE, FLUSH_SCHEDULER_INTERVAL)]
        except InvalidConfigError as exc:
            raise ValueError(str(exc)) from None
        self.retention_check_interval_ms, self.cleaner_backoff_ms, self.cleaner_enabled, self.flush_interval_ms = values

    def reconfigure(self, props: Mapping[str, str]) -> None:
        """Take the broker's new effective config: ``log.cleaner.backoff.ms`` may change at runtime
        (from the cleaner's next pause on); the others are fixed at start-up, as in Kafka."""
        self.cleaner_backoff_ms = CLEANER_BACKOFF.parse(props.get(CLEANER_BACKOFF.name, CLEANER_BACKOFF.default))

    async def run(self) -> None:
        """Apply retention and compaction periodically until cancelled."""
        async with trio.open_nursery() as nursery:
            nursery.start_soon(self._retention_loop, nursery)
            if self.cleaner_enabled:
                nursery.start_soon(self._cleaner_loop, nursery)
            if self.flush_interval_ms < int(LONG_MAX):
                nursery.start_soon(self._flush_loop)

    async def _retention_loop(self, removals: trio.Nursery) -> None:
        while True:
            await trio.sleep(self.retention_check_interval_ms / 1000)
            self.apply_retention(removals)

    def apply_retention(self, removals: trio.Nursery) -> None:
        for partition, renamed in self._logs.delete_old_segments():
            removals.start_soon(self._remove_later, renamed, partition.config.file_delete_delay_ms)

    async def _cleaner_loop(self, removals: trio.Nursery) -> None:
        while True:
            await trio.sleep(self.cleaner_backoff_ms / 1000)
            await self.compact(removals)

    async def compact(self, removals: trio.Nursery) -> None:
        """Clean every partition that needs it now, one after the other."""
        cleaned_any = False
        for partition, plan in self._logs.cleaning_plans():
            try:
                cleaned = await trio.to_thread.run_sync(clean, plan)
                leftovers = partition.install_cleaned(plan, cleaned)
            except OSError as exc:  # the disk's, unless the partition was deleted or moved meanwhile
                partition.disk_error(exc)
                log.warning("Could not compact %r: %s", partition, exc)
                continue
            except (StorageError, ValueError) as exc:  # e.g. its topic was deleted meanwhile
                log.warning("Could not compact %r: %s", partition, exc)
                continue
            cleaned_any = True
            removals.start_soon(self._remove_later, leftovers, partition.config.file_delete_delay_ms)
        if cleaned_any:
            await trio.to_thread.run_sync(self._logs.save_cleaner_offsets, self._logs.cleaner_offsets())

    async def _flush_loop(self) -> None:
        while True:
            await trio.sleep(self.flush_interval_ms / 1000)
            due = self._logs.flush_due()
            if due:
                await trio.to_thread.run_sync(flush_all, due)

    async def _remove_later(self, paths: list[Path], delay_ms: int) -> None:
        await trio.sleep(delay_ms / 1000)
        try:
            await trio.to_thread.run_sync(LogManager.remove_files, paths)
        except OSError as exc:
            self._logs.report_disk_error(paths[0], exc)
            return
        log.debug("Removed %d file(s) of deleted segments", len(paths))
