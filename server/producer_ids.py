"""Producer IDs that are unique across restarts, handed out in persisted blocks.

Like Kafka's ProducerIdManager, the broker reserves a block of IDs by durably recording the end of
the block before handing any of them out; after a crash it starts at the next block, so an ID is
never reused even if the last ones handed out were never written anywhere else. A single broker
keeps the record in the metadata log directory; a disk error writing it takes that directory
offline (and so stops the broker). In a cluster, blocks are reserved in ZooKeeper instead, so that
no two brokers hand out the same ID (``cluster.producer_id_blocks``); both answer ``load`` and
``allocate``, which raises ProducerIdsUnavailable when no ID can be handed out.
"""

from __future__ import annotations

import os

import trio

from odradek.storage.log_dirs import LogDir

BLOCK_SIZE = 1000
STATE_FILE = "producer-id-block"


class ProducerIdsUnavailable(Exception):
    """No block of IDs could be reserved; the request should be retried (COORDINATOR_NOT_AVAILABLE)."""


class ProducerIdAllocator:
    def __init__(self, log_dir: LogDir):
        self._log_dir = log_dir
        self._path = log_dir.path / STATE_FILE
        self._next = 0
        self._block_end = 0  # first ID not yet reserved
        self._lock = trio.Lock()

    def load(self) -> None:
        if self._path.exists():
            self._block_end = int(self._path.read_text(encoding="ascii").strip())
        self._next = self._block_end

    async def allocate(self) -> int:
        async with self._lock:
            if self._next >= self._block_end:
                try:
                    await trio.to_thread.run_sync(self._reserve, self._block_end + BLOCK_SIZE)
                except OSError as exc:
                    self._log_dir.fail(exc)
                    raise ProducerIdsUnavailable(f"Could not reserve producer ids in {self._path}: {exc}") from exc
            producer_id = self._next
            self._next += 1
            return producer_id

    def _reserve(self, block_end: int) -> None:
        tmp = self._path.with_suffix(".tmp")
        with open(tmp, "w", encoding="ascii") as f:
            f.write(f"{block_end}\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self._path)
        self._block_end = block_end
