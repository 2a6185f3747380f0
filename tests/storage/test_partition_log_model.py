"""Property test: random appends, reads, timestamp lookups and restarts (clean, crashed, torn)
against a plain in-memory list of batches."""

import os
import shutil
import tempfile
from pathlib import Path

from batch_builder import build_batch, split_batches
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from odradek.storage.errors import RecordBatchTooLargeError
from odradek.storage.log_config import LogConfig
from odradek.storage.partition_log import PartitionLog

NOW = 10_000

batch_specs = st.lists(
    st.tuples(st.integers(0, 5_000), st.integers(0, 60)),  # (timestamp, value size) per record
    min_size=1,
    max_size=6,
)
codecs = st.sampled_from(["none", "none", "gzip", "snappy", "lz4", "zstd"])


class PartitionLogModel(RuleBasedStateMachine):
    @initialize(segment_bytes=st.integers(300, 2_000), index_interval=st.integers(0, 400))
    def open_log(self, segment_bytes, index_interval):
        self.directory = Path(tempfile.mkdtemp()) / "t-0"
        self.config = LogConfig.from_props({}, {
            "internal.segment.bytes": str(segment_bytes), "index.interval.bytes": str(index_interval)})
        self.log = PartitionLog.open(self.directory, "t", 0, self.config)
        self.abandoned = []
        self.batches = []  # (base_offset, bytes as the producer sent them)
        self.records = []  # (offset, timestamp)

    def teardown(self):
        if hasattr(self, "log"):
            self.log.close()
            shutil.rmtree(self.directory.parent)

    @property
    def end(self):
        return self.records[-1][0] + 1 if self.records else 0

    @rule(specs=st.lists(batch_specs, min_size=1, max_size=3), codec=codecs)
    def append(self, specs, codec):
        batches = [
            build_batch([b"v" * size for _, size in spec], timestamps=[ts for ts, _ in spec], compression=codec)
            for spec in specs
        ]
        records = b"".join(batches)
        if len(records) > self.config.segment_bytes:
            with pytest.raises(RecordBatchTooLargeError):
                self.log.append(records, now_ms=NOW)
            return
        info = self.log.append(records, now_ms=NOW)
        assert info.first_offset == self.end
        for batch, spec in zip(batches, specs, strict=True):
            base = self.end
            self.batches.append((base, batch))
            self.records += [(base + i, ts) for i, (ts, _) in enumerate(spec)]
        assert info.last_offset == self.end - 1 == self.log.log_end_offset - 1

    @rule(data=st.data(), max_bytes=st.integers(0, 3_000), min_one_batch=st.booleans())
    def read(self, data, max_bytes, min_one_batch):
        offset = data.draw(st.integers(0, self.end))
        got = split_batches(self.log.read(offset, max_bytes, min_one_batch).read())
        if offset == self.end:
            assert got == []
            return
        first = max(i for i, (base, _) in enumerate(self.batches) if base <= offset)
        if not got:
            assert not min_one_batch and len(self.batches[first][1]) > max_bytes
            return
        assert len(got) == 1 or sum(b.size for b in got) <= max_bytes
        assert len(got) == 1 or min_one_batch or got[0].size <= max_bytes
        for read_batch, (base, sent) in zip(got, self.batches[first:], strict=False):
            assert read_batch.base_offset == base
            assert read_batch.raw[8:] == sent[8:]

    @rule(timestamp=st.integers(-10, 5_010))
    def offset_for_timestamp(self, timestamp):
        matches = [(offset, ts) for offset, ts in self.records if ts >= timestamp]
        assert self.log.offset_for_timestamp(timestamp) == (matches[0] if matches else None)

    @rule()
    def max_timestamp(self):
        if not self.records:
            assert self.log.max_timestamp() is None
            return
        largest = max(ts for _, ts in self.records)
        assert self.log.max_timestamp() == next((o, ts) for o, ts in self.records if ts == largest)

    @rule()
    def clean_restart(self):
        self.log.close()
        self.log = PartitionLog.open(self.directory, "t", 0, self.config)

    @rule()
    def crash_restart(self):
        self.abandoned.append(self.log)  # never closed: the files are left as a crash leaves them
        self.log = PartitionLog.open(self.directory, "t", 0, self.config)

    @precondition(lambda self: self.batches)
    @rule(data=st.data())
    def torn_write_restart(self, data):
        """Part of the last batch is lost (a crash while writing it, or a torn older segment
        after earlier tears emptied the newer ones)."""
        self.abandoned.append(self.log)
        active = max(p for p in self.directory.iterdir() if p.suffix == ".log" and p.stat().st_size)
        base, last = self.batches.pop()
        cut = data.draw(st.integers(1, len(last)))
        os.truncate(active, active.stat().st_size - cut)
        self.records = [(o, ts) for o, ts in self.records if o < base]
        self.log = PartitionLog.open(self.directory, "t", 0, self.config)

    @invariant()
    def offsets_match(self):
        if hasattr(self, "log"):
            assert self.log.log_end_offset == self.log.high_watermark == self.end
            assert self.log.log_start_offset == 0


PartitionLogModel.TestCase.settings = settings(
    max_examples=100, stateful_step_count=40, deadline=None, derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
test_partition_log_matches_model = PartitionLogModel.TestCase
