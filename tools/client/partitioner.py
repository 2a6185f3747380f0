"""Which partition a record goes to: keyed records as Kafka's Java producer places them
(murmur2 of the key, made positive, modulo the partition count), so the same key lands on the
same partition whichever tool wrote it; keyless records round-robin."""

from __future__ import annotations

import itertools

_M = 0x5BD1E995
_SEED = 0x9747B28C
_MASK = 0xFFFFFFFF


def murmur2(data: bytes) -> int:
    """The 32-bit MurmurHash2 Kafka uses for keys, as a signed int like Java's."""
    length = len(data)
    h = (_SEED ^ length) & _MASK
    whole = length - length % 4
    for i in range(0, whole, 4):
        k = int.from_bytes(data[i:i + 4], "little")
        k = (k * _M) & _MASK
        k ^= k >> 24
        k = (k * _M) & _MASK
        h = ((h * _M) & _MASK) ^ k
    tail = data[whole:]
    if len(tail) == 3:
        h ^= tail[2] << 16
    if len(tail) >= 2:
        h ^= tail[1] << 8
    if tail:
        h ^= tail[0]
        h = (h * _M) & _MASK
    h ^= h >> 13
    h = (h * _M) & _MASK
    h ^= h >> 15
    return h - (1 << 32) if h & 0x80000000 else h


class Partitioner:
    def __init__(self) -> None:
        self._next = itertools.count()

    def partition(self, key: bytes | None, partition_count: int) -> int:
        if key is None:
            return next(self._next) % partition_count
        return (murmur2(key) & 0x7FFFFFFF) % partition_count
