"""Keep the C allocator from handing large buffers back to the kernel between requests.

Every Produce request arrives as socket reads of up to ``RECEIVE_CHUNK`` bytes joined into one
frame of hundreds of kilobytes. With glibc's defaults such blocks are mapped fresh (or the heap
top is trimmed and grown again), so each request's pages are faulted in and zeroed by the
kernel again: measured with ``perf stat`` on 100 B records from confluent-kafka, some 8,000-13,000
page faults per million records and about a fifth of the broker's CPU per produced record. A
fixed mmap threshold and a larger trim threshold let those blocks be reused from the heap, the
way a JVM keeps its heap (``benchmarks/analysis.md``, "Broker CPU per record"). The cost is
that up to ``TRIM_THRESHOLD`` bytes freed at the top of the heap stay resident.

Only glibc has ``mallopt``; elsewhere (musl, macOS) this does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util

M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 16 * 1024 * 1024   # blocks below this come from the heap (glibc's dynamic ceiling is 32 MiB)
TRIM_THRESHOLD = 64 * 1024 * 1024   # free bytes at the heap top kept rather than returned


def keep_large_buffers() -> bool:
    """Set the thresholds; whether the C library took them."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or None)
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD))
