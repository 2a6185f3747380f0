"""Flags and helpers every client tool shares, named as in Kafka's own tools."""

from __future__ import annotations

import argparse

from .client import Client


def add_bootstrap(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--bootstrap-server", required=True, metavar="HOST:PORT[,HOST:PORT]",
                        help="brokers to connect to first")
    parser.add_argument("--client-id", default="odradek-tools", help="client ID sent with every request")


def connect(args: argparse.Namespace) -> Client:
    return Client(args.bootstrap_server, client_id=args.client_id)


def key_values(items: list[str] | None, flag: str) -> dict[str, str]:
    """``k=v`` items (each may also hold several, comma-separated, as ``--add-config`` takes) as a dict."""
    found = {}
    for item in items or []:
        for pair in item.split(","):
            key, sep, value = pair.partition("=")
            if not sep or not key.strip():
                raise argparse.ArgumentTypeError(f"{flag} expects key=value, got {pair!r}")
            found[key.strip()] = value.strip()
    return found


class Fit(int):
    """A column as wide as its widest cell, but never narrower than this."""


def columns(headers: list[str], rows: list[list[object]], widths: list[int | None]) -> list[str]:
    """The header and rows as Kafka's tools print them with ``printf``: a width per column
    (``Fit(n)``: the widest *row* cell, at least n; an ``int``: exactly that; ``None``: no padding,
    for the last), columns one space apart, a cell longer than its column pushing the rest along.
    The trailing spaces Kafka leaves are not printed."""
    cells = [[str(cell) for cell in row] for row in rows]
    fitted = [max([width, *(len(row[i]) for row in cells)]) if isinstance(width, Fit) else width
              for i, width in enumerate(widths)]
    return [" ".join(cell if width is None else cell.ljust(width) for cell, width in zip(row, fitted)).rstrip()
            for row in [headers, *cells]]
