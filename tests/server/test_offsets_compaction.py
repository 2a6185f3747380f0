"""``__consumer_offsets`` is compacted like any compacted topic, and still replays the same offsets."""

from __future__ import annotations

from odradek.server.broker import Broker
from odradek.server.broker_config import BrokerConfig
from odradek.server.groups.offsets_records import OffsetCommit
from odradek.server.groups.offsets_topic import OFFSETS_TOPIC, OffsetsTopic
from odradek.storage.log_cleaner import clean
from odradek.storage.log_manager import LogManager


def commit(group, partition, offset):
    return OffsetCommit(group, "t", partition, offset, leader_epoch=1, metadata="", commit_timestamp_ms=5)


def test_compaction_keeps_the_latest_commit_of_each_partition(tmp_path):
    broker = Broker(BrokerConfig({"log.dirs": str(tmp_path), "offsets.topic.num.partitions": "1",
                                  "log.cleaner.min.cleanable.ratio": "0.01"}))
    broker.open_storage()
    try:
        topic = OffsetsTopic(broker)
        topic.ensure_created()
        configs = broker.logs.get_topic(OFFSETS_TOPIC).configs
        broker.logs.alter_topic_configs(OFFSETS_TOPIC, {**configs, "internal.segment.bytes": "2000"})
        for offset in range(200):
            topic.write("g", [commit("g", offset % 4, offset)])
        before = topic.load().offsets
        log = broker.logs.partition(OFFSETS_TOPIC, 0)
        segments_before = len(log._segments)

        plan = log.cleaning_plan()
        assert plan is not None
        LogManager.remove_files(log.install_cleaned(plan, clean(plan)))

        assert len(log._segments) < segments_before
        assert topic.load().offsets == before == {"g": {("t", p): commit("g", p, 196 + p) for p in range(4)}}
    finally:
        broker.logs.close()
