"""SCRAM credentials in cluster mode: kept in ZooKeeper, as ZooKeeper-era Kafka keeps them.

A user's credentials are configs of the ``users`` entity, ``/config/users/<user>`` (the name
sanitized as Kafka's Sanitizer does), one per mechanism::

    {"version":1,"config":{"SCRAM-SHA-256":"salt=...,stored_key=...,server_key=...,iterations=4096"}}

Whoever changes them (AlterUserScramCredentials on any broker) writes the znode, keeping any other
config the user has (quotas), then announces it under ``/config/changes`` (entity
``users/<user>``); every broker reads the znode again and takes the new credentials, so a user
added through one broker can log in on all of them (``entity_configs`` does the ZooKeeper part).
"""

from __future__ import annotations

import logging

from . import zk_data
from .config_changes import ConfigChanges
from .entity_configs import ZkEntityConfigStore
from .zk_client import ZkClient

log = logging.getLogger("odradek.cluster")

ENTITY_TYPE = "users"


class ZkScramStore(ZkEntityConfigStore[str]):
    def __init__(self, zk: ZkClient, broker, changes: ConfigChanges):
        super().__init__(zk, changes, ENTITY_TYPE, self._applied,
                         znode_name=zk_data.user_entity, key_of=zk_data.user_of)
        self.broker = broker

    def _applied(self, user: str, configs: dict[str, str]) -> None:
        self.broker.scram_credentials.reloaded(user, configs)
        log.info("User %s now has SCRAM credentials for %s", user,
                 ", ".join(sorted(k for k in configs if k.startswith("SCRAM-"))) or "no mechanism")
