"""What the share data path needs to know about share groups, from whoever keeps them.

``ShareGroupView`` is the whole interface: each group's settings (``share.*`` group configs over
the broker's ``group.share.*`` defaults). ``server/broker.py`` wires an implementation; until
per-group configs exist (the GROUP config resource), ``BrokerShareGroupView`` answers the broker
defaults for every group, and a group-config store replaces it by providing the same method.

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
        """The group's share settings (its group configs, else the broker's defaults)."""
        ...


class BrokerShareGroupView:
    """Every group with the broker's ``group.share.*`` defaults (no per-group configs)."""

    def __init__(self, defaults: ShareSettings):
        self.defaults = defaults

    def settings(self, group_id: str) -> ShareSettings:
        return self.defaults
