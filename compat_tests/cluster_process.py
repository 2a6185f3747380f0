"""A real cluster for the tests: one ZooKeeper server and several ``odradek serve`` processes.

Each broker has its own data directory and port (kept across restarts), all point at the same
ZooKeeper, and the tests drive them as an operator would: kill -9, SIGSTOP/SIGCONT, SIGTERM and
start again. Waits are bounded and poll the cluster's own answers (Metadata), never sleep blindly.
"""

from __future__ import annotations

import signal
import time
from pathlib import Path

from odradek.tools.client import Client

from .broker_process import BrokerProcess
from .link_proxy import LinkProxy
from .zookeeper_process import ZooKeeperProcess, free_port

SETTLE_TIMEOUT = 30.0
#: Short timeouts, so failures are noticed in seconds rather than Kafka's production defaults.
FAST_FAILURE = {
    "zookeeper.session.timeout.ms": 4000,
    "replica.lag.time.max.ms": 4000,
    "controlled.shutdown.retry.backoff.ms": 200,
    "replica.fetch.backoff.ms": 200,
    "group.initial.rebalance.delay.ms": 0,
    "offsets.topic.num.partitions": 6,
    "transaction.state.log.num.partitions": 6,
}


class Cluster:
    def __init__(self, root: Path, size: int = 3, overrides: dict | None = None,
                 racks: dict[int, str] | None = None, zookeeper: ZooKeeperProcess | None = None,
                 links: bool = False, broker_overrides: dict[int, dict] | None = None):
        """``broker_overrides``: properties of one broker (by id) on top of ``overrides``."""
        self.root = Path(root)
        self.zookeeper = zookeeper or ZooKeeperProcess(self.root / "zookeeper")
        self._own_zookeeper = zookeeper is None
        self.overrides = {**FAST_FAILURE, **(overrides or {})}
        self.racks = racks or {}
        self.broker_overrides = broker_overrides or {}
        self.brokers: dict[int, BrokerProcess] = {}
        self.size = size
        # With ``links``, each broker reaches ZooKeeper, and the other brokers reach it, through
        # links the test can cut (``isolate``); its clients still reach it directly.
        self.links = links
        self._links: dict[int, list[LinkProxy]] = {}

    def start(self) -> "Cluster":
        if self._own_zookeeper:
            self.zookeeper.start()
        for broker_id in range(1, self.size + 1):
            overrides = {**self.overrides, "zookeeper.connect": self.zookeeper.connect, "broker.id": broker_id}
            if broker_id in self.racks:
                overrides["broker.rack"] = self.racks[broker_id]
            if self.links:
                overrides.update(self._linked(broker_id))
            overrides.update(self.broker_overrides.get(broker_id, {}))
            self.brokers[broker_id] = BrokerProcess(self.root / f"broker-{broker_id}", overrides)
        for broker in self.brokers.values():
            broker.start()
        self.wait_for_brokers(set(self.brokers))
        return self

    def stop(self) -> None:
        for broker in self.brokers.values():
            broker.kill() if broker.paused else broker.stop()
        for links in self._links.values():
            for link in links:
                link.close()
        if self._own_zookeeper:
            self.zookeeper.stop()

    def _linked(self, broker_id: int) -> dict:
        internal_port = free_port()
        zookeeper_link = LinkProxy(("127.0.0.1", self.zookeeper.port))
        internal_link = LinkProxy(("127.0.0.1", internal_port))
        self._links[broker_id] = [zookeeper_link, internal_link]
        return {
            "zookeeper.connect": zookeeper_link.address,
            "listeners": f"PLAINTEXT://127.0.0.1:0,INTERNAL://127.0.0.1:{internal_port}",
            "advertised.listeners": f"INTERNAL://{internal_link.address}",
            "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,INTERNAL:PLAINTEXT",
            "inter.broker.listener.name": "INTERNAL",
        }

    def isolate(self, broker_id: int) -> None:
        """Cut the broker off from ZooKeeper and from the other brokers (its clients still reach it)."""
        for link in self._links[broker_id]:
            link.cut()

    def reconnect(self, broker_id: int) -> None:
        for link in self._links[broker_id]:
            link.heal()

    @property
    def bootstrap(self) -> str:
        return ",".join(b.bootstrap for b in self.brokers.values() if b.running)

    def client(self) -> Client:
        return Client(self.bootstrap, timeout=10.0)

    def metadata(self, topics=None):
        with self.client() as client:
            return client.metadata(topics)

    def controller(self) -> int:
        return self.metadata([]).controller_id

    def wait_for_brokers(self, expected: set[int], timeout: float = SETTLE_TIMEOUT) -> None:
        """Until every running broker's Metadata lists exactly ``expected`` and one controller."""
        def settled():
            for broker in self.brokers.values():
                if not broker.running or broker.paused:
                    continue
                with Client(broker.bootstrap, timeout=5.0) as client:
                    metadata = client.metadata([])
                if set(metadata.brokers) != expected or metadata.controller_id not in expected:
                    return False
            return True

        wait_until(settled, timeout, f"brokers {sorted(expected)} in every broker's metadata")

    def wait_for_leaders(self, topic: str, partitions: int, isr_size: int | None = None,
                         timeout: float = SETTLE_TIMEOUT) -> dict:
        """Until every partition of ``topic`` has a live leader (and an ISR of ``isr_size``)."""
        def ready():
            info = self.metadata([topic]).topics.get(topic)
            if info is None or info.error_code or len(info.partitions) != partitions:
                return None
            live = {i for i, b in self.brokers.items() if b.running and not b.paused}
            for p in info.partitions.values():
                if p.leader not in live or (isr_size is not None and len(p.isr) != isr_size):
                    return None
            return info.partitions

        return wait_until(ready, timeout, f"leaders for {partitions} partition(s) of {topic}")

    def kill(self, broker_id: int) -> None:
        self.brokers[broker_id].kill()

    def restart(self, broker_id: int, crash: bool = False) -> None:
        self.brokers[broker_id].restart(crash=crash)

    def pause(self, broker_id: int) -> None:
        self.brokers[broker_id].signal(signal.SIGSTOP)

    def resume(self, broker_id: int) -> None:
        self.brokers[broker_id].signal(signal.SIGCONT)


def wait_until(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    last_error = None
    while time.monotonic() < deadline:
        try:
            found = predicate()
        except (OSError, ConnectionError, TimeoutError) as exc:
            found, last_error = None, exc
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}" + (f" (last error: {last_error})"
                                                                             if last_error else ""))
