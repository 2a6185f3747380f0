"""Our share group API tables (KIP-932: keys 76-79, 83-87, 90-92), and the other tables newer than
the reference specs (ConsumerGroupDescribe v1), against Kafka 4.3 itself.

The reference specs the unit check reads (tests/wire/test_wire_schema_specs.py) hold only the
4.0 preview of the share APIs, so their versions are proven here instead: the tables must be exactly
what tools/gen_schemas.py makes of the specs inside Kafka 4.3's clients jar, and their version
ranges what a real Kafka 4.3 broker advertises in ApiVersions.  An odradek broker advertises a
share API only once a handler serves it; whatever it advertises must be Kafka's range too.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from odradek.server.routes import ROUTES
from odradek.tools import gen_schemas
from odradek.wire import ALL_APIS, API_BY_NAME, ApiKey

from .broker_process import BrokerProcess
from .java.jars import CACHE
from .java.kafka_broker import KafkaBroker
from .java.targets import require_kafka_jars
from .wire_client import WireClient

REPO_ROOT = Path(__file__).resolve().parents[1]
NEWER_APIS = [API_BY_NAME[name] for name in gen_schemas.NEWER_THAN_REFERENCE]
SHARE_APIS = [api for api in NEWER_APIS if "Share" in api.name]
API_VERSIONS_VERSION = 3  # the first version with the (tagged) features Kafka advertises


def test_every_share_api_follows_kafka_4_3():
    every_share_api = {api.key: api.name for api in ALL_APIS if "Share" in api.name}
    assert {api.key: api.name for api in SHARE_APIS} == every_share_api == {
        76: "ShareGroupHeartbeat", 77: "ShareGroupDescribe", 78: "ShareFetch", 79: "ShareAcknowledge",
        83: "InitializeShareGroupState", 84: "ReadShareGroupState", 85: "WriteShareGroupState",
        86: "DeleteShareGroupState", 87: "ReadShareGroupStateSummary",
        90: "DescribeShareGroupOffsets", 91: "AlterShareGroupOffsets", 92: "DeleteShareGroupOffsets",
    }


def test_the_tables_are_generated_from_kafka_4_3s_specs():
    require_kafka_jars()
    [jar] = CACHE.glob("kafka-clients-*.jar")
    specs = gen_schemas.read_specs([jar])
    for api in NEWER_APIS:
        request, response = specs[api.name + "Request"], specs[api.name + "Response"]
        module = REPO_ROOT / "wire" / "apis" / f"{gen_schemas.snake_case(api.name)}.py"
        assert module.read_text() == gen_schemas.render_api(api.key, api.name, request, response), module


def _advertised(broker) -> tuple[dict[int, tuple[int, int]], dict[str, tuple[int, int]]]:
    """A broker's ApiVersions: ranges by API key, and its finalized features' levels."""
    with WireClient(broker) as client:
        answer = client.send(ApiKey.API_VERSIONS, API_VERSIONS_VERSION, {
            "client_software_name": "odradek-compat-tests", "client_software_version": "1"})
    assert answer.error_code == 0
    return ({entry.api_key: (entry.min_version, entry.max_version) for entry in answer.api_keys},
            {f.name: (f.min_version_level, f.max_version_level) for f in answer.finalized_features})


@pytest.fixture(scope="module")
def kafka_advertises(tmp_path_factory):
    require_kafka_jars()
    kafka = KafkaBroker(tmp_path_factory.mktemp("kafka")).start()
    try:
        return _advertised(kafka)
    finally:
        kafka.stop()


def test_the_version_ranges_are_what_kafka_4_3_advertises(kafka_advertises):
    kafka_ranges, kafka_features = kafka_advertises
    assert {api.name: (api.valid_versions.low, api.valid_versions.high) for api in NEWER_APIS} == {
        api.name: kafka_ranges.get(api.key) for api in NEWER_APIS}
    # share groups are on in a Kafka 4.3 formatted with its defaults: share.version finalized at 1
    assert kafka_features.get("share.version") == (1, 1)


def test_odradek_advertises_kafkas_range_for_each_newer_api_it_serves(kafka_advertises, tmp_path):
    kafka_ranges, _ = kafka_advertises
    odradek = BrokerProcess(tmp_path / "data").start()
    try:
        ours, _ = _advertised(odradek)
    finally:
        assert odradek.stop() == 0
    # advertised exactly when a handler serves it (none did before the share handlers landed)
    served = {api.name: ours[api.key] for api in NEWER_APIS if api.key in ours}
    assert set(served) == {api.name for api in NEWER_APIS if api.key in ROUTES}
    assert served == {api.name: kafka_ranges[api.key] for api in NEWER_APIS if api.name in served}
