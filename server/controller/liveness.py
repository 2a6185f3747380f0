"""Noticing a dead broker before its ZooKeeper session times out.

ZooKeeper only declares a broker dead when its session expires, ``zookeeper.session.timeout.ms``
(18 s by default) after the last sign of life; until then its partitions have no working leader.
A broker whose process has died (kill -9, a crash) shows it much sooner: connections to its
port are refused at once, since nothing listens there any more. A live broker never refuses,
not even while it starts (it binds its ports first) or when the network is slow or cut (those
time out, they are not refused). So the controller tries each live broker's inter-broker
address every ``PROBE_INTERVAL_S``; two refusals in a row mean the process is gone, and the
controller removes that broker's registration from ZooKeeper (the one it saw: same creation
zxid, the broker epoch), which fails it over as its session's end would, seconds earlier.

The controller itself is watched the same way by every other broker (``watch_controller``):
when its port refuses twice in a row, they remove its ``/controller`` node and its registration,
so that a new controller is elected at once.

Should a broker that is alive lose its registration this way all the same, it registers again
at once (``member._keep_registered``), and the controller takes it back like any returning one.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import trio

from ..cluster import zk_data
from ..cluster.zk_client import BadVersionError, NoNodeError

if TYPE_CHECKING:
    from .controller import Controller

log = logging.getLogger("odradek.controller")

PROBE_INTERVAL_S = 0.5
CONNECT_TIMEOUT_S = 1.0
REFUSALS = 2  # in a row, one probe interval apart


async def probe_brokers(controller: "Controller") -> None:
    """Run for the controller's tenure: probe every live broker but this one."""
    refusals: dict[tuple[int, int], int] = {}  # (broker, epoch) -> refusals in a row
    while True:
        await trio.sleep(PROBE_INTERVAL_S)
        context = controller.context
        for broker_id, registration in list(context.live.items()):
            if broker_id == context.broker_id:
                continue
            endpoint = registration.endpoint(controller.listener)
            if endpoint is None:
                continue
            key = (broker_id, registration.epoch)
            if await refuses_connections(endpoint.host, endpoint.port):
                refusals[key] = refusals.get(key, 0) + 1
                if refusals[key] == REFUSALS:
                    controller.queue(lambda b=broker_id, e=registration.epoch, h=endpoint:
                                     _fail(controller, b, e, f"{h.host}:{h.port}"))
            else:
                refusals.pop(key, None)


async def watch_controller(member) -> None:
    """Run on every broker: remove a dead controller's nodes (see the module docstring)."""
    refused = 0
    watched: int | None = None
    while True:
        await trio.sleep(PROBE_INTERVAL_S)
        controller = member.metadata.controller_id
        endpoint = member.metadata.endpoint(controller, member.listener)
        if controller in (-1, member.broker_id) or endpoint is None:
            refused, watched = 0, None
            continue
        if controller != watched:
            refused, watched = 0, controller
        if not await refuses_connections(endpoint.host, endpoint.port):
            refused = 0
            continue
        refused += 1
        if refused == REFUSALS:
            await _remove_controller(member.zk, controller, f"{endpoint.host}:{endpoint.port}")


async def _remove_controller(zk, broker_id: int, address: str) -> None:
    found = await zk.get(zk_data.CONTROLLER)
    if found is None or zk_data.decode_controller(found[0]) != broker_id:
        return
    log.warning("The controller, broker %d, refuses connections at %s: its process is gone; electing a new "
                "one now rather than when its ZooKeeper session times out", broker_id, address)
    stat = await zk.stat(zk_data.broker_path(broker_id))
    try:
        await zk.delete(zk_data.CONTROLLER, version=found[1])
        if stat is not None:
            await zk.delete(zk_data.broker_path(broker_id), version=stat.version)
    except (NoNodeError, BadVersionError):
        pass


async def refuses_connections(host: str, port: int) -> bool:
    """Whether a connection to host:port is refused outright (nothing listens there)."""
    try:
        infos = await trio.socket.getaddrinfo(host, port, type=trio.socket.SOCK_STREAM)
    except OSError:
        return False
    family, socktype, proto, _, address = infos[0]
    sock = trio.socket.socket(family, socktype, proto)
    try:
        with trio.move_on_after(CONNECT_TIMEOUT_S):
            await sock.connect(address)
        return False
    except ConnectionRefusedError:
        return True
    except OSError:
        return False  # unreachable, reset, ...: not proof the process is gone
    finally:
        sock.close()


async def _fail(controller: "Controller", broker_id: int, epoch: int, address: str) -> None:
    """Remove the registration the probes saw refusing (if it is still that one)."""
    path = zk_data.broker_path(broker_id)
    stat = await controller.zk.stat(path)
    if stat is None or stat.czxid != epoch:
        return  # gone already, or registered again since
    log.warning("Broker %d refuses connections at %s: its process is gone; failing it over now rather than "
                "when its ZooKeeper session times out", broker_id, address)
    try:
        await controller.zk.delete(path, version=stat.version)
    except (NoNodeError, BadVersionError):
        pass
