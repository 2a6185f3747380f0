"""The allocator thresholds ``odradek serve`` sets so that large request buffers are reused."""

import ctypes
import platform

import pytest

from odradek.tools.malloc_tuning import keep_large_buffers


IS_MMAPPED = 0x2  # glibc's flag in a chunk's size word, just before the block


def _mapped_on_its_own(size: int) -> bool:
    libc = ctypes.CDLL(None)
    libc.malloc.restype, libc.malloc.argtypes = ctypes.c_void_p, [ctypes.c_size_t]
    libc.free.argtypes = [ctypes.c_void_p]
    block = libc.malloc(size)
    try:
        return bool(ctypes.c_size_t.from_address(block - ctypes.sizeof(ctypes.c_size_t)).value & IS_MMAPPED)
    finally:
        libc.free(block)


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt is glibc's")
def test_glibc_takes_the_thresholds_and_a_request_sized_block_comes_from_the_heap():
    assert _mapped_on_its_own(64 << 20)  # glibc's default: a large block is a mapping of its own
    assert keep_large_buffers()
    assert not _mapped_on_its_own(4 << 20)  # a request frame's size: reused heap memory now
    assert _mapped_on_its_own(64 << 20)  # above the threshold still mapped (and unmapped when freed)
