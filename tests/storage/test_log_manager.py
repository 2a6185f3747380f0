import base64
import json
import logging
import os
import shutil
import threading
import uuid

import pytest
from batch_builder import build_batch, split_batches
from conftest import NOW

from odradek.storage.errors import (
    InvalidConfigError,
    KafkaStorageError,
    LogDirError,
    InvalidPartitionsError,
    InvalidTopicError,
    TopicExistsError,
    UnknownTopicError,
)
from odradek.storage.log_manager import LogManager
from odradek.storage.topic_metadata import TOPICS_FILE

BATCH = build_batch([b"hello", b"world"], keys=[b"k1", b"k2"])  # keyed: fine for compacted topics too


def test_create_and_look_up_topics(open_manager):
    manager = open_manager()
    topic = manager.create_topic("orders", 3, {"retention.ms": "1000"})
    assert (topic.name, topic.num_partitions, topic.configs) == ("orders", 3, {"retention.ms": "1000"})
    assert isinstance(topic.topic_id, uuid.UUID) and topic.topic_id.version == 4
    assert manager.get_topic("orders") == topic
    assert manager.get_topic_by_id(topic.topic_id) == topic
    assert manager.get_topic("nope") is None and manager.get_topic_by_id(uuid.uuid4()) is None
    assert [t.name for t in manager.topics()] == ["orders"]
    assert manager.topic_config("orders").retention_ms == 1000
    assert [manager.partition("orders", i).partition for i in range(3)] == [0, 1, 2]
    assert manager.partition("orders", 3) is None


def test_partition_directories_look_like_kafkas(open_manager):
    manager = open_manager()
    topic = manager.create_topic("orders", 2)
    directory = manager.data_dir / "orders-1"
    # the index files come lazily, with the first entry or when the segment is sealed holding data
    assert sorted(p.name for p in directory.iterdir()) == ["00000000000000000000.log", "partition.metadata"]
    encoded = base64.urlsafe_b64encode(topic.topic_id.bytes).rstrip(b"=").decode()
    assert (directory / "partition.metadata").read_text() == f"version: 0\ntopic_id: {encoded}\n"
    assert not encoded.startswith("-")


def test_everything_survives_a_restart(open_manager):
    manager = open_manager({"log.segment.bytes": "1048576"})
    orders = manager.create_topic("orders", 2, {"internal.segment.bytes": "200", "cleanup.policy": "compact"})
    events = manager.create_topic("events", 1)
    for _ in range(5):
        manager.partition("orders", 1).append(BATCH, now_ms=NOW)
    manager.partition("events", 0).append(BATCH, now_ms=NOW)
    manager.close()
    restarted = open_manager({"log.segment.bytes": "1048576"})
    assert restarted.topics() == [events, orders]
    assert restarted.get_topic_by_id(orders.topic_id) == orders
    assert restarted.topic_config("orders").cleanup_policy == ("compact",)
    assert restarted.topic_config("orders").segment_bytes == 200
    assert restarted.topic_config("events").segment_bytes == 1048576
    log = restarted.partition("orders", 1)
    assert (log.log_start_offset, log.log_end_offset) == (0, 10)
    assert [b.base_offset for b in split_batches(log.read(8, 1000).read())] == [8]
    assert restarted.partition("events", 0).log_end_offset == 2


def test_metadata_file_cannot_collide_with_partition_directories(open_manager):
    manager = open_manager()
    manager.create_topic("t", 1)
    document = json.loads((manager.data_dir / TOPICS_FILE).read_text())
    assert document["topics"][0]["name"] == "t"
    assert not TOPICS_FILE.rpartition("-")[2].isdigit()
    with pytest.raises(InvalidTopicError):
        manager.create_topic(TOPICS_FILE + "/x", 1)


@pytest.mark.parametrize("name, message", [
    ("", "can't be empty"),
    (".", 'cannot be "." or ".."'),
    ("..", 'cannot be "." or ".."'),
    ("a" * 250, "can't be longer than 249"),
    ("has space", "character other than ASCII alphanumerics"),
    ("ünïcode", "character other than ASCII alphanumerics"),
    ("a/b", "character other than ASCII alphanumerics"),
])
def test_illegal_topic_names(open_manager, name, message):
    with pytest.raises(InvalidTopicError, match=message):
        open_manager().create_topic(name, 1)


def test_legal_edge_names(open_manager):
    manager = open_manager()
    manager.create_topic("a" * 249, 1)
    manager.create_topic("A-b_c.9", 1)
    manager.create_topic("t-1", 2)  # looks like a partition directory name; still fine
    manager.close()
    restarted = open_manager()
    assert sorted(t.name for t in restarted.topics()) == sorted(["a" * 249, "A-b_c.9", "t-1"])
    assert restarted.partition("t-1", 1) is not None


def test_existing_and_colliding_topics(open_manager):
    manager = open_manager()
    manager.create_topic("my.topic", 1)
    with pytest.raises(TopicExistsError, match="already exists"):
        manager.create_topic("my.topic", 1)
    with pytest.raises(InvalidTopicError, match="collides with existing topic: my.topic"):
        manager.create_topic("my_topic", 1)


def test_partition_count_and_config_validation(open_manager):
    manager = open_manager()
    with pytest.raises(InvalidPartitionsError):
        manager.create_topic("t", 0)
    with pytest.raises(InvalidConfigError, match="Unknown topic config name"):
        manager.create_topic("t", 1, {"bogus": "1"})
    with pytest.raises(InvalidConfigError):
        manager.create_topic("t", 1, {"segment.bytes": "10"})
    assert manager.topics() == []
    assert not (manager.data_dir / "t-0").exists()


def test_validate_only_creates_nothing(open_manager):
    manager = open_manager()
    topic = manager.create_topic("t", 4, {"retention.ms": "5"}, validate_only=True)
    assert topic.num_partitions == 4
    assert manager.get_topic("t") is None and not (manager.data_dir / "t-0").exists()


def test_delete_topic(open_manager):
    manager = open_manager()
    old = manager.create_topic("t", 2)
    manager.partition("t", 0).append(BATCH, now_ms=NOW)
    planned = manager.partition("t", 0).read(0, 1000)
    doomed = manager.delete_topic("t")
    assert manager.get_topic("t") is None and manager.get_topic_by_id(old.topic_id) is None
    assert manager.partition("t", 0) is None
    assert sorted(p.parent for p in doomed) == [manager.data_dir] * 2
    assert all(p.name.startswith("t-") and p.name.endswith("-delete") for p in doomed)
    manager.remove_deleted(doomed)
    assert sorted(p.name for p in manager.data_dir.iterdir()) == [".lock", TOPICS_FILE]
    assert split_batches(planned.read())[0].base_offset == 0  # an in-flight fetch still completes
    recreated = manager.create_topic("t", 1)
    assert recreated.topic_id != old.topic_id
    assert manager.partition("t", 0).log_end_offset == 0
    with pytest.raises(UnknownTopicError):
        manager.delete_topic("missing")


def test_create_partitions(open_manager):
    manager = open_manager()
    manager.create_topic("t", 2, {"retention.ms": "7"})
    with pytest.raises(InvalidPartitionsError, match="already has 2 partitions"):
        manager.create_partitions("t", 2)
    with pytest.raises(InvalidPartitionsError, match="which is higher than the requested 1"):
        manager.create_partitions("t", 1)
    with pytest.raises(UnknownTopicError):
        manager.create_partitions("missing", 3)
    manager.create_partitions("t", 5)
    assert manager.get_topic("t").num_partitions == 5
    assert manager.partition("t", 4).config.retention_ms == 7
    manager.partition("t", 4).append(BATCH, now_ms=NOW)
    manager.close()
    restarted = open_manager()
    assert restarted.get_topic("t").num_partitions == 5
    assert restarted.partition("t", 4).log_end_offset == 2


def test_alter_topic_configs_replaces_overrides(open_manager):
    manager = open_manager()
    manager.create_topic("t", 2, {"retention.ms": "7", "max.message.bytes": "100"})
    with pytest.raises(InvalidConfigError):
        manager.alter_topic_configs("t", {"retention.ms": "x"})
    manager.alter_topic_configs("t", {"retention.ms": "9"}, validate_only=True)
    assert manager.topic_config("t").retention_ms == 7
    updated = manager.alter_topic_configs("t", {"retention.ms": "9"})
    assert updated.configs == {"retention.ms": "9"}
    assert manager.partition("t", 1).config.max_message_bytes == 1048588
    manager.partition("t", 1).append(build_batch([b"x" * 200]), now_ms=NOW)  # the old 100-byte limit is gone
    manager.close()
    assert open_manager().get_topic("t").configs == {"retention.ms": "9"}


def test_unknown_topic_errors(open_manager):
    manager = open_manager()
    with pytest.raises(UnknownTopicError) as excinfo:
        manager.topic_config("missing")
    assert excinfo.value.error_code == 3


def test_startup_sets_aside_directories_no_topic_owns(open_manager, tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="odradek.storage")
    manager = open_manager()
    manager.create_topic("t", 1)
    manager.close()
    data = tmp_path / "data"
    (data / "ghost-0").mkdir()
    (data / "t-3").mkdir()
    (data / "old-0.0123abcd-delete").mkdir()
    (data / "not a partition dir").mkdir()
    open_manager()
    names = sorted(p.name for p in data.iterdir())
    assert "ghost-0" not in names and "t-3" not in names
    assert sum(name.endswith("-stray") for name in names) == 2
    assert "old-0.0123abcd-delete" not in names
    assert "not a partition dir" in names and "t-0" in names


def test_directory_of_another_topic_id_is_not_reused(open_manager, tmp_path):
    manager = open_manager()
    manager.create_topic("t", 1)
    manager.partition("t", 0).append(BATCH, now_ms=NOW)
    manager.close()
    # as if t-0 were left over from an earlier topic that was also called "t"
    other_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()
    (tmp_path / "data" / "t-0" / "partition.metadata").write_text(f"version: 0\ntopic_id: {other_id}\n")
    restarted = open_manager()
    assert restarted.partition("t", 0).log_end_offset == 0
    assert any(p.name.startswith("t-0.") and p.name.endswith("-stray") for p in (tmp_path / "data").iterdir())


def test_missing_partition_directory_starts_empty(open_manager, tmp_path):
    manager = open_manager()
    manager.create_topic("t", 2)
    manager.close()
    shutil.rmtree(tmp_path / "data" / "t-1")
    restarted = open_manager()
    assert restarted.partition("t", 1).log_end_offset == 0
    assert (tmp_path / "data" / "t-1" / "partition.metadata").exists()


def test_data_directory_is_locked(open_manager, tmp_path):
    open_manager()
    second = LogManager(tmp_path / "data", {})
    with pytest.raises(LogDirError) as excinfo:
        second.startup()
    lock = tmp_path / "data" / ".lock"
    assert str(excinfo.value) == f"log directory {tmp_path / 'data'} is in use by another broker (lock file {lock} held)"


def test_bad_broker_properties_fail_at_construction(tmp_path):
    with pytest.raises(InvalidConfigError):
        LogManager(tmp_path, {"log.index.interval.bytes": "often"})


def test_flush_and_close_are_safe_to_repeat(open_manager):
    manager = open_manager()
    manager.create_topic("t", 1)
    manager.partition("t", 0).append(BATCH, now_ms=NOW)
    manager.flush()
    manager.close()
    manager.close()


def test_close_releases_every_file_descriptor(tmp_path):
    before = set(os.listdir("/proc/self/fd"))
    manager = LogManager(tmp_path / "data", {})
    manager.startup()
    manager.create_topic("t", 3, {"internal.segment.bytes": "200", "index.interval.bytes": "0"})
    for _ in range(10):
        manager.partition("t", 0).append(BATCH, now_ms=NOW)
    manager.partition("t", 0).read(0, 100).read()
    manager.close()
    assert set(os.listdir("/proc/self/fd")) == before


def test_failed_metadata_write_leaves_no_trace(open_manager, monkeypatch):
    manager = open_manager()
    manager.create_topic("kept", 1)

    def disk_full(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("odradek.storage.log_manager.save_topics", disk_full)
    with pytest.raises(KafkaStorageError, match="No space left on device"):
        manager.create_topic("t", 2)
    assert manager.get_topic("t") is None and manager.partition("t", 0) is None
    assert sorted(p.name for p in manager.data_dir.iterdir()) == [".lock", "kept-0", TOPICS_FILE]
    # The metadata directory failed: it is offline, and so is everything in it.
    assert not manager.dirs.metadata_dir.online
    assert manager.partition("kept", 0) is None and manager.is_offline("kept", 0)
    with pytest.raises(KafkaStorageError):
        manager.create_partitions("kept", 3)
    assert manager.get_topic("kept").num_partitions == 1


def test_a_planned_topic_is_reserved_and_invisible_until_committed(open_manager):
    manager = open_manager()
    change = manager.plan_topic("big", 4)
    with pytest.raises(TopicExistsError):
        manager.plan_topic("big", 1)
    thread = threading.Thread(target=manager.build, args=(change,))  # as the broker runs it
    thread.start()
    thread.join()
    assert sorted(change.logs) == [0, 1, 2, 3]
    assert manager.get_topic("big") is None and manager.partition("big", 0) is None
    manager.commit(change)
    assert manager.get_topic("big").num_partitions == 4
    assert manager.partition("big", 3).append(BATCH, now_ms=NOW).first_offset == 0


def test_a_discarded_plan_leaves_nothing_behind(open_manager):
    manager = open_manager()
    change = manager.plan_topic("gone", 2)
    manager.build(change)
    manager.discard(change)
    assert not any(path.name.startswith("gone-") for path in manager.data_dir.iterdir())
    assert manager.create_topic("gone", 1).num_partitions == 1  # the name is free again
