"""Moving partitions between log directories (AlterReplicaLogDirs): Kafka's ReplicaAlterLogDirsThread.

Each move (see ``odradek.storage.log_mover``) is a task. It copies the partition's files in
worker threads, a round at a time, while the partition keeps serving; once little is left, the
last step copies the rest and swaps the copy in on the event loop, where no append can interleave.
Then the new log is fsynced, the checkpoints of both directories are rewritten, and the old
directory is removed ``file.delete.delay.ms`` later (a fetch planned before the swap may still be
reading it). At most one copy per log directory runs at a time, as Kafka's
``num.replica.alter.log.dirs.threads`` defaults to the number of directories, and the dynamic
broker config ``replica.alter.log.dirs.io.max.bytes.per.second`` (``kafka-reassign-partitions
--replica-alter-log-dirs-throttle`` sets it) caps how fast they copy, all together; a change
applies from the next round. A move that a restart cut short is started again. A disk error ends
the move and takes its directory offline.
"""

from __future__ import annotations

import logging
import math

import trio

from odradek.storage.config_def import ConfigDef, at_least
from odradek.storage.errors import InvalidConfigError, StorageError
from odradek.storage.log_mover import FINISH_BYTES, ROUND_BYTES, LogMove, MoveFailed

from .dynamic_config_defs import definition
from .startup_error import ConfigError

log = logging.getLogger("odradek.server")

IO_MAX_BYTES_PER_SECOND = definition("replica.alter.log.dirs.io.max.bytes.per.second")  # Kafka's dynamic config
THREADS = ConfigDef("num.replica.alter.log.dirs.threads", "int", None, validator=at_least(1))


class LogDirMoves:
    def __init__(self, broker) -> None:
        self._logs = broker.logs
        self._configs = broker.dynamic_configs
        self._send, self._receive = trio.open_memory_channel(math.inf)
        threads = broker.config.props.get(THREADS.name)
        try:
            threads = len(broker.logs.dirs.all) if threads is None else THREADS.parse(threads)
        except InvalidConfigError as exc:
            raise ConfigError(str(exc)) from None
        self._copies = trio.CapacityLimiter(threads)
        self._next_copy_at = 0.0  # when the next round may start, by the rate

    def alter(self, topic: str, index: int, path: str) -> None:
        """Move the partition to the log directory ``path`` (event loop). Raises the storage
        errors Kafka answers (see ``LogManager.alter_log_dir``)."""
        move = self._logs.alter_log_dir(topic, index, path)
        if move is not None:
            self._send.send_nowait(move)

    async def run(self) -> None:
        """Run the moves asked for, until cancelled."""
        for topic, index, path in self._logs.resumable_moves():
            try:
                self.alter(topic, index, path)
            except StorageError as exc:
                log.warning("Could not resume moving %s-%d to %s: %s", topic, index, path, exc)
        async with trio.open_nursery() as nursery:
            async for move in self._receive:
                nursery.start_soon(self._run, move)

    async def _run(self, move: LogMove) -> None:
        logs = self._logs
        doomed = []
        try:
            while not move.cancelled:
                rate = self._rate()
                plan = move.plan(min(ROUND_BYTES, rate))  # a round copies at most a second's worth
                if plan.remaining <= FINISH_BYTES:
                    doomed = logs.finish_move(move)
                    break
                await self._pace(plan.size, rate)
                await trio.to_thread.run_sync(move.copy, plan, limiter=self._copies)
        except MoveFailed as exc:
            logs.move_failed(move, exc)
        if move.cancelled:
            if move.doomed is not None:
                await self._remove([move.doomed])
            return
        if move.log.moved_to is None:
            return  # given up: a directory went offline
        await trio.to_thread.run_sync(logs.sync_moved, move)
        await trio.to_thread.run_sync(logs.save_log_start_offsets, logs.log_start_offsets())
        await trio.to_thread.run_sync(logs.save_cleaner_offsets, logs.cleaner_offsets())
        if doomed:
            await trio.sleep(move.log.config.file_delete_delay_ms / 1000)
            await self._remove(doomed)

    def _rate(self) -> int:
        """The throttle now, in bytes per second (0, which Kafka accepts, copies a byte a second)."""
        value = self._configs.effective().get(IO_MAX_BYTES_PER_SECOND.name, IO_MAX_BYTES_PER_SECOND.default)
        try:
            return max(IO_MAX_BYTES_PER_SECOND.parse(value), 1)
        except InvalidConfigError:  # refused when set: only a static property can be bad
            return IO_MAX_BYTES_PER_SECOND.parse(IO_MAX_BYTES_PER_SECOND.default)

    async def _pace(self, size: int, rate: int) -> None:
        """Wait for the turn of a copy of ``size`` bytes: all moves together stay within the rate."""
        now = trio.current_time()
        start = max(now, self._next_copy_at)
        self._next_copy_at = start + size / rate
        await trio.sleep_until(start)

    async def _remove(self, paths) -> None:
        try:
            await trio.to_thread.run_sync(self._logs.remove_deleted, paths)
        except OSError as exc:
            self._logs.report_disk_error(paths[0], exc)
