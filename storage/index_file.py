"""Common machinery of Kafka's segment indexes: fixed-size entries, appended, read from memory.

The file holds exactly its entries (Kafka preallocates and trims on close; we
simply never preallocate). Entries are mirrored in memory, loaded on first use
so that opening a log with many old segments reads only what lookups touch; a
missing file reads as empty. As Kafka's lazy indexes, a new segment's files are
not created with it but by its first entry, or when the segment is sealed holding
data (``ensure_file``): creating a topic of thousands of partitions then makes
one file per partition fewer pairs of files, and a partition never written has none. Appends are
written through to the file at once, by one ``os.write`` on a descriptor kept
open until the segment is sealed (they are rare: one per ``index.interval.bytes``
of log); ``flush`` makes them durable. During recovery an index is first rebuilt
in memory only, then written out if the file differs.
"""

from __future__ import annotations

import os
import struct
from pathlib import Path

from .atomic_file import write_atomically


class IndexFile:
    ENTRY: struct.Struct  # set by subclasses

    def __init__(
        self, path: Path, max_bytes: int | None = None, data: bytearray | None = None, *, write_through: bool = True
    ):
        self.path = path
        self.max_entries = None if max_bytes is None else max_bytes // self.ENTRY.size  # None: unbounded
        self._data = data  # None until loaded
        self._write_through = write_through
        self._write_fd: int | None = None  # opened by the first append after loading or sealing
        self._dirty = False
        self._on_disk = False  # known to exist (made or found here); unknown otherwise

    @classmethod
    def new(cls, path: Path, max_bytes: int) -> IndexFile:
        """A new segment's empty index; its file is made by the first entry (or ``ensure_file``).
        The caller sees to it that no stale file lies at ``path``."""
        return cls(path, max_bytes, bytearray())

    @classmethod
    def create(cls, path: Path, max_bytes: int) -> IndexFile:
        """A new, empty index file."""
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644))
        index = cls(path, max_bytes, bytearray())
        index._on_disk = True
        return index

    def ensure_file(self) -> None:
        """Make the (empty) file if it is not there yet: a sealed segment holding data has its
        index files, so that startup's check finds them and need not replay the segment."""
        if self._on_disk or not self._write_through:
            return
        os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o644))
        self._on_disk = True

    @classmethod
    def in_memory(cls, path: Path, max_bytes: int) -> IndexFile:
        """An empty index to rebuild from the log; its file is untouched until ``save_if_changed``."""
        return cls(path, max_bytes, bytearray(), write_through=False)

    def save_if_changed(self, *, required: bool = True) -> bool:
        """Atomically replace the file if it differs from the in-memory entries; True if it did.
        Without ``required`` (an empty segment's index, which need not exist yet) a missing file
        stays missing while there are no entries.

        From then on appends are written through.
        """
        self.close_writer()
        self._write_through = True
        try:
            with open(self.path, "rb") as f:
                self._on_disk = True
                if f.read() == self._data:
                    return False
        except FileNotFoundError:
            if not required and not self._entries():
                return False
        write_atomically(self.path, bytes(self._entries()))
        self._on_disk = True
        return True

    def problem(self, *, required: bool = True) -> str | None:
        """Why the file cannot be trusted at all (missing, torn size), or None; reads no entries.
        Without ``required`` (its segment holds no data) a missing file is no problem."""
        try:
            size = os.stat(self.path).st_size
        except FileNotFoundError:
            return "missing" if required else None
        if size % self.ENTRY.size:
            return f"size {size} is not a multiple of {self.ENTRY.size}"
        return None

    def __len__(self) -> int:
        return len(self._entries()) // self.ENTRY.size

    @property
    def is_full(self) -> bool:
        return self.max_entries is not None and len(self) >= self.max_entries

    def last_entry(self) -> tuple | None:
        """The last entry; read straight from the file if the index is not loaded."""
        size = self.ENTRY.size
        if self._data is not None:
            return self.ENTRY.unpack_from(self._data, len(self._data) - size) if self._data else None
        try:
            file_size = os.stat(self.path).st_size
        except FileNotFoundError:
            return None  # not made yet: no entries
        if file_size < size:
            return None
        with open(self.path, "rb") as f:
            return self.ENTRY.unpack(os.pread(f.fileno(), size, file_size - size))

    def _append(self, *fields: int) -> None:
        packed = self.ENTRY.pack(*fields)
        self._entries().extend(packed)
        if not self._write_through:
            return
        if self._write_fd is None:
            self._write_fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            self._on_disk = True
        os.write(self._write_fd, packed)
        self._dirty = True

    def relocated(self, path: Path) -> IndexFile:
        """This index over a copy of its file at ``path`` (its partition moved to another log
        directory): the same entries, loaded or not, appended to from now on."""
        moved = type(self)(path, None, None if self._data is None else bytearray(self._data),
                           write_through=self._write_through)
        moved.max_entries = self.max_entries
        return moved

    def mark_unflushed(self) -> None:
        """Make the next ``flush`` fsync the file even if nothing is appended (a fresh copy)."""
        self._dirty = True

    def close_writer(self) -> None:
        """Release the append descriptor (when the segment stops taking appends)."""
        if self._write_fd is not None:
            os.close(self._write_fd)
            self._write_fd = None

    def _floor(self, target: int, field: int) -> tuple | None:
        """The last entry whose ``field`` is <= target (entries are sorted on every field)."""
        data = self._entries()
        unpack = self.ENTRY.unpack_from
        size = self.ENTRY.size
        low, high = 0, len(data) // size - 1
        found = None
        while low <= high:
            middle = (low + high) // 2
            entry = unpack(data, middle * size)
            if entry[field] <= target:
                found = entry
                low = middle + 1
            else:
                high = middle - 1
        return found

    def truncate_from(self, field: int, limit: int) -> bool:
        """Drop the entries whose ``field`` is >= ``limit`` (the log behind them was cut off);
        whether any went. The file is cut at once but not synced: ``flush`` does that, and
        after a crash recovery rebuilds the indexes of the segment that was cut (the last)."""
        data = self._entries()
        size = self.ENTRY.size
        kept = 0
        low, high = 0, len(data) // size - 1
        while low <= high:  # kept: how many entries have ``field`` < limit
            middle = (low + high) // 2
            if self.ENTRY.unpack_from(data, middle * size)[field] < limit:
                kept = middle + 1
                low = middle + 1
            else:
                high = middle - 1
        if kept * size == len(data):
            return False
        self.close_writer()
        del data[kept * size:]
        if self._write_through:
            try:
                os.truncate(self.path, kept * size)
            except FileNotFoundError:
                pass
            self._dirty = True
        return True

    def flush(self) -> None:
        """fsync appended entries (safe from any thread: uses its own descriptor)."""
        if not self._dirty:
            return
        self._dirty = False
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except FileNotFoundError:
            return  # retention deleted the segment meanwhile: nothing left to make durable
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    def _entries(self) -> bytearray:
        if self._data is None:
            try:
                with open(self.path, "rb") as f:
                    data = bytearray(f.read())
            except FileNotFoundError:
                data = bytearray()
            self._data = data[: len(data) - len(data) % self.ENTRY.size]
        return self._data
