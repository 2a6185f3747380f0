"""What the share data path needs to know about share groups, from whoever keeps them.

``ShareGroupView`` is the whole interface: each group's share settings. ``GroupConfigShareView``
reads them from the group configs (the GROUP config resource, ``broker.group_configs``): a group's
own ``share.*`` values, else the broker's ``group.share.*`` settings, else Kafka's defaults; a
change applies from the next acquisition, acknowledgement or fetch.

Membership is deliberately not asked: Kafka 4.3 serves ShareFetch and ShareAcknowledge for any
well-formed member id (the group coordinator is not consulted), and a share partition exists only
once the group coordinator has initialized its state (InitializeShareGroupState): reading an
uninitialized one fails, so a member id of a group that was never assigned the partition gets
nothing.
"""

from __future__ import annotations

from typing import Protocol

from .share_settings import ShareSettings


class ShareGroupView(Protocol):
    def settings(self, group_id: str) -> ShareSettings:
        """The group's share settings."""
        ...


class GroupConfigShareView:
    def __init__(self, group_configs):
        self._group_configs = group_configs
        self._made: dict[str, tuple[object, ShareSettings]] = {}  # group -> (its GroupSettings, ours)

    def settings(self, group_id: str) -> ShareSettings:
        effective = self._group_configs.effective(group_id)
        made = self._made.get(group_id)
        if made is not None and made[0] is effective:
            return made[1]
        settings = ShareSettings(
            record_lock_duration_ms=effective.share_record_lock_duration_ms,
            delivery_count_limit=effective.share_delivery_count_limit,
            partition_max_record_locks=effective.share_partition_max_record_locks,
            auto_offset_reset=effective.share_auto_offset_reset,
            isolation_level=effective.share_isolation_level,
            renew_acknowledge_enable=effective.share_renew_acknowledge_enable,
        )
        self._made[group_id] = (effective, settings)
        return settings
