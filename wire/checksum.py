"""CRC32C, the checksum of every record batch, computed in C by the ``crc32c`` package.

The package is imported on the first checksum, not with this module: its ``__init__`` looks up
its own version through ``importlib.metadata``, which alone costs about 17 ms of a broker's
start-up, and a broker that has not yet received or recovered a batch needs no checksum.
"""

from __future__ import annotations

_compute = None  # crc32c.crc32c once imported


def crc32c(data, value: int = 0) -> int:
    """CRC32C of ``data`` (any buffer), continuing from ``value``."""
    compute = _compute or _load()
    return compute(data, value)


def _load():
    global _compute
    from crc32c import crc32c as compute

    _compute = compute
    return compute
