"""A cluster the suite spawned: several broker processes, and what coordinates them, as one.

It offers what a single broker offers the workloads (``bootstrap``, ``startup_seconds``,
``stop``), summed over its processes where that means something (CPU time, RSS), plus what a
fault needs: the nodes by id, ``kill`` one with SIGKILL, ``restart`` it on its data, and which node
is the controller now (each broker answers that its own way, so the launcher says how).

A cluster is thrown away after its round, data and all, so ``stop`` kills every process at once:
a graceful stop would only add each broker's controlled shutdown to the round's wall time.
"""

from __future__ import annotations

import time
from typing import Callable

from ..probes import Probe
from .process import BrokerProcess


class RunningCluster:
    def __init__(self, name: str, nodes: dict[int, BrokerProcess], find_controller: Callable[[str], int],
                 helpers: list[BrokerProcess] = ()):
        self.name = name
        self.nodes = nodes
        self.helpers = list(helpers)   # e.g. odradek's ZooKeeper: counted in CPU and RSS, never killed alone
        self._find_controller = find_controller
        self._started = time.monotonic()

    def wait_until_ready(self) -> "RunningCluster":
        """Every node up and listing all the others; on failure every process is stopped."""
        try:
            for node in self.nodes.values():
                node.wait_until_ready()
        except BaseException:
            self.stop()
            raise
        self.startup_seconds = time.monotonic() - self._started
        return self

    @property
    def bootstrap(self) -> str:
        """Every running node's address, as a client's ``bootstrap.servers``."""
        return ",".join(node.bootstrap for node in self.nodes.values() if node.running)

    @property
    def pids(self) -> list[int]:
        return [process.pid for process in self._processes() if process.running]

    def cpu_seconds(self) -> float:
        """CPU time so far of every running process of the cluster, brokers and helpers."""
        return sum(process.cpu_seconds() for process in self._processes() if process.running)

    def rss_bytes(self) -> int:
        return sum(process.rss_bytes() for process in self._processes() if process.running)

    def controller(self) -> int:
        """The node id of the active controller, as the broker itself reports it."""
        return self._find_controller(self.bootstrap)

    def leader(self, topic: str, partition: int = 0) -> int:
        """The partition's leader in Metadata from one running node (-1 while there is none)."""
        with Probe(self.bootstrap) as probe:
            found = probe.metadata([topic]).topics[0]
        return next((p.leader_id for p in found.partitions if p.partition_index == partition), -1)

    def kill(self, node_id: int) -> None:
        self.nodes[node_id].kill()

    def restart(self, node_id: int) -> None:
        """Start a killed node again on its data, and wait until it lists the whole cluster."""
        self.nodes[node_id].restart()

    def stop(self) -> None:
        for process in self._processes():
            process.kill()

    def _processes(self) -> list[BrokerProcess]:
        return [*self.nodes.values(), *self.helpers]
