"""Start a broker under test by name: each module knows how one broker is launched and configured.

The cluster workload starts three-broker clusters instead (``start_cluster``); Tansu runs as a
single node only and has no cluster launcher.
"""

from __future__ import annotations

from pathlib import Path

from . import kafka, kafka_cluster, odradek, odradek_cluster, tansu
from .cluster import RunningCluster
from .process import BrokerProcess

LAUNCHERS = {"odradek": odradek.start, "kafka": kafka.start, "tansu": tansu.start}
CLUSTER_LAUNCHERS = {"odradek": odradek_cluster.start, "kafka": kafka_cluster.start}


def start_broker(name: str, data_dir: Path, overrides: dict[str, object]) -> BrokerProcess:
    """A broker answering Metadata on a free loopback port, its data and log under ``data_dir``."""
    if name not in LAUNCHERS:
        raise ValueError(f"unknown broker {name!r}: one of {', '.join(LAUNCHERS)}")
    return LAUNCHERS[name](Path(data_dir), overrides)


def start_cluster(name: str, data_dir: Path, overrides: dict[str, object]) -> RunningCluster:
    """Three brokers of ``name`` on free loopback ports, each answering Metadata with all three."""
    if name not in CLUSTER_LAUNCHERS:
        raise ValueError(f"no cluster launcher for {name!r}: one of {', '.join(CLUSTER_LAUNCHERS)}")
    return CLUSTER_LAUNCHERS[name](Path(data_dir), overrides)
