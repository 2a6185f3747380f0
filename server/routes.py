"""Which APIs this broker serves, at which versions, and the handler for each.

Each handler module (``server/handlers/<name>.py``, named as its schema in ``wire/apis``) names
its ``API_KEY`` and defines ``async handle(ctx, request)``. The version range is the wire
schema's; an API may advertise a wider range than it accepts (``ADVERTISED_MIN_VERSIONS``), as
Kafka 4 does for Produce (KAFKA-18659).

A handler module is imported on its API's first request, not as the broker starts: most brokers
never see a share-group, ACL or SCRAM request, and importing every handler (and what they
import) was a tenth of ``odradek serve``'s start-up. The route then calls the handler directly.

The APIs brokers use among themselves (LeaderAndIsr, UpdateMetadata, AlterPartition,
WriteTxnMarkers, ...) are served, and advertised, only in cluster mode: ``CLUSTER_ROUTES`` is
``ROUTES`` plus those, less the few ``SINGLE_NODE_MODULES``, with the ``CONTROLLER_MODULES``
forwarded to the controller by any other broker (``cluster_only.to_controller``).
"""

from __future__ import annotations

from importlib import import_module
from typing import Awaitable, Callable

from odradek.wire import ApiKey

from .cluster_only import cluster_action_only, to_controller

Handler = Callable[..., Awaitable[object]]

#: The handler modules every broker serves, by name (``server/handlers/<name>.py``).
HANDLER_MODULES: tuple[str, ...] = (
    "produce",
    "fetch",
    "list_offsets",
    "metadata",
    "offset_commit",
    "offset_fetch",
    "find_coordinator",
    "join_group",
    "heartbeat",
    "leave_group",
    "sync_group",
    "describe_groups",
    "list_groups",
    "sasl_handshake",
    "api_versions",
    "create_topics",
    "delete_topics",
    "init_producer_id",
    "delete_records",
    "offset_for_leader_epoch",
    "describe_configs",
    "alter_configs",
    "incremental_alter_configs",
    "create_partitions",
    "delete_groups",
    "elect_leaders",
    "offset_delete",
    "add_partitions_to_txn",
    "add_offsets_to_txn",
    "end_txn",
    "txn_offset_commit",
    "alter_replica_log_dirs",
    "describe_log_dirs",
    "sasl_authenticate",
    "alter_partition_reassignments",
    "list_partition_reassignments",
    "describe_cluster",
    "describe_producers",
    "describe_transactions",
    "list_transactions",
    "describe_client_quotas",
    "alter_client_quotas",
    "describe_user_scram_credentials",
    "alter_user_scram_credentials",
    "consumer_group_heartbeat",
    "consumer_group_describe",
    "list_config_resources",
    "describe_topic_partitions",
    "share_group_heartbeat",
    "share_group_describe",
    "streams_group_heartbeat",
    "streams_group_describe",
    "describe_share_group_offsets",
    "alter_share_group_offsets",
    "delete_share_group_offsets",
    "share_fetch",
    "share_acknowledge",
    "initialize_share_group_state",
    "read_share_group_state",
    "write_share_group_state",
    "delete_share_group_state",
    "read_share_group_state_summary",
    "describe_acls",
    "create_acls",
    "delete_acls",
)


# Single-node only: none at the moment (every API a single broker serves, a cluster's brokers
# serve too); an API that cannot work in a cluster yet goes here.
SINGLE_NODE_MODULES: tuple[str, ...] = ()

# Served by the controller only: in cluster mode a broker that is not the controller forwards them.
CONTROLLER_MODULES: tuple[str, ...] = ("elect_leaders", "alter_partition_reassignments",
                                       "list_partition_reassignments")

CLUSTER_HANDLER_MODULES: tuple[str, ...] = (
    "leader_and_isr",
    "stop_replica",
    "update_metadata",
    "controlled_shutdown",
    "alter_partition",
    "write_txn_markers",
)


# Brokers' own APIs among the ones every broker serves: they need CLUSTER_ACTION, as the
# CLUSTER_HANDLER_MODULES do (``cluster_only.cluster_action_only``).
CLUSTER_ACTION_MODULES: tuple[str, ...] = (
    "initialize_share_group_state",
    "read_share_group_state",
    "write_share_group_state",
    "delete_share_group_state",
    "read_share_group_state_summary",
)

#: APIs advertised from a lower version than they accept. Kafka 4 advertises Produce v0 but
#: serves v3+ (KAFKA-18659): old librdkafka checks for v0.
ADVERTISED_MIN_VERSIONS: dict[int, int] = {ApiKey.PRODUCE: 0}


def _schema(module: str):
    """The wire schema of a handler module's API (``wire/apis`` has a module of the same name)."""
    return import_module(f"odradek.wire.apis.{module}").API


#: the APIs Kafka answers with ``sendResponseExemptThrottle`` once CLUSTER_ACTION is authorized:
#: no client quota counts or throttles them (``quotas.throttled_routes``)
CLUSTER_ACTION_KEYS = frozenset(_schema(m).key for m in CLUSTER_HANDLER_MODULES + CLUSTER_ACTION_MODULES)


def _handle(module) -> Handler:
    return module.handle


class Route:
    """One API's versions, and its handler: ``handler`` imports the handler module on the first
    request, then is the handler itself, called with no step between."""

    __slots__ = ("api_key", "min_version", "max_version", "advertised_min_version", "handler", "module", "_make")

    def __init__(self, module: str, make: Callable[[object], Handler] = _handle):
        api = _schema(module)
        self.api_key: int = api.key
        self.min_version: int = api.valid_versions.low  # lowest version we accept
        self.max_version: int = api.valid_versions.high
        self.advertised_min_version: int = ADVERTISED_MIN_VERSIONS.get(api.key, self.min_version)
        self.module = module  # the handler module's name
        self._make = make  # handler module -> the route's handler
        self.handler: Handler = self._first_request

    def accepts(self, version: int) -> bool:
        return self.min_version <= version <= self.max_version

    def wrapped(self, wrap: Callable[[Handler], Handler]) -> Route:
        """This route with its handler passed through ``wrap`` (the client quotas' accounting)."""
        make = self._make
        return Route(self.module, lambda module: wrap(make(module)))

    def load(self) -> Handler:
        """The handler, its module imported now if it was not yet."""
        return self._make(import_module(f"odradek.server.handlers.{self.module}"))

    async def _first_request(self, ctx, request):
        self.handler = self.load()
        return await self.handler(ctx, request)


def _to_controller(module) -> Handler:
    return to_controller(module.handle, module.CLUSTER_OPERATION)


def _route(module: str) -> Route:
    return Route(module, cluster_action_only if module in CLUSTER_ACTION_MODULES else _handle)


def _routes(routes) -> dict[int, Route]:
    return {route.api_key: route for route in routes}


ROUTES: dict[int, Route] = _routes(_route(module) for module in HANDLER_MODULES)
CLUSTER_ROUTES: dict[int, Route] = {
    **{key: route for key, route in ROUTES.items() if route.module not in SINGLE_NODE_MODULES},
    **_routes(Route(module, cluster_action_only) for module in CLUSTER_HANDLER_MODULES),
    **_routes(Route(module, _to_controller) for module in CONTROLLER_MODULES),
}
