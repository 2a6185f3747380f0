"""A share group member that speaks ShareFetch and ShareAcknowledge itself (odradek's own codecs
over a plain socket), for the share protocol's paths that a client library does not let a test
steer: which offsets are acknowledged how, session epochs, a member that dies holding records.

Share groups' state is set up as Kafka's group coordinator sets it up, with
InitializeShareGroupState to the share coordinator (``initialize``); no ShareGroupHeartbeat is
needed: Kafka serves ShareFetch to any well-formed member id.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field

from odradek.server.share.share_partition_key import SharePartitionKey
from odradek.tools.client.cluster import Client
from odradek.wire import ApiKey, ErrorCode
from odradek.wire.records import read_batches

from .clients import TIMEOUT
from .wire_client import WireClient

ACCEPT, RELEASE, REJECT, RENEW = 1, 2, 3, 4
FINAL_EPOCH = -1


@dataclass
class Delivery:
    offset: int
    value: bytes
    delivery_count: int


@dataclass
class Answer:
    """One ShareFetch or ShareAcknowledge answer, flattened to one partition's view."""

    error_code: int
    lock_timeout_ms: int
    partitions: dict[int, dict] = field(default_factory=dict)  # index -> error, ack error, acquired
    deliveries: list[Delivery] = field(default_factory=list)

    def error(self, partition: int = 0) -> int | None:
        found = self.partitions.get(partition)
        return None if found is None else found["error_code"]

    def ack_error(self, partition: int = 0) -> int | None:
        found = self.partitions.get(partition)
        return None if found is None else found.get("acknowledge_error_code")

    def acquired(self, partition: int = 0) -> list[tuple[int, int, int]]:
        found = self.partitions.get(partition)
        return [] if found is None else found.get("acquired", [])

    @property
    def offsets(self) -> list[int]:
        return [delivery.offset for delivery in self.deliveries]


def topic_id(broker, topic: str) -> uuid.UUID:
    with Client(broker.bootstrap) as client:
        return client.topic_id(topic)


def initialize(broker, group: str, topic: str, partitions=(0,), start_offset: int = -1,
               brokers: dict | None = None) -> uuid.UUID:
    """What Kafka's group coordinator does when it first assigns a share group partitions: find
    the share coordinator (creating __share_group_state) and initialize each share partition
    there (in a cluster, ``brokers`` by id). Returns the topic's id."""
    tid = topic_id(broker, topic)
    for partition in partitions:
        coordinator = find_share_coordinator(broker, group, tid, partition)
        body = {"group_id": group, "topics": [{"topic_id": tid, "partitions": [
            {"partition": partition, "state_epoch": 0, "start_offset": start_offset}]}]}
        with WireClient(broker if brokers is None else brokers[coordinator], "share-init") as wire:
            _until(lambda: wire.send(ApiKey.INITIALIZE_SHARE_GROUP_STATE, 0, body)
                   .results[0].partitions[0].error_code == ErrorCode.NONE, "InitializeShareGroupState")
    return tid


def find_share_coordinator(broker, group: str, tid: uuid.UUID, partition: int) -> int:
    """FindCoordinator (key type SHARE) asked of ``broker``, until one is named: its id."""
    key = SharePartitionKey(group, tid, partition).coordinator_key()
    found = []
    with WireClient(broker, "share-find") as wire:
        def ask():
            answer = wire.send(ApiKey.FIND_COORDINATOR, 6, {"key_type": 2, "coordinator_keys": [key]}).coordinators[0]
            found[:] = [answer.node_id]
            return answer.error_code == ErrorCode.NONE
        _until(ask, "the share coordinator")
    return found[0]


class ShareMember:
    def __init__(self, broker, group: str, tid: uuid.UUID, partitions=(0,), member_id: str | None = None,
                 version: int = 2):
        self.group = group
        self.topic_id = tid
        self.partitions = tuple(partitions)
        self.member_id = uuid.uuid4().hex[:22] if member_id is None else member_id
        self.version = version
        self.epoch = 0
        self._wire = WireClient(broker, f"share-{self.member_id}")

    def fetch(self, acks: dict[int, list[tuple[int, int, list[int]]]] | None = None, *, max_wait_ms: int = 500,
              min_bytes: int = 1, max_records: int = 500, batch_size: int = 500, record_limit: bool = False,
              epoch: int | None = None, partitions=None, forget=(), is_renew_ack: bool = False,
              max_bytes: int = 1 << 20) -> Answer:
        """One ShareFetch: ``acks`` maps a partition to (first, last, types) batches to piggy-back."""
        acks = acks or {}
        partitions = self.partitions if partitions is None else partitions
        body = {
            "group_id": self.group, "member_id": self.member_id,
            "share_session_epoch": self.epoch if epoch is None else epoch,
            "max_wait_ms": max_wait_ms, "min_bytes": min_bytes, "max_bytes": max_bytes,
            "max_records": max_records, "batch_size": batch_size, "share_acquire_mode": int(record_limit),
            "is_renew_ack": is_renew_ack,
            "topics": [{"topic_id": self.topic_id, "partitions": [
                {"partition_index": p, "acknowledgement_batches": _batches(acks.get(p, []))}
                for p in sorted(set(partitions) | set(acks))]}] if partitions or acks else [],
            "forgotten_topics_data": [{"topic_id": self.topic_id, "partitions": list(forget)}] if forget else [],
        }
        return self._answer(self._wire.send(ApiKey.SHARE_FETCH, self.version, body), epoch)

    def acknowledge(self, acks: dict[int, list[tuple[int, int, list[int]]]], *, epoch: int | None = None,
                    renew: bool = False) -> Answer:
        body = {"group_id": self.group, "member_id": self.member_id,
                "share_session_epoch": self.epoch if epoch is None else epoch, "is_renew_ack": renew,
                "topics": [{"topic_id": self.topic_id, "partitions": [
                    {"partition_index": p, "acknowledgement_batches": _batches(b)} for p, b in sorted(acks.items())]}]}
        return self._answer(self._wire.send(ApiKey.SHARE_ACKNOWLEDGE, self.version, body), epoch)

    def fetch_until(self, predicate, timeout: float = TIMEOUT, **kwargs) -> list[Delivery]:
        """Fetch until ``predicate(everything delivered so far)``; everything delivered."""
        delivered: list[Delivery] = []
        deadline = time.monotonic() + timeout
        while not predicate(delivered):
            if time.monotonic() >= deadline:
                raise AssertionError(f"{self.member_id} got {len(delivered)} records within {timeout}s")
            answer = self.fetch(**kwargs)
            assert answer.error_code == ErrorCode.NONE, f"ShareFetch failed: {ErrorCode(answer.error_code).name}"
            delivered += answer.deliveries
        return delivered

    def close_session(self, acks=None) -> Answer:
        """Close the share session (epoch -1), releasing what the member holds."""
        return self.acknowledge(acks or {p: [] for p in self.partitions}, epoch=FINAL_EPOCH)

    def close(self) -> None:
        """Drop the connection (the broker then ends the session, as when a member dies)."""
        self._wire.close()

    def _answer(self, response, epoch: int | None) -> Answer:
        assert response is not None, "the broker closed the connection"
        if response.error_code == ErrorCode.NONE and epoch is None:
            self.epoch = 1 if self.epoch == 2**31 - 1 else self.epoch + 1
        answer = Answer(response.error_code, response.get("acquisition_lock_timeout_ms", 0))
        for topic in response.responses:
            for partition in topic.partitions:
                entry = {"error_code": partition.error_code, "error_message": partition.error_message}
                if "acquired_records" in partition:
                    acquired = [(a.first_offset, a.last_offset, a.delivery_count) for a in partition.acquired_records]
                    entry.update(acknowledge_error_code=partition.acknowledge_error_code, acquired=acquired)
                    answer.deliveries += _delivered(partition.records or b"", acquired)
                answer.partitions[partition.partition_index] = entry
        return answer

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _batches(batches) -> list[dict]:
    return [{"first_offset": first, "last_offset": last, "acknowledge_types": list(types)}
            for first, last, types in batches]


def _delivered(records: bytes, acquired: list[tuple[int, int, int]]) -> list[Delivery]:
    """The records handed out: those of the answer's batches that fall in an acquired range (a
    share consumer skips the rest of a batch it did not acquire)."""
    found = []
    for batch in read_batches(records):
        if batch.is_control:
            continue
        for record in batch.records:
            offset = batch.base_offset + record.offset_delta
            for first, last, delivery_count in acquired:
                if first <= offset <= last:
                    found.append(Delivery(offset, record.value, delivery_count))
    return found


def _until(check, what: str, timeout: float = TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.2)
