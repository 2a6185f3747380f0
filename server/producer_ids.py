"""Producer IDs that are unique across restarts, handed out in persisted blocks.

Like Kafka's ProducerIdManager, the broker reserves a block of IDs by durably recording the end of
the block before handing any of them out; after a crash it starts at the next block, so an ID is
never reused even if the last ones handed out were never written anywhere else.
"""

from __future__ import annotations

import os
from pathlib import Path

import trio

BLOCK_SIZE = 1000
STATE_FILE = "producer-id-block"


class ProducerIdAllocator:
    def __init__(self, data_dir: Path):
        self._path = data_dir / STATE_FILE
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
                await trio.to_thread.run_sync(self._reserve, self._block_end + BLOCK_SIZE)
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
