"""How a collector that reads thousands of partitions lets the broker breathe while it does.

A scrape reads the broker's state in the event loop (its dicts change under any other thread),
so a collector's ``collect()`` yields ``PAUSE`` every ``ROWS_PER_PAUSE`` rows it reads, besides
its metric families; the endpoint (``endpoint.gather``) turns each pause into a trio checkpoint,
letting requests waiting meanwhile be served. Collectors therefore iterate over copies (lists
made at the start), never over the broker's live dicts, across a pause.

Once gathered, the families are plain data: writing them out in Prometheus' text format, the
larger part of the work, happens in a worker thread.
"""

from __future__ import annotations

PAUSE = object()  # yielded by collect(): a chance for the event loop to serve others
ROWS_PER_PAUSE = 500


def paced(rows):
    """``rows``, with a ``PAUSE`` after every ``ROWS_PER_PAUSE`` of them (the caller yields PAUSE on)."""
    for count, row in enumerate(rows, 1):
        yield row
        if count % ROWS_PER_PAUSE == 0:
            yield PAUSE
