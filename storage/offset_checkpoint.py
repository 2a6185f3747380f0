"""Kafka's offset checkpoint files: one offset per partition, kept in the data directory.

Three are used, in Kafka's names and text format: ``log-start-offset-checkpoint`` holds log start
offsets that segment files cannot tell (DeleteRecords moved them inside the first segment),
``cleaner-offset-checkpoint`` where compaction stopped in each compacted partition (its first
dirty offset), and, in cluster mode, ``replication-offset-checkpoint`` the high watermark of each
replicated partition (``PartitionLog.high_watermark``), which a restarted replica cannot learn
from its log. The format::

    0                      version
    2                      number of entries
    orders 0 1500          topic partition offset
    audit 3 42
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from .atomic_file import write_atomically

LOG_START_CHECKPOINT = "log-start-offset-checkpoint"
CLEANER_CHECKPOINT = "cleaner-offset-checkpoint"
REPLICATION_CHECKPOINT = "replication-offset-checkpoint"
_VERSION = 0


def read_offset_checkpoint(path: Path) -> dict[tuple[str, int], int]:
    """The checkpointed offsets by (topic, partition); empty without a file. Raises ValueError if malformed."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return {}
    try:
        if int(lines[0]) != _VERSION:
            raise ValueError(f"unknown version {lines[0]!r}")
        count = int(lines[1])
        entries = [line.split(" ") for line in lines[2:2 + count]]
        if len(entries) != count or any(len(fields) != 3 for fields in entries):
            raise ValueError(f"expected {count} entries of 'topic partition offset'")
        return {(topic, int(partition)): int(offset) for topic, partition, offset in entries}
    except (IndexError, ValueError) as exc:
        raise ValueError(f"{path} is malformed: {exc}") from None


def write_offset_checkpoint(path: Path, offsets: Mapping[tuple[str, int], int]) -> None:
    """Replace the file atomically and durably (blocking: call it from a worker thread)."""
    lines = [str(_VERSION), str(len(offsets))]
    lines += [f"{topic} {partition} {offset}" for (topic, partition), offset in sorted(offsets.items())]
    write_atomically(path, ("\n".join(lines) + "\n").encode("utf-8"))
