"""What one controller event tells the brokers, gathered and then sent as one request per broker.

An event may change many partitions (a broker's death moves hundreds of leaders); Kafka's
ControllerBrokerRequestBatch sends each broker one LeaderAndIsr naming all of its partitions that
changed, one StopReplica, and every live broker one UpdateMetadata. The requests are built when
the batch is sent, from the context as the event left it.
"""

from __future__ import annotations

import uuid

from odradek.wire import ApiKey

from ..cluster import api_versions
from ..cluster.metadata_cache import LEADER_DURING_DELETE
from .channels import ControllerChannels
from .context import ControllerContext, TopicPartition

NO_TOPIC_ID = uuid.UUID(int=0)


class RequestBatch:
    def __init__(self, context: ControllerContext):
        self.context = context
        self._leader_and_isr: dict[int, dict[TopicPartition, bool]] = {}  # broker -> partition -> is_new
        self._metadata: set[TopicPartition] = set()
        self._full_metadata_to: set[int] = set()
        self._full_roles_to: set[int] = set()  # brokers told all their replicas (LeaderAndIsr type FULL)
        self._stop_replica: dict[int, dict[TopicPartition, bool]] = {}  # broker -> partition -> delete
        self.stop_replica_callback = None  # (broker, response) -> None, for topic deletion

    def leader_and_isr(self, brokers, tp: TopicPartition, is_new: bool = False) -> None:
        """Tell ``brokers`` (those alive) their role in ``tp``; everyone learns of it in metadata."""
        for broker in brokers:
            if broker in self.context.live:
                self._leader_and_isr.setdefault(broker, {})[tp] = is_new
        self._metadata.add(tp)

    def all_roles(self, broker: int) -> None:
        """Tell ``broker`` its role in every partition it has a replica of, as one FULL
        LeaderAndIsr (a broker that just registered, or a new controller): a replica it hosts
        and that is not named there is a stray (KIP-516), left behind by a move or a deletion
        while it was away."""
        if broker not in self.context.live:
            return
        for tp in self.context.partitions_on(broker):
            self._leader_and_isr.setdefault(broker, {}).setdefault(tp, False)
            self._metadata.add(tp)
        self._full_roles_to.add(broker)

    def metadata(self, partitions) -> None:
        self._metadata.update(partitions)

    def full_metadata(self, brokers) -> None:
        """The whole cluster's metadata to ``brokers`` (a broker that just joined)."""
        self._full_metadata_to.update(brokers)

    def stop_replica(self, broker: int, tp: TopicPartition, delete: bool) -> None:
        if broker in self.context.live:
            self._stop_replica.setdefault(broker, {})[tp] = delete

    def send(self, channels: ControllerChannels) -> None:
        context = self.context
        for broker in self._full_roles_to - set(self._leader_and_isr):
            self._leader_and_isr[broker] = {}  # nothing to host: FULL and empty says so
        for broker, partitions in self._leader_and_isr.items():
            channels.send(broker, ApiKey.LEADER_AND_ISR, api_versions.LEADER_AND_ISR,
                          self._leader_and_isr_body(broker, partitions))
        for broker, partitions in self._stop_replica.items():
            callback = self.stop_replica_callback
            channels.send(broker, ApiKey.STOP_REPLICA, api_versions.STOP_REPLICA,
                          self._stop_replica_body(broker, partitions),
                          None if callback is None else (lambda response, b=broker: callback(b, response)))
        if self._metadata or self._full_metadata_to:
            everything = context.partitions() + [tp for t in context.deleting for tp in context.partitions_of(t)]
            for broker in context.live:
                partitions = everything if broker in self._full_metadata_to else sorted(self._metadata)
                if partitions or broker in self._full_metadata_to:
                    channels.send(broker, ApiKey.UPDATE_METADATA, api_versions.UPDATE_METADATA,
                                  self._update_metadata_body(broker, partitions))

    # --- bodies --------------------------------------------------------------------------------

    def _epoch_fields(self, broker: int) -> dict:
        return {"controller_id": self.context.broker_id, "controller_epoch": self.context.epoch,
                "broker_epoch": self.context.live[broker].epoch}

    def _topic_id(self, topic: str) -> uuid.UUID:
        assignment = self.context.assignments.get(topic)
        return assignment.topic_id if assignment is not None and assignment.topic_id else NO_TOPIC_ID

    def _leader_and_isr_body(self, broker: int, partitions: dict[TopicPartition, bool]) -> dict:
        context = self.context
        topics: dict[str, list] = {}
        leaders = set()
        for (topic, index), is_new in sorted(partitions.items()):
            state = context.states.get((topic, index))
            if state is None:
                continue
            assignment = context.assignments[topic]
            leaders.add(state.leader)
            topics.setdefault(topic, []).append({
                "partition_index": index, "controller_epoch": state.controller_epoch,
                "leader": state.leader, "leader_epoch": state.leader_epoch, "isr": list(state.isr),
                "partition_epoch": state.version, "replicas": list(assignment.partitions.get(index, ())),
                "adding_replicas": list(assignment.adding.get(index, ())),
                "removing_replicas": list(assignment.removing.get(index, ())), "is_new": is_new,
            })
        live_leaders = []
        for leader in sorted(leaders):
            registration = context.live.get(leader)
            endpoint = registration.endpoints[0] if registration is not None and registration.endpoints else None
            if endpoint is not None:
                live_leaders.append({"broker_id": leader, "host_name": endpoint.host, "port": endpoint.port})
        # FULL only when every replica of the broker is named (a partition without a state yet is
        # not: the broker must not take its replica for a stray)
        full = broker in self._full_roles_to and all(tp in context.states for tp in partitions)
        return {**self._epoch_fields(broker), "type": 1 if full else 0,
                "topic_states": [{"topic_name": topic, "topic_id": self._topic_id(topic), "partition_states": states}
                                 for topic, states in topics.items()],
                "live_leaders": live_leaders}

    def _stop_replica_body(self, broker: int, partitions: dict[TopicPartition, bool]) -> dict:
        topics: dict[str, list] = {}
        for (topic, index), delete in sorted(partitions.items()):
            state = self.context.states.get((topic, index))
            topics.setdefault(topic, []).append({
                "partition_index": index, "delete_partition": delete,
                # a deleted partition is stopped whatever its epoch (Kafka's EpochDuringDelete)
                "leader_epoch": -2 if delete else (state.leader_epoch if state else -1),
            })
        return {**self._epoch_fields(broker),
                "topic_states": [{"topic_name": t, "partition_states": s} for t, s in topics.items()]}

    def _update_metadata_body(self, broker: int, partitions) -> dict:
        context = self.context
        topics: dict[str, list] = {}
        for topic, index in partitions:
            state = context.states.get((topic, index))
            replicas = context.replicas((topic, index))
            deleting = topic in context.deleting
            if state is None and not deleting:
                continue
            topics.setdefault(topic, []).append({
                "partition_index": index,
                "controller_epoch": state.controller_epoch if state else context.epoch,
                "leader": LEADER_DURING_DELETE if deleting else state.leader,
                "leader_epoch": state.leader_epoch if state else -1,
                "isr": list(state.isr) if state else [],
                "zk_version": state.version if state else -1,
                "replicas": list(replicas),
                "offline_replicas": list(context.offline_replicas((topic, index))),
            })
        live = []
        for registration in sorted(context.live.values(), key=lambda r: r.broker_id):
            live.append({"id": registration.broker_id, "rack": registration.rack, "endpoints": [
                {"port": e.port, "host": e.host, "listener": e.name,
                 "security_protocol": api_versions.SECURITY_PROTOCOL_IDS.get(registration.protocols.get(e.name), 0)}
                for e in registration.endpoints]})
        return {**self._epoch_fields(broker),
                "topic_states": [{"topic_name": t, "topic_id": self._topic_id(t), "partition_states": s}
                                 for t, s in topics.items()],
                "live_brokers": live}
