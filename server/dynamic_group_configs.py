"""Per-group configs (the GROUP config resource): kept across restarts, and read by the coordinators.

``broker.group_configs`` is the one place a group's settings come from. The coordinators ask it
``effective(group_id)``: a frozen ``GroupSettings`` holding every per-group config's value for that
group, its own value where it has one (clamped into the broker's current bounds), else the
broker's setting (``group.consumer.session.timeout.ms`` for ``consumer.session.timeout.ms``),
else Kafka's default. It is cheap (a dict look-up) and may be asked at every heartbeat; the
consumer group coordinator does, for the session timeout and heartbeat interval it gives members,
and the share group parts read the ``share_*`` fields the same way.

What a group sets is changed by IncrementalAlterConfigs/AlterConfigs (``handlers.config_changes``:
under ``lock``, ``current``, then ``check``, then ``replace``) and kept by the store: alone, a broker keeps every
group's configs in one small JSON file in its metadata directory, replaced atomically at each
change (``FileGroupConfigStore``), so a kill -9 loses nothing acknowledged; in a cluster they are
ZooKeeper's ``/config/groups/<group>``, where every broker hears of changes
(``cluster.group_configs.ZkGroupConfigStore``, which calls ``reloaded``). A group keeps its configs
when it is deleted or empty, as in Kafka; one whose configs are all removed is no longer listed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import trio

from odradek.storage.errors import InvalidConfigError
from odradek.storage.log_dirs import LogDir

from .entity_config_file import FileEntityConfigStore
from .group_config_defs import check_group_configs, effective_values
from .startup_error import ConfigError

GROUP_CONFIGS_FILE = "odradek-group-configs.json"


@dataclass(frozen=True)
class GroupSettings:
    """One group's effective settings: one field per Kafka group config, named after it (dots
    become underscores: ``share.record.lock.duration.ms`` is ``share_record_lock_duration_ms``)."""

    consumer_session_timeout_ms: int
    consumer_heartbeat_interval_ms: int
    consumer_assignment_interval_ms: int
    share_session_timeout_ms: int
    share_heartbeat_interval_ms: int
    share_record_lock_duration_ms: int
    share_delivery_count_limit: int
    share_partition_max_record_locks: int
    share_auto_offset_reset: str  # "earliest", "latest" or "by_duration:<ISO-8601 duration>"
    share_isolation_level: str  # "read_uncommitted" or "read_committed"
    share_renew_acknowledge_enable: bool
    share_assignment_interval_ms: int
    streams_session_timeout_ms: int
    streams_heartbeat_interval_ms: int
    streams_num_standby_replicas: int
    streams_initial_rebalance_delay_ms: int
    streams_assignment_interval_ms: int

    @classmethod
    def of(cls, group_id: str, configs: Mapping[str, str], broker_props: Mapping[str, str]) -> "GroupSettings":
        """The settings of a group that sets ``configs``, on a broker with ``broker_props``."""
        values = effective_values(group_id, configs, broker_props)
        return cls(**{name.replace(".", "_"): value for name, value in values.items()})


class FileGroupConfigStore(FileEntityConfigStore):
    """Every group's configs in ``odradek-group-configs.json`` in the metadata directory (a single
    broker's), rewritten whole and atomically at each change: group configs are few and small."""

    def __init__(self, metadata_dir: LogDir) -> None:
        super().__init__(metadata_dir, GROUP_CONFIGS_FILE, "groups", "group configs")


class DynamicGroupConfigs:
    def __init__(self, store, broker_props: Mapping[str, str]) -> None:
        self.store = store
        self._broker_props = dict(broker_props)
        self._configs: dict[str, dict[str, str]] = {}  # group -> what it sets (none: not listed)
        self._settings: dict[str, GroupSettings] = {}
        try:
            self._defaults = GroupSettings.of("", {}, self._broker_props)
        except InvalidConfigError as exc:  # a broker setting no group could have: Kafka does not start either
            raise ConfigError(str(exc)) from None
        self.lock = trio.Lock()  # one change at a time: each reads what the one before kept

    # -- what the coordinators read ------------------------------------------------------------

    def effective(self, group_id: str) -> GroupSettings:
        """The group's settings: its own values, else the broker's."""
        return self._settings.get(group_id, self._defaults)

    def group_ids(self) -> list[str]:
        """The groups that set configs of their own (ListConfigResources)."""
        return sorted(self._configs)

    # -- life cycle ----------------------------------------------------------------------------

    def load(self) -> None:
        """Read every group's configs kept (blocking; at start-up, once the data directory is locked)."""
        self._configs = {group: configs for group, configs in self.store.load().items() if configs}
        self._settings = {group: GroupSettings.of(group, configs, self._broker_props)
                          for group, configs in self._configs.items()}

    def reconfigure(self, broker_props: Mapping[str, str]) -> None:
        """The broker's effective properties changed (start-up, a dynamic broker config)."""
        self._broker_props = dict(broker_props)
        self._defaults = GroupSettings.of("", {}, self._broker_props)
        self._settings = {group: GroupSettings.of(group, configs, self._broker_props)
                          for group, configs in self._configs.items()}

    # -- changes -------------------------------------------------------------------------------

    async def current(self, group_id: str) -> dict[str, str]:
        """What the group sets, as kept (in a cluster, as ZooKeeper holds it now)."""
        return await self.store.read(group_id)

    def check(self, configs: Mapping[str, str]) -> None:
        """Raise group_config_defs.GroupConfigError unless ``configs`` may become a group's set."""
        check_group_configs(configs, self._broker_props)

    async def replace(self, group_id: str, configs: Mapping[str, str]) -> None:
        """Make ``configs`` (checked) the group's whole set and keep it; the store's error (a
        StorageError) if it could not, nothing changed then."""
        await self.store.save(group_id, configs)
        self.reloaded(group_id, configs)

    def reloaded(self, group_id: str, configs: Mapping[str, str]) -> None:
        """The group's configs are now ``configs`` (changed here, or on another broker)."""
        if configs:
            self._configs[group_id] = dict(configs)
            self._settings[group_id] = GroupSettings.of(group_id, configs, self._broker_props)
        else:
            self._configs.pop(group_id, None)
            self._settings.pop(group_id, None)
