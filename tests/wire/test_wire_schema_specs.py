"""Our generated schema tables, checked field by field against Kafka's JSON message specs.

The specs are Apache Kafka's ``clients/src/main/resources/common/message/*.json``. They are not part
of this repository: the check reads them from ``../shared/kafka-message-specs`` beside the checkout
(where CI has them) or from the directory ``ODRADEK_KAFKA_MESSAGE_SPECS`` names, and skips, saying
how to run it, without them.

Those reference files are from late 2024 and hold only the preview (v0, Kafka 4.0) of the share
group APIs; our share tables are at the versions Kafka 4.3 serves (``NEWER_THAN_REFERENCE``). For
those the check here is the part that still holds (key, names, flexible versions, and every
reference field still present with its type, in order); the versions themselves are checked
against a real Kafka 4.3 broker and its jars' specs in ``compat_tests/test_share_api_schemas.py``.
"""

import json
import os
import re
from pathlib import Path

import pytest

from odradek.tools import gen_schemas
from odradek.wire import API_BY_KEY, API_BY_NAME, ApiKey, Versions
from odradek.wire.embedded import CONSUMER_PROTOCOL_ASSIGNMENT, CONSUMER_PROTOCOL_SUBSCRIPTION
from odradek.wire.schema import NO_DEFAULT

REPO_ROOT = Path(__file__).resolve().parents[2]
SPECS_DIR = Path(os.environ.get("ODRADEK_KAFKA_MESSAGE_SPECS", REPO_ROOT.parent / "shared" / "kafka-message-specs"))

if not SPECS_DIR.is_dir():
    pytest.skip(f"no Kafka message specs at {SPECS_DIR}: to run this check, set ODRADEK_KAFKA_MESSAGE_SPECS to a "
                f"copy of apache/kafka's clients/src/main/resources/common/message", allow_module_level=True)

SUPERSEDED = {"ListClientMetricsResources"}  # key 74 now belongs to ListConfigResources

#: APIs whose tables follow Kafka 4.3, newer than the reference files, which hold the share group
#: APIs' 4.0 preview (v0) and not keys 90-92 at all (the list, with its reason, is the generator's:
#: it takes them from Kafka 4.3's specs); compat_tests/test_share_api_schemas.py checks them
#: against Kafka 4.3's jar and a real 4.3 broker.
NEWER_THAN_REFERENCE = {API_BY_NAME[name].key: name for name in gen_schemas.NEWER_THAN_REFERENCE}


def load(path: Path) -> dict:
    text = "\n".join(line for line in path.read_text().splitlines() if not line.strip().startswith("//"))
    return json.loads(text)


def snake(name: str) -> str:
    return re.sub(r"(?<=[^A-Z])(?=[A-Z])", "_", name).lower()


SPECS = {path.stem: load(path) for path in SPECS_DIR.glob("*.json")}
PAIRS = {
    spec["apiKey"]: name.removesuffix("Request")
    for name, spec in SPECS.items()
    if spec["type"] == "request" and name.removesuffix("Request") not in SUPERSEDED
    and name.removesuffix("Request") + "Response" in SPECS
}


def expected_default(kafka_type: str, raw):
    if raw == "null":
        return None
    if kafka_type == "bool":
        return raw if isinstance(raw, bool) else {"true": True, "false": False}[raw]
    if kafka_type.startswith(("int", "uint")):
        return raw if isinstance(raw, int) else int(raw, 0)
    return raw


def check_fields(ours, theirs, common, where):
    assert [f.name for f in ours] == [snake(f["name"]) for f in theirs], where
    for field, spec in zip(ours, theirs):
        at = f"{where}.{field.name}"
        assert field.type == spec["type"], at
        assert field.versions == Versions.parse(spec["versions"]), at
        assert field.nullable_versions == Versions.parse(spec.get("nullableVersions", "none")), at
        assert field.tag == (int(spec["tag"]) if "tag" in spec else None), at
        assert field.tagged_versions == Versions.parse(spec.get("taggedVersions", "none")), at
        assert field.flexible_versions == (
            Versions.parse(spec["flexibleVersions"]) if "flexibleVersions" in spec else None), at
        if "default" in spec:
            assert field.default == expected_default(spec["type"], spec["default"]), at
        else:
            assert field.default is NO_DEFAULT, at
        nested = spec.get("fields") or common.get(spec["type"].removeprefix("[]"), [])
        assert field.is_struct == bool(nested), at
        check_fields(field.fields, nested, common, at)


def check_message(message, spec):
    assert message.name == spec["name"]
    assert message.valid_versions == Versions.parse(spec["validVersions"])
    assert message.flexible_versions == Versions.parse(spec["flexibleVersions"])
    common = {struct["name"]: struct["fields"] for struct in spec.get("commonStructs", [])}
    check_fields(message.fields, spec["fields"], common, spec["name"])


CHECKED_IN_FULL = sorted(set(PAIRS) - set(NEWER_THAN_REFERENCE))


def check_fields_kept(ours, theirs, common, where):
    """Every reference field is still there, in order, with its type (newer versions add fields
    and narrow versions, so versions, defaults and added fields are not compared)."""
    by_name = {field.name: (index, field) for index, field in enumerate(ours)}
    last = -1
    for spec in theirs:
        at = f"{where}.{snake(spec['name'])}"
        assert snake(spec["name"]) in by_name, at
        index, field = by_name[snake(spec["name"])]
        assert index > last, f"{at} moved"
        last = index
        assert field.type == spec["type"], at
        nested = spec.get("fields") or common.get(spec["type"].removeprefix("[]"), [])
        check_fields_kept(field.fields, nested, common, at)


def test_every_api_with_a_request_and_response_spec_is_generated():
    ours = {key: api.name for key, api in API_BY_KEY.items()}
    assert {key: name for key, name in ours.items() if key not in PAIRS} == {
        key: name for key, name in NEWER_THAN_REFERENCE.items() if key not in PAIRS}
    assert {key: name for key, name in ours.items() if key in PAIRS} == PAIRS


@pytest.mark.parametrize("key", sorted(key for key in NEWER_THAN_REFERENCE if key in PAIRS))
def test_newer_api_tables_keep_what_the_reference_specs_hold(key):
    api = API_BY_KEY[key]
    assert api.name == NEWER_THAN_REFERENCE[key]
    for message, spec in ((api.request, SPECS[api.name + "Request"]), (api.response, SPECS[api.name + "Response"])):
        assert api.key == spec["apiKey"]
        assert message.name == spec["name"]
        assert message.flexible_versions == Versions.parse(spec["flexibleVersions"])
        common = {struct["name"]: struct["fields"] for struct in spec.get("commonStructs", [])}
        check_fields_kept(message.fields, spec["fields"], common, spec["name"])


@pytest.mark.parametrize("key", CHECKED_IN_FULL)
def test_api_tables_match_the_specs(key):
    api = API_BY_KEY[key]
    request, response = SPECS[api.name + "Request"], SPECS[api.name + "Response"]
    assert api.key == request["apiKey"] == response["apiKey"]
    check_message(api.request, request)
    check_message(api.response, response)
    assert api.valid_versions == Versions.parse(request["validVersions"])
    assert api.latest_version_unstable == request.get("latestVersionUnstable", False)


@pytest.mark.parametrize("key", sorted(API_BY_KEY))
def test_api_key_enum_uses_kafka_names(key):
    assert ApiKey(key).name == snake(API_BY_KEY[key].name).upper()


def test_well_known_api_keys():
    assert (ApiKey.PRODUCE, ApiKey.FETCH, ApiKey.LIST_OFFSETS, ApiKey.METADATA) == (0, 1, 2, 3)
    assert (ApiKey.API_VERSIONS, ApiKey.CREATE_TOPICS, ApiKey.DELETE_TOPICS) == (18, 19, 20)
    assert (ApiKey.DESCRIBE_CONFIGS, ApiKey.CREATE_PARTITIONS) == (32, 37)


@pytest.mark.parametrize("message", [CONSUMER_PROTOCOL_SUBSCRIPTION, CONSUMER_PROTOCOL_ASSIGNMENT],
                         ids=lambda message: message.name)
def test_embedded_tables_match_the_specs(message):
    check_message(message, SPECS[message.name])


def test_generated_modules_are_up_to_date():
    """Re-running the generator on the specs reproduces the committed modules (those newer than
    the reference files are regenerated from Kafka 4.3's specs in the compat test)."""
    wire = REPO_ROOT / "wire"
    apis = gen_schemas.collect_apis(SPECS_DIR)
    for key, (name, request, response) in apis.items():
        if key in NEWER_THAN_REFERENCE:
            continue
        module = wire / "apis" / f"{gen_schemas.snake_case(name)}.py"
        assert module.read_text() == gen_schemas.render_api(key, name, request, response), module
    names = sorted({**{key: name for key, (name, _, _) in apis.items()}, **NEWER_THAN_REFERENCE}.items())
    assert (wire / "apis" / "__init__.py").read_text() == gen_schemas.render_registry(names)
    assert (wire / "api_keys.py").read_text() == gen_schemas.render_api_keys(names)
    for name in gen_schemas.EMBEDDED:
        module = wire / "embedded" / f"{gen_schemas.snake_case(name)}.py"
        assert module.read_text() == gen_schemas.render_embedded(gen_schemas.load_spec(SPECS_DIR / f"{name}.json"))
