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


def table(rows: list[list[object]], headers: list[str]) -> str:
    """Columns padded to their widest cell, as kafka-consumer-groups.sh prints them."""
    cells = [headers] + [[str(cell) for cell in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    return "\n".join(" ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in cells)
