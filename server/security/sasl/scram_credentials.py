"""Every user's SCRAM credentials: what SCRAM logins are checked against, and what
Describe/AlterUserScramCredentials read and change.

``broker.scram_credentials`` keeps them in memory (a look-up per login, no I/O) and in a store:
alone, a broker keeps them in one small JSON file in its metadata directory, replaced atomically
at each change (``scram_file.FileScramStore``); in a cluster they are ZooKeeper's ``/config/users/<user>``,
where every broker hears of changes (``cluster.user_scram.ZkScramStore``, which calls
``reloaded``). Either way a user's credentials are held as Kafka writes them: mechanism name ->
``salt=...,stored_key=...,server_key=...,iterations=...`` (``scram_credential``).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

import trio

from .scram_credential import MECHANISM_TYPES, ScramCredential

log = logging.getLogger("odradek.server")


class ScramCredentials:
    def __init__(self, store) -> None:
        self.store = store
        self._users: dict[str, dict[str, ScramCredential]] = {}
        self.lock = trio.Lock()  # one change at a time: each reads what the one before kept

    def get(self, user: str, mechanism: str) -> ScramCredential | None:
        """The credential a SCRAM login as ``user`` is checked against, or None."""
        return self._users.get(user, {}).get(mechanism)

    def users(self) -> dict[str, dict[str, ScramCredential]]:
        """Every user that has a credential, and its credentials by mechanism name."""
        return {user: dict(mechanisms) for user, mechanisms in self._users.items() if mechanisms}

    def load(self) -> None:
        """Read every user's credentials (blocking; at start-up, once the data directory is locked)."""
        self._users = {}
        for user, mechanisms in self.store.load().items():
            self.reloaded(user, mechanisms)

    async def current(self, user: str) -> dict[str, str]:
        """The user's credentials as kept (in a cluster, as ZooKeeper holds them now), as text."""
        return await self.store.read(user)

    async def replace(self, user: str, mechanisms: Mapping[str, str]) -> None:
        """Make ``mechanisms`` (name -> credential text) the user's credentials, and keep them."""
        await self.store.save(user, mechanisms)
        self.reloaded(user, mechanisms)

    def reloaded(self, user: str, configs: Mapping[str, str]) -> None:
        """The user's credentials are now those in ``configs`` (changed here, or on another broker);
        a config that is not a SCRAM credential (a quota in ZooKeeper) is not one of them."""
        credentials = {}
        for mechanism in MECHANISM_TYPES:
            if mechanism in configs:
                try:
                    credentials[mechanism] = ScramCredential.from_string(configs[mechanism])
                except ValueError:
                    log.warning("Ignoring the %s credential of user %s: it is not valid", mechanism, user)
        if credentials:
            self._users[user] = credentials
        else:
            self._users.pop(user, None)
