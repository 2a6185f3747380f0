"""The web console over plain HTTP (urllib): a page's status and HTML, and posting its forms as a
browser does (url-encoded, redirects not followed, so a test sees the 303 a form answers)."""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request
from html.parser import HTMLParser

from .metrics_scrape import metrics_url

TIMEOUT = 10.0


def console_url(broker) -> str:
    """The console's root, on the port the ready line names for /metrics."""
    return metrics_url(broker).removesuffix("metrics")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def get(url: str) -> tuple[int, str]:
    return _open(urllib.request.Request(url))


def post(url: str, fields: dict[str, str], headers: dict[str, str] | None = None) -> tuple[int, str, str]:
    """(status, body, the Location it redirects to or "")."""
    request = urllib.request.Request(url, data=urllib.parse.urlencode(fields).encode(), method="POST",
                                     headers={"Content-Type": "application/x-www-form-urlencoded", **(headers or {})})
    try:
        with _opener.open(request, timeout=TIMEOUT) as response:
            return response.status, response.read().decode(), response.headers.get("location", "")
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, exc.read().decode(), exc.headers.get("location", "")


def _open(request) -> tuple[int, str]:
    try:
        with _opener.open(request, timeout=TIMEOUT) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, exc.read().decode()


class _Tables(HTMLParser):
    """The body rows of each ``<table id=...>``, as lists of their cells' text."""

    def __init__(self):
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._table: str | None = None
        self._in_body = False
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self._table = dict(attrs).get("id", "")
            self.tables[self._table] = []
        elif tag == "tbody":
            self._in_body = True
        elif tag == "tr" and self._in_body and self._table is not None:
            self.tables[self._table].append([])
        elif tag == "td" and self._in_body:
            self._cell = []

    def handle_endtag(self, tag):
        if tag == "td" and self._cell is not None:
            self.tables[self._table][-1].append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tbody":
            self._in_body = False
        elif tag == "table":
            self._table = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def table(html: str, table_id: str) -> list[list[str]]:
    """The rows of the page's table with this id (cells as text, whitespace collapsed)."""
    parser = _Tables()
    parser.feed(html)
    assert table_id in parser.tables, f"no table #{table_id} in the page:\n{html[:2000]}"
    return parser.tables[table_id]
