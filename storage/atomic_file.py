"""Crash-safe file replacement: after a crash a reader sees the old content or the new, never a mix."""

from __future__ import annotations

import os
from pathlib import Path

TEMP_SUFFIX = ".tmp"


def write_atomically(path: Path, data: bytes, *, sync: bool = True, mode: int = 0o644) -> None:
    """Write ``data`` to a temp file beside ``path``, fsync it, rename it over ``path``, fsync the directory.

    Without ``sync`` nothing is fsynced: a reader still sees the old content or the new,
    but after a power loss the file may be missing or empty (for files that are only a
    shortcut, such as producer snapshots, which recovery can do without). ``mode``: the new
    file's permissions (0o600 for secrets such as SCRAM credentials).
    """
    temp = path.with_name(path.name + TEMP_SUFFIX)
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        if mode != 0o644:
            os.fchmod(fd, mode)  # also for a temp file a crash left behind, which O_CREAT keeps as it was
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        if sync:
            os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(temp, path)
    if sync:
        fsync_directory(path.parent)


def fsync_directory(directory: Path) -> None:
    """Make renames and file creations in ``directory`` durable."""
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
