"""Share group members and admin calls on odradek's own codecs, for what no client library shows.

A ``WireShareMember`` heartbeats when the test says so, with the epoch it was last given, the way
a share consumer does (a member id of its own, epoch 0 to join with its subscription, -1 to
leave); it can also stop heartbeating, which a test uses to let its session expire. ``describe``
is ShareGroupDescribe, which confluent-kafka's admin client does not offer.
"""

from __future__ import annotations

import contextlib
import threading
import uuid

from odradek.wire import ApiKey, ErrorCode

from .clients import wait_until
from .wire_client import WireClient

HEARTBEAT_VERSION = 1
DESCRIBE_VERSION = 1
RETRIABLE = {ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, ErrorCode.COORDINATOR_NOT_AVAILABLE, ErrorCode.NOT_COORDINATOR}


def wait_for_coordinator(wire: WireClient, group_id: str) -> None:
    """Until FindCoordinator names a broker for the group (it creates __consumer_offsets)."""
    def found():
        answer = wire.send(ApiKey.FIND_COORDINATOR, 4, {"key_type": 0, "coordinator_keys": [group_id]})
        return answer.coordinators[0].error_code == ErrorCode.NONE
    wait_until(found, timeout=60, interval=0.2, what=f"a coordinator for {group_id}")


class WireShareMember:
    def __init__(self, broker, group_id: str, topics: list[str], member_id: str | None = None):
        self.wire = WireClient(broker, client_id=f"share-member-{group_id}")
        self.group_id, self.topics = group_id, list(topics)
        self.member_id = member_id or str(uuid.uuid4())
        self.epoch = 0
        self.assigned: dict[uuid.UUID, set[int]] = {}
        self.interval_ms = 0

    def send(self, epoch: int, topics: list[str] | None = None, rack_id: str | None = None):
        return self.wire.send(ApiKey.SHARE_GROUP_HEARTBEAT, HEARTBEAT_VERSION, {
            "group_id": self.group_id, "member_id": self.member_id, "member_epoch": epoch, "rack_id": rack_id,
            "subscribed_topic_names": topics})

    def beat(self, topics: list[str] | None = None):
        """One heartbeat at the current epoch (joining: with the subscription); the answer. A
        coordinator still loading or not found yet is asked again."""
        if self.epoch == 0 and topics is None:
            topics = self.topics
        answer = wait_until(lambda: _unless_retriable(self.send(self.epoch, topics)), timeout=60, interval=0.2,
                            what="a heartbeat the coordinator answers")
        if answer.error_code == ErrorCode.NONE:
            self.epoch, self.interval_ms = answer.member_epoch, answer.heartbeat_interval_ms
            if answer.assignment is not None:
                self.assigned = {tp.topic_id: set(tp.partitions) for tp in answer.assignment.topic_partitions}
        return answer

    def leave(self):
        answer = self.send(-1)
        self.epoch = 0
        return answer

    def partitions(self) -> set[int]:
        return {p for parts in self.assigned.values() for p in parts}

    def close(self) -> None:
        self.wire.close()


def _unless_retriable(answer):
    return None if answer.error_code in RETRIABLE else answer


def describe(broker, *group_ids: str, include_authorized_operations: bool = False):
    with WireClient(broker) as wire:
        return wire.send(ApiKey.SHARE_GROUP_DESCRIBE, DESCRIBE_VERSION, {
            "group_ids": list(group_ids), "include_authorized_operations": include_authorized_operations}).groups


def beat_until(members: list[WireShareMember], predicate, timeout: float = 60, what: str = "the members"):
    """Every member heartbeats, again and again, until ``predicate()`` holds."""
    def round_():
        for member in members:
            answer = member.beat()
            assert answer.error_code == ErrorCode.NONE, answer
        return predicate()
    return wait_until(round_, timeout=timeout, interval=0.3, what=what)


@contextlib.contextmanager
def heartbeating(member: WireShareMember, interval: float = 0.3):
    """Keep ``member`` heartbeating from a thread while the block runs (a tool, say, takes longer
    than its session)."""
    done = threading.Event()

    def loop():
        while not done.wait(interval):
            member.beat()

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    try:
        yield member
    finally:
        done.set()
        thread.join()
