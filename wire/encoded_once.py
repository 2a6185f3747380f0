"""Array values encoded once and then reused: for big answers whose parts rarely change.

A Metadata answer for a 10,000-partition topic holds 10,000 partition entries that stay the same
until a leader, an ISR or an epoch changes. The broker's metadata keeps them in an ``EncodedOnce``
tuple, built anew on every such change; the codec then encodes the tuple's elements once per array
codec (that is, per API version and flexibility), with the schema-driven codec itself, and writes
those bytes on every later answer. The bytes are therefore exactly what the codec would give for
the same elements; only the repeated walk over them is saved.

The promise that makes this right is the holder's: neither the tuple nor anything in it is ever
mutated (a change makes a new tuple). Elements must hold no spliced payloads (``wire/spliced.py``):
they are encoded into a plain buffer.
"""

from __future__ import annotations


class EncodedOnce(tuple):
    """An immutable array value whose encoding the codec caches on it, per array codec."""

    def __new__(cls, items=()):
        obj = super().__new__(cls, items)
        obj._encoded = {}
        return obj

    def cached(self, codec) -> bytes | None:
        """The elements as ``codec`` encoded them before, or None."""
        return self._encoded.get(id(codec))

    def keep(self, codec, data: bytes) -> None:
        """Remember ``data`` as the elements encoded by ``codec`` (codecs live as long as the process)."""
        self._encoded[id(codec)] = data
