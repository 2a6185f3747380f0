"""The broker: storage, configuration and listeners, run under one trio nursery.

Start-up recovers the logs in a worker thread (it may read a lot of disk), then opens the
listeners; shutdown (cancellation, e.g. on SIGTERM) stops accepting, then flushes and closes
every log before returning.
"""

from __future__ import annotations

import gc
import logging
from functools import partial

import trio

from odradek.storage.log_manager import LogManager

from .append_notifier import AppendNotifier
from .broker_config import BrokerConfig
from .cluster_identity import load_or_create_cluster_id
from .dynamic_broker_configs import DynamicBrokerConfigs
from .group_flush import GroupFlusher
from .groups.group_coordinator import GroupCoordinator
from .connection import serve_connection
from .listeners import Listener
from .log_maintenance import LogMaintenance
from .producer_ids import ProducerIdAllocator
from .transactions.coordinator import TransactionCoordinator

log = logging.getLogger("odradek.server")


class Broker:
    def __init__(self, config: BrokerConfig):
        self.config = config
        self.dynamic_configs = DynamicBrokerConfigs(config.data_dir, config.props)
        self.dynamic_configs.load()
        self.logs = LogManager(config.data_dir, self.dynamic_configs.effective())
        self.appends = AppendNotifier()
        self.flusher = GroupFlusher()  # fsyncs a flush policy asks of Produce, shared
        self.producer_ids = ProducerIdAllocator(config.data_dir)
        self.groups = GroupCoordinator(self)
        self.transactions = TransactionCoordinator(self)
        self.maintenance = LogMaintenance(self)
        self.cluster_id = ""
        self.advertised = config.advertised  # the bound port replaces port 0 once listening

    async def serve(self, *, task_status=trio.TASK_STATUS_IGNORED) -> None:
        """Run until cancelled; ``task_status.started`` receives the bound (host, port) pairs."""
        self.cluster_id = load_or_create_cluster_id(self.config.data_dir, self.config.node_id)
        self.producer_ids.load()
        await trio.to_thread.run_sync(self.logs.startup)
        self.groups.adopt(await trio.to_thread.run_sync(self.groups.load))
        # after the groups: finishing a decided transaction may settle their pending offsets
        self.transactions.adopt(await trio.to_thread.run_sync(self.transactions.load))
        # What was loaded lives as long as the broker: keep the collector's full passes (which
        # every burst of allocations can trigger) from rescanning thousands of partitions' state.
        gc.freeze()
        try:
            listeners = await _open_listeners(self.config.listener.host, self.config.listener.port)
            addresses = [listener.socket.getsockname()[:2] for listener in listeners]
            self.advertised = _with_bound_port(self.config.advertised, addresses[0][1])
            async with trio.open_nursery() as nursery:
                nursery.start_soon(self.groups.run)
                nursery.start_soon(self.transactions.run)
                nursery.start_soon(self.maintenance.run)
                nursery.start_soon(partial(trio.serve_listeners, partial(serve_connection, self), listeners))
                task_status.started(addresses)
        finally:
            with trio.CancelScope(shield=True):
                await trio.to_thread.run_sync(self.logs.close)
            log.info("odradek stopped: logs flushed and closed")


def _with_bound_port(advertised: Listener, bound_port: int) -> Listener:
    if advertised.port != 0:
        return advertised
    return Listener(advertised.name, advertised.host, bound_port)


async def _open_listeners(host: str, port: int) -> list[trio.SocketListener]:
    """Bind every address of ``host`` (all interfaces, IPv4 and IPv6, when it is empty).

    With port 0 the first socket picks a free port and the others bind that same port, so the
    broker is reachable at one advertised port on every address.
    """
    bind_host = host or None
    if port != 0:
        return await trio.open_tcp_listeners(port, host=bind_host)
    first = (await trio.open_tcp_listeners(0, host=bind_host))
    chosen = first[0].socket.getsockname()[1]
    for extra in first[1:]:
        await extra.aclose()
    if len(first) == 1:
        return first
    await first[0].aclose()
    return await trio.open_tcp_listeners(chosen, host=bind_host)
