"""The settings of cluster mode, by Kafka's ZooKeeper-era names and with Kafka's defaults.

Cluster mode is on when ``zookeeper.connect`` is set; without it the broker runs alone, reads none
of these, and imports none of the cluster code.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..startup_error import ConfigError

if TYPE_CHECKING:  # the broker imports this module alone too, where no security is configured
    from ..security.inter_broker import InterBrokerSecurity


@dataclass(frozen=True)
class ClusterConfig:
    zookeeper_connect: str  # host:port[,host:port...][/chroot]
    session_timeout_ms: int
    connection_timeout_ms: int
    broker_id: int
    rack: str | None
    replica_lag_time_max_ms: int
    replica_fetch_max_bytes: int
    replica_fetch_response_max_bytes: int
    replica_fetch_wait_max_ms: int
    replica_fetch_min_bytes: int
    replica_fetch_backoff_ms: int
    replica_socket_timeout_ms: int
    high_watermark_checkpoint_interval_ms: int
    unclean_leader_election: bool
    auto_leader_rebalance: bool
    leader_imbalance_check_interval_s: int
    leader_imbalance_per_broker_percentage: int
    controlled_shutdown: bool
    controlled_shutdown_max_retries: int
    controlled_shutdown_retry_backoff_ms: int
    controller_socket_timeout_ms: int
    delete_topic_enable: bool
    rack_aware_reads: bool  # replica.selector.class is Kafka's RackAwareReplicaSelector (KIP-392)
    inter_broker_security: InterBrokerSecurity | None = None  # TLS and SASL towards other brokers

    @classmethod
    def from_props(cls, props: Mapping[str, str], broker_id: int) -> "ClusterConfig | None":
        """None when ``zookeeper.connect`` is not set (single-node mode)."""
        connect = props.get("zookeeper.connect", "").strip()
        if not connect:
            return None
        _check_connect(connect)
        if broker_id < 0:
            raise ConfigError("broker.id: a cluster member needs its own broker.id (or node.id) of 0 or more")

        def number(name: str, default: int) -> int:
            return int(props.get(name, default))

        def flag(name: str, default: bool) -> bool:
            value = props.get(name)
            return default if value is None else value.strip().lower() == "true"

        session_timeout = number("zookeeper.session.timeout.ms", 18000)
        return cls(
            zookeeper_connect=connect,
            session_timeout_ms=session_timeout,
            connection_timeout_ms=number("zookeeper.connection.timeout.ms", session_timeout),
            broker_id=broker_id,
            rack=props.get("broker.rack") or None,
            replica_lag_time_max_ms=number("replica.lag.time.max.ms", 30000),
            replica_fetch_max_bytes=number("replica.fetch.max.bytes", 1048576),
            replica_fetch_response_max_bytes=number("replica.fetch.response.max.bytes", 10485760),
            replica_fetch_wait_max_ms=number("replica.fetch.wait.max.ms", 500),
            replica_fetch_min_bytes=number("replica.fetch.min.bytes", 1),
            replica_fetch_backoff_ms=number("replica.fetch.backoff.ms", 1000),
            replica_socket_timeout_ms=number("replica.socket.timeout.ms", 30000),
            high_watermark_checkpoint_interval_ms=number("replica.high.watermark.checkpoint.interval.ms", 5000),
            unclean_leader_election=flag("unclean.leader.election.enable", False),
            auto_leader_rebalance=flag("auto.leader.rebalance.enable", True),
            leader_imbalance_check_interval_s=number("leader.imbalance.check.interval.seconds", 300),
            leader_imbalance_per_broker_percentage=number("leader.imbalance.per.broker.percentage", 10),
            controlled_shutdown=flag("controlled.shutdown.enable", True),
            controlled_shutdown_max_retries=number("controlled.shutdown.max.retries", 3),
            controlled_shutdown_retry_backoff_ms=number("controlled.shutdown.retry.backoff.ms", 5000),
            controller_socket_timeout_ms=number("controller.socket.timeout.ms", 30000),
            delete_topic_enable=flag("delete.topic.enable", True),
            rack_aware_reads=_replica_selector(props.get("replica.selector.class")),
        )


RACK_AWARE_SELECTOR = "org.apache.kafka.common.replica.RackAwareReplicaSelector"
LEADER_SELECTOR = "org.apache.kafka.common.replica.LeaderSelector"


def _replica_selector(name: str | None) -> bool:
    """Kafka's two replica selectors (KIP-392) by their class names; any other class cannot be
    loaded into a Python broker, and is refused rather than ignored."""
    name = (name or "").strip()
    if name in ("", LEADER_SELECTOR):
        return False
    if name == RACK_AWARE_SELECTOR:
        return True
    raise ConfigError(f"replica.selector.class: {name} is not available; odradek has {LEADER_SELECTOR} "
                      f"(the default) and {RACK_AWARE_SELECTOR}")


def _check_connect(connect: str) -> None:
    servers, slash, chroot = connect.partition("/")
    for server in servers.split(","):
        host, colon, port = server.strip().rpartition(":")
        if not server.strip() or (colon and not port.isdigit()):
            raise ConfigError(f"zookeeper.connect: {server.strip()!r} in {connect!r} is not host:port")
    if slash and (chroot.endswith("/") or "//" in chroot):
        raise ConfigError(f"zookeeper.connect: the chroot /{chroot} must not end with '/' or contain '//'")
