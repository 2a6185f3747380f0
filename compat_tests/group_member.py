"""Group consumers run the way applications run them: each one polled by its own thread.

A consumer only rejoins its group, takes up partitions and reports rebalances while it is
being polled, so a test with several members needs them polled at the same time.  A
``Member`` owns its consumer for its whole life (made, polled and closed on its own thread,
since neither client is thread-safe) and publishes what tests assert on: the records it
read, its current assignment, the rebalance callbacks it saw, the offsets it committed and,
where the client exposes it, its generation.  After each non-empty poll it commits what it
read, synchronously, so a partition's next owner resumes where it stopped.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Callable

import confluent_kafka
import kafka
from kafka.coordinator.assignors.cooperative_sticky import CooperativeStickyAssignor
from kafka.coordinator.assignors.range import RangePartitionAssignor
from kafka.coordinator.assignors.roundrobin import RoundRobinPartitionAssignor

from .clients import TIMEOUT
from .group_member_process import MemberProcess

# Classic-protocol timing small enough for fast tests: members notice a rebalance within one
# heartbeat, and a member that never rejoins holds a rebalance up for at most max.poll.interval
# (librdkafka wants that no shorter than the session timeout).
SESSION_MS = 6000
HEARTBEAT_MS = 300
MAX_POLL_INTERVAL_MS = 10_000

KAFKA_PYTHON_ASSIGNORS = {"range": RangePartitionAssignor, "roundrobin": RoundRobinPartitionAssignor,
                          "cooperative-sticky": CooperativeStickyAssignor}

Partition = tuple[str, int]


@dataclass(frozen=True)
class Record:
    topic: str
    partition: int
    offset: int
    value: bytes


class Member:
    """One consumer in a group, subscribed to ``topics`` and polled by its own thread.

    ``client`` is ``"kafka-python"`` or ``"confluent-kafka"``.  ``session_ms``,
    ``assignor`` (assignor names, most preferred first, comma-separated) and ``instance_id``
    are the group settings tests vary; ``config`` adds raw client settings.
    ``group_protocol="consumer"`` makes a KIP-848 member (confluent-kafka only), which leaves
    every group timing to the broker.
    """

    def __init__(self, client: str, bootstrap: str, group: str, topics: list[str], *,
                 session_ms: int = SESSION_MS, assignor: str | None = None, instance_id: str | None = None,
                 group_protocol: str = "classic", on_assignment: Callable[[frozenset], None] | None = None,
                 **config):
        self.client = client
        self.group = group
        self.instance_id = instance_id
        self._open = {"kafka-python": _KafkaPythonConsumer, "confluent-kafka": _ConfluentConsumer}[client]
        self._settings = dict(bootstrap=bootstrap, group=group, session_ms=session_ms, assignor=assignor,
                              instance_id=instance_id, group_protocol=group_protocol, config=config)
        self._topics = list(topics)
        self._on_assignment = on_assignment
        self._lock = threading.Lock()
        self._records: list[Record] = []
        self._events: list[tuple[str, frozenset]] = []
        self._committed: dict[Partition, int] = {}
        self._assignment: frozenset = frozenset()
        self._generation: int | None = None
        self._member_id = ""
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self.run, name=f"member-{group}", daemon=True)
        self.error: BaseException | None = None
        self._failure_expected = False

    def start(self) -> "Member":
        """Run the member on its own thread."""
        self._thread.start()
        return self

    def stop_polling(self) -> None:
        """Ask the member to close, without waiting for it."""
        self._stop.set()

    def close(self, timeout: float = TIMEOUT) -> None:
        """Stop polling and close the consumer (a dynamic member sends LeaveGroup)."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)
            assert not self._thread.is_alive(), f"{self.client} member did not close within {timeout}s"
        self.check()

    def wait_for_failure(self, timeout: float = TIMEOUT) -> BaseException:
        """Wait for the member to fail, as the test expects it to; return what it failed with."""
        self._thread.join(timeout)
        assert self.error is not None, f"{self.client} member of {self.group} still running after {timeout}s"
        self._failure_expected = True
        return self.error

    def check(self) -> None:
        """Raise what the member's thread failed with, unless the test expected it."""
        if self.error is not None and not self._failure_expected:
            raise AssertionError(f"{self.client} member of {self.group} failed: {self.error!r}") from self.error

    @property
    def records(self) -> list[Record]:
        with self._lock:
            return list(self._records)

    @property
    def events(self) -> list[tuple[str, frozenset]]:
        """Rebalance callbacks seen: ("assigned" | "revoked" | "lost", partitions)."""
        with self._lock:
            return list(self._events)

    @property
    def committed(self) -> dict[Partition, int]:
        with self._lock:
            return dict(self._committed)

    @property
    def assignment(self) -> frozenset:
        """The partitions (as ``(topic, partition)``) the consumer holds right now."""
        with self._lock:
            return self._assignment

    @property
    def generation(self) -> int | None:
        """The group generation the consumer is in; None where the client does not expose it."""
        with self._lock:
            return self._generation

    @property
    def member_id(self) -> str:
        with self._lock:
            return self._member_id

    def _note(self, kind: str, partitions) -> None:
        with self._lock:
            self._events.append((kind, frozenset(partitions)))

    def run(self) -> None:
        """Poll until ``close()``; a failure is kept for ``check()``."""
        consumer = None
        try:
            consumer = self._open(**self._settings)
            consumer.subscribe(self._topics, self._note)
            while not self._stop.is_set():
                records = consumer.poll()
                if records:
                    with self._lock:
                        self._records.extend(records)
                    self._commit(consumer, records)
                self._publish(consumer.assignment(), consumer.generation(), consumer.member_id())
        except BaseException as exc:  # surfaced to the test by check()
            self.error = exc
        finally:
            if consumer is not None:
                try:
                    consumer.close()
                except BaseException as exc:
                    self.error = self.error or exc

    def _commit(self, consumer, records: list[Record]) -> None:
        positions: dict[Partition, int] = {}
        for record in records:
            key = (record.topic, record.partition)
            positions[key] = max(positions.get(key, 0), record.offset + 1)
        consumer.commit(positions)
        with self._lock:
            self._committed.update(positions)

    def _publish(self, assignment: frozenset, generation: int | None, member_id: str) -> None:
        with self._lock:
            changed = assignment != self._assignment
            self._assignment, self._generation, self._member_id = assignment, generation, member_id
        if changed and self._on_assignment is not None:
            self._on_assignment(assignment)


class GroupMembers:
    """Starts a test's members, in threads or child processes, and closes them all at teardown."""

    def __init__(self) -> None:
        self._members: list[Member] = []
        self._closers: list[Callable[[], object]] = []

    def start(self, broker, client: str, group: str, topics: list[str], **settings) -> Member:
        member = Member(client, broker.bootstrap, group, topics, **settings).start()
        self._members.append(member)
        self._closers.append(member.close)
        return member

    def spawn(self, broker, client: str, group: str, topics: list[str], **settings) -> MemberProcess:
        process = MemberProcess(client, broker.bootstrap, group, topics, **settings).start()
        self._closers.append(process.kill)
        return process

    def close_all(self) -> None:
        for member in self._members:  # all at once: each may be in the middle of a long poll
            member.stop_polling()
        self._members.clear()
        errors = []
        for close in reversed(self._closers):
            try:
                close()
            except Exception as exc:  # one member failing must not leave the others running
                errors.append(exc)
        self._closers.clear()
        if errors:
            raise errors[0]


class _KafkaPythonConsumer:
    # kafka-python 3.0.12 can lose the result of a JoinGroup/SyncGroup round that outlives
    # the poll() that started it: the member then never heartbeats again and is evicted
    # (the broker's answers are on the wire).  Polls long enough for a whole rebalance
    # round make that rare; a stopping member still ends within one poll.
    POLL_MS = 1000

    def __init__(self, bootstrap, group, session_ms, assignor, instance_id, group_protocol, config):
        assert group_protocol == "classic", "kafka-python speaks only the classic group protocol"
        settings = dict(bootstrap_servers=bootstrap, group_id=group, group_instance_id=instance_id,
                        enable_auto_commit=False, auto_offset_reset="earliest", fetch_max_wait_ms=100,
                        request_timeout_ms=10_000, retry_backoff_ms=50, session_timeout_ms=session_ms,
                        heartbeat_interval_ms=HEARTBEAT_MS,
                        max_poll_interval_ms=max(MAX_POLL_INTERVAL_MS, session_ms))
        if assignor is not None:
            settings["partition_assignment_strategy"] = [KAFKA_PYTHON_ASSIGNORS[name]
                                                         for name in assignor.split(",")]
        self._consumer = kafka.KafkaConsumer(**{**settings, **config})

    def subscribe(self, topics, note) -> None:
        # Learn the partitions first, or a leader may assign before it knows them and then
        # rejoin when it does: one more rebalance round that could outlive a poll (see above).
        for topic in topics:
            assert self._consumer.partitions_for_topic(topic), f"kafka-python sees no partitions of {topic}"
        self._consumer.subscribe(topics, listener=_Listener(note))

    def poll(self) -> list[Record]:
        batches = self._consumer.poll(timeout_ms=self.POLL_MS)
        return [Record(r.topic, r.partition, r.offset, r.value) for batch in batches.values() for r in batch]

    def commit(self, positions: dict[Partition, int]) -> None:
        self._consumer.commit({kafka.TopicPartition(t, p): kafka.OffsetAndMetadata(o, "", -1)
                               for (t, p), o in positions.items()})

    def assignment(self) -> frozenset:
        return frozenset((tp.topic, tp.partition) for tp in self._consumer.assignment())

    def generation(self) -> int:
        return self._consumer.group_metadata().generation_id

    def member_id(self) -> str:
        return self._consumer.group_metadata().member_id

    def close(self) -> None:
        self._consumer.close(timeout_ms=5000)


class _Listener(kafka.ConsumerRebalanceListener):
    def __init__(self, note):
        self._note = note

    def on_partitions_revoked(self, revoked):
        self._note("revoked", ((tp.topic, tp.partition) for tp in revoked))

    def on_partitions_assigned(self, assigned):
        self._note("assigned", ((tp.topic, tp.partition) for tp in assigned))

    def on_partitions_lost(self, lost):
        self._note("lost", ((tp.topic, tp.partition) for tp in lost))


class _ConfluentConsumer:
    def __init__(self, bootstrap, group, session_ms, assignor, instance_id, group_protocol, config):
        settings = {"bootstrap.servers": bootstrap, "group.id": group, "group.protocol": group_protocol,
                    "enable.auto.commit": False, "auto.offset.reset": "earliest",
                    "fetch.wait.max.ms": 100, "socket.timeout.ms": 10_000,
                    "topic.metadata.refresh.interval.ms": 1000}
        if group_protocol == "classic":  # a KIP-848 consumer takes its timing from the broker
            settings.update({"session.timeout.ms": session_ms, "heartbeat.interval.ms": HEARTBEAT_MS,
                             "max.poll.interval.ms": max(MAX_POLL_INTERVAL_MS, session_ms)})
        if assignor is not None:
            settings["partition.assignment.strategy"] = assignor
        if instance_id is not None:
            settings["group.instance.id"] = instance_id
        self._consumer = confluent_kafka.Consumer({**settings, **config})

    def subscribe(self, topics, note) -> None:
        def callback(kind):
            return lambda consumer, partitions: note(kind, ((tp.topic, tp.partition) for tp in partitions))
        self._consumer.subscribe(topics, on_assign=callback("assigned"), on_revoke=callback("revoked"),
                                 on_lost=callback("lost"))

    def poll(self) -> list[Record]:
        records = []
        for message in self._consumer.consume(num_messages=500, timeout=0.1):
            if message.error() is not None:
                raise confluent_kafka.KafkaException(message.error())
            records.append(Record(message.topic(), message.partition(), message.offset(), message.value()))
        return records

    def commit(self, positions: dict[Partition, int]) -> None:
        done = self._consumer.commit(offsets=[confluent_kafka.TopicPartition(t, p, o)
                                              for (t, p), o in positions.items()], asynchronous=False)
        failed = [tp for tp in done if tp.error is not None]
        assert not failed, f"commit failed: {failed}"

    def assignment(self) -> frozenset:
        return frozenset((tp.topic, tp.partition) for tp in self._consumer.assignment())

    def generation(self) -> None:
        return None  # librdkafka keeps the generation inside its opaque group metadata

    def member_id(self) -> str:
        return self._consumer.memberid() or ""

    def close(self) -> None:
        self._consumer.close()
