"""Our coordinator record schemas and bytes (wire/coordinator_records) against Kafka 4.3's classes.

The schemas must be exactly what tools/gen_schemas.py makes of the specs inside Kafka 4.3's
group- and share-coordinator jars, the record types Kafka's CoordinatorRecordType enums, and the
bytes of every record, with every field set and with every field at its null or default,
those Kafka's own CoordinatorRecordSerde writes (java/CoordinatorRecordBytes.java); our decoder
reads Kafka's bytes back to the values written.
"""

from __future__ import annotations

import base64
import json
import subprocess
from pathlib import Path
from uuid import UUID

from odradek.tools import gen_schemas
from odradek.wire.coordinator_records import (
    consumer_offsets, decode_record, encode_record, share_group_state,
)
from odradek.wire.schema import Field

from .java.jars import CACHE, classpath
from .java.targets import require_kafka_jars

REPO_ROOT = Path(__file__).resolve().parents[1]
PROGRAM = Path(__file__).parent / "java" / "CoordinatorRecordBytes.java"
TOPICS = {"consumer_offsets": consumer_offsets, "share_group_state": share_group_state}
# Kafka's __consumer_offsets types we leave to other modules: the classic group and offset
# commit records (server/groups/offsets_records.py), and the streams groups' (no streams groups).
NOT_GENERATED = {"LEGACY_OFFSET_COMMIT", "OFFSET_COMMIT", "GROUP_METADATA"}


def _run_java(*args: str, stdin: str = "") -> list[list[str]]:
    ran = subprocess.run(["java", "-cp", classpath(), str(PROGRAM), *args], input=stdin, capture_output=True,
                         text=True, timeout=120)
    assert ran.returncode == 0, ran.stderr
    return [line.split("\t") for line in ran.stdout.splitlines()]


def test_the_tables_are_generated_from_kafka_4_3s_specs():
    require_kafka_jars()
    jars = [next(CACHE.glob("kafka-group-coordinator-[0-9]*.jar")), next(CACHE.glob("kafka-share-coordinator-*.jar"))]
    collected = gen_schemas.collect_records(gen_schemas.coordinator_specs(jars))
    for topic, pairs in collected.items():
        package = REPO_ROOT / "wire" / "coordinator_records" / topic
        for key, value in pairs:
            module = package / f"{gen_schemas.snake_case(key['name'].removesuffix('Key'))}.py"
            assert module.read_text() == gen_schemas.render_record(topic, key, value), module
        names = [(key["apiKey"], key["name"].removesuffix("Key")) for key, _ in pairs]
        assert (package / "__init__.py").read_text() == gen_schemas.render_record_registry(topic, names)
        assert sorted(path.name for path in package.glob("*.py")) == sorted(
            ["__init__.py"] + [f"{gen_schemas.snake_case(name)}.py" for _, name in names])


def test_the_record_types_are_kafkas():
    require_kafka_jars()
    kafka = {(topic, name): (int(type_), int(low), int(high)) for topic, name, type_, low, high in _run_java("types")}
    ours = {(topic, gen_schemas.snake_case(record.name).upper()):
            (record.type, record.value.valid_versions.low, record.value.valid_versions.high)
            for topic, module in TOPICS.items() for record in module.RECORDS}
    assert ours == {entry: facts for entry, facts in kafka.items()
                    if entry[1] not in NOT_GENERATED}


# --- the bytes -----------------------------------------------------------------------------------

def _sample(fields: tuple[Field, ...], full: bool, counter: list[int]) -> dict:
    """A value for every field: ``full`` sets each one (nullables and tagged ones included) to
    a distinct non-default value, else nullables are null, arrays empty and tagged fields left out."""
    value = {}
    for field in fields:
        if field.tag is not None and not full:
            continue
        if not full and field.nullable_versions:
            value[field.name] = None
        elif field.is_array:
            value[field.name] = [_element(field, full, counter) for _ in range(2 if full else 0)]
        else:
            value[field.name] = _element(field, full, counter)
    return value


def _element(field: Field, full: bool, counter: list[int]):
    counter[0] += 1
    n = counter[0]
    if field.is_struct:
        return _sample(field.fields, full, counter)
    return {"int8": n % 100, "int16": 300 + n, "uint16": 40_000 + n, "int32": 70_000 + n, "int64": (1 << 40) + n, "bool": True,
            "string": f"s{n}", "bytes": bytes([n % 256, 7]), "uuid": UUID(int=(n << 64) | n)}[field.element_type]


def _to_kafka_json(value):
    """A value as Kafka's generated JsonConverters read it: camelCase names, base64 bytes, and
    UUIDs in Kafka's own form (URL-safe base64, no padding)."""
    if isinstance(value, dict):
        return {_camel(name): _to_kafka_json(item) for name, item in value.items()}
    if isinstance(value, list):
        return [_to_kafka_json(item) for item in value]
    if isinstance(value, UUID):
        return base64.urlsafe_b64encode(value.bytes).decode().rstrip("=")
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    return value


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


def _matches(expected, decoded) -> bool:
    if isinstance(expected, dict):
        return all(_matches(item, decoded[name]) for name, item in expected.items())
    if isinstance(expected, list):
        return len(expected) == len(decoded) and all(map(_matches, expected, decoded))
    return expected == decoded


def test_the_bytes_are_the_ones_kafkas_serde_writes():
    require_kafka_jars()
    cases = []
    counter = [0]
    for topic, module in TOPICS.items():
        for record in module.RECORDS:
            key = _sample(record.key.fields, True, counter)
            version = record.value.valid_versions.high
            for value in (_sample(record.value.fields, True, counter), _sample(record.value.fields, False, counter), None):
                cases.append((topic, record, key, value, version))
    lines = "".join(f"{topic}\t{record.name}\t{json.dumps(_to_kafka_json(key))}\t"
                    f"{json.dumps(_to_kafka_json(value))}\t{version}\n"
                    for topic, record, key, value, version in cases)
    kafka = _run_java(stdin=lines)
    assert len(kafka) == len(cases) == 3 * sum(len(module.RECORDS) for module in TOPICS.values())
    for (topic, record, key, value, version), (kafka_key, kafka_value) in zip(cases, kafka):
        ours = encode_record(record, key, value, version)
        what = f"{record.name} {'tombstone' if value is None else value}"
        assert (ours[0].hex(), "null" if ours[1] is None else ours[1].hex()) == (kafka_key, kafka_value), what
        decoded = decode_record(TOPICS[topic].RECORD_BY_TYPE, bytes.fromhex(kafka_key),
                                None if kafka_value == "null" else bytes.fromhex(kafka_value))
        assert decoded.record is record, what
        assert _matches(key, decoded.key), what
        assert decoded.value is None if value is None else _matches(value, decoded.value), what
