"""Folding written state ranges into the share coordinator's state: the newest range wins, record
by record, nothing before the start offset is kept, and adjacent equal ranges merge."""

from hypothesis import given
from hypothesis import strategies as st

from odradek.server.share.state_batches import StateBatch, combine

batches = st.lists(st.builds(lambda first, length, state, count: StateBatch(first, first + length, state, count),
                             st.integers(0, 40), st.integers(0, 8), st.sampled_from([0, 2, 4]), st.integers(1, 3)),
                   max_size=8)


def by_offset(ranges):
    found = {}
    for batch in ranges:
        for offset in range(batch.first_offset, batch.last_offset + 1):
            found[offset] = (batch.delivery_state, batch.delivery_count)
    return found


@given(batches, batches, st.integers(-1, 30))
def test_the_newest_range_wins_offset_by_offset(so_far, changed, start):
    result = combine(combine([], so_far, -1), changed, start)
    expected = by_offset(so_far)
    expected.update(by_offset(changed))
    if start >= 0:
        expected = {o: v for o, v in expected.items() if o >= start}
    assert by_offset(result) == expected
    assert result == sorted(result)
    for before, after in zip(result, result[1:]):
        assert before.last_offset < after.first_offset
        assert not (before.last_offset + 1 == after.first_offset and before[2:] == after[2:])


def test_an_example():
    so_far = [StateBatch(0, 9, 0, 1)]
    changed = [StateBatch(3, 4, 2, 1), StateBatch(8, 12, 4, 2)]
    assert combine(so_far, changed, 2) == [StateBatch(2, 2, 0, 1), StateBatch(3, 4, 2, 1), StateBatch(5, 7, 0, 1),
                                           StateBatch(8, 12, 4, 2)]
