"""Requests served per API and version, their total time, and the error codes they answered
(Kafka's RequestMetrics: RequestsPerSec, TotalTimeMs, ErrorsPerSec).

With them, the bytes of requests read and responses written (Kafka's socket-server-metrics
incoming and outgoing bytes; TLS framing, once there is TLS, is not in them). The time is from
the request parsed to its response encoded (for an acks=all Produce, to the ISR having the
batch), kept as a histogram in milliseconds with fixed buckets: one bisect and two additions. Errors are counted as Kafka counts them, one per error code in the
response (a Produce to three partitions counts three, NONE included), found where the API's
schema puts them (``error_fields``): per partition, never per record.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass, field
from time import perf_counter

from .error_fields import ErrorPaths, count_errors, error_paths

#: Upper bounds of the total-time buckets, in milliseconds (the last bucket, +Inf, is implied).
TIME_BUCKETS_MS = (0.5, 1.0, 2.5, 5.0, 10.0, 25.0, 50.0, 100.0, 250.0, 500.0, 1000.0, 2500.0, 5000.0, 10000.0)


@dataclass
class TimeHistogram:
    counts: list[int] = field(default_factory=lambda: [0] * (len(TIME_BUCKETS_MS) + 1))
    sum_ms: float = 0.0



@dataclass
class RequestStats:
    requests: dict[tuple[int, int], int] = field(default_factory=dict)  # (api key, version) -> count
    times: dict[int, TimeHistogram] = field(default_factory=dict)  # api key -> total time
    errors: dict[tuple[int, int], int] = field(default_factory=dict)  # (api key, error code) -> count
    bytes_in: int = 0  # request frames, size prefixes included
    bytes_out: int = 0  # response frames, likewise
    _error_paths: dict[int, ErrorPaths] = field(default_factory=dict)

    def served(self, header, started: float, size: int, body, chunks: list | None) -> None:
        """One request of ``size`` bytes (less its size prefix), handled since ``perf_counter()``
        was ``started``, answered with ``body`` encoded as ``chunks`` (both None when no response
        is sent, as for acks=0). Written for speed: it runs for every request."""
        ms = (perf_counter() - started) * 1000
        api_key = header.api_key
        key = (api_key, header.api_version)
        requests = self.requests
        requests[key] = requests.get(key, 0) + 1
        histogram = self.times.get(api_key)
        if histogram is None:
            histogram = self.times[api_key] = TimeHistogram()
        histogram.counts[bisect_left(TIME_BUCKETS_MS, ms)] += 1
        histogram.sum_ms += ms
        self.bytes_in += size + 4
        if chunks is None:
            return
        self.bytes_out += int.from_bytes(chunks[0][:4], "big") + 4
        paths = self._error_paths.get(api_key)
        if paths is None:
            paths = self._error_paths[api_key] = error_paths(api_key)
        if paths:
            count_errors(paths, body, api_key, self.errors)
