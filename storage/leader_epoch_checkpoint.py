"""The ``leader-epoch-checkpoint`` file of a partition directory: where each leader epoch begins.

Kafka's name and text format, so a data directory reads the same to both::

    0                      version
    2                      number of entries
    0 0                    leader epoch, offset of its first batch
    3 1500

The file is small and rewritten whole, atomically (``atomic_file``), each time the entries
change; ``leader_epoch_cache`` decides when, and whether durably.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple

from .atomic_file import write_atomically

LEADER_EPOCH_CHECKPOINT = "leader-epoch-checkpoint"
_VERSION = 0


class EpochEntry(NamedTuple):
    epoch: int
    start_offset: int


def read_epoch_checkpoint(path: Path) -> list[EpochEntry] | None:
    """The entries in file order; None without a file. Raises ValueError if it is malformed."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return None
    try:
        if not lines:
            raise ValueError("the file is empty")
        if int(lines[0]) != _VERSION:
            raise ValueError(f"unknown version {lines[0]!r}")
        count = int(lines[1])
        rows = [line.split() for line in lines[2:] if line.strip()]
        if len(rows) != count or any(len(fields) != 2 for fields in rows):
            raise ValueError(f"expected {count} entries of 'epoch start_offset'")
        return [EpochEntry(int(epoch), int(start)) for epoch, start in rows]
    except (IndexError, ValueError) as exc:
        raise ValueError(f"{path} is malformed: {exc}") from None


def write_epoch_checkpoint(path: Path, entries: Iterable[EpochEntry], *, sync: bool = True) -> None:
    """Replace the file atomically; durably unless not ``sync`` (see ``write_atomically``)."""
    entries = list(entries)
    lines = [str(_VERSION), str(len(entries))] + [f"{epoch} {start}" for epoch, start in entries]
    write_atomically(path, ("\n".join(lines) + "\n").encode("utf-8"), sync=sync)
