"""One partition this broker hosts a replica of, in cluster mode: its role and, when it leads,
what it knows of its followers (Kafka's Partition).

As leader it tracks each follower's log end offset from the offsets the follower fetches at, and
when the follower last caught up with the leader's log end. The high watermark is the smallest
log end offset in the ISR (the leader's own included): everything below it is on every in-sync
replica, so it is what consumers may read and what an ``acks=all`` producer waits for. A
follower that falls ``replica.lag.time.max.ms`` behind leaves the ISR, one that catches up
joins it; those changes go to the controller (AlterPartition) and take effect when it accepts
them. Until then the leader counts a joining follower as in sync for the high watermark (Kafka's
"maximal ISR"), so nothing is acknowledged on fewer replicas than the ISR may hold.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import trio

from odradek.storage.partition_log import PartitionLog
from odradek.wire import ErrorCode

log = logging.getLogger("odradek.replication")

LEADER, FOLLOWER = "leader", "follower"


@dataclass
class FollowerState:
    log_end_offset: int = -1  # unknown until it fetches
    last_caught_up_ms: float = 0.0  # when it last fetched at (or past) the leader's log end
    last_fetch_ms: float = 0.0
    leader_end_at_last_fetch: int = -1
    last_sent_high_watermark: int = -1  # so that a change is sent at once, not after the long poll


class Partition:
    def __init__(self, topic: str, index: int, log: PartitionLog):
        self.topic = topic
        self.index = index
        self._log = log
        self.role = FOLLOWER
        self.leader = -1
        self.leader_epoch = -1
        self.partition_epoch = -1  # the state znode's version, for AlterPartition
        self.replicas: tuple[int, ...] = ()
        self.isr: tuple[int, ...] = ()
        self.pending_isr: tuple[int, ...] | None = None  # proposed to the controller, not yet accepted
        self.followers: dict[int, FollowerState] = {}
        self._waiters: list[tuple[int, trio.Event]] = []

    @property
    def log(self) -> PartitionLog:
        """The partition's log; after a move to another log directory (AlterReplicaLogDirs), the
        moved one."""
        log = self._log
        while log.moved_to is not None:
            log = self._log = log.moved_to
        return log

    @property
    def key(self) -> tuple[str, int]:
        return self.topic, self.index

    @property
    def is_leader(self) -> bool:
        return self.role == LEADER

    @property
    def maximal_isr(self) -> tuple[int, ...]:
        """The ISR, with replicas proposed for it already counted (see the module docstring)."""
        if self.pending_isr is None:
            return self.isr
        return tuple(dict.fromkeys(self.isr + self.pending_isr))

    # --- role changes (LeaderAndIsr) -----------------------------------------------------------

    def become_leader(self, broker_id: int, leader_epoch: int, partition_epoch: int, replicas, isr,
                      now_ms: float) -> None:
        """Lead from ``leader_epoch`` on: new batches are stamped with it, and it starts at our
        log end in the epoch cache (KIP-101: followers truncate to where our history and theirs part)."""
        log_ = self.log
        self.role, self.leader = LEADER, broker_id
        self.leader_epoch, self.partition_epoch = leader_epoch, partition_epoch
        self.replicas, self.isr, self.pending_isr = tuple(replicas), tuple(isr), None
        self.followers = {r: FollowerState(last_caught_up_ms=now_ms if r in self.isr else 0.0)
                          for r in self.replicas if r != broker_id}
        log_.assign_leader_epoch(leader_epoch)

    def become_follower(self, leader: int, leader_epoch: int, partition_epoch: int, replicas, isr) -> None:
        self.role, self.leader = FOLLOWER, leader
        self.leader_epoch, self.partition_epoch = leader_epoch, partition_epoch
        self.replicas, self.isr, self.pending_isr = tuple(replicas), tuple(isr), None
        self.followers = {}
        self.fail_waiters(ErrorCode.NOT_LEADER_OR_FOLLOWER)

    def fence(self) -> None:
        """Stop leading without a new role yet (the cluster moved on): no reads or writes here,
        and whatever the controller sends next is taken, even at the same epochs."""
        self.role, self.leader, self.partition_epoch, self.pending_isr = FOLLOWER, -1, -1, None
        self.followers = {}
        self.fail_waiters(ErrorCode.NOT_LEADER_OR_FOLLOWER)

    def update_isr(self, isr, partition_epoch: int) -> None:
        """The controller accepted an ISR (ours, or a newer one)."""
        self.isr, self.partition_epoch, self.pending_isr = tuple(isr), partition_epoch, None

    # --- the leader's view of its followers ----------------------------------------------------

    def record_fetch(self, replica: int, fetch_offset: int, now_ms: float) -> bool:
        """A follower fetched at ``fetch_offset``: everything before it is in its log. Returns
        whether the high watermark moved."""
        state = self.followers.get(replica)
        if state is None:
            return False
        leader_end = self.log.log_end_offset
        if fetch_offset >= leader_end:
            state.last_caught_up_ms = now_ms
        elif fetch_offset >= state.leader_end_at_last_fetch >= 0:
            # it has everything the leader had at its previous fetch: caught up as of then
            state.last_caught_up_ms = max(state.last_caught_up_ms, state.last_fetch_ms)
        state.log_end_offset = fetch_offset
        state.last_fetch_ms = now_ms
        state.leader_end_at_last_fetch = leader_end
        return self.maybe_advance_high_watermark()

    def maybe_advance_high_watermark(self) -> bool:
        if not self.is_leader:
            return False
        ends = [self.log.log_end_offset]
        for replica in self.maximal_isr:
            if replica == self.leader:
                continue
            state = self.followers.get(replica)
            ends.append(state.log_end_offset if state is not None else -1)
        moved = self.log.increment_high_watermark(min(ends)) if min(ends) >= 0 else False
        if moved:
            self._wake_waiters()
        return moved

    def followers_to_add(self) -> list[int]:
        """Out-of-sync replicas that caught up: at the high watermark, and past the start of our
        leader epoch (they hold everything this leader acknowledged)."""
        hw = self.log.high_watermark
        epoch_start = self.log.epoch_start_offset(self.leader_epoch)
        return [r for r, s in self.followers.items()
                if r not in self.maximal_isr and s.log_end_offset >= hw and s.log_end_offset >= epoch_start]

    def followers_to_remove(self, now_ms: float, lag_ms: int) -> list[int]:
        """In-sync followers that have not caught up for ``replica.lag.time.max.ms``."""
        return [r for r in self.isr if r != self.leader and r in self.followers
                and now_ms - self.followers[r].last_caught_up_ms > lag_ms]

    # --- acks=all ------------------------------------------------------------------------------

    async def wait_for_high_watermark(self, offset: int) -> None:
        """Return once the high watermark reaches ``offset`` (cancel for a timeout)."""
        if self.log.high_watermark >= offset:
            return
        event = trio.Event()
        entry = (offset, event)
        self._waiters.append(entry)
        try:
            await event.wait()
        finally:
            if entry in self._waiters:
                self._waiters.remove(entry)

    def _wake_waiters(self) -> None:
        hw = self.log.high_watermark
        still = []
        for offset, event in self._waiters:
            if offset <= hw:
                event.set()
            else:
                still.append((offset, event))
        self._waiters[:] = still

    def fail_waiters(self, _code: int) -> None:
        """Leadership is gone: wake every acks=all producer, who will see we no longer lead."""
        for _, event in self._waiters:
            event.set()
        self._waiters.clear()
