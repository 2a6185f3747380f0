"""Paged tables: the console shows at most ``size`` rows of anything, so a page of 10K partitions
or groups costs what a page of 50 does (rows past the page are never built)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

PAGE_SIZE = 50


@dataclass(frozen=True)
class Page:
    number: int  # 1-based
    size: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def start(self) -> int:
        return (self.number - 1) * self.size

    @property
    def stop(self) -> int:
        return min(self.start + self.size, self.total)

    def of(self, items: Sequence):
        return items[self.start:self.stop]


def page_of(query_value: str | None, total: int, size: int = PAGE_SIZE) -> Page:
    """The page a ``?page=`` asks for, clamped into range (a bad value is the first page)."""
    try:
        number = int(query_value or 1)
    except ValueError:
        number = 1
    page = Page(1, size, total)
    return Page(min(max(number, 1), page.pages), size, total)
