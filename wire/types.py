"""Construct codecs for Kafka's primitive wire types.

Each type is a small ``construct.Construct`` (usable with ``.parse``/``.build`` on its own, and
composed by ``wire/codec.py`` into whole messages).  They read from and write to a binary
stream; messages are always parsed from an ``io.BytesIO``.  Bad bytes raise ``DecodeError``,
values that do not fit raise ``EncodeError``, nothing else.

Layouts (from Kafka's protocol guide): integers are big-endian; "compact" lengths and counts
are unsigned varints holding ``n + 1`` (0 = null); classic strings have an int16 length, bytes
an int32 length and arrays an int32 count, -1 meaning null.  ``records`` is nullable bytes.
"""

from __future__ import annotations

import io
import struct
import uuid

from construct import Construct

from .encoded_once import EncodedOnce
from .errors import DecodeError, EncodeError

ZERO_UUID = uuid.UUID(int=0)
_SINGLE_BYTES = [bytes([i]) for i in range(0x80)]  # one-byte varints, prebuilt


def read_exactly(stream, size: int) -> bytes:
    data = stream.read(size)
    if len(data) != size:
        raise DecodeError(f"truncated: needed {size} bytes, {len(data)} left")
    return data


class Fixed(Construct):
    """A fixed-size number: int8/16/32/64, uint16/32, float64."""

    def __init__(self, fmt: str, kafka_type: str):
        super().__init__()
        layout = struct.Struct(fmt)
        self._size = layout.size
        self._unpack = layout.unpack
        self._pack = layout.pack
        self.kafka_type = kafka_type

    def _parse(self, stream, context, path):
        data = stream.read(self._size)
        if len(data) != self._size:
            raise DecodeError(f"truncated {self.kafka_type}")
        return self._unpack(data)[0]

    def _build(self, obj, stream, context, path):
        try:
            stream.write(self._pack(obj))
        except struct.error:
            raise EncodeError(f"{obj!r} is not a valid {self.kafka_type}") from None
        return obj

    def _sizeof(self, context, path):
        return self._size


class Boolean(Construct):
    """One byte; any non-zero byte reads as True."""

    def _parse(self, stream, context, path):
        return read_exactly(stream, 1) != b"\x00"

    def _build(self, obj, stream, context, path):
        if not isinstance(obj, int):  # bool is an int
            raise EncodeError(f"{obj!r} is not a bool")
        stream.write(b"\x01" if obj else b"\x00")
        return obj

    def _sizeof(self, context, path):
        return 1


class UnsignedVarint(Construct):
    """LEB128 unsigned integer of at most ``max_bytes`` bytes (5 for Kafka's varints)."""

    def __init__(self, max_bytes: int = 5):
        super().__init__()
        self._max_bytes = max_bytes
        self._limit = 1 << (7 * max_bytes)

    def _parse(self, stream, context, path):
        data = stream.read(1)
        if not data:
            raise DecodeError("truncated varint")
        byte = data[0]
        if byte < 0x80:
            return byte
        value = byte & 0x7F
        shift = 7
        for _ in range(self._max_bytes - 1):
            data = stream.read(1)
            if not data:
                raise DecodeError("truncated varint")
            byte = data[0]
            value |= (byte & 0x7F) << shift
            if byte < 0x80:
                return value
            shift += 7
        raise DecodeError(f"varint longer than {self._max_bytes} bytes")

    def _build(self, obj, stream, context, path):
        if not isinstance(obj, int) or not 0 <= obj < self._limit:
            raise EncodeError(f"{obj!r} does not fit an unsigned varint")
        if obj < 0x80:
            stream.write(_SINGLE_BYTES[obj])
            return obj
        out = bytearray()
        value = obj
        while value >= 0x80:
            out.append((value & 0x7F) | 0x80)
            value >>= 7
        out.append(value)
        stream.write(out)
        return obj


class SignedVarint(Construct):
    """Zigzag-encoded signed varint (``bits`` = 32) or varlong (``bits`` = 64), as in record batches."""

    def __init__(self, bits: int):
        super().__init__()
        self._bits = bits
        self._unsigned = UnsignedVarint(max_bytes=5 if bits == 32 else 10)
        self._low = -(1 << (bits - 1))
        self._high = (1 << (bits - 1)) - 1

    def _parse(self, stream, context, path):
        raw = self._unsigned._parse(stream, context, path)
        if raw >> self._bits:
            raise DecodeError(f"zigzag value wider than {self._bits} bits")
        return (raw >> 1) ^ -(raw & 1)

    def _build(self, obj, stream, context, path):
        if not isinstance(obj, int) or not self._low <= obj <= self._high:
            raise EncodeError(f"{obj!r} does not fit a {self._bits}-bit signed varint")
        self._unsigned._build((obj << 1) ^ (obj >> (self._bits - 1)), stream, context, path)
        return obj


class Uuid(Construct):
    """16 raw bytes as a ``uuid.UUID``."""

    def _parse(self, stream, context, path):
        return uuid.UUID(bytes=read_exactly(stream, 16))

    def _build(self, obj, stream, context, path):
        if not isinstance(obj, uuid.UUID):
            raise EncodeError(f"{obj!r} is not a uuid.UUID")
        stream.write(obj.bytes)
        return obj

    def _sizeof(self, context, path):
        return 16


class _LengthPrefixed(Construct):
    """Shared length handling of strings and bytes: classic signed or compact varint lengths."""

    def __init__(self, length: Construct | None, compact: bool, nullable: bool):
        super().__init__()
        self._length = UNSIGNED_VARINT if compact else length
        self._compact = compact
        self._nullable = nullable

    def _read_payload(self, stream, context, path):
        """The payload bytes, or None for null."""
        size = self._read_size(stream, context, path)
        return None if size is None else read_exactly(stream, size)

    def _read_size(self, stream, context, path):
        """The payload's length, or None for null."""
        size = self._length._parse(stream, context, path)
        if self._compact:
            size -= 1
        if size < 0:
            if size == -1 and self._nullable:
                return None
            raise DecodeError("null where the field is not nullable" if size == -1
                              else f"negative length {size}")
        return size

    def _write_payload(self, data, stream, context, path):
        if data is None:
            if not self._nullable:
                raise EncodeError("null is not allowed here")
            self._length._build(0 if self._compact else -1, stream, context, path)
            return
        self._length._build(len(data) + 1 if self._compact else len(data), stream, context, path)
        stream.write(data)


class String(_LengthPrefixed):
    """UTF-8 text.

    Undecodable bytes are kept as surrogate escapes rather than rejected: Kafka's Java broker
    never refuses a request for bad UTF-8, and this way such strings still re-encode to the
    very same bytes.
    """

    def __init__(self, compact: bool = False, nullable: bool = False):
        super().__init__(INT16, compact, nullable)

    def _parse(self, stream, context, path):
        data = self._read_payload(stream, context, path)
        return None if data is None else data.decode("utf-8", "surrogateescape")

    def _build(self, obj, stream, context, path):
        if obj is not None:
            if not isinstance(obj, str):
                raise EncodeError(f"{obj!r} is not a str")
            obj_bytes = obj.encode("utf-8", "surrogateescape")
            if len(obj_bytes) > 0x7FFF:  # Kafka's limit, compact or not
                raise EncodeError(f"string of {len(obj_bytes)} bytes is too long")
            self._write_payload(obj_bytes, stream, context, path)
        else:
            self._write_payload(None, stream, context, path)
        return obj


class Bytes(_LengthPrefixed):
    """Raw bytes (also Kafka's ``records``); builds from any bytes-like object, or from a sized
    payload when encoding into a ``SplicingWriter``."""

    def __init__(self, compact: bool = False, nullable: bool = False):
        super().__init__(INT32, compact, nullable)

    def _parse(self, stream, context, path):
        return self._read_payload(stream, context, path)

    def _build(self, obj, stream, context, path):
        if obj is not None and not isinstance(obj, (bytes, bytearray, memoryview)):
            splice = getattr(stream, "splice", None)
            if splice is None or not hasattr(obj, "__len__"):
                raise EncodeError(f"{type(obj).__name__} is not bytes")
            self._length._build(len(obj) + 1 if self._compact else len(obj), stream, context, path)
            splice(obj)  # a payload the caller sends itself (see wire/spliced.py)
            return obj
        if isinstance(obj, memoryview):
            obj = obj.cast("B")  # so len() counts bytes
        self._write_payload(obj, stream, context, path)
        return obj


class Records(Bytes):
    """Kafka's ``records``: bytes, but parsed as a zero-copy view when the stream can lend one.

    A request's record batches are the bulk of a Produce frame; ``parse_request`` reads from a
    ``FrameStream`` so they stay a ``memoryview`` of the received frame all the way to the log
    file, instead of being copied once more here."""

    def _parse(self, stream, context, path):
        lend = getattr(stream, "view_of", None)
        if lend is None:
            return self._read_payload(stream, context, path)
        size = self._read_size(stream, context, path)
        return None if size is None else lend(size)


class FrameStream(io.BytesIO):
    """A ``BytesIO`` over one frame that can also lend views of it (see ``Records``).

    ``BytesIO`` shares, rather than copies, a ``bytes`` object it is given, so neither reading
    fields nor lending views copies the frame."""

    def __init__(self, frame: bytes):
        super().__init__(frame)
        self._view = memoryview(frame)

    def view_of(self, size: int) -> memoryview:
        """The next ``size`` bytes as a view; the stream moves past them."""
        start = self.tell()
        if start + size > len(self._view):
            raise DecodeError(f"truncated: needed {size} bytes, {len(self._view) - start} left")
        self.seek(start + size)
        return self._view[start:start + size]


class Array(Construct):
    """A counted sequence of ``element``; parses to a list, builds from any sized iterable."""

    def __init__(self, element: Construct, compact: bool = False, nullable: bool = False):
        super().__init__()
        self.element = element
        self._count = UNSIGNED_VARINT if compact else INT32
        self._compact = compact
        self._nullable = nullable

    def _parse(self, stream, context, path):
        count = self._count._parse(stream, context, path)
        if self._compact:
            count -= 1
        if count <= 0:
            if count == 0:
                return []
            if count == -1 and self._nullable:
                return None
            raise DecodeError("null where the array is not nullable" if count == -1
                              else f"negative array count {count}")
        position = stream.tell()
        remaining = stream.seek(0, 2) - position  # (getbuffer() would copy a shared buffer)
        stream.seek(position)
        if count > remaining:  # every element takes at least one byte
            raise DecodeError(f"array of {count} elements in {remaining} bytes")
        parse = self.element._parse
        items = []
        for index in range(count):
            try:
                items.append(parse(stream, context, path))
            except DecodeError as error:
                raise error.within(index) from None
        return items

    def _build(self, obj, stream, context, path):
        if obj is None:
            if not self._nullable:
                raise EncodeError("null is not allowed here")
            self._count._build(0 if self._compact else -1, stream, context, path)
            return obj
        try:
            count = len(obj)
        except TypeError:
            raise EncodeError(f"{type(obj).__name__} is not a sequence") from None
        self._count._build(count + 1 if self._compact else count, stream, context, path)
        if type(obj) is EncodedOnce:  # immutable: its elements' bytes are encoded once per codec
            data = obj.cached(self)
            if data is None:
                buffer = io.BytesIO()
                self._build_elements(obj, buffer, context, path)
                data = buffer.getvalue()
                obj.keep(self, data)
            stream.write(data)
            return obj
        self._build_elements(obj, stream, context, path)
        return obj

    def _build_elements(self, obj, stream, context, path) -> None:
        build = self.element._build
        for index, item in enumerate(obj):
            try:
                build(item, stream, context, path)
            except EncodeError as error:
                raise error.within(index) from None


class TaggedFields(Construct):
    """A flexible struct's tagged-field section, as raw ``(tag, bytes)`` pairs.

    Layout: uvarint count, then per field uvarint tag, uvarint size and the bytes.  Giving the
    values meaning is the struct codec's job; this only frames them.  Builds pairs in the order
    given (Kafka requires ascending tags: the caller sorts).
    """

    def _parse(self, stream, context, path):
        count = UNSIGNED_VARINT._parse(stream, context, path)
        if count == 0:
            return []
        entries = []
        for _ in range(count):
            tag = UNSIGNED_VARINT._parse(stream, context, path)
            size = UNSIGNED_VARINT._parse(stream, context, path)
            entries.append((tag, read_exactly(stream, size)))
        return entries

    def _build(self, obj, stream, context, path):
        if not obj:
            stream.write(b"\x00")
            return obj
        UNSIGNED_VARINT._build(len(obj), stream, context, path)
        for tag, data in obj:
            if not isinstance(data, (bytes, bytearray)):
                raise EncodeError(f"raw tagged field {tag} is not bytes")
            UNSIGNED_VARINT._build(tag, stream, context, path)
            UNSIGNED_VARINT._build(len(data), stream, context, path)
            stream.write(data)
        return obj


class NullableStruct(Construct):
    """A struct that may be null: an int8 marker first (-1 null, 1 present), as Kafka writes it;
    in a tagged field, an unsigned varint marker (0 null, 1 present), as Kafka writes that."""

    def __init__(self, struct_codec: Construct, varint_marker: bool = False):
        super().__init__()
        self.struct_codec = struct_codec
        self.varint_marker = varint_marker

    def _parse(self, stream, context, path):
        if self.varint_marker:
            if UNSIGNED_VARINT._parse(stream, context, path) == 0:
                return None
        elif INT8._parse(stream, context, path) < 0:
            return None
        return self.struct_codec._parse(stream, context, path)

    def _build(self, obj, stream, context, path):
        if obj is None:
            stream.write(b"\x00" if self.varint_marker else b"\xff")
        else:
            stream.write(b"\x01")
            self.struct_codec._build(obj, stream, context, path)
        return obj


INT8 = Fixed(">b", "int8")
INT16 = Fixed(">h", "int16")
INT32 = Fixed(">i", "int32")
INT64 = Fixed(">q", "int64")
UINT16 = Fixed(">H", "uint16")
UINT32 = Fixed(">I", "uint32")
FLOAT64 = Fixed(">d", "float64")
BOOLEAN = Boolean()
UUID = Uuid()
UNSIGNED_VARINT = UnsignedVarint()
VARINT = SignedVarint(32)
VARLONG = SignedVarint(64)
TAGGED_FIELDS = TaggedFields()

STRING = String()
NULLABLE_STRING = String(nullable=True)
COMPACT_STRING = String(compact=True)
COMPACT_NULLABLE_STRING = String(compact=True, nullable=True)
BYTES = Bytes()
NULLABLE_BYTES = Bytes(nullable=True)
COMPACT_BYTES = Bytes(compact=True)
COMPACT_NULLABLE_BYTES = Bytes(compact=True, nullable=True)

#: Fixed-size and self-delimiting types by Kafka type name (strings, bytes and arrays depend
#: on compactness and nullability, so they are built per field).
FIXED_TYPES: dict[str, Construct] = {
    "bool": BOOLEAN,
    "int8": INT8,
    "int16": INT16,
    "uint16": UINT16,
    "int32": INT32,
    "uint32": UINT32,
    "int64": INT64,
    "float64": FLOAT64,
    "uuid": UUID,
}
