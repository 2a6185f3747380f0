"""All topics of one data directory: their metadata, configs and partition logs.

Layout of the data directory::

    .lock                      held (flock) while a LogManager has the directory open
    odradek-topics.json        topic names, ids, partition counts, config overrides
    .kafka_cleanshutdown       written by a clean close, removed at startup: the logs need no replay
    log-start-offset-checkpoint   log start offsets DeleteRecords moved inside a segment
    cleaner-offset-checkpoint     where compaction stopped in each compacted partition
    <topic>-<partition>/       one PartitionLog each, plus Kafka's partition.metadata
    <topic>-<partition>.<id>-delete   a partition being deleted (removed at startup if left over)
    <topic>-<partition>.<id>-stray    a directory no known topic owns, set aside and left alone

Changes are ordered so that a crash leaves nothing half-visible: a new
topic's directories are made before the metadata names it (leftovers become
strays at the next startup); a deleted topic leaves the metadata before its
directories are renamed away and removed.
"""

from __future__ import annotations

import dataclasses
import fcntl
import logging
import os
import shutil
import threading
import uuid
from collections.abc import Iterable, Mapping
from pathlib import Path

from .atomic_file import fsync_directory, write_atomically
from .errors import InvalidPartitionsError, InvalidTopicError, TopicExistsError, UnknownTopicError
from .log_cleaner import CleaningPlan
from .log_config import LogConfig, validate_topic_configs
from .offset_checkpoint import (
    CLEANER_CHECKPOINT,
    LOG_START_CHECKPOINT,
    read_offset_checkpoint,
    write_offset_checkpoint,
)
from .partition_log import PartitionLog
from .producer_state_config import ProducerStateConfig
from .topic_metadata import (
    TopicInfo,
    load_topics,
    new_topic_id,
    read_partition_metadata,
    save_topics,
    write_partition_metadata,
)
from .topic_names import collision_key, validate_topic_name

logger = logging.getLogger(__package__)

LOCK_FILE = ".lock"
CLEAN_SHUTDOWN_FILE = ".kafka_cleanshutdown"
DELETE_SUFFIX = "-delete"
STRAY_SUFFIX = "-stray"
_MAX_FILE_NAME = 255


@dataclasses.dataclass
class TopicChange:
    """A topic being created, grown or reconfigured: ``new_partitions`` are built on disk into
    ``logs`` before the manager takes the change (see ``LogManager.plan_topic``)."""

    topic: TopicInfo
    config: LogConfig
    new_partitions: range
    logs: dict[int, PartitionLog | None] = dataclasses.field(default_factory=dict)


class LogManager:
    def __init__(self, data_dir: str | os.PathLike, broker_props: Mapping[str, str]) -> None:
        self.data_dir = Path(data_dir)
        self.broker_props = dict(broker_props)
        LogConfig.from_props(self.broker_props, {})  # fail fast on bad log.* broker properties
        self.producer_config = ProducerStateConfig.from_props(self.broker_props)
        self._topics: dict[str, TopicInfo] = {}
        self._configs: dict[str, LogConfig] = {}
        self._names_by_id: dict[uuid.UUID, str] = {}
        self._partitions: dict[tuple[str, int], PartitionLog] = {}
        self._being_created: set[str] = set()  # names planned but not yet committed
        self._lock_fd: int | None = None
        self._checkpoint_lock = threading.Lock()

    # --- lifecycle ---------------------------------------------------------------------------

    def startup(self) -> None:
        """Lock the data directory, load topic metadata, open and recover every partition."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._lock()
        for topic in load_topics(self.data_dir).values():
            self._register(topic, LogConfig.from_props(self.broker_props, topic.configs))
        self._sweep_directories()
        log_starts = read_offset_checkpoint(self.data_dir / LOG_START_CHECKPOINT)
        first_dirty = read_offset_checkpoint(self.data_dir / CLEANER_CHECKPOINT)
        marker = self.data_dir / CLEAN_SHUTDOWN_FILE
        clean = marker.exists()
        for topic in self._topics.values():
            for index in range(topic.num_partitions):
                key = topic.name, index
                self._partitions[key] = self._open_partition(topic, index, log_starts.get(key, 0),
                                                             first_dirty.get(key, 0), clean)
        if clean:  # from now on a crash must not pass for a clean shutdown
            marker.unlink()
            fsync_directory(self.data_dir)
        logger.info("Loaded %d topic(s), %d partition(s) from %s",
                    len(self._topics), len(self._partitions), self.data_dir)

    def flush(self) -> None:
        for log in list(self._partitions.values()):
            log.flush()

    def close(self) -> None:
        """Flush and close every partition, mark the shutdown clean, release the data directory. Idempotent."""
        if self._lock_fd is not None:
            self.save_log_start_offsets(self.log_start_offsets())
            self.save_cleaner_offsets(self.cleaner_offsets())
        for log in self._partitions.values():
            log.close()
        self._partitions.clear()
        if self._lock_fd is not None:
            write_atomically(self.data_dir / CLEAN_SHUTDOWN_FILE, b"")
            os.close(self._lock_fd)  # releases the flock
            self._lock_fd = None

    # --- queries -----------------------------------------------------------------------------

    def topics(self) -> list[TopicInfo]:
        return sorted(self._topics.values(), key=lambda t: t.name)

    def get_topic(self, name: str) -> TopicInfo | None:
        return self._topics.get(name)

    def get_topic_by_id(self, topic_id: uuid.UUID) -> TopicInfo | None:
        name = self._names_by_id.get(topic_id)
        return None if name is None else self._topics[name]

    def partition(self, topic: str, index: int) -> PartitionLog | None:
        return self._partitions.get((topic, index))

    def topic_config(self, name: str) -> LogConfig:
        self._existing(name)
        return self._configs[name]

    def log_start_offsets(self) -> dict[tuple[str, int], int]:
        """What the log start offset checkpoint must hold now (cheap; for the event loop)."""
        found = {}
        for key, log in self._partitions.items():
            offset = log.checkpointed_log_start_offset
            if offset is not None:
                found[key] = offset
        return found

    def save_log_start_offsets(self, offsets: Mapping[tuple[str, int], int]) -> None:
        """Write the log start offset checkpoint (blocking: for a worker thread; one writer at a time)."""
        with self._checkpoint_lock:
            write_offset_checkpoint(self.data_dir / LOG_START_CHECKPOINT, offsets)

    def cleaner_offsets(self) -> dict[tuple[str, int], int]:
        """Where compaction stopped in each partition it cleaned (cheap; for the event loop)."""
        return {key: log.first_dirty_offset for key, log in self._partitions.items() if log.first_dirty_offset}

    def save_cleaner_offsets(self, offsets: Mapping[tuple[str, int], int]) -> None:
        """Write Kafka's cleaner offset checkpoint (blocking: for a worker thread; one writer at a time)."""
        with self._checkpoint_lock:
            write_offset_checkpoint(self.data_dir / CLEANER_CHECKPOINT, offsets)

    def flush_due(self, now_ms: int | None = None) -> list[PartitionLog]:
        """The partitions whose flush policy calls for an fsync now (see ``PartitionLog.take_flush``)."""
        return [log for log in list(self._partitions.values()) if log.take_flush(now_ms)]

    def cleaning_plans(self, now_ms: int | None = None) -> list[tuple[PartitionLog, CleaningPlan]]:
        """The partitions compaction should clean now, with what to rewrite (see ``log_cleaner``)."""
        plans = []
        for log in list(self._partitions.values()):
            plan = log.cleaning_plan(now_ms)
            if plan is not None:
                plans.append((log, plan))
        return plans

    # --- changes -----------------------------------------------------------------------------

    def create_topic(
        self, name: str, num_partitions: int, configs: Mapping[str, str] = {}, validate_only: bool = False
    ) -> TopicInfo:
        """Create a topic (or, with ``validate_only``, just check that it could be created)."""
        if validate_only:
            self._check_new_topic(name, num_partitions)
            self._validated_config(dict(configs))
            return TopicInfo(name, new_topic_id(), num_partitions, dict(configs))
        change = self.plan_topic(name, num_partitions, configs)
        self._apply(change)
        return change.topic

    def plan_topic(self, name: str, num_partitions: int, configs: Mapping[str, str] = {}) -> TopicChange:
        """Validate a new topic and reserve its name; then ``build`` it (in a worker thread if it
        is big: creating thousands of partition directories takes seconds) and ``commit`` it, or
        ``discard`` the plan."""
        self._check_new_topic(name, num_partitions)
        configs = dict(configs)
        config = self._validated_config(configs)
        self._being_created.add(name)
        return TopicChange(TopicInfo(name, new_topic_id(), num_partitions, configs), config,
                           range(num_partitions))

    def build(self, change: TopicChange) -> None:
        """Create the change's new partitions on disk and open them.  Touches no state of the
        manager, so it may run in a worker thread; if it fails, ``discard`` removes what it made."""
        for index in change.new_partitions:
            path = self._partition_dir(change.topic.name, index)
            if path.exists():
                self._set_aside(path, STRAY_SUFFIX)
            path.mkdir()
            change.logs[index] = None  # made: ``discard`` removes it even if opening fails
            # Not fsynced, one by one: ``commit`` saves the topics file durably (and with it
            # the data dir's new entries) only after this, and start-up rewrites a lost file.
            write_partition_metadata(path, change.topic.topic_id, sync=False)
            change.logs[index] = PartitionLog.open(
                path, change.topic.name, index, change.config, self.producer_config
            )

    def commit(self, change: TopicChange) -> None:
        """Persist the changed topic and make it and its built partitions visible."""
        topic = change.topic
        try:
            save_topics(self.data_dir, {**self._topics, topic.name: topic}.values())
        except BaseException:
            self.discard(change)
            raise
        for index, log in change.logs.items():
            self._partitions[topic.name, index] = log
        self._register(topic, change.config)
        self._being_created.discard(topic.name)
        if change.new_partitions and change.new_partitions.start == 0:
            logger.info("Created topic %s (id %s) with %d partition(s)", topic.name, topic.topic_id,
                        topic.num_partitions)

    def discard(self, change: TopicChange) -> None:
        """Give up a planned change: its built partitions are closed and removed."""
        for index, log in change.logs.items():
            if log is not None:
                log.close()
            shutil.rmtree(self._partition_dir(change.topic.name, index), ignore_errors=True)
        change.logs.clear()
        self._being_created.discard(change.topic.name)

    def delete_topic(self, name: str) -> list[Path]:
        """Forget the topic, close its partitions and set their directories aside for removal.

        Returns the set-aside directories: removing them can take long for a big topic, so the
        caller does it with ``remove_deleted`` off the event loop (and start-up finishes any
        removal a crash interrupted).
        """
        topic = self._existing(name)
        del self._topics[name], self._configs[name], self._names_by_id[topic.topic_id]
        save_topics(self.data_dir, self._topics.values())
        doomed = []
        had_checkpoint = any(self._partitions[name, index].checkpointed_log_start_offset is not None
                             for index in range(topic.num_partitions))
        for index in range(topic.num_partitions):
            self._partitions.pop((name, index)).close()
            doomed.append(self._set_aside(self._partition_dir(name, index), DELETE_SUFFIX))
        if had_checkpoint:  # a new topic of the same name must not inherit its log start offsets
            self.save_log_start_offsets(self.log_start_offsets())
        logger.info("Deleted topic %s (id %s)", name, topic.topic_id)
        return doomed

    @staticmethod
    def remove_deleted(paths: Iterable[Path]) -> None:
        """Remove directories that ``delete_topic`` set aside (blocking; for a worker thread)."""
        for path in paths:
            shutil.rmtree(path)

    def delete_old_segments(self, now_ms: int | None = None) -> list[tuple[PartitionLog, list[Path]]]:
        """Apply retention to every partition (see ``PartitionLog.delete_old_segments``): each
        partition that dropped segments, with the renamed files to remove (``remove_files``)."""
        dropped = []
        for log in list(self._partitions.values()):
            renamed = log.delete_old_segments(now_ms)
            if renamed:
                dropped.append((log, renamed))
        return dropped

    @staticmethod
    def remove_files(paths: Iterable[Path]) -> None:
        """Remove files of deleted segments (blocking; for a worker thread); already gone is fine."""
        for path in paths:
            path.unlink(missing_ok=True)

    def create_partitions(self, name: str, new_total: int) -> None:
        """Grow a topic to ``new_total`` partitions."""
        topic = self._existing(name)
        if new_total < topic.num_partitions:
            raise InvalidPartitionsError(
                f"Topic currently has {topic.num_partitions} partitions, "
                f"which is higher than the requested {new_total}."
            )
        if new_total == topic.num_partitions:
            raise InvalidPartitionsError(f"Topic already has {topic.num_partitions} partitions.")
        grown = dataclasses.replace(topic, num_partitions=new_total)
        self._apply(TopicChange(grown, self._configs[name], range(topic.num_partitions, new_total)))
        logger.info("Topic %s now has %d partitions", name, new_total)

    def alter_topic_configs(self, name: str, configs: Mapping[str, str], validate_only: bool = False) -> TopicInfo:
        """Replace the topic's config overrides with ``configs`` (AlterConfigs semantics)."""
        topic = self._existing(name)
        configs = dict(configs)
        config = self._validated_config(configs)
        if validate_only:
            return topic
        topic = dataclasses.replace(topic, configs=configs)
        self._apply(TopicChange(topic, config, range(0)))
        for index in range(topic.num_partitions):
            self._partitions[name, index].config = config
        return topic

    def set_broker_props(self, broker_props: Mapping[str, str], validate_only: bool = False) -> None:
        """Change the broker defaults topic configs fall back to (dynamic broker configs): every
        topic's effective config, and so every live partition's, changes at once, and so does
        ``producer.id.expiration.ms``. Raises InvalidConfigError, changing nothing, if any topic
        would end up with an invalid config."""
        props = dict(broker_props)
        LogConfig.from_props(props, {})
        configs = {name: LogConfig.from_props(props, topic.configs) for name, topic in self._topics.items()}
        producer_config = ProducerStateConfig.from_props(props)
        if validate_only:
            return
        self.broker_props = props
        for name, config in configs.items():
            self._configs[name] = config
            for index in range(self._topics[name].num_partitions):
                self._partitions[name, index].config = config
        if producer_config != self.producer_config:
            self.producer_config = producer_config
            for partition in self._partitions.values():
                partition.set_producer_config(producer_config)

    # --- helpers -----------------------------------------------------------------------------

    def _existing(self, name: str) -> TopicInfo:
        topic = self._topics.get(name)
        if topic is None:
            raise UnknownTopicError(f"Topic '{name}' does not exist.")
        return topic

    def _validated_config(self, configs: dict[str, str]) -> LogConfig:
        validate_topic_configs(configs)
        return LogConfig.from_props(self.broker_props, configs)

    def _register(self, topic: TopicInfo, config: LogConfig) -> None:
        self._topics[topic.name] = topic
        self._configs[topic.name] = config
        self._names_by_id[topic.topic_id] = topic.name

    def _partition_dir(self, topic: str, index: int) -> Path:
        return self.data_dir / f"{topic}-{index}"

    def _check_new_topic(self, name: str, num_partitions: int) -> None:
        validate_topic_name(name)
        if name in self._topics or name in self._being_created:
            raise TopicExistsError(f"Topic '{name}' already exists.")
        for existing in self._topics:
            if collision_key(existing) == collision_key(name):
                raise InvalidTopicError(f"Topic '{name}' collides with existing topic: {existing}")
        if num_partitions <= 0:
            raise InvalidPartitionsError("Number of partitions must be larger than 0.")

    def _apply(self, change: TopicChange) -> None:
        """Build and commit ``change`` here and now; on failure nothing is changed."""
        try:
            self.build(change)
        except BaseException:
            self.discard(change)
            raise
        self.commit(change)

    def _open_partition(self, topic: TopicInfo, index: int, log_start_offset: int,
                        first_dirty_offset: int, clean_shutdown: bool) -> PartitionLog:
        path = self._partition_dir(topic.name, index)
        if not path.is_dir():
            logger.warning("Partition directory %s is missing; starting it empty", path)
            path.mkdir()
        if read_partition_metadata(path) != topic.topic_id:
            write_partition_metadata(path, topic.topic_id)
        return PartitionLog.open(path, topic.name, index, self._configs[topic.name], self.producer_config,
                                 log_start_offset=log_start_offset, first_dirty_offset=first_dirty_offset,
                                 clean_shutdown=clean_shutdown)

    def _sweep_directories(self) -> None:
        """Finish interrupted deletions; set aside partition directories no known topic owns."""
        for entry in os.scandir(self.data_dir):
            if not entry.is_dir():
                continue
            path = Path(entry.path)
            if entry.name.endswith(DELETE_SUFFIX):
                logger.info("Removing %s, left over from a topic deletion", path)
                shutil.rmtree(path)
                continue
            owner = _parse_partition_dir(entry.name)
            if owner is None:
                continue
            topic = self._topics.get(owner[0])
            recorded_id = read_partition_metadata(path)
            if (
                topic is None
                or owner[1] >= topic.num_partitions
                or (recorded_id is not None and recorded_id != topic.topic_id)
            ):
                stray = self._set_aside(path, STRAY_SUFFIX)
                logger.warning("No known topic owns %s; moved it to %s", path, stray)

    def _set_aside(self, path: Path, suffix: str) -> Path:
        """Rename a partition directory to ``<name>.<unique id><suffix>``, shortened to a legal file name."""
        tail = f".{uuid.uuid4().hex}{suffix}"
        target = path.with_name(path.name[: _MAX_FILE_NAME - len(tail)] + tail)
        path.rename(target)
        return target

    def _lock(self) -> None:
        fd = os.open(self.data_dir / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise RuntimeError(f"Data directory {self.data_dir} is in use by another LogManager") from None
        self._lock_fd = fd


def flush_all(logs: Iterable[PartitionLog]) -> None:
    """fsync the partitions (blocking: for a worker thread)."""
    for log in logs:
        log.flush()


def _parse_partition_dir(name: str) -> tuple[str, int] | None:
    """(topic, partition) for a ``<topic>-<n>`` directory name, else None."""
    topic, dash, partition = name.rpartition("-")
    if not dash or not (partition.isascii() and partition.isdigit()):
        return None
    try:
        validate_topic_name(topic)
    except InvalidTopicError:
        return None
    return topic, int(partition)
