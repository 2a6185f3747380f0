"""Which APIs this broker serves, at which versions, and the handler for each.

Each handler module names its ``API_KEY`` and defines ``async handle(ctx, request)``. The version
range is the wire schema's; a module may advertise a wider range than it accepts
(``ADVERTISED_MIN_VERSION``), as Kafka 4 does for Produce (KAFKA-18659).

The APIs brokers use among themselves (LeaderAndIsr, UpdateMetadata, AlterPartition,
WriteTxnMarkers, ...) are served, and advertised, only in cluster mode: ``CLUSTER_ROUTES`` is
``ROUTES`` plus those, less the few ``SINGLE_NODE_MODULES``, with the ``CONTROLLER_MODULES``
forwarded to the controller by any other broker (``cluster_only.to_controller``).
"""

from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType
from typing import Awaitable, Callable

from odradek.wire.apis import API_BY_KEY

from .cluster_only import cluster_action_only, to_controller

from .handlers import (
    add_offsets_to_txn,
    create_acls,
    delete_acls,
    describe_acls,
    add_partitions_to_txn,
    alter_configs,
    alter_share_group_offsets,
    alter_partition,
    alter_partition_reassignments,
    alter_replica_log_dirs,
    controlled_shutdown,
    leader_and_isr,
    stop_replica,
    update_metadata,
    write_txn_markers,
    api_versions,
    consumer_group_describe,
    consumer_group_heartbeat,
    delete_share_group_offsets,
    delete_share_group_state,
    initialize_share_group_state,
    read_share_group_state,
    read_share_group_state_summary,
    sasl_authenticate,
    sasl_handshake,
    share_acknowledge,
    share_fetch,
    write_share_group_state,
    create_partitions,
    create_topics,
    delete_groups,
    delete_records,
    delete_topics,
    alter_client_quotas,
    describe_client_quotas,
    describe_cluster,
    describe_configs,
    describe_groups,
    describe_log_dirs,
    describe_producers,
    describe_share_group_offsets,
    describe_topic_partitions,
    describe_user_scram_credentials,
    alter_user_scram_credentials,
    describe_transactions,
    elect_leaders,
    end_txn,
    fetch,
    find_coordinator,
    heartbeat,
    incremental_alter_configs,
    init_producer_id,
    join_group,
    leave_group,
    list_config_resources,
    list_groups,
    list_offsets,
    list_partition_reassignments,
    list_transactions,
    metadata,
    offset_commit,
    offset_delete,
    offset_fetch,
    offset_for_leader_epoch,
    produce,
    share_group_describe,
    share_group_heartbeat,
    streams_group_describe,
    streams_group_heartbeat,
    sync_group,
    txn_offset_commit,
)

HANDLER_MODULES: tuple[ModuleType, ...] = (
    produce,
    fetch,
    list_offsets,
    metadata,
    offset_commit,
    offset_fetch,
    find_coordinator,
    join_group,
    heartbeat,
    leave_group,
    sync_group,
    describe_groups,
    list_groups,
    sasl_handshake,
    api_versions,
    create_topics,
    delete_topics,
    init_producer_id,
    delete_records,
    offset_for_leader_epoch,
    describe_configs,
    alter_configs,
    incremental_alter_configs,
    create_partitions,
    delete_groups,
    elect_leaders,
    offset_delete,
    add_partitions_to_txn,
    add_offsets_to_txn,
    end_txn,
    txn_offset_commit,
    alter_replica_log_dirs,
    describe_log_dirs,
    sasl_authenticate,
    alter_partition_reassignments,
    list_partition_reassignments,
    describe_cluster,
    describe_producers,
    describe_transactions,
    list_transactions,
    describe_client_quotas,
    alter_client_quotas,
    describe_user_scram_credentials,
    alter_user_scram_credentials,
    consumer_group_heartbeat,
    consumer_group_describe,
    list_config_resources,
    describe_topic_partitions,
    share_group_heartbeat,
    share_group_describe,
    streams_group_heartbeat,
    streams_group_describe,
    describe_share_group_offsets,
    alter_share_group_offsets,
    delete_share_group_offsets,
    share_fetch,
    share_acknowledge,
    initialize_share_group_state,
    read_share_group_state,
    write_share_group_state,
    delete_share_group_state,
    read_share_group_state_summary,
    describe_acls,
    create_acls,
    delete_acls,
)


# Single-node only: none at the moment (every API a single broker serves, a cluster's brokers
# serve too); an API that cannot work in a cluster yet goes here.
SINGLE_NODE_MODULES: tuple[ModuleType, ...] = ()

# Served by the controller only: in cluster mode a broker that is not the controller forwards them.
CONTROLLER_MODULES: tuple[ModuleType, ...] = (elect_leaders, alter_partition_reassignments,
                                              list_partition_reassignments)

CLUSTER_HANDLER_MODULES: tuple[ModuleType, ...] = (
    leader_and_isr,
    stop_replica,
    update_metadata,
    controlled_shutdown,
    alter_partition,
    write_txn_markers,
)


# Brokers' own APIs among the ones every broker serves: they need CLUSTER_ACTION, as the
# CLUSTER_HANDLER_MODULES do (``cluster_only.cluster_action_only``).
CLUSTER_ACTION_MODULES: tuple[ModuleType, ...] = (
    initialize_share_group_state,
    read_share_group_state,
    write_share_group_state,
    delete_share_group_state,
    read_share_group_state_summary,
)

#: the APIs Kafka answers with ``sendResponseExemptThrottle`` once CLUSTER_ACTION is authorized:
#: no client quota counts or throttles them (``quotas.throttled_routes``)
CLUSTER_ACTION_KEYS = frozenset(m.API_KEY for m in CLUSTER_HANDLER_MODULES + CLUSTER_ACTION_MODULES)


@dataclass(frozen=True)
class Route:
    api_key: int
    handler: Callable[..., Awaitable[object]]
    min_version: int  # lowest version we accept
    max_version: int
    advertised_min_version: int  # lowest version ApiVersions reports

    def accepts(self, version: int) -> bool:
        return self.min_version <= version <= self.max_version


def _route(module: ModuleType, handler: Callable[..., Awaitable[object]] | None = None) -> Route:
    api = API_BY_KEY[module.API_KEY]
    if handler is None and module in CLUSTER_ACTION_MODULES:
        handler = cluster_action_only(module)
    return Route(
        api_key=api.key,
        handler=handler or module.handle,
        min_version=api.valid_versions.low,
        max_version=api.valid_versions.high,
        advertised_min_version=getattr(module, "ADVERTISED_MIN_VERSION", api.valid_versions.low),
    )


ROUTES: dict[int, Route] = {module.API_KEY: _route(module) for module in HANDLER_MODULES}
CLUSTER_ROUTES: dict[int, Route] = {
    **{key: route for key, route in ROUTES.items() if key not in {m.API_KEY for m in SINGLE_NODE_MODULES}},
    **{module.API_KEY: _route(module, cluster_action_only(module)) for module in CLUSTER_HANDLER_MODULES},
    **{module.API_KEY: _route(module, to_controller(module.handle, module.CLUSTER_OPERATION)) for module in CONTROLLER_MODULES},
}
