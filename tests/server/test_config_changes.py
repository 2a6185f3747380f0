"""AlterConfigs / IncrementalAlterConfigs on topics and on the broker: applied at once, persisted."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from odradek.server.broker import Broker
from odradek.server.broker_config import BrokerConfig
from odradek.server.handlers.config_changes import (
    APPEND,
    DELETE,
    SET,
    SUBTRACT,
    ConfigChangeError,
    alter_resource,
    edit,
    replace_all,
)
from odradek.server.handlers.describe_configs import BROKER, TOPIC
from odradek.storage.log_config import (
    DYNAMIC_BROKER_CONFIG,
    DYNAMIC_DEFAULT_BROKER_CONFIG,
    DYNAMIC_TOPIC_CONFIG,
    describe_topic_config,
)
from odradek.server.broker_configs import describe_broker_config
from odradek.wire import ErrorCode


def op(name, value=None, operation=SET):
    return SimpleNamespace(name=name, value=value, config_operation=operation)


@pytest.fixture
def open_broker(tmp_path):
    opened = []

    def open_one(*overrides):
        broker = Broker(BrokerConfig.load(data_dir=str(tmp_path), overrides=list(overrides)))
        broker.logs.startup()
        opened.append(broker)
        return broker

    yield open_one
    for broker in opened:
        broker.logs.close()


def test_alter_configs_replaces_a_topics_overrides_and_the_partitions_see_it(open_broker):
    broker = open_broker()
    broker.logs.create_topic("t", 2, {"retention.ms": "1000", "segment.ms": "5000"})
    alter_resource(broker, TOPIC, "t", replace_all([op("retention.bytes", "4096"), op("flush.ms", None)]), False)
    assert broker.logs.get_topic("t").configs == {"retention.bytes": "4096"}
    for index in range(2):
        config = broker.logs.partition("t", index).config
        assert (config.retention_bytes, config.retention_ms, config.segment_ms) == (4096, 604800000, 604800000)


def test_incremental_operations_on_a_topic(open_broker):
    broker = open_broker()
    broker.logs.create_topic("t", 1, {"retention.ms": "1000", "segment.ms": "5000"})
    alter_resource(broker, TOPIC, "t", edit([op("retention.ms", "2000"), op("segment.ms", operation=DELETE),
                                             op("cleanup.policy", "compact", APPEND)]), False)
    assert broker.logs.get_topic("t").configs == {"retention.ms": "2000", "cleanup.policy": "delete,compact"}
    alter_resource(broker, TOPIC, "t", edit([op("cleanup.policy", "delete", SUBTRACT)]), False)
    assert broker.logs.partition("t", 0).config.cleanup_policy == ("compact",)


@pytest.mark.parametrize("change, code, message", [
    (edit([op("retention.ms", "1", APPEND)]), ErrorCode.INVALID_CONFIG, "append is not allowed"),
    (edit([op("retention.ms", "1"), op("retention.ms", "2")]), ErrorCode.INVALID_REQUEST, "duplicate"),
    (edit([op("retention.ms", "1", 7)]), ErrorCode.INVALID_REQUEST, "Unknown config operation"),
    (edit([op("no.such.config", "1")]), ErrorCode.INVALID_CONFIG, "Unknown topic config"),
    (replace_all([op("segment.bytes", "12")]), ErrorCode.INVALID_CONFIG, "at least"),
])
def test_refused_topic_changes_change_nothing(open_broker, change, code, message):
    broker = open_broker()
    broker.logs.create_topic("t", 1, {"retention.ms": "1000"})
    with pytest.raises(ConfigChangeError) as refused:
        alter_resource(broker, TOPIC, "t", change, False)
    assert refused.value.code == code and message in refused.value.message
    assert broker.logs.get_topic("t").configs == {"retention.ms": "1000"}


def test_unknown_topic_and_validate_only(open_broker):
    broker = open_broker()
    with pytest.raises(ConfigChangeError) as missing:
        alter_resource(broker, TOPIC, "nope", replace_all([]), False)
    assert missing.value.code == ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
    broker.logs.create_topic("t", 1)
    alter_resource(broker, TOPIC, "t", replace_all([op("retention.ms", "5")]), True)
    assert broker.logs.get_topic("t").configs == {}


def test_broker_defaults_apply_to_topics_without_overrides_and_persist(open_broker):
    broker = open_broker("log.retention.ms=9000")
    broker.logs.create_topic("plain", 1)
    broker.logs.create_topic("own", 1, {"retention.ms": "42"})
    alter_resource(broker, BROKER, "", edit([op("log.retention.ms", "1000")]), False)
    alter_resource(broker, BROKER, "1", edit([op("log.retention.bytes", "2048")]), False)
    assert broker.logs.partition("plain", 0).config.retention_ms == 1000
    assert broker.logs.partition("plain", 0).config.retention_bytes == 2048
    assert broker.logs.partition("own", 0).config.retention_ms == 42
    broker.logs.close()

    restarted = open_broker("log.retention.ms=9000")
    assert restarted.logs.partition("plain", 0).config.retention_ms == 1000
    dynamic = restarted.dynamic_configs.dynamic()
    topic_entries = {e.name: e for e in describe_topic_config(restarted.config.props, {}, dynamic)}
    assert topic_entries["retention.ms"].source == DYNAMIC_DEFAULT_BROKER_CONFIG
    assert [s.source for s in topic_entries["retention.ms"].synonyms][:2] == [DYNAMIC_DEFAULT_BROKER_CONFIG, 4]
    assert topic_entries["retention.bytes"].source == DYNAMIC_BROKER_CONFIG
    own = {e.name: e for e in describe_topic_config(restarted.config.props, {"retention.ms": "42"}, dynamic)}
    assert own["retention.ms"].source == DYNAMIC_TOPIC_CONFIG
    broker_entries = {e.name: e for e in describe_broker_config(restarted.config.props, 1, dynamic)}
    assert (broker_entries["log.retention.ms"].value, broker_entries["log.retention.ms"].source) == (
        "1000", DYNAMIC_DEFAULT_BROKER_CONFIG)
    assert broker_entries["log.retention.bytes"].source == DYNAMIC_BROKER_CONFIG

    alter_resource(restarted, BROKER, "", edit([op("log.retention.ms", operation=DELETE)]), False)
    assert restarted.logs.partition("plain", 0).config.retention_ms == 9000


@pytest.mark.parametrize("name, change, code", [
    ("", edit([op("num.partitions", "3")]), ErrorCode.INVALID_CONFIG),
    ("", edit([op("log.retention.ms", "soon")]), ErrorCode.INVALID_CONFIG),
    ("7", edit([op("log.retention.ms", "1")]), ErrorCode.INVALID_REQUEST),
])
def test_refused_broker_changes(open_broker, name, change, code):
    broker = open_broker()
    with pytest.raises(ConfigChangeError) as refused:
        alter_resource(broker, BROKER, name, change, False)
    assert refused.value.code == code
    assert broker.dynamic_configs.effective() == broker.config.props
