"""The group.share.* broker settings: Kafka 4.3's defaults, ranges and cross-checks."""

from __future__ import annotations

import pytest

from odradek.server.broker_config import BrokerConfig
from odradek.server.groups.share_group_config import ShareGroupConfig
from odradek.server.startup_error import ConfigError


def config(**props) -> ShareGroupConfig:
    return ShareGroupConfig.from_broker(BrokerConfig({k: str(v) for k, v in props.items()}))


def test_defaults_are_kafkas():
    c = config()
    assert (c.session_timeout_ms, c.heartbeat_interval_ms, c.max_size, c.assignment_interval_ms) == (45000, 5000, 200, 1000)
    assert (c.record_lock_duration_ms, c.delivery_count_limit, c.partition_max_record_locks) == (30000, 5, 2000)
    assert c.initialize_retry_interval_ms == 30000 and c.assignor == "simple"


def test_the_initialize_retry_interval_is_at_least_the_offset_commit_timeout():
    assert config(**{"group.share.initialize.retry.interval.ms": 10, "offsets.commit.timeout.ms": 7000}) \
        .initialize_retry_interval_ms == 7000


@pytest.mark.parametrize("props, message", [
    ({"group.share.max.size": 0}, "Invalid value 0 for configuration group.share.max.size: Value must be no less than 1"),
    ({"group.share.max.size": 1001}, "Invalid value 1001 for configuration group.share.max.size: Value must be no more than 1000"),
    ({"group.share.heartbeat.interval.ms": "abc"}, "group.share.heartbeat.interval.ms"),
    ({"group.share.heartbeat.interval.ms": 20000}, "group.share.heartbeat.interval.ms must be less than or equal to "
                                                   "group.share.max.heartbeat.interval.ms"),
    ({"group.share.session.timeout.ms": 1000}, "group.share.session.timeout.ms must be greater than or equal to "
                                               "group.share.min.session.timeout.ms"),
    ({"group.share.min.heartbeat.interval.ms": 100, "group.share.heartbeat.interval.ms": 2000,
      "group.share.session.timeout.ms": 1000, "group.share.min.session.timeout.ms": 1000},
     "group.share.heartbeat.interval.ms must be less than group.share.session.timeout.ms"),
    ({"group.share.delivery.count.limit": 11}, "Value must be no more than 10"),
    ({"group.share.assignors": "simple,simple"}, "group.share.assignors must contain exactly one assignor, but found 2"),
    ({"group.share.assignors": "fancy"}, "group.share.assignors"),
])
def test_a_bad_setting_stops_start_up_naming_it(props, message):
    with pytest.raises(ConfigError, match=message.replace(".", r"\.").replace("(", r"\(")):
        ShareGroupConfig.from_broker(BrokerConfig({k: str(v) for k, v in props.items()}))
