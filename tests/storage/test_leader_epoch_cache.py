"""The leader epoch cache (Kafka's LeaderEpochFileCache) and its ``leader-epoch-checkpoint`` file."""

import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from odradek.storage.leader_epoch_cache import (
    UNDEFINED_EPOCH,
    UNDEFINED_EPOCH_OFFSET,
    LeaderEpochCache,
    read_leader_epoch_cache,
)
from odradek.storage.leader_epoch_checkpoint import (
    LEADER_EPOCH_CHECKPOINT,
    EpochEntry,
    read_epoch_checkpoint,
    write_epoch_checkpoint,
)


@pytest.fixture
def path(tmp_path):
    return tmp_path / LEADER_EPOCH_CHECKPOINT


def cache_of(path, *entries):
    cache = LeaderEpochCache(path)
    for epoch, start in entries:
        cache.assign(epoch, start)
    return cache


def test_the_file_is_kafkas_text_format(path):
    cache_of(path, (0, 0), (3, 1500))
    assert path.read_text() == "0\n2\n0 0\n3 1500\n"
    assert read_epoch_checkpoint(path) == [EpochEntry(0, 0), EpochEntry(3, 1500)]


def test_an_empty_cache_writes_a_header_only(path):
    LeaderEpochCache(path).clear()
    assert path.read_text() == "0\n0\n"
    assert read_epoch_checkpoint(path) == []


def test_a_missing_file_reads_as_none(path):
    assert read_epoch_checkpoint(path) is None
    assert read_leader_epoch_cache(path.parent, 100) is None


@pytest.mark.parametrize("text, problem", [
    ("", "empty"),
    ("1\n0\n", "unknown version"),
    ("0\n2\n0 0\n", "expected 2 entries"),
    ("0\n1\n0 0 7\n", "expected 1 entries"),
    ("0\nx\n", "invalid literal"),
])
def test_a_malformed_file_is_refused_naming_it(path, text, problem):
    path.write_text(text)
    with pytest.raises(ValueError, match=problem) as error:
        read_epoch_checkpoint(path)
    assert str(path) in str(error.value)


def test_a_malformed_file_is_ignored_with_a_warning_when_loading(path, caplog):
    path.write_text("0\n5\n")
    assert read_leader_epoch_cache(path.parent, 100) is None
    assert "Ignoring the leader epoch checkpoint" in caplog.text


def test_kafka_whitespace_is_accepted(path):
    path.write_text("0\n2\n0   0\n3\t1500\n")
    assert read_epoch_checkpoint(path) == [(0, 0), (3, 1500)]


def test_assign_adds_new_epochs_and_persists_them(path):
    cache = cache_of(path, (1, 0))
    assert cache.assign(2, 10)
    assert cache.latest_epoch == 2
    assert read_epoch_checkpoint(path) == [(1, 0), (2, 10)]


def test_the_latest_epoch_at_a_later_offset_changes_nothing(path):
    cache = cache_of(path, (1, 0), (2, 10))
    before = os.stat(path).st_mtime_ns, path.read_text()
    assert not cache.assign(2, 15)
    assert cache.entries() == [(1, 0), (2, 10)]
    assert (os.stat(path).st_mtime_ns, path.read_text()) == before


def test_an_earlier_start_of_the_latest_epoch_replaces_it(path):
    cache = cache_of(path, (1, 0), (2, 10))
    assert cache.assign(2, 8)
    assert cache.entries() == [(1, 0), (2, 8)]


def test_an_older_epoch_drops_the_entries_that_conflict_with_it(path, caplog):
    """Kafka's fix-up: an entry at or above the epoch, or starting at or after its offset, came
    from a leader whose batches never reached this log."""
    cache = cache_of(path, (1, 0), (3, 10), (5, 20))
    assert cache.assign(4, 15)
    assert cache.entries() == [(1, 0), (3, 10), (4, 15)]
    assert "replaced conflicting entries" in caplog.text
    assert read_epoch_checkpoint(path) == [(1, 0), (3, 10), (4, 15)]


def test_a_newer_epoch_at_an_earlier_offset_drops_the_later_entries(path):
    cache = cache_of(path, (1, 0), (3, 10), (5, 20))
    assert cache.assign(6, 12)
    assert cache.entries() == [(1, 0), (3, 10), (6, 12)]


def test_a_new_epoch_at_the_same_offset_as_the_latest_replaces_it_quietly(path, caplog):
    """A leader that wrote nothing in its epoch: expected, so no warning."""
    cache = cache_of(path, (1, 0), (2, 10))
    assert cache.assign(3, 10)
    assert cache.entries() == [(1, 0), (3, 10)]
    assert "conflicting" not in caplog.text


@pytest.mark.parametrize("epoch, offset", [(-1, 0), (0, -1)])
def test_a_negative_epoch_or_offset_is_refused(path, epoch, offset):
    with pytest.raises(ValueError, match="Invalid leader epoch entry"):
        LeaderEpochCache(path).assign(epoch, offset)
    assert not path.exists()


@pytest.mark.parametrize("requested, expected", [
    (UNDEFINED_EPOCH, (UNDEFINED_EPOCH, UNDEFINED_EPOCH_OFFSET)),
    (7, (7, 100)),  # the latest epoch ends at the log end
    (8, (UNDEFINED_EPOCH, UNDEFINED_EPOCH_OFFSET)),  # newer than any
    (1, (1, 20)),  # an older epoch ends where the next begins
    (2, (1, 20)),  # between entries: the epoch below, the start of the one above
    (4, (4, 50)),
    (0, (0, 10)),  # older than every entry: itself, the first entry's start
])
def test_end_offset_for_answers_as_offset_for_leader_epoch(path, requested, expected):
    cache = cache_of(path, (1, 10), (4, 20), (7, 50))
    assert cache.end_offset_for(requested, 100) == expected


def test_an_empty_cache_knows_no_end_offset(path):
    cache = LeaderEpochCache(path)
    assert cache.latest_epoch == UNDEFINED_EPOCH
    assert cache.end_offset_for(0, 100) == (UNDEFINED_EPOCH, UNDEFINED_EPOCH_OFFSET)
    assert cache.end_offset_for(UNDEFINED_EPOCH, 100) == (UNDEFINED_EPOCH, UNDEFINED_EPOCH_OFFSET)


def test_truncate_from_end_drops_entries_starting_at_or_after_the_offset(path):
    cache = cache_of(path, (1, 0), (2, 10), (3, 20))
    assert cache.truncate_from_end(10)
    assert cache.entries() == [(1, 0)]
    assert read_epoch_checkpoint(path) == [(1, 0)]
    assert not cache.truncate_from_end(10)
    assert not cache.truncate_from_end(-1)


def test_truncate_from_start_moves_the_epoch_holding_the_offset_to_it(path):
    cache = cache_of(path, (1, 0), (2, 10), (3, 20))
    assert cache.truncate_from_start(15)
    assert cache.entries() == [(2, 15), (3, 20)]
    assert read_epoch_checkpoint(path) == [(2, 15), (3, 20)]
    assert not cache.truncate_from_start(15)  # already there
    assert not cache.truncate_from_start(5)  # before every entry
    assert cache.truncate_from_start(20)  # keeps the entry at the offset (exclusive)
    assert cache.entries() == [(3, 20)]
    assert cache.truncate_from_start(30)
    assert cache.entries() == [(3, 30)]


def test_clear_empties_the_file(path):
    cache = cache_of(path, (1, 0), (2, 10))
    cache.clear()
    assert cache.entries() == [] and cache.latest_epoch == UNDEFINED_EPOCH
    assert read_epoch_checkpoint(path) == []


def test_loading_drops_entries_at_or_past_the_log_end(path):
    write_epoch_checkpoint(path, [EpochEntry(1, 0), EpochEntry(2, 10), EpochEntry(3, 20)])
    cache = read_leader_epoch_cache(path.parent, 20)
    assert cache.entries() == [(1, 0), (2, 10)]
    assert read_epoch_checkpoint(path) == [(1, 0), (2, 10)]


def test_loading_fixes_up_entries_out_of_order_as_kafka_does(path):
    path.write_text("0\n3\n1 0\n3 10\n2 5\n")
    cache = read_leader_epoch_cache(path.parent, 100)
    assert cache.entries() == [(1, 0), (2, 5)]


# --- model ----------------------------------------------------------------------------------


def model_assign(entries, epoch, start):
    if entries and epoch == entries[-1][0] and start >= entries[-1][1]:
        return entries
    kept = list(entries)
    while kept and (kept[-1][0] >= epoch or kept[-1][1] >= start):
        kept.pop()
    return kept + [(epoch, start)]


def model_end_offset(entries, requested, log_end):
    if requested == UNDEFINED_EPOCH:
        return UNDEFINED_EPOCH, UNDEFINED_EPOCH_OFFSET
    if entries and entries[-1][0] == requested:
        return requested, log_end
    higher = [e for e in entries if e[0] > requested]
    if not higher:
        return UNDEFINED_EPOCH, UNDEFINED_EPOCH_OFFSET
    lower = [e for e in entries if e[0] <= requested]
    return (lower[-1][0] if lower else requested), higher[0][1]


operations = st.lists(st.one_of(
    st.tuples(st.just("assign"), st.integers(0, 12), st.integers(0, 200)),
    st.tuples(st.just("end"), st.integers(0, 200)),
    st.tuples(st.just("start"), st.integers(0, 200)),
    st.tuples(st.just("clear")),
), max_size=30)


@settings(max_examples=150, deadline=None)
@given(ops=operations, queries=st.lists(st.integers(-1, 14), max_size=10))
def test_the_cache_follows_a_plain_model_and_its_file_holds_it(tmp_path_factory, ops, queries):
    path = tmp_path_factory.mktemp("epochs") / LEADER_EPOCH_CHECKPOINT
    cache = LeaderEpochCache(path)
    model = []
    for op in ops:
        if op[0] == "assign":
            model = model_assign(model, op[1], op[2])
            cache.assign(op[1], op[2])
        elif op[0] == "end":
            model = [e for e in model if e[1] < op[1]]
            cache.truncate_from_end(op[1])
        elif op[0] == "start":
            below = [e for e in model if e[1] <= op[1]]
            if below:
                model = [(below[-1][0], op[1])] + [e for e in model if e[1] > op[1]]
            cache.truncate_from_start(op[1])
        else:
            model = []
            cache.clear()
        assert cache.entries() == model
        epochs, starts = [e[0] for e in model], [e[1] for e in model]
        assert epochs == sorted(set(epochs)) and starts == sorted(set(starts))  # strictly increasing
    for requested in queries:
        assert cache.end_offset_for(requested, 500) == model_end_offset(model, requested, 500)
    if path.exists():  # every change was written: the file reads back as the cache
        assert read_epoch_checkpoint(path) == model
        assert LeaderEpochCache(path, read_epoch_checkpoint(path)).entries() == model
