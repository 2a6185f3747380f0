"""Property test: idempotent and transactional producers, their retries, markers and restarts
(clean or crashed) against a plain model of sequences, open transactions and aborts."""

import shutil
import tempfile
from pathlib import Path

import pytest
from batch_builder import build_batch, producer_batch, split_batches
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from odradek.storage.errors import InvalidTxnStateError, OutOfOrderSequenceError
from odradek.storage.log_config import LogConfig
from odradek.storage.partition_log import PartitionLog

NOW = 10_000
PRODUCERS = (11, 22, 33)
producers = st.sampled_from(PRODUCERS)


class Producer:
    def __init__(self):
        self.next_seq = 0
        self.sent = []  # (batch, first offset, last offset) in order
        self.retriable = 0  # how many of the last sent batches the log must still recognise
        self.txn_first = None


class ProducerStateModel(RuleBasedStateMachine):
    @initialize(segment_bytes=st.integers(300, 1_500))
    def open_log(self, segment_bytes):
        self.directory = Path(tempfile.mkdtemp()) / "t-0"
        self.config = LogConfig.from_props({}, {"internal.segment.bytes": str(segment_bytes)})
        self.log = PartitionLog.open(self.directory, "t", 0, self.config, now_ms=NOW)
        self.abandoned = []
        self.end = 0
        self.producers = {pid: Producer() for pid in PRODUCERS}
        self.aborted = []  # (producer id, first offset)

    def teardown(self):
        if hasattr(self, "log"):
            self.log.close()
            shutil.rmtree(self.directory.parent)

    @rule(pid=producers, count=st.integers(1, 4), transactional=st.booleans())
    def send(self, pid, count, transactional):
        producer = self.producers[pid]
        batch = producer_batch(pid, producer.next_seq, count, transactional=transactional)
        if producer.txn_first is not None and not transactional:
            with pytest.raises(InvalidTxnStateError):
                self.log.append(batch, now_ms=NOW)
            return
        info = self.log.append(batch, now_ms=NOW)
        assert not info.duplicate and (info.first_offset, info.last_offset) == (self.end, self.end + count - 1)
        if transactional and producer.txn_first is None:
            producer.txn_first = self.end
        producer.sent.append((batch, info.first_offset, info.last_offset))
        producer.retriable = min(5, producer.retriable + 1)
        producer.next_seq += count
        self.end += count

    @precondition(lambda self: any(p.retriable for p in self.producers.values()))
    @rule(data=st.data())
    def retry(self, data):
        producer = data.draw(st.sampled_from([p for p in self.producers.values() if p.retriable]))
        batch, first, last = data.draw(st.sampled_from(producer.sent[-producer.retriable:]))
        info = self.log.append(batch, now_ms=NOW)
        assert info.duplicate and (info.first_offset, info.last_offset) == (first, last)

    @precondition(lambda self: any(p.sent for p in self.producers.values()))
    @rule(data=st.data(), skip=st.integers(1, 3))
    def send_out_of_order(self, data, skip):
        pid = data.draw(st.sampled_from([pid for pid, p in self.producers.items() if p.sent]))
        producer = self.producers[pid]
        with pytest.raises(OutOfOrderSequenceError):
            self.log.append(producer_batch(pid, producer.next_seq + skip, transactional=producer.txn_first is not None),
                            now_ms=NOW)

    @rule(pid=producers, commit=st.booleans(), coordinator_epoch=st.just(0))
    def end_transaction(self, pid, commit, coordinator_epoch):
        producer = self.producers[pid]
        assert self.log.append_marker(pid, 0, commit, coordinator_epoch, now_ms=NOW) == self.end
        if producer.txn_first is not None and not commit:
            self.aborted.append((pid, producer.txn_first))
        producer.txn_first = None
        self.end += 1

    @rule()
    def plain_append(self):
        assert self.log.append(build_batch([b"plain"]), now_ms=NOW).first_offset == self.end
        self.end += 1

    @rule(data=st.data())
    def read_committed(self, data):
        lso = self.log.last_stable_offset
        offset = data.draw(st.integers(0, self.end))
        got = split_batches(self.log.read(offset, 2_000, max_offset=lso).read())
        assert all(b.base_offset + b.records_count <= lso for b in got)
        if offset < lso:
            assert got and got[0].base_offset <= offset

    def _restarted(self):
        for producer in self.producers.values():
            producer.retriable = min(producer.retriable, 1)  # a snapshot keeps each producer's last batch

    @rule()
    def clean_restart(self):
        self.log.close()
        self.log = PartitionLog.open(self.directory, "t", 0, self.config, now_ms=NOW)
        self._restarted()

    @rule()
    def crash_restart(self):
        self.abandoned.append(self.log)
        self.log = PartitionLog.open(self.directory, "t", 0, self.config, now_ms=NOW)
        self._restarted()

    @invariant()
    def stable_offset_and_aborts_match(self):
        if not hasattr(self, "log"):
            return
        open_firsts = [p.txn_first for p in self.producers.values() if p.txn_first is not None]
        assert self.log.last_stable_offset == min(open_firsts, default=self.end)
        assert self.log.log_end_offset == self.end
        assert sorted(self.log.aborted_transactions(0, self.end)) == sorted(self.aborted)
        known = {info.producer_id: info for info in self.log.active_producers()}
        for pid, producer in self.producers.items():
            if producer.sent:
                assert known[pid].last_sequence == producer.next_seq - 1
                assert known[pid].current_txn_start_offset == (-1 if producer.txn_first is None else producer.txn_first)


ProducerStateModel.TestCase.settings = settings(
    max_examples=100, stateful_step_count=50, deadline=None, derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
test_producer_state_matches_model = ProducerStateModel.TestCase
