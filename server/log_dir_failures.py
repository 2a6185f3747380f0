"""Log directories that fail while the broker runs (the broker's side of Kafka's LogDirFailureChannel).

A disk error in a log directory takes it offline at once (``odradek.storage.log_dirs`` logs one
error line): its partitions answer KAFKA_STORAGE_ERROR from then on, while the partitions of the
other directories keep being served. This task then lets go of the failed directory's files on the
event loop (``LogManager.settle_failures``). If the failed directory is the metadata directory,
which holds the topic metadata, the broker stops, as Kafka does when its metadata log directory
fails: one line says why, and the exit code is 1.
"""

from __future__ import annotations

import math

import trio

from odradek.storage.log_dirs import LogDir

from .startup_error import StartupError


class MetadataDirFailed(StartupError):
    """The metadata directory failed: not start-up, but an end of the same kind (one line, exit 1)."""


class LogDirFailures:
    def __init__(self, broker) -> None:
        self._logs = broker.logs

    async def run(self) -> None:
        """Handle each directory that fails, until cancelled; raises MetadataDirFailed."""
        send, receive = trio.open_memory_channel(math.inf)
        token = trio.lowlevel.current_trio_token()

        def failed(log_dir: LogDir) -> None:  # in whichever thread met the error
            def deliver() -> None:
                try:
                    send.send_nowait(log_dir)
                except (trio.BrokenResourceError, trio.ClosedResourceError):
                    pass  # the broker is stopping

            try:
                token.run_sync_soon(deliver)
            except trio.RunFinishedError:
                pass

        self._logs.dirs.on_failure(failed)
        self._check(self._logs.dirs.metadata_dir)
        async with receive:
            async for log_dir in receive:
                self._logs.settle_failures()
                self._check(log_dir)

    @staticmethod
    def _check(log_dir: LogDir) -> None:
        if log_dir.is_metadata_dir and not log_dir.online:
            raise MetadataDirFailed(f"log directory {log_dir.path}, which holds the topic metadata, "
                                    f"{log_dir.problem}; the broker stops")
