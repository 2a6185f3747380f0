"""Construct codecs for whole messages, built from the schema tables once per message version.

``message_codec(message, version)`` walks the schema once and returns a ``StructCodec`` (a
``construct.Construct``) whose parse and build loops only run over precomputed member tuples;
it is cached, so the schema is never walked again on the hot path.

Conventions:

* decoding gives a ``construct.Container`` holding every field of the schema, in schema order
  (arrays of structs are lists of Containers); fields that do not exist in the decoded version
  hold their default.  Attribute access works except for names that are dict methods (the
  client-quota APIs' ``values``): use ``value["values"]`` there;
* encoding takes any mapping; a missing key means the field's default, keys of fields absent
  from the version are ignored, and ``None`` for a field not nullable in that version is an
  ``EncodeError``;
* tagged fields are written only when they differ from their default, in tag order;
* tagged fields the schema does not know are kept under ``_unknown_tagged_fields`` as
  ``[(tag, bytes)]`` and written back, so decode then encode reproduces the input bytes for
  any frame in canonical form (the form Kafka's own encoder produces).

Defaults: the schema's ``default`` if given (``None`` for Kafka's ``"null"``), else 0, 0.0,
False, "", b"", the zero UUID, [] or a struct of defaults; ``records`` default to None.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping
from dataclasses import replace

from construct import Construct, Container

from .errors import DecodeError, EncodeError
from .schema import NO_DEFAULT, Field, Message
from .types import (
    BYTES, COMPACT_BYTES, COMPACT_NULLABLE_BYTES, COMPACT_NULLABLE_STRING, COMPACT_STRING,
    FIXED_TYPES, NULLABLE_BYTES, NULLABLE_STRING, STRING, TAGGED_FIELDS, ZERO_UUID, Array, Records,
    NullableStruct,
)

UNKNOWN_TAGGED_FIELDS = "_unknown_tagged_fields"

_MISSING = object()
_ZERO = {
    "bool": False, "int8": 0, "int16": 0, "uint16": 0, "int32": 0, "uint32": 0, "int64": 0,
    "float64": 0.0, "string": "", "bytes": b"", "records": None, "uuid": ZERO_UUID,
}
_STRINGS = {(False, False): STRING, (False, True): NULLABLE_STRING,
            (True, False): COMPACT_STRING, (True, True): COMPACT_NULLABLE_STRING}
_BYTES = {(False, False): BYTES, (False, True): NULLABLE_BYTES,
          (True, False): COMPACT_BYTES, (True, True): COMPACT_NULLABLE_BYTES}
_RECORDS = {(compact, nullable): Records(compact, nullable)
            for compact in (False, True) for nullable in (False, True)}


class StructCodec(Construct):
    """One Kafka struct (or a whole message) at one version.

    ``decode_plan``: per schema field, in schema order, a ``(name, parse)`` pair, where
    ``parse(stream, context, path)`` reads the field or, for fields not on the wire in this
    version, just returns a fresh default.  ``members``: the untagged fields on the wire, as
    ``(name, codec, nullable, fallback)``.  ``tagged``: ``(tag, name, codec, is_default)`` in tag
    order.  ``flexible``: whether a tagged-field section ends the struct.
    """

    def __init__(self, decode_plan, members, tagged, flexible: bool):
        super().__init__()
        self.decode_plan = tuple(decode_plan)
        self.members = tuple(members)
        self.tagged = tuple(tagged)
        self.flexible = flexible
        self._tagged_by_tag = {tag: (name, codec) for tag, name, codec, _ in self.tagged}

    def _parse(self, stream, context, path):
        obj = Container()
        for name, parse in self.decode_plan:
            try:
                obj[name] = parse(stream, context, path)
            except DecodeError as error:
                raise error.within(name) from None
        if self.flexible:
            self.parse_tagged(obj, stream, context, path)
        return obj

    def parse_tagged(self, obj, stream, context, path) -> None:
        """Read the tagged-field section into ``obj`` (known fields by name, others kept raw)."""
        unknown = None
        for tag, data in TAGGED_FIELDS._parse(stream, context, path):
            known = self._tagged_by_tag.get(tag)
            if known is None:
                if unknown is None:
                    unknown = obj[UNKNOWN_TAGGED_FIELDS] = []
                unknown.append((tag, data))
                continue
            name, codec = known
            try:
                obj[name] = _parse_exactly(codec, data, context, path)
            except DecodeError as error:
                raise error.within(name) from None

    def _build(self, obj, stream, context, path):
        get = getattr(obj, "get", None)
        if get is None:
            raise EncodeError(f"{type(obj).__name__} is not a mapping")
        for name, codec, nullable, fallback in self.members:
            value = get(name, fallback)
            if value is None and not nullable:
                raise EncodeError("null is not allowed in this version").within(name)
            try:
                codec._build(value, stream, context, path)
            except EncodeError as error:
                raise error.within(name) from None
        if self.flexible:
            if self.tagged or UNKNOWN_TAGGED_FIELDS in obj:
                self.build_tagged(get, stream, context, path)
            else:
                stream.write(b"\x00")  # the usual case: no tagged fields
        return obj

    def build_tagged(self, get, stream, context, path) -> None:
        """Write the tagged-field section of the struct whose ``get`` is given."""
        TAGGED_FIELDS._build(self._tagged_entries(get, context, path), stream, context, path)

    def _tagged_entries(self, get, context, path) -> list[tuple[int, bytes]]:
        entries = []
        for tag, name, codec, is_default in self.tagged:
            value = get(name, _MISSING)
            if value is _MISSING or is_default(value):
                continue
            buffer = io.BytesIO()
            try:
                codec._build(value, buffer, context, path)
            except EncodeError as error:
                raise error.within(name) from None
            entries.append((tag, buffer.getvalue()))
        for entry in get(UNKNOWN_TAGGED_FIELDS) or ():
            if not (isinstance(entry, tuple | list) and len(entry) == 2 and isinstance(entry[0], int)):
                raise EncodeError(f"{UNKNOWN_TAGGED_FIELDS} must hold (tag, bytes) pairs")
            if entry[0] not in self._tagged_by_tag:
                entries.append(tuple(entry))
        entries.sort(key=lambda entry: entry[0])
        return entries


def _parse_exactly(codec: Construct, data: bytes, context, path):
    stream = io.BytesIO(data)
    value = codec._parse(stream, context, path)
    if stream.tell() != len(data):
        raise DecodeError(f"{len(data) - stream.tell()} bytes left over in tagged field")
    return value


_CODECS: dict[tuple[Message, int], StructCodec] = {}


def message_codec(message: Message, version: int) -> StructCodec:
    """The (cached) codec of ``message`` at ``version``; ``version`` must be valid."""
    codec = _CODECS.get((message, version))
    if codec is None:
        if version not in message.valid_versions:
            raise ValueError(
                f"{message.name} has no version {version} (valid: {message.valid_versions})")
        flexible = version in message.flexible_versions
        codec = _CODECS[(message, version)] = _struct_codec(message.fields, version, flexible)
    return codec


def decode(message: Message, version: int, data: bytes) -> Container:
    """Decode exactly ``data`` (trailing bytes are an error)."""
    stream = io.BytesIO(data)
    value = decode_from(message, version, stream)
    ensure_consumed(stream, len(data), message.name)
    return value


def ensure_consumed(stream: io.BytesIO, size: int, what: str) -> None:
    """Raise ``DecodeError`` if the ``size``-byte input was not read to its end."""
    left = size - stream.tell()
    if left:
        raise DecodeError(f"{left} unexpected bytes after the {what}")


def decode_from(message: Message, version: int, stream: io.BytesIO) -> Container:
    """Decode one message from the stream's current position."""
    return message_codec(message, version)._parse(stream, None, "")


def encode(message: Message, version: int, value: Mapping) -> bytes:
    """The bytes of ``value`` as ``message`` at ``version``."""
    stream = io.BytesIO()
    encode_into(message, version, value, stream)
    return stream.getvalue()


def encode_into(message: Message, version: int, value: Mapping, stream: io.BytesIO) -> None:
    """Append the encoded message to ``stream``."""
    message_codec(message, version)._build(value, stream, None, "")


def default_value(field: Field) -> object:
    """A fresh default for ``field`` (new lists and Containers on every call)."""
    if field.default is not NO_DEFAULT:
        return field.default  # None or an immutable scalar
    if field.is_array:
        return []
    if field.is_struct:
        return default_struct(field.fields)
    return _ZERO[field.type]


def default_struct(fields: tuple[Field, ...]) -> Container:
    """A Container with every field at its default."""
    return Container((field.name, default_value(field)) for field in fields)


def _struct_codec(fields: tuple[Field, ...], version: int, flexible: bool) -> StructCodec:
    decode_plan, members, tagged = [], [], []
    for field in fields:
        if version not in field.versions:
            decode_plan.append((field.name, _not_on_wire(field)))
            continue
        if flexible and version in field.tagged_versions and field.is_struct and not field.is_array:
            codec, absent, is_default = _tagged_struct(field, version)
            decode_plan.append((field.name, absent))
            tagged.append((field.tag, field.name, codec, is_default))
            continue
        codec = _value_codec(field, version, flexible)
        if flexible and version in field.tagged_versions:
            decode_plan.append((field.name, _not_on_wire(field)))
            tagged.append((field.tag, field.name, codec, _is_default_check(field, version)))
        else:
            decode_plan.append((field.name, codec._parse))
            members.append((field.name, codec, version in field.nullable_versions,
                            _build_fallback(field, version)))
    tagged.sort(key=lambda entry: entry[0])
    return StructCodec(decode_plan, members, tagged, flexible)


def _tagged_struct(field: Field, version: int) -> tuple[Construct, Callable, Callable[[object], bool]]:
    """A tagged struct field as Kafka's generated code handles one: absent, it is the struct of
    defaults (even when the schema's default is null); only that struct is left unwritten, and
    a null one (a nullable struct) is written, its presence an unsigned varint, 0 for null."""
    struct = _struct_codec(field.fields, version, True)
    codec = NullableStruct(struct, varint_marker=True) if version in field.nullable_versions else struct
    make = _default_maker(replace(field, default=NO_DEFAULT))
    checks = tuple((sub.name, _is_default_check(sub, version)) for sub in field.fields if version in sub.versions)

    def is_default(value) -> bool:
        return isinstance(value, Mapping) and all(check(value[name]) for name, check in checks if name in value)
    return codec, (lambda stream, context, path: make()), is_default


def _not_on_wire(field: Field) -> Callable:
    """The decode-plan parser of a field absent from the wire: reads nothing, gives a default."""
    make = _default_maker(field)
    return lambda stream, context, path: make()


def _value_codec(field: Field, version: int, flexible: bool) -> Construct:
    if field.flexible_versions is not None:
        flexible = flexible and version in field.flexible_versions
    nullable = version in field.nullable_versions
    if field.is_array:
        return Array(_element_codec(field, version, flexible, False), flexible, nullable)
    return _element_codec(field, version, flexible, nullable)


def _element_codec(field: Field, version: int, flexible: bool, nullable: bool) -> Construct:
    if field.is_struct:
        codec = _struct_codec(field.fields, version, flexible)
        return NullableStruct(codec) if nullable else codec
    kind = field.element_type
    if kind == "string":
        return _STRINGS[(flexible, nullable)]
    if kind == "records":
        return _RECORDS[(flexible, nullable)]
    if kind == "bytes":
        return _BYTES[(flexible, nullable)]
    return FIXED_TYPES[kind]


def _default_maker(field: Field) -> Callable[[], object]:
    """A function returning a fresh default for ``field``, with the schema walked only once."""
    if field.default is not NO_DEFAULT or not (field.is_array or field.is_struct):
        value = default_value(field)
        return lambda: value
    if field.is_array:
        return list
    template = default_struct(field.fields)
    fresh = tuple((sub.name, _default_maker(sub)) for sub in field.fields
                  if isinstance(template[sub.name], (list, Container)))

    def make_struct() -> Container:
        obj = Container(template)
        for name, make in fresh:
            obj[name] = make()
        return obj
    return make_struct


def _build_fallback(field: Field, version: int) -> object:
    """What to encode when the caller's mapping lacks the field (never mutated, so shareable).

    A ``"null"`` default in a version where the field is not nullable falls back to the
    type's zero value, as an absent value should never make encoding fail.
    """
    if field.default is None and version in field.nullable_versions:
        return None
    if field.is_array:
        return ()
    if field.is_struct:
        return {}
    if field.default is None or field.default is NO_DEFAULT:
        return _ZERO[field.type]
    return field.default


def _is_default_check(field: Field, version: int) -> Callable[[object], bool]:
    """Whether a tagged field's value equals its default (and so is not written)."""
    default = default_value(field)
    if default is None:
        return lambda value: value is None
    if field.is_array:
        return lambda value: value == [] or value == ()
    if field.is_struct:
        checks = tuple((sub.name, _is_default_check(sub, version))
                       for sub in field.fields if version in sub.versions)

        def is_default_struct(value) -> bool:
            if not isinstance(value, Mapping):
                return False
            return all(check(value[name]) for name, check in checks if name in value)
        return is_default_struct
    return lambda value: value == default
