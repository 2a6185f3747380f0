"""ZooKeeper for trio code: kazoo does the protocol in its own threads, this bridges it.

Every ZooKeeper operation is one of kazoo's ``*_async`` calls; its result is handed back to the
trio thread through the run's ``TrioToken``, so nothing blocks the event loop and no worker thread
waits on the network. Watches and session changes arrive the same way.

Sessions are what ephemeral nodes and watches live in. ``sessions()`` yields one ``Session`` per
ZooKeeper session (the first, and a new one after each expiry); work that depends on a session
(a registration, a controller's tenure, the watches it set) runs inside ``session.scope()``,
which is cancelled when that session is lost, and starts over on the next one. That is how
Kafka's brokers re-register and re-elect after a session expiry, expressed as structured
concurrency.
"""

from __future__ import annotations

import logging
import math
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import trio
from kazoo.client import KazooClient, KazooState
from kazoo.exceptions import (  # noqa: F401 (re-exported: the cluster code catches these)
    BadVersionError,
    ConnectionLoss,
    KazooException,
    NodeExistsError,
    NoNodeError,
    NotEmptyError,
    SessionExpiredError,
    ZookeeperError,
)
from kazoo.protocol.states import ZnodeStat

log = logging.getLogger("odradek.cluster")
#: kazoo tells of every connection attempt and drop; this module says what matters, once, in our
#: words (SUSPENDED, LOST, a session established), so kazoo's own lines show only at DEBUG.
_kazoo_log = logging.getLogger("kazoo")

#: A znode's data and version, or None when it does not exist.
Versioned = tuple[bytes, int]


@dataclass
class Session:
    """One ZooKeeper session: set while it lasts, ``lost`` once it expired or the client closed."""

    session_id: int
    lost: trio.Event = field(default_factory=trio.Event)

    @asynccontextmanager
    async def scope(self) -> AsyncIterator[trio.Nursery]:
        """A nursery cancelled when this session is lost (and not an error: the work simply
        stops, to start again under the next session)."""
        async with trio.open_nursery() as nursery:
            async def cancel_when_lost() -> None:
                await self.lost.wait()
                nursery.cancel_scope.cancel()

            nursery.start_soon(cancel_when_lost)
            yield nursery
            nursery.cancel_scope.cancel()


class ZkClient:
    """An open ZooKeeper connection (``connect`` is Kafka's ``zookeeper.connect``, chroot included)."""

    def __init__(self, connect: str, session_timeout_ms: int, connection_timeout_ms: int):
        self.connect = connect
        self._session_timeout_ms = session_timeout_ms
        self._connection_timeout_ms = connection_timeout_ms
        self._kazoo: KazooClient | None = None
        self._token: trio.lowlevel.TrioToken | None = None
        self._sessions_in, self._sessions_out = trio.open_memory_channel(math.inf)
        self._current: Session | None = None
        self.disconnected_since: float | None = None  # trio clock, while the connection is down

    # --- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        """Connect, or raise ``ConnectionError`` naming the ensemble after the connection timeout."""
        self._token = trio.lowlevel.current_trio_token()
        if not log.isEnabledFor(logging.DEBUG):
            _kazoo_log.setLevel(logging.ERROR)
        self._kazoo = KazooClient(hosts=self.connect, timeout=self._session_timeout_ms / 1000,
                                  connection_retry={"max_tries": -1, "max_delay": 1},
                                  command_retry={"max_tries": 0})
        self._kazoo.add_listener(self._on_state)
        started = self._kazoo.start_async()  # a threading.Event, set once connected
        if await trio.to_thread.run_sync(started.wait, self._connection_timeout_ms / 1000) and self._kazoo.connected:
            self._on_state(KazooState.CONNECTED)  # the listener may have run before we listened
            return
        await self.close()
        raise ConnectionError(f"could not connect to ZooKeeper at {self.connect} within "
                              f"{self._connection_timeout_ms} ms (zookeeper.connection.timeout.ms)")

    async def close(self) -> None:
        kazoo, self._kazoo = self._kazoo, None
        if kazoo is not None:
            await trio.to_thread.run_sync(_stop_and_close, kazoo)
        if self._current is not None:
            self._current.lost.set()

    async def sessions(self) -> AsyncIterator[Session]:
        """Each ZooKeeper session as it begins (the current one first)."""
        async for session in self._sessions_out:
            if not session.lost.is_set():
                yield session

    # --- operations: each raises kazoo's exceptions (NoNodeError, NodeExistsError, ...) ---------

    async def get(self, path: str, watch: Callable[[], None] | None = None) -> Versioned | None:
        """The node's data and version, or None if it does not exist. A ``watch`` fires once, on
        the node's next change or deletion (or its creation, when it does not exist yet)."""
        kazoo_watch = self._watch(watch)
        try:
            data, stat = await self._wait(self._client.get_async(path, watch=kazoo_watch))
        except NoNodeError:
            if watch is not None:
                await self._wait(self._client.exists_async(path, watch=kazoo_watch))
            return None
        return data, stat.version

    async def stat(self, path: str) -> ZnodeStat | None:
        return await self._wait(self._client.exists_async(path))

    async def children(self, path: str, watch: Callable[[], None] | None = None) -> list[str]:
        """The node's children (sorted), or [] if it does not exist; ``watch`` as in ``get``."""
        kazoo_watch = self._watch(watch)
        try:
            return sorted(await self._wait(self._client.get_children_async(path, watch=kazoo_watch)))
        except NoNodeError:
            if watch is not None:
                await self._wait(self._client.exists_async(path, watch=kazoo_watch))
            return []

    async def create(self, path: str, data: bytes = b"", *, ephemeral: bool = False,
                     sequence: bool = False, makepath: bool = False) -> str:
        return await self._wait(self._client.create_async(path, data, ephemeral=ephemeral, sequence=sequence,
                                                          makepath=makepath))

    async def ensure_path(self, path: str) -> None:
        await self._wait(self._client.ensure_path_async(path))

    async def set(self, path: str, data: bytes, version: int = -1) -> int:
        """Write the node if its version is still ``version`` (-1: any); its new version.
        BadVersionError when someone else wrote it first."""
        stat = await self._wait(self._client.set_async(path, data, version))
        return stat.version

    async def delete(self, path: str, version: int = -1, recursive: bool = False) -> None:
        if recursive:
            for child in await self.children(path):
                await self.delete(f"{path}/{child}", recursive=True)
        try:
            await self._wait(self._client.delete_async(path, version))
        except NoNodeError:
            pass

    async def transaction(self, build: Callable[[object], None]) -> list:
        """Several writes that all happen or none do: ``build`` adds them to kazoo's transaction
        (``check``, ``create``, ``set_data``, ``delete``). Raises the first failed operation's
        error, as kazoo reports it in the results."""
        transaction = self._client.transaction()
        build(transaction)
        results = await self._wait(transaction.commit_async())
        for result in results:
            if isinstance(result, Exception) and not _rolled_back(result):
                raise result
        return results

    # --- bridging ----------------------------------------------------------------------------

    @property
    def _client(self) -> KazooClient:
        if self._kazoo is None:
            raise ConnectionLoss("the ZooKeeper client is closed")
        return self._kazoo

    async def _wait(self, async_result):
        """Wait in trio for one of kazoo's async results, without a worker thread."""
        done = trio.Event()
        token = self._token

        def wake(_result) -> None:
            try:
                token.run_sync_soon(done.set)
            except trio.RunFinishedError:
                pass

        async_result.rawlink(wake)
        await done.wait()
        return async_result.get_nowait()

    def _watch(self, callback: Callable[[], None] | None):
        """A kazoo watch (called in kazoo's thread) that runs ``callback`` in the trio thread."""
        if callback is None:
            return None
        token = self._token

        def fire(_event) -> None:
            try:
                token.run_sync_soon(callback)
            except trio.RunFinishedError:
                pass

        return fire

    def _on_state(self, state: str) -> None:
        """kazoo's session listener (its thread): a new session on CONNECTED with a new id, the
        current one lost on LOST (expired) or when closing."""
        kazoo = self._kazoo
        token = self._token
        if kazoo is None or token is None:
            return

        def in_trio() -> None:
            if state == KazooState.SUSPENDED:
                self.disconnected_since = self.disconnected_since or trio.current_time()
            elif state == KazooState.CONNECTED:
                self.disconnected_since = None
            if state == KazooState.LOST and self._current is not None:
                log.warning("ZooKeeper session 0x%x expired", self._current.session_id)
                self._current.lost.set()
                self._current = None
            elif state == KazooState.CONNECTED and kazoo.client_id is not None:
                session_id = kazoo.client_id[0]
                if self._current is None or self._current.session_id != session_id:
                    if self._current is not None:
                        self._current.lost.set()
                    self._current = Session(session_id)
                    log.info("ZooKeeper session 0x%x established with %s", session_id, self.connect)
                    self._sessions_in.send_nowait(self._current)
            elif state == KazooState.SUSPENDED:
                log.warning("ZooKeeper connection to %s lost; retrying while the session lasts", self.connect)

        try:
            token.run_sync_soon(in_trio)
        except trio.RunFinishedError:
            pass


def _rolled_back(result: Exception) -> bool:
    """kazoo reports the operations of a failed transaction that did not fail themselves as
    RolledBackError; only the one that failed is worth raising."""
    from kazoo.exceptions import RolledBackError

    return isinstance(result, RolledBackError)


def _stop_and_close(kazoo: KazooClient) -> None:
    kazoo.stop()
    kazoo.close()
