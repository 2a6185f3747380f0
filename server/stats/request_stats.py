"""Requests served per API and version, their total time, and the error codes they answered
(Kafka's RequestMetrics: RequestsPerSec, TotalTimeMs, ErrorsPerSec).

With them, the bytes of requests read and responses written (Kafka's socket-server-metrics
incoming and outgoing bytes; TLS framing, once there is TLS, is not in them). The time is from
the request parsed to its response encoded (for an acks=all Produce, to the ISR having the
batch), kept as a histogram in milliseconds with fixed buckets. Errors are counted as Kafka
counts them, one per error code in the response (a Produce to three partitions counts three,
NONE included), found where the API's schema puts them (``error_fields``): per partition, never
per record.

This runs for every request, so it is laid out for the hot path: one ``ApiCounts`` per API key
in a list indexed by the key (no hashing), holding plain lists indexed by version, bucket and
error code. Turning them into labelled series is the collector's work, at scrape time.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from struct import Struct
from time import perf_counter

from .error_fields import ErrorCounter, error_counter

#: Upper bounds of the total-time buckets, in milliseconds (the last bucket, +Inf, is implied).
TIME_BUCKETS_MS = (0.5, 1.0, 2.5, 5.0, 10.0, 25.0, 50.0, 100.0, 250.0, 500.0, 1000.0, 2500.0, 5000.0, 10000.0)
MAX_API_KEY = 127  # above every key Kafka has assigned; a route exists only for keys we serve
MAX_VERSION = 63
_frame_size = Struct(">i").unpack_from  # a response's size prefix, read without a copy


class ApiCounts:
    """One API's counters; ``versions[v]`` requests of version v, ``buckets[i]`` requests whose
    time fell in ``TIME_BUCKETS_MS[i]`` (the last, +Inf), ``errors`` error code -> count."""

    __slots__ = ("versions", "buckets", "sum_ms", "errors", "count_errors")

    def __init__(self, api_key: int):
        self.versions = [0] * (MAX_VERSION + 1)
        self.buckets = [0] * (len(TIME_BUCKETS_MS) + 1)
        self.sum_ms = 0.0
        self.errors: defaultdict[int, int] = defaultdict(int)
        self.count_errors: ErrorCounter = error_counter(api_key)


class RequestStats:
    __slots__ = ("apis", "bytes_in", "bytes_out")

    def __init__(self):
        self.apis: list[ApiCounts | None] = [None] * (MAX_API_KEY + 1)
        self.bytes_in = 0  # request frames, size prefixes included
        self.bytes_out = 0  # response frames, likewise

    def served(self, header, started: float, size: int, body, chunks: list | None) -> None:
        """One request of ``size`` bytes (less its size prefix), handled since ``perf_counter()``
        was ``started``, answered with ``body`` encoded as ``chunks`` (both None when no response
        is sent, as for acks=0)."""
        ms = (perf_counter() - started) * 1000
        api_key = header.api_key
        api = self.apis[api_key]
        if api is None:
            api = self.apis[api_key] = ApiCounts(api_key)
        api.versions[header.api_version] += 1
        api.buckets[bisect_left(TIME_BUCKETS_MS, ms)] += 1
        api.sum_ms += ms
        self.bytes_in += size + 4
        if chunks is not None:
            self.bytes_out += _frame_size(chunks[0])[0] + 4
            api.count_errors(body, api.errors)

    def by_api(self):
        """(api key, its counts) for each API served so far, by key."""
        return [(key, api) for key, api in enumerate(self.apis) if api is not None]


class NullRequestStats:
    """What the broker uses when nothing reads the figures (``metrics.port`` unset)."""

    __slots__ = ()

    def served(self, header, started: float, size: int, body, chunks: list | None) -> None:
        pass
