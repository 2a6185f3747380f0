"""Property test: a leader and a follower under random appends, fetches, truncations, divergence
(the follower writing as a stale leader) and its repair by leader epochs (KIP-101/279), and
restarts: the follower's log is always a prefix of the leader's once repaired, its epochs are
those its batches carry, and, caught up, its producer state is the leader's."""

import shutil
import struct
import tempfile
from pathlib import Path

from batch_builder import build_batch, producer_batch, split_batches
from conftest import NOW
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule
from replication_helpers import epoch_of, log_bytes, replicate

from odradek.storage.log_config import LogConfig
from odradek.storage.log_manager import LogManager
from odradek.storage.partition_log import PartitionLog

P, T, STALE = 100, 200, 999


def epochs_of(data: bytes) -> list[tuple[int, int]]:
    """(epoch, first offset) wherever the batches' epoch rises, as a follower's cache must hold."""
    entries = []
    for batch in split_batches(data):
        epoch = epoch_of(batch.raw)
        if epoch >= 0 and (not entries or epoch > entries[-1][0]):
            entries.append((epoch, batch.base_offset))
    return entries


def batch_starts(data: bytes) -> list[int]:
    return [b.base_offset for b in split_batches(data)]


class ReplicationModel(RuleBasedStateMachine):
    @initialize(segment_bytes=st.integers(250, 1_500), index_interval=st.integers(0, 300))
    def open_logs(self, segment_bytes, index_interval):
        self.root = Path(tempfile.mkdtemp())
        self.config = LogConfig.from_props({}, {
            "internal.segment.bytes": str(segment_bytes), "index.interval.bytes": str(index_interval)})
        self.leader = self.open("leader")
        self.follower = self.open("follower")
        self.epoch = 0
        self.leader.assign_leader_epoch(0)
        self.sequence = 0  # P's next
        self.txn_sequence = 0  # T's next
        self.txn_open = False
        self.diverged = False  # the follower holds batches the leader never had
        self.abandoned = []

    def open(self, name):
        return PartitionLog.open(self.root / f"{name}-0", name, 0, self.config, now_ms=NOW)

    def teardown(self):
        if hasattr(self, "leader"):
            for log in (self.leader, self.follower):
                log.close()
            shutil.rmtree(self.root)

    # --- the leader ---------------------------------------------------------------------------

    @rule(count=st.integers(1, 4), codec=st.sampled_from(["none", "gzip", "lz4"]))
    def leader_appends_plain(self, count, codec):
        self.leader.append(build_batch([b"v" * 25] * count, compression=codec), now_ms=NOW, leader_epoch=self.epoch)

    @rule(count=st.integers(1, 3))
    def leader_appends_idempotent(self, count):
        self.leader.append(producer_batch(P, self.sequence, count), now_ms=NOW, leader_epoch=self.epoch)
        self.sequence += count

    @rule(count=st.integers(1, 3))
    def leader_appends_transactional(self, count):
        self.leader.append(producer_batch(T, self.txn_sequence, count, transactional=True), now_ms=NOW,
                           leader_epoch=self.epoch)
        self.txn_sequence += count
        self.txn_open = True

    @precondition(lambda self: self.txn_open)
    @rule(commit=st.booleans())
    def leader_ends_the_transaction(self, commit):
        self.leader.append_marker(T, 0, commit, 0, now_ms=NOW, leader_epoch=self.epoch)
        self.txn_open = False

    @precondition(lambda self: not self.diverged)
    @rule()
    def leadership_moves_on(self):
        """A new leader epoch for the same leader (say, after a controller failover)."""
        self.epoch += 1
        self.leader.assign_leader_epoch(self.epoch)

    # --- the follower -------------------------------------------------------------------------

    @precondition(lambda self: not self.diverged)
    @rule(max_bytes=st.integers(1, 2_000), limit=st.none() | st.integers(1, 3))
    def follower_fetches(self, max_bytes, limit):
        replicate(self.leader, self.follower, max_bytes, limit)

    @precondition(lambda self: not self.diverged)
    @rule(data=st.data())
    def follower_truncates(self, data):
        """To an offset of its own choosing (its high watermark, say), maybe past its end."""
        self.follower.truncate_to(data.draw(st.integers(0, self.follower.log_end_offset + 3)), now_ms=NOW)

    @precondition(lambda self: not self.diverged)
    @rule(data=st.data())
    def follower_starts_afresh(self, data):
        """At one of the leader's batch boundaries (its log start moved past the follower)."""
        starts = batch_starts(log_bytes(self.leader)) + [self.leader.log_end_offset]
        renamed = self.follower.truncate_fully_and_start_at(data.draw(st.sampled_from(starts)), now_ms=NOW)
        LogManager.remove_files(renamed)

    @precondition(lambda self: not self.diverged)
    @rule(count=st.integers(1, 3), transactional=st.booleans())
    def follower_diverges(self, count, transactional):
        """The follower was briefly leader in an epoch of its own: it wrote batches the leader
        never got; then the leader took over again in a newer epoch."""
        self.epoch += 1
        for _ in range(count):
            self.follower.append(build_batch([b"stale"]), now_ms=NOW, leader_epoch=self.epoch)
        if transactional:
            self.follower.append(producer_batch(STALE, 0, transactional=True), now_ms=NOW, leader_epoch=self.epoch)
        self.epoch += 1
        self.leader.assign_leader_epoch(self.epoch)
        self.diverged = True

    @precondition(lambda self: self.diverged)
    @rule()
    def follower_repairs_by_leader_epoch(self):
        """KIP-279: ask the leader where the follower's latest epoch ends there, cut at the lower
        of that and where the epoch the leader answered ends here."""
        leader_epoch, leader_end = self.leader.end_offset_for_epoch(self.follower.latest_epoch)
        assert leader_epoch != -1
        _, follower_end = self.follower.end_offset_for_epoch(leader_epoch)
        self.follower.truncate_to(min(leader_end, follower_end), now_ms=NOW)
        self.diverged = False

    @rule(crash=st.booleans())
    def follower_restarts(self, crash):
        if crash:
            self.abandoned.append(self.follower)
        else:
            self.follower.close()
        self.follower = self.open("follower")

    @rule()
    def leader_restarts(self):
        """Epochs starting at the log end, with no batch yet, are dropped at start-up (as Kafka
        does): the broker records its epoch again when it leads again."""
        self.leader.close()
        self.leader = self.open("leader")
        self.leader.assign_leader_epoch(self.epoch)

    # --- what must hold -----------------------------------------------------------------------

    @invariant()
    def follower_holds_a_prefix_of_the_leader(self):
        if not hasattr(self, "leader") or self.diverged:
            return
        start, end = self.follower.log_start_offset, self.follower.log_end_offset
        held = log_bytes(self.follower)
        assert held == log_bytes(self.leader, start=start, end=end)
        assert end == self.follower.log_start_offset or end in [
            b.base_offset + struct.unpack_from(">i", b.raw, 23)[0] + 1 for b in split_batches(held)]

    @invariant()
    def epochs_are_those_of_the_batches(self):
        if not hasattr(self, "leader"):
            return
        assert self.leader.leader_epoch_entries()[-1][0] == self.epoch
        if self.diverged:
            return
        expected = epochs_of(log_bytes(self.follower))
        entries = self.follower.leader_epoch_entries()
        if entries and expected and entries[0][1] < expected[0][1]:  # the log start cut into its epoch
            assert entries[0] == (entries[0][0], self.follower.log_start_offset)
            entries = entries[1:] if entries[0][0] != expected[0][0] else [expected[0]] + entries[1:]
        assert entries == expected

    @invariant()
    def caught_up_the_follower_knows_what_the_leader_knows(self):
        if not hasattr(self, "leader") or self.diverged:
            return
        leader, follower = self.leader, self.follower
        if follower.log_end_offset != leader.log_end_offset or follower.log_start_offset != 0:
            return
        assert follower.active_producers() == leader.active_producers()
        assert follower.last_stable_offset == leader.last_stable_offset
        end = leader.log_end_offset
        assert follower.aborted_transactions(0, end) == leader.aborted_transactions(0, end)


ReplicationModel.TestCase.settings = settings(
    max_examples=60, stateful_step_count=40, deadline=None, derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
test_replication_matches_model = ReplicationModel.TestCase


def test_an_empty_follower_starting_inside_a_batch_takes_the_whole_batch():
    """Found by the model: a follower that starts afresh at 4, then truncates to 3 (inside the
    leader's batch of offsets 2-3), fetches a batch beginning before its log end; as Kafka's
    Partition does, its empty log starts again at the batch's first offset and takes it."""
    model = ReplicationModel()
    try:
        model.open_logs(segment_bytes=250, index_interval=0)
        model.leader_appends_plain(count=1, codec="none")
        model.leader_appends_idempotent(count=1)
        model.leader_appends_idempotent(count=2)
        LogManager.remove_files(model.follower.truncate_fully_and_start_at(4, now_ms=NOW))
        model.follower.truncate_to(3, now_ms=NOW)
        model.follower_fetches(max_bytes=1, limit=None)
        assert (model.follower.log_start_offset, model.follower.log_end_offset) == (2, 4)
        model.follower_holds_a_prefix_of_the_leader()
    finally:
        model.teardown()
