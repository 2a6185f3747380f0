"""Splitting a byte stream into length-prefixed frames."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from odradek.wire import FrameSplitter, FrameTooLargeError, FramingError, frame


def test_frame_adds_a_big_endian_length():
    assert frame(b"abc") == b"\x00\x00\x00\x03abc"


def test_multiple_frames_in_one_feed():
    splitter = FrameSplitter(100)
    assert splitter.feed(frame(b"one") + frame(b"") + frame(b"three")) == [b"one", b"", b"three"]
    assert splitter.buffered == 0


def test_partial_feeds_are_kept_until_complete():
    data = frame(b"hello") + frame(b"world")
    splitter = FrameSplitter(100)
    frames = []
    for byte in data:
        frames += splitter.feed(bytes([byte]))
    assert frames == [b"hello", b"world"]


def test_a_frame_split_across_feeds_with_the_next_one_started():
    splitter = FrameSplitter(100)
    data = frame(b"first") + frame(b"second")
    assert splitter.feed(data[:7]) == []
    assert splitter.buffered == 7
    assert splitter.feed(data[7:12]) == [b"first"]
    assert splitter.feed(data[12:]) == [b"second"]


def test_oversized_length_is_refused_before_the_body_arrives():
    splitter = FrameSplitter(10)
    assert splitter.feed(frame(b"x" * 10)) == [b"x" * 10]
    with pytest.raises(FrameTooLargeError) as raised:
        splitter.feed(b"\x00\x00\x00\x0b")
    assert (raised.value.size, raised.value.max_frame_size) == (11, 10)


def test_negative_length_is_a_framing_error():
    with pytest.raises(FramingError):
        FrameSplitter(10).feed(b"\xff\xff\xff\xfe")


def test_a_large_frame_arriving_in_many_pieces():
    payload = bytes(range(256)) * 4096  # 1 MiB arriving in 1 KiB pieces
    data = frame(payload)
    splitter = FrameSplitter(len(payload))
    frames = []
    for start in range(0, len(data), 1024):
        frames += splitter.feed(data[start:start + 1024])
    assert frames == [payload]


@given(payloads=st.lists(st.binary(max_size=300), min_size=1, max_size=8), data=st.data())
def test_any_split_of_the_stream_gives_the_same_frames(payloads, data):
    stream = b"".join(frame(payload) for payload in payloads)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=12)))
    splitter = FrameSplitter(300)
    frames, previous = [], 0
    for cut in [*cuts, len(stream)]:
        frames += splitter.feed(stream[previous:cut])
        previous = cut
    assert frames == payloads and splitter.buffered == 0


def test_next_size_is_the_announced_size_of_the_frame_being_received():
    splitter = FrameSplitter(1 << 20)
    assert splitter.next_size() is None
    data = frame(b"done") + frame(b"y" * 1000)
    assert splitter.feed(data[:8 + 2]) == [b"done"]  # the second prefix only half in
    assert splitter.next_size() is None
    assert splitter.feed(data[10:13]) == []  # prefix split across two chunks
    assert splitter.next_size() == 1000
    assert splitter.feed(data[13:]) == [b"y" * 1000]
    assert splitter.next_size() is None
