"""Group configs: the effective settings the coordinators read, clamping into the broker's bounds,
the file that keeps them, and the ISO-8601 durations of ``share.auto.offset.reset``."""

from __future__ import annotations

import json
from dataclasses import fields
from types import SimpleNamespace

import pytest
import trio

from odradek.server.broker import Broker
from odradek.server.broker_config import BrokerConfig
from odradek.server.dynamic_group_configs import GROUP_CONFIGS_FILE, GroupSettings
from odradek.server.group_config_defs import GROUP_CONFIG_DEFS, GroupConfigError, check_group_configs, duration_seconds
from odradek.server.group_configs import describe_group_config
from odradek.server.handlers import config_changes
from odradek.server.handlers.config_changes import DELETE, SET, edit
from odradek.server.handlers.describe_configs import BROKER, GROUP
from odradek.server.startup_error import ConfigError


def op(name, value=None, operation=SET):
    return SimpleNamespace(name=name, value=value, config_operation=operation)


def alter(broker, resource_type, name, changes):
    trio.run(config_changes.alter_resource, broker, resource_type, name, edit(changes), False)


@pytest.fixture
def open_broker(tmp_path):
    opened = []

    def open_one(*overrides):
        broker = Broker(BrokerConfig.load(data_dir=str(tmp_path), overrides=list(overrides)))
        broker.open_storage()
        opened.append(broker)
        return broker

    yield open_one
    for broker in opened:
        broker.logs.close()


def test_the_settings_have_one_field_per_group_config_in_kafkas_order():
    assert [f.name.replace("_", ".") for f in fields(GroupSettings)] == [d.name for d in GROUP_CONFIG_DEFS]


def test_a_group_without_configs_has_the_brokers_settings(open_broker):
    broker = open_broker("group.consumer.session.timeout.ms=50000", "group.share.record.lock.duration.ms=20000")
    settings = broker.group_configs.effective("anyone")
    assert (settings.consumer_session_timeout_ms, settings.consumer_heartbeat_interval_ms,
            settings.share_record_lock_duration_ms, settings.share_delivery_count_limit,
            settings.share_auto_offset_reset, settings.share_isolation_level,
            settings.share_renew_acknowledge_enable) == (50000, 5000, 20000, 5, "latest", "read_uncommitted", True)


def test_a_groups_own_configs_are_kept_and_win(open_broker, tmp_path):
    broker = open_broker()
    alter(broker, GROUP, "g", [op("share.delivery.count.limit", "7"), op("share.auto.offset.reset", "earliest"),
                               op("share.isolation.level", "read_committed")])
    alter(broker, GROUP, "h", [op("consumer.session.timeout.ms", "50000")])
    alter(broker, GROUP, "h", [op("consumer.session.timeout.ms", operation=DELETE)])
    assert broker.group_configs.group_ids() == ["g"]
    broker.logs.close()
    kept = json.loads((tmp_path / GROUP_CONFIGS_FILE).read_text())
    assert kept == {"version": 1, "groups": {"g": {"share.auto.offset.reset": "earliest",
                                                   "share.delivery.count.limit": "7",
                                                   "share.isolation.level": "read_committed"}}}

    restarted = open_broker()
    settings = restarted.group_configs.effective("g")
    assert (settings.share_delivery_count_limit, settings.share_auto_offset_reset,
            settings.share_isolation_level) == (7, "earliest", "read_committed")
    assert restarted.group_configs.effective("h").consumer_session_timeout_ms == 45000
    assert restarted.group_configs.group_ids() == ["g"]


def test_values_outside_narrowed_bounds_are_clamped_for_use_but_described_as_set(open_broker):
    broker = open_broker()
    alter(broker, GROUP, "g", [op("consumer.session.timeout.ms", "60000"), op("share.delivery.count.limit", "2")])
    broker.logs.close()
    narrowed = open_broker("group.consumer.max.session.timeout.ms=50000", "group.share.min.delivery.count.limit=3")
    settings = narrowed.group_configs.effective("g")
    assert (settings.consumer_session_timeout_ms, settings.share_delivery_count_limit) == (50000, 3)
    configs = trio.run(narrowed.group_configs.current, "g")
    described = {e.name: e.value for e in describe_group_config(configs, narrowed.config.props)}
    assert (described["consumer.session.timeout.ms"], described["share.delivery.count.limit"]) == ("60000", "2")


def test_a_dynamic_broker_setting_becomes_the_groups_default(open_broker):
    broker = open_broker()
    alter(broker, GROUP, "own", [op("consumer.assignment.interval.ms", "500")])
    alter(broker, BROKER, "", [op("group.consumer.assignment.interval.ms", "2000")])
    assert broker.group_configs.effective("other").consumer_assignment_interval_ms == 2000
    assert broker.group_configs.effective("own").consumer_assignment_interval_ms == 500


def test_a_session_timeout_must_exceed_the_heartbeat_interval():
    bounds = {"group.consumer.min.session.timeout.ms": "1000", "group.consumer.min.heartbeat.interval.ms": "1000"}
    with pytest.raises(GroupConfigError) as refused:
        check_group_configs({"consumer.session.timeout.ms": "5000"}, bounds)
    assert refused.value.message == "consumer.session.timeout.ms must be greater than consumer.heartbeat.interval.ms"
    check_group_configs({"consumer.session.timeout.ms": "5001"}, bounds)


@pytest.mark.parametrize("text, seconds", [
    ("PT1H", 3600), ("P1D", 86400), ("p1dt2h3m4s", 93784), ("PT1.5S", 1.5), ("PT-0.5S", -0.5), ("-PT1H", -3600),
    ("-PT-1H", 3600), ("P", None), ("PT", None), ("P1DT", None), ("1H", None), ("PT1H2", None),
])
def test_iso_durations_read_as_java_reads_them(text, seconds):
    assert duration_seconds(text) == seconds


def test_an_unreadable_file_stops_start_up(open_broker, tmp_path):
    (tmp_path / GROUP_CONFIGS_FILE).write_text('{"version": 9, "groups": {}}')
    with pytest.raises(ValueError, match="unsupported format version 9"):
        open_broker()


def test_concurrent_changes_are_each_kept(open_broker, tmp_path):
    """Changes made at once (different groups, or keys of one) each read what the one before kept."""
    broker = open_broker()

    async def at_once():
        async with trio.open_nursery() as nursery:
            for group in ("a", "b", "c"):
                nursery.start_soon(config_changes.alter_resource, broker, GROUP, group,
                                   edit([op("share.delivery.count.limit", "3")]), False)
            nursery.start_soon(config_changes.alter_resource, broker, GROUP, "a",
                               edit([op("share.isolation.level", "read_committed")]), False)

    trio.run(at_once)
    kept = json.loads((tmp_path / GROUP_CONFIGS_FILE).read_text())["groups"]
    assert kept == {"a": {"share.delivery.count.limit": "3", "share.isolation.level": "read_committed"},
                    "b": {"share.delivery.count.limit": "3"}, "c": {"share.delivery.count.limit": "3"}}


def test_a_broker_setting_no_group_could_have_stops_start_up(open_broker):
    with pytest.raises(ConfigError, match="Invalid value 1 for configuration group.share.delivery.count.limit"):
        open_broker("group.share.delivery.count.limit=1")
