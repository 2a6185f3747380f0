"""Producer IDs unique across the cluster: blocks reserved in ZooKeeper, as ZooKeeper-era Kafka's
ZkProducerIdManager reserves them.

``/latest_producer_id_block`` holds the last block any broker reserved (``block_end`` inclusive,
see ``zk_data``). A broker whose block runs out reads it, writes the next block conditionally on
the version it read, and reads again if another broker got there first; the first block ever is
[0, 999]. IDs of a block are only handed out once the block is in ZooKeeper, so a broker that
restarts, or dies, never causes an ID to be handed out twice; the rest of its block is lost, as
in Kafka. ZooKeeper out of reach is ProducerIdsUnavailable: the request is retried.
"""

from __future__ import annotations

import logging

import trio
from kazoo.exceptions import KazooException

from ..producer_ids import BLOCK_SIZE, ProducerIdsUnavailable
from . import zk_data
from .zk_client import BadVersionError, NodeExistsError

log = logging.getLogger("odradek.cluster")


class ZkProducerIdBlocks:
    def __init__(self, member):
        self._member = member
        self._next = 0
        self._block_end = -1  # last ID of the block this broker holds (inclusive)
        self._lock = trio.Lock()

    def load(self) -> None:
        """Nothing is kept locally: the first ``allocate`` reserves a block."""

    async def allocate(self) -> int:
        async with self._lock:
            if self._next > self._block_end:
                try:
                    with trio.fail_after(self._member.config.session_timeout_ms / 1000):
                        self._next, self._block_end = await self._reserve()
                except (KazooException, trio.TooSlowError) as exc:
                    raise ProducerIdsUnavailable(f"Could not reserve producer ids in ZooKeeper: {exc!r}") from exc
            producer_id = self._next
            self._next += 1
            return producer_id

    async def _reserve(self) -> tuple[int, int]:
        zk = self._member.zk
        while True:
            found = await zk.get(zk_data.PRODUCER_ID_BLOCK)
            start = 0
            if found is not None and found[0]:
                start = zk_data.decode_producer_id_block(found[0])[1] + 1
            end = start + BLOCK_SIZE - 1
            block = zk_data.encode_producer_id_block(self._member.broker_id, start, end)
            try:
                if found is None:
                    await zk.create(zk_data.PRODUCER_ID_BLOCK, block)
                else:
                    await zk.set(zk_data.PRODUCER_ID_BLOCK, block, found[1])
            except (BadVersionError, NodeExistsError):
                continue  # another broker took that block: take the next one
            log.info("Reserved producer ids %d-%d in %s", start, end, zk_data.PRODUCER_ID_BLOCK)
            return start, end
