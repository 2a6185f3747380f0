"""odradek as three ``odradek serve`` processes and one ZooKeeper, as ``odradek cluster`` runs them.

The parts are the developer command's own (``odradek.tools.zookeeper_server`` for ZooKeeper
3.9.5's server, its jars and zoo.cfg; ``odradek.tools.cluster_broker`` for each broker's
server.properties: ``broker.id``, ``zookeeper.connect``, a listener, the internal topics'
replication factor of 3), started here one process at a time so that a broker can be killed and
started again alone. Overrides are broker properties for every broker; everything else is
odradek's default, which is Kafka's, among them ``zookeeper.session.timeout.ms=18000``, the time
the controller takes to learn that a killed broker is gone.
"""

from __future__ import annotations

from pathlib import Path

from odradek.tools import zookeeper_server
from odradek.tools.cluster_broker import ClusterBroker

from ..probes import Probe
from .cluster import RunningCluster
from .odradek import START_TIMEOUT, byte_compile
from .process import BrokerProcess, free_port
from .readiness import wait_for_service

SIZE = 3
ZOOKEEPER_START_TIMEOUT = 60.0


class ZooKeeper(BrokerProcess):
    """ZooKeeper's server, spawned and stopped as a broker is; it is ready when it answers ``ruok``."""

    def __init__(self, home: Path):
        port = free_port()
        config = zookeeper_server.write_config(home, port)
        command = zookeeper_server.command(zookeeper_server.find_java(), zookeeper_server.jars(), config)
        super().__init__("zookeeper", command, port, home / "zookeeper.log", ZOOKEEPER_START_TIMEOUT)

    @property
    def connect(self) -> str:
        return f"127.0.0.1:{self.port}"

    def _wait_for_service(self, timeout: float) -> None:
        wait_for_service(lambda: zookeeper_server.is_serving(self.port), timeout, self._process.poll)


def start(data_dir: Path, overrides: dict[str, object]) -> RunningCluster:
    byte_compile()
    zookeeper = ZooKeeper(data_dir / "zookeeper")
    nodes = {}
    try:
        for i in range(1, SIZE + 1):
            broker = ClusterBroker(i, free_port(), data_dir / f"broker-{i}", None)
            broker.write_properties(zookeeper.connect, SIZE, {key: str(value) for key, value in overrides.items()})
            nodes[i] = BrokerProcess("odradek", broker.command(), broker.port, broker.log_file, START_TIMEOUT,
                                     expected_brokers=SIZE, wait=False)
    except BaseException:
        for process in [*nodes.values(), zookeeper]:
            process.kill()
        raise
    return RunningCluster("odradek", nodes, metadata_controller, helpers=[zookeeper]).wait_until_ready()


def metadata_controller(bootstrap: str) -> int:
    """The controller a broker names in Metadata (the one elected through ZooKeeper's /controller)."""
    with Probe(bootstrap) as probe:
        controller = probe.metadata([]).controller_id
    if controller < 0:
        raise RuntimeError("no controller in Metadata")
    return controller

