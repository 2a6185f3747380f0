"""Start a broker under test by name: each module knows how one broker is launched and configured."""

from __future__ import annotations

from pathlib import Path

from . import kafka, odradek, tansu
from .process import BrokerProcess

LAUNCHERS = {"odradek": odradek.start, "kafka": kafka.start, "tansu": tansu.start}


def start_broker(name: str, data_dir: Path, overrides: dict[str, object]) -> BrokerProcess:
    """A broker answering Metadata on a free loopback port, its data and log under ``data_dir``."""
    if name not in LAUNCHERS:
        raise ValueError(f"unknown broker {name!r}: one of {', '.join(LAUNCHERS)}")
    return LAUNCHERS[name](Path(data_dir), overrides)
