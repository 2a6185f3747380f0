"""``write_all``: a segment append's buffers land in the file in order, however many there are."""

import os

from odradek.storage.segment import write_all


def test_more_buffers_than_one_writev_takes_are_written_in_order(tmp_path):
    pieces = [bytes([i % 251]) * (i % 7 + 1) for i in range(5000)]  # above IOV_MAX (1024)
    fd = os.open(tmp_path / "f", os.O_RDWR | os.O_CREAT | os.O_APPEND)
    try:
        write_all(fd, [pieces[0], memoryview(b"".join(pieces[1:100])), *pieces[100:]])
        assert os.pread(fd, 1 << 20, 0) == b"".join(pieces)
    finally:
        os.close(fd)
