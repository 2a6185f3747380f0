"""A fingerprint of the subscribed topics' metadata, kept with a modern group's epoch.

KIP-848 and share groups bump their epoch when a subscribed topic appears, disappears or gains
partitions. Kafka notices by hashing the subscribed topics' ids, names and partition counts and
storing the hash in the group's metadata record (``MetadataHash``), so that a coordinator taking
the group over (after a restart, or in a new leader) can tell whether the topics changed while
it was not looking. This is the same idea with a hash of our own (BLAKE2b over the same fields):
Kafka's is XXH3 with its own framing, which only matters to a broker comparing the value with
one it computed, and a Kafka broker reading our records (or we reading Kafka's) sees a change
once and bumps the epoch, which is harmless. No topic hashes to 0, as in Kafka.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping

TopicMetadata = Mapping[str, tuple[uuid.UUID, int]]  # name -> (topic id, partition count)


def metadata_hash(topics: TopicMetadata) -> int:
    """A signed 64-bit hash of the topics (those that exist), independent of their order."""
    if not topics:
        return 0
    digest = hashlib.blake2b(digest_size=8)
    for name in sorted(topics):
        topic_id, partitions = topics[name]
        encoded = name.encode("utf-8", "surrogateescape")
        digest.update(topic_id.bytes + len(encoded).to_bytes(4, "big") + encoded + partitions.to_bytes(4, "big"))
    return int.from_bytes(digest.digest(), "big", signed=True)
