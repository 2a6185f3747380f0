"""Compiled codecs: one generated Python function per message version, for messages with large arrays.

The generic codec (``wire/codec.py``) walks member tuples and calls a Construct per field, which
costs microseconds per field: a Fetch naming 10,000 partitions spent tens of milliseconds in each
direction.  Here the same ``StructCodec`` tree (built from the schema tables in ``wire/apis``) is
compiled once per message version into the source of two functions, a decoder and an encoder,
with array loops inlined and runs of fixed-size fields read and written by one ``struct.Struct``
each.  Nothing is laid out by hand: every offset, type, default and nullability comes from the
codec tree, so a schema change changes the compiled code too.

Both are fast paths, never the authority: whenever one meets anything unusual (bad bytes, a value
of the wrong type, a truncated frame) it gives up, and the caller runs the generic codec, which
gives the answer or raises its ``DecodeError``/``EncodeError``.  So the compiled code only has to
be right on inputs it accepts, and tests/wire/test_wire_compiled.py checks that it produces
exactly the generic codec's values and bytes.  Tagged-field sections are read and written by the
generic code unless they are empty (the usual case).  Record batches stay opaque: decoded as views
of the frame when asked, encoded by reference (spliced, see ``wire/spliced.py``) when they are not
bytes.

Which messages are compiled is the caller's choice (``wire/protocol.py`` compiles Fetch's).
"""

from __future__ import annotations

import io
import itertools
import keyword
import struct
import uuid
from collections.abc import Callable

from construct import Container

from .codec import UNKNOWN_TAGGED_FIELDS, StructCodec, message_codec
from .schema import Message
from .types import (
    Array, Boolean, Bytes, Fixed, FrameStream, NullableStruct, Records, String, Uuid,
)

_FORMATS = {"int8": "b", "int16": "h", "int32": "i", "int64": "q", "uint16": "H", "uint32": "I",
            "float64": "d"}
_IMMUTABLE = (type(None), bool, int, float, str, bytes, uuid.UUID)
_MISSING = object()
_SINGLE_BYTES = [bytes([i]) for i in range(0x80)]


class GiveUp(Exception):
    """The compiled code met something it leaves to the generic codec."""


def _give_up(*_):
    raise GiveUp


def _read_uvarint(buf, pos: int) -> tuple[int, int]:
    """An unsigned varint of at most 5 bytes at ``pos``: (value, next position)."""
    value = shift = 0
    for index in range(5):
        byte = buf[pos + index]
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, pos + index + 1
        shift += 7
    raise GiveUp


def _uvarint(value: int) -> bytes:
    if value < 0x80:
        return _SINGLE_BYTES[value]
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


class _Writer:
    """The stream the generic tagged-section writer is given: appends to the compiled ``out``."""

    __slots__ = ("write",)

    def __init__(self, out: bytearray) -> None:
        self.write = out.extend


def _parse_tagged(codec: StructCodec, buf, pos: int, obj, view) -> int:
    stream = FrameStream(buf) if view is not None else io.BytesIO(buf)
    stream.seek(pos)
    codec.parse_tagged(obj, stream, None, "")
    return stream.tell()


def _build_tagged(codec: StructCodec, get, out: bytearray) -> None:
    codec.build_tagged(get, _Writer(out), None, "")


def _splice(payload, out: bytearray, chunks: list | None) -> None:
    """Leave a non-bytes payload out of ``out`` (its length prefix is already written)."""
    if out:
        chunks.append(bytes(out))
        out.clear()
    chunks.append(payload)


class _Source:
    """Python source being generated, with the objects it refers to."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.names: dict[str, object] = {
            "Container": Container, "GiveUp": GiveUp, "give_up": _give_up, "read_uvarint": _read_uvarint,
            "uvarint": _uvarint, "UUID": uuid.UUID, "parse_tagged": _parse_tagged,
            "build_tagged": _build_tagged, "splice": _splice, "MISSING": _MISSING,
            "UNKNOWN": UNKNOWN_TAGGED_FIELDS, "bytes_types": (bytes, bytearray), "memoryview": memoryview,
            "str": str, "len": len, "isinstance": isinstance, "hasattr": hasattr, "list": list,
            "bytes": bytes, "pack": struct.pack, "unpack_from": struct.unpack_from,
        }
        self._ids = itertools.count()

    def var(self, prefix: str = "v") -> str:
        return f"{prefix}{next(self._ids)}"

    def const(self, value, prefix: str = "K") -> str:
        name = self.var(prefix)
        self.names[name] = value
        return name

    def emit(self, indent: int, line: str) -> None:
        self.lines.append("    " * indent + line)

    def function(self, name: str):
        namespace = dict(self.names)
        exec(compile("\n".join(self.lines), f"<compiled {name}>", "exec"), namespace)  # noqa: S102
        return namespace[name]


def _on_wire(parse) -> object | None:
    """The Construct a decode-plan entry reads with, or None for a field not on the wire."""
    return getattr(parse, "__self__", None)


def _fixed_code(codec) -> str | None:
    if isinstance(codec, Fixed):
        return _FORMATS[codec.kafka_type]
    if isinstance(codec, Boolean):
        return "?"
    if isinstance(codec, Uuid):
        return "16s"
    return None


def _runs(items: list[tuple[str, object]]) -> list[list[tuple[str, object]]]:
    """Consecutive fixed-size members grouped (one Struct each); every other member alone."""
    runs: list[list] = []
    for item in items:
        if _fixed_code(item[1]) is not None and runs and _fixed_code(runs[-1][-1][1]) is not None:
            runs[-1].append(item)
        else:
            runs.append([item])
    return runs


# ---- decoding ------------------------------------------------------------------------------------

def _decode_struct(src: _Source, codec: StructCodec, indent: int) -> str:
    """Emit code reading one struct at ``pos``; the name of the variable holding its Container."""
    values: dict[str, str] = {}
    wire = []
    for name, parse in codec.decode_plan:
        construct = _on_wire(parse)
        if construct is None:
            default = parse(None, None, "")
            if isinstance(default, _IMMUTABLE):
                values[name] = src.const(default, "D")
            else:
                values[name] = f"{src.const(parse, 'M')}(None, None, '')"
        else:
            wire.append((name, construct))
    for run in _runs(wire):
        first = run[0][1]
        if _fixed_code(first) is not None:
            layout = struct.Struct(">" + "".join(_fixed_code(c) for _, c in run))
            unpack = src.const(layout.unpack_from, "U")
            names = [src.var() for _ in run]
            src.emit(indent, f"{', '.join(names)}, = {unpack}(buf, pos)")
            src.emit(indent, f"pos += {layout.size}")
            for (name, construct), var in zip(run, names):
                if isinstance(construct, Uuid):
                    src.emit(indent, f"{var} = UUID(bytes={var})")
                values[name] = var
        else:
            name, construct = run[0]
            values[name] = _decode_value(src, construct, indent)
    obj = src.var("o")
    names = [name for name, _ in codec.decode_plan]
    if all(name.isidentifier() and not keyword.iskeyword(name) for name in names):
        fields = ", ".join(f"{name}={values[name]}" for name in names)  # the fastest way to fill one
    else:
        fields = "(" + "".join(f"({name!r}, {values[name]}), " for name in names) + ")"
    src.emit(indent, f"{obj} = Container({fields})")
    if codec.flexible:
        tagged = src.const(codec, "T")
        src.emit(indent, "if buf[pos] == 0:")
        src.emit(indent + 1, "pos += 1")
        src.emit(indent, "else:")
        src.emit(indent + 1, f"pos = parse_tagged({tagged}, buf, pos, {obj}, view)")
    return obj


def _decode_length(src: _Source, compact: bool, width: str, indent: int) -> str:
    """Emit code reading a length or count (already minus one when compact); its variable."""
    var = src.var("n")
    if compact:
        src.emit(indent, f"{var} = buf[pos]")
        src.emit(indent, f"if {var} < 0x80:")
        src.emit(indent + 1, "pos += 1")
        src.emit(indent, "else:")
        src.emit(indent + 1, f"{var}, pos = read_uvarint(buf, pos)")
        src.emit(indent, f"{var} -= 1")
    else:
        size = struct.calcsize(width)
        src.emit(indent, f"{var}, = unpack_from('>{width}', buf, pos)")
        src.emit(indent, f"pos += {size}")
    return var


def _decode_value(src: _Source, codec, indent: int) -> str:
    var = src.var()
    if isinstance(codec, StructCodec):
        return _decode_struct(src, codec, indent)
    if isinstance(codec, NullableStruct):
        if codec.varint_marker:
            raise NotImplementedError("tagged nullable structs are decoded by the tagged section")
        src.emit(indent, "if buf[pos] >= 0x80:")
        src.emit(indent + 1, f"pos += 1; {var} = None")
        src.emit(indent, "else:")
        src.emit(indent + 1, "pos += 1")
        inner = _decode_struct(src, codec.struct_codec, indent + 1)
        src.emit(indent + 1, f"{var} = {inner}")
        return var
    if isinstance(codec, (String, Bytes)):
        size = _decode_length(src, codec._compact, "h" if isinstance(codec, String) else "i", indent)
        src.emit(indent, f"if {size} < 0:")
        if codec._nullable:
            src.emit(indent + 1, f"if {size} != -1: raise GiveUp")
            src.emit(indent + 1, f"{var} = None")
        else:
            src.emit(indent + 1, "raise GiveUp")
        src.emit(indent, "else:")
        src.emit(indent + 1, f"end = pos + {size}")
        src.emit(indent + 1, "if end > size: raise GiveUp")
        if isinstance(codec, String):
            src.emit(indent + 1, f"{var} = str(buf[pos:end], 'utf-8', 'surrogateescape')")
        elif isinstance(codec, Records):
            src.emit(indent + 1, f"{var} = view[pos:end] if view is not None else bytes(buf[pos:end])")
        else:
            src.emit(indent + 1, f"{var} = bytes(buf[pos:end])")
        src.emit(indent + 1, "pos = end")
        return var
    if isinstance(codec, Array):
        count = _decode_length(src, codec._compact, "i", indent)
        src.emit(indent, f"if {count} <= 0:")
        src.emit(indent + 1, f"if {count} == 0: {var} = []")
        if codec._nullable:
            src.emit(indent + 1, f"elif {count} == -1: {var} = None")
        src.emit(indent + 1, "else: raise GiveUp")
        src.emit(indent, "else:")
        src.emit(indent + 1, f"if {count} > size - pos: raise GiveUp")
        element = codec.element
        code = _fixed_code(element)
        if code is not None and code not in ("?", "16s"):
            src.emit(indent + 1, f"{var} = list(unpack_from(f'>{{{count}}}{code}', buf, pos))")
            src.emit(indent + 1, f"pos += {count} * {struct.calcsize(code)}")
            return var
        src.emit(indent + 1, f"{var} = []")
        append = src.var("a")
        src.emit(indent + 1, f"{append} = {var}.append")
        src.emit(indent + 1, f"for _ in range({count}):")
        item = _decode_value(src, element, indent + 2)
        src.emit(indent + 2, f"{append}({item})")
        return var
    code = _fixed_code(codec)
    if code is None:
        raise NotImplementedError(f"no compiled decoding for {type(codec).__name__}")
    layout = struct.Struct(">" + code)
    src.emit(indent, f"{var}, = {src.const(layout.unpack_from, 'U')}(buf, pos)")
    src.emit(indent, f"pos += {layout.size}")
    if code == "16s":
        src.emit(indent, f"{var} = UUID(bytes={var})")
    return var


def compile_decoder(codec: StructCodec) -> Callable:
    """``decode(buf, pos, view) -> (Container, end)`` for ``codec``'s struct at ``buf[pos:]``;
    ``view``, a memoryview of ``buf``, makes records views of it (None: bytes). Raises
    ``GiveUp`` (or any other error) where the generic codec must decide."""
    src = _Source()
    src.emit(0, "def decode(buf, pos, view):")
    src.emit(1, "size = len(buf)")
    obj = _decode_struct(src, codec, 1)
    src.emit(1, f"return {obj}, pos")
    return src.function("decode")


# ---- encoding ------------------------------------------------------------------------------------

def _encode_struct(src: _Source, codec: StructCodec, obj: str, indent: int) -> None:
    get = src.var("g")
    src.emit(indent, f"{get} = {obj}.get")
    values = []
    for name, construct, nullable, fallback in codec.members:
        var = src.var()
        default = src.const(fallback, "F") if not isinstance(fallback, (int, type(None))) else repr(fallback)
        src.emit(indent, f"{var} = {get}({name!r}, {default})")
        if not nullable and _fixed_code(construct) is None:  # (a Struct refuses None itself)
            src.emit(indent, f"if {var} is None: raise GiveUp")
        values.append((var, construct))
    for run in _runs(values):
        first = run[0][1]
        if _fixed_code(first) is not None:
            layout = struct.Struct(">" + "".join(_fixed_code(c) for _, c in run))
            args = []
            for var, construct in run:
                if isinstance(construct, Boolean):
                    src.emit(indent, f"if not isinstance({var}, int): raise GiveUp")
                    args.append(var)
                elif isinstance(construct, Uuid):
                    args.append(f"({var}.bytes if isinstance({var}, UUID) else give_up())")
                else:
                    args.append(var)
            src.emit(indent, f"out += {src.const(layout.pack, 'P')}({', '.join(args)})")
        else:
            var, construct = run[0]
            _encode_value(src, construct, var, indent)
    if codec.flexible:
        slow = src.var("s")
        src.emit(indent, f"{slow} = UNKNOWN in {obj}")
        for _tag, name, _codec, is_default in codec.tagged:
            value = src.var()
            src.emit(indent, f"{value} = {get}({name!r}, MISSING)")
            src.emit(indent, f"if {value} is not MISSING and not {src.const(is_default, 'I')}({value}): {slow} = True")
        src.emit(indent, f"if {slow}: build_tagged({src.const(codec, 'T')}, {get}, out)")
        src.emit(indent, "else: out += b'\\x00'")


def _encode_length(src: _Source, compact: bool, width: str, expression: str, indent: int) -> None:
    if compact:
        src.emit(indent, f"out += uvarint({expression} + 1)")
    else:
        src.emit(indent, f"out += pack('>{width}', {expression})")


def _encode_null(src: _Source, compact: bool, width: str, indent: int) -> None:
    null = b"\x00" if compact else struct.pack(">" + width, -1)
    src.emit(indent, f"out += {null!r}")


def _encode_value(src: _Source, codec, var: str, indent: int) -> None:
    if isinstance(codec, StructCodec):
        _encode_struct(src, codec, var, indent)
        return
    if isinstance(codec, NullableStruct):
        if codec.varint_marker:
            raise NotImplementedError("tagged nullable structs are encoded by the tagged section")
        src.emit(indent, f"if {var} is None: out += b'\\xff'")
        src.emit(indent, "else:")
        src.emit(indent + 1, "out += b'\\x01'")
        _encode_struct(src, codec.struct_codec, var, indent + 1)
        return
    if isinstance(codec, String):
        src.emit(indent, f"if {var} is None:")
        _encode_null(src, codec._compact, "h", indent + 1)  # (None when not nullable: refused above)
        src.emit(indent, "else:")
        src.emit(indent + 1, f"if not isinstance({var}, str): raise GiveUp")
        src.emit(indent + 1, f"{var} = {var}.encode('utf-8', 'surrogateescape')")
        src.emit(indent + 1, f"if len({var}) > 0x7FFF: raise GiveUp")
        _encode_length(src, codec._compact, "h", f"len({var})", indent + 1)
        src.emit(indent + 1, f"out += {var}")
        return
    if isinstance(codec, Bytes):
        src.emit(indent, f"if {var} is None:")
        _encode_null(src, codec._compact, "i", indent + 1)
        src.emit(indent, f"elif isinstance({var}, bytes_types):")
        _encode_length(src, codec._compact, "i", f"len({var})", indent + 1)
        src.emit(indent + 1, f"out += {var}")
        src.emit(indent, f"elif isinstance({var}, memoryview):")
        src.emit(indent + 1, f"{var} = {var}.cast('B')")
        _encode_length(src, codec._compact, "i", f"len({var})", indent + 1)
        src.emit(indent + 1, f"out += {var}")
        src.emit(indent, "else:")
        src.emit(indent + 1, f"if chunks is None or not hasattr({var}, '__len__'): raise GiveUp")
        _encode_length(src, codec._compact, "i", f"len({var})", indent + 1)
        src.emit(indent + 1, f"splice({var}, out, chunks)")
        return
    if isinstance(codec, Array):
        src.emit(indent, f"if {var} is None:")
        _encode_null(src, codec._compact, "i", indent + 1)
        src.emit(indent, "else:")
        _encode_length(src, codec._compact, "i", f"len({var})", indent + 1)
        element = codec.element
        code = _fixed_code(element)
        if code is not None and code not in ("?", "16s"):
            src.emit(indent + 1, f"out += pack(f'>{{len({var})}}{code}', *{var})")
            return
        item = src.var("e")
        src.emit(indent + 1, f"for {item} in {var}:")
        if not isinstance(element, StructCodec):
            src.emit(indent + 2, f"if {item} is None: raise GiveUp")
        _encode_value(src, element, item, indent + 2)
        return
    code = _fixed_code(codec)
    if code is None:
        raise NotImplementedError(f"no compiled encoding for {type(codec).__name__}")
    if isinstance(codec, Boolean):
        src.emit(indent, f"if not isinstance({var}, int): raise GiveUp")
        src.emit(indent, f"out += b'\\x01' if {var} else b'\\x00'")
    elif isinstance(codec, Uuid):
        src.emit(indent, f"out += {var}.bytes if isinstance({var}, UUID) else give_up()")
    else:
        src.emit(indent, f"out += {src.const(struct.Struct('>' + code).pack, 'P')}({var})")


def compile_encoder(codec: StructCodec) -> Callable:
    """``encode(value, out, chunks)``: appends ``value`` as ``codec``'s struct to the bytearray
    ``out``; a payload that is not bytes is spliced (see ``wire/spliced.py``): ``out`` so far
    goes to the list ``chunks``, then the payload, and ``out`` starts again empty (``chunks``
    None: such payloads are refused). Raises ``GiveUp`` (or any other error) where the generic
    codec must decide."""
    src = _Source()
    src.emit(0, "def encode(value, out, chunks):")
    _encode_struct(src, codec, "value", 1)
    return src.function("encode")


# ---- the cache -----------------------------------------------------------------------------------

_DECODERS: dict[tuple[Message, int], Callable] = {}
_ENCODERS: dict[tuple[Message, int], Callable] = {}


def decoder(message: Message, version: int) -> Callable:
    found = _DECODERS.get((message, version))
    if found is None:
        found = _DECODERS[(message, version)] = compile_decoder(message_codec(message, version))
    return found


def encoder(message: Message, version: int) -> Callable:
    found = _ENCODERS.get((message, version))
    if found is None:
        found = _ENCODERS[(message, version)] = compile_encoder(message_codec(message, version))
    return found
