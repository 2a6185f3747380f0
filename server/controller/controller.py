"""The active controller: its tenure, its event loop, and the events it handles.

A tenure starts with a failover, as Kafka's ``onControllerFailover``: read the whole state from
ZooKeeper (setting watches), tell every live broker the whole metadata and its roles, elect
leaders for partitions that have none, and resume unfinished deletions and reassignments. Then
events, one at a time: ZooKeeper watches firing (brokers coming and going, topics created,
changed or marked for deletion, reassignment and preferred-election requests written by tools),
requests from brokers and clients (AlterPartition, ControlledShutdown, ElectLeaders, partition
reassignments), and the periodic preferred-leader check. A tenure ends when the ZooKeeper session
is lost or a write finds another controller's epoch (``ControllerMoved``).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Awaitable, Callable

import trio

from odradek.wire import ErrorCode

from .. import partition_admin as admin
from ..cluster import zk_data
from ..cluster.cluster_config import ClusterConfig
from ..cluster.zk_client import KazooException, ZkClient
from ..cluster.zk_data import PartitionState
from ..partition_admin import Result
from . import partition_changes as changes
from .channels import ControllerChannels
from .context import ControllerContext, TopicPartition
from .liveness import probe_brokers
from .reassignment import Reassignments
from .request_batch import RequestBatch
from .state_store import ControllerMoved, ControllerStore
from .topic_deletion import TopicDeletion

log = logging.getLogger("odradek.controller")


class NotController(Exception):
    """This broker's tenure ended before the request could be handled."""


class Controller:
    def __init__(self, zk: ZkClient, context: ControllerContext, config: ClusterConfig, listener: str):
        self.zk = zk
        self.context = context
        self.config = config
        self.listener = listener
        self.store = ControllerStore(zk, context)
        self.channels: ControllerChannels | None = None
        self.deletion = TopicDeletion(self)
        self.reassignments = Reassignments(self)
        self._events_in, self._events_out = trio.open_memory_channel(math.inf)
        self.resigned = trio.Event()

    # --- the event loop ------------------------------------------------------------------------

    async def run(self) -> None:
        """Act as controller until cancelled (session lost) or another controller takes over."""
        try:
            async with trio.open_nursery() as nursery:
                self.channels = ControllerChannels(nursery, self.listener, f"controller-{self.context.broker_id}",
                                                   self.config.controller_socket_timeout_ms / 1000,
                                                   self.config.inter_broker_security)
                await self._failover()
                nursery.start_soon(probe_brokers, self)
                if self.config.auto_leader_rebalance:
                    nursery.start_soon(self._rebalance_timer)
                async for event in self._events_out:
                    await event()
        except* ControllerMoved as moved:
            log.warning("Controller %d resigns: %s", self.context.broker_id, moved.exceptions[0])
        except* KazooException as failed:
            log.warning("Controller %d resigns: ZooKeeper failed it (%s)", self.context.broker_id,
                        failed.exceptions[0].__class__.__name__)
        finally:
            self.resigned.set()
            if self.channels is not None:
                self.channels.close()

    def queue(self, handler: Callable[[], Awaitable[None]]) -> None:
        """Run ``handler`` as the next event (from a ZooKeeper watch, a callback, a timer)."""
        try:
            self._events_in.send_nowait(handler)
        except trio.ClosedResourceError:
            pass

    async def call(self, handler: Callable[[], Awaitable[object]]):
        """Run ``handler`` as an event and return its result (from a request handler's task);
        NotController if the tenure ends first."""
        done = trio.Event()
        outcome: dict = {}

        async def event() -> None:
            try:
                outcome["value"] = await handler()
            except ControllerMoved:
                raise
            except Exception as exc:  # noqa: BLE001 - the caller's request fails, not the controller
                log.exception("Controller request failed")
                outcome["error"] = exc
            finally:
                done.set()

        if self.resigned.is_set():
            raise NotController()
        self.queue(event)
        async with trio.open_nursery() as nursery:
            async def on_resign() -> None:
                await self.resigned.wait()
                nursery.cancel_scope.cancel()

            nursery.start_soon(on_resign)
            await done.wait()
            nursery.cancel_scope.cancel()
        if not done.is_set():
            raise NotController()
        if "error" in outcome:
            raise outcome["error"]
        return outcome.get("value")

    def batch(self) -> RequestBatch:
        return RequestBatch(self.context)

    def send(self, batch: RequestBatch) -> None:
        batch.send(self.channels)

    # --- failover ------------------------------------------------------------------------------

    async def _failover(self) -> None:
        context = self.context
        log.info("Broker %d is the controller (epoch %d)", context.broker_id, context.epoch)
        context.live = await self.store.read_brokers(self._watch(self._on_broker_change))
        for registration in context.live.values():
            self.channels.add_broker(registration)
        for topic in await self.store.read_topic_names(self._watch(self._on_topic_change)):
            assignment = await self.store.read_assignment(topic, self._partition_watch(topic))
            if assignment is not None:
                context.assignments[topic] = assignment
        context.states = await self.store.read_states(context.partitions())
        batch = self.batch()
        batch.full_metadata(context.live)
        await changes.initialize(self.store, batch, context.partitions())
        await changes.change_states(self.store, batch, context.partitions(),
                                    changes.offline_strategy(self.store, self.config.unclean_leader_election),
                                    "failover: the leader is offline")
        gone = {r for state in context.states.values() for r in state.isr} - set(context.live)
        if gone:  # followers that died, or died with the last controller, leave the ISR
            await changes.change_states(self.store, batch, context.partitions(),
                                        changes.remove_replica_strategy(self.store, gone),
                                        f"failover: broker {sorted(gone)} is offline")
        for broker in context.live:
            batch.all_roles(broker)
        self.send(batch)
        await self.reassignments.resume()
        await self.deletion.on_marks_changed()
        await self.reassignments.on_znode()
        await self._on_preferred_election_znode()

    def _watch(self, handler: Callable[[], Awaitable[None]]) -> Callable[[], None]:
        """A ZooKeeper watch that queues ``handler`` as an event."""
        return lambda: self.queue(handler)

    def _partition_watch(self, topic: str) -> Callable[[], None]:
        return lambda: self.queue(lambda: self._on_partitions_changed(topic))

    # --- brokers coming and going --------------------------------------------------------------

    async def _on_broker_change(self) -> None:
        context = self.context
        current = await self.store.read_brokers(self._watch(self._on_broker_change))
        bounced = {b for b in current if b in context.live and current[b].epoch != context.live[b].epoch}
        dead = (set(context.live) - set(current)) | bounced
        new = (set(current) - set(context.live)) | bounced
        if not dead and not new:
            return
        log.info("Brokers changed: new %s, gone %s (live now %s)", sorted(new), sorted(dead), sorted(current))
        for broker in dead:
            self.channels.remove_broker(broker)
            context.shutting_down.discard(broker)
        context.live = current
        for broker in new:
            self.channels.add_broker(current[broker])
        batch = self.batch()
        batch.full_metadata(context.live)  # every broker learns the new set of brokers
        if dead:
            # a bounced broker (registered again with a new epoch) counts as failed and new, as in
            # Kafka: it leaves the ISR and rejoins once its follower has caught up
            await changes.change_states(self.store, batch, context.partitions(),
                                        changes.offline_strategy(self.store, self.config.unclean_leader_election,
                                                                 frozenset(dead)),
                                        f"broker {sorted(dead)} failed")
            await changes.change_states(self.store, batch, context.partitions(),
                                        changes.remove_replica_strategy(self.store, dead),
                                        f"broker {sorted(dead)} left the ISR")
        if new:
            await changes.initialize(self.store, batch, context.partitions())
            await changes.change_states(self.store, batch, context.partitions(),
                                        changes.offline_strategy(self.store, self.config.unclean_leader_election),
                                        f"broker {sorted(new)} came back")
            for broker in new:
                batch.all_roles(broker)
        self.send(batch)
        if new:
            await self.deletion.retry_on(new)
            await self.reassignments.resume()

    # --- topics --------------------------------------------------------------------------------

    async def _on_topic_change(self) -> None:
        context = self.context
        names = set(await self.store.read_topic_names(self._watch(self._on_topic_change)))
        added = sorted(names - set(context.assignments))
        for topic in set(context.assignments) - names:  # removed behind our back: forget it
            self._forget_topic(topic)
        if not added:
            return
        batch = self.batch()
        for topic in added:
            assignment = await self.store.read_assignment(topic, self._partition_watch(topic))
            if assignment is not None:
                context.assignments[topic] = assignment
                log.info("New topic %s with %d partition(s)", topic, len(assignment.partitions))
        await changes.initialize(self.store, batch, [tp for t in added for tp in context.partitions_of(t)])
        self.send(batch)

    async def _on_partitions_changed(self, topic: str) -> None:
        """The topic's znode changed: new partitions (CreatePartitions) get their first states."""
        context = self.context
        assignment = await self.store.read_assignment(topic, self._partition_watch(topic))
        if assignment is None or topic not in context.assignments:
            return
        before = set(context.assignments[topic].partitions)
        merged = dict(context.assignments[topic].partitions)
        for p, replicas in assignment.partitions.items():
            if p not in before:
                merged[p] = replicas
        context.assignments[topic] = type(assignment)(assignment.topic_id, merged,
                                                      context.assignments[topic].adding,
                                                      context.assignments[topic].removing)
        added = [(topic, p) for p in sorted(set(merged) - before)]
        if added:
            log.info("Topic %s grew to %d partitions", topic, len(merged))
            batch = self.batch()
            await changes.initialize(self.store, batch, added)
            self.send(batch)

    def _forget_topic(self, topic: str) -> None:
        context = self.context
        for tp in context.partitions_of(topic):
            context.states.pop(tp, None)
            context.reassigning.pop(tp, None)
        context.assignments.pop(topic, None)
        context.deleting.discard(topic)

    # --- leader elections ----------------------------------------------------------------------

    async def elect_preferred(self, partitions: list[TopicPartition], reason: str) -> dict[TopicPartition, PartitionState]:
        batch = self.batch()
        written = await changes.change_states(self.store, batch, partitions, changes.preferred_strategy(self.store),
                                              reason)
        self.send(batch)
        return written

    async def elect_leaders(self, election_type: int, partitions: list[TopicPartition] | None
                            ) -> dict[TopicPartition, Result]:
        """ElectLeaders: (error code, message) per partition, as Kafka answers. None elects every
        partition that needs it, and answers only those."""
        context = self.context
        everything = partitions is None
        if everything:
            partitions = [tp for tp in context.partitions() if tp[0] not in context.deleting]
        results: dict[TopicPartition, Result] = {}
        eligible = []
        for tp in partitions:
            topic, index = tp
            assignment = context.assignments.get(topic)
            state = context.states.get(tp)
            if assignment is None or topic in context.deleting:
                results[tp] = admin.unknown_topic(topic)
            elif index not in assignment.partitions:
                results[tp] = admin.unknown_partition(topic, index)
            elif state is None:  # none of its replicas has been alive since it was created
                results[tp] = admin.election_failed(election_type)
            elif election_type == admin.PREFERRED and state.leader == context.replicas(tp)[0]:
                results[tp] = admin.NOT_NEEDED
            elif election_type == admin.UNCLEAN and state.leader in context.live:
                results[tp] = admin.NOT_NEEDED
            else:
                eligible.append(tp)
        batch = self.batch()
        if election_type == admin.PREFERRED:
            strategy, reason = changes.preferred_strategy(self.store), "preferred election"
        else:
            strategy, reason = changes.offline_strategy(self.store, unclean=True), "unclean election"
        written = await changes.change_states(self.store, batch, eligible, strategy, reason)
        self.send(batch)
        for tp in eligible:
            results[tp] = admin.OK if tp in written and written[tp].leader >= 0 else admin.election_failed(election_type)
        return admin.without_not_needed(results) if everything else results

    async def _rebalance_timer(self) -> None:
        """Kafka's auto leader rebalance: every leader.imbalance.check.interval.seconds, brokers whose
        share of preferred partitions they do not lead exceeds leader.imbalance.per.broker.percentage
        get their leadership back."""
        while True:
            await trio.sleep(self.config.leader_imbalance_check_interval_s)
            self.queue(self._check_imbalance)

    async def _check_imbalance(self) -> None:
        context = self.context
        by_preferred: dict[int, list[TopicPartition]] = {}
        for tp in context.partitions():
            replicas = context.replicas(tp)
            if replicas and context.states.get(tp) and tp[0] not in context.deleting and tp not in context.reassigning:
                by_preferred.setdefault(replicas[0], []).append(tp)
        for broker, partitions in by_preferred.items():
            if broker not in context.eligible_leaders():
                continue
            imbalanced = [tp for tp in partitions if context.states[tp].leader != broker]
            if len(imbalanced) * 100 > self.config.leader_imbalance_per_broker_percentage * len(partitions):
                await self.elect_preferred(imbalanced, f"auto leader rebalance to broker {broker}")

    async def _on_preferred_election_znode(self) -> None:
        """Tools of the ZooKeeper era write /admin/preferred_replica_election; elect, then remove it."""
        found = await self.zk.get(zk_data.PREFERRED_REPLICA_ELECTION,
                                  watch=self._watch(self._on_preferred_election_znode))
        if found is None:
            return
        partitions = [tp for tp in zk_data.decode_partition_list(found[0]) if tp in self.context.states]
        await self.elect_preferred(partitions, "preferred replica election requested in ZooKeeper")
        await self.zk.delete(zk_data.PREFERRED_REPLICA_ELECTION)

    # --- requests from brokers -----------------------------------------------------------------

    def broker_is_current(self, broker_id: int, broker_epoch: int) -> bool:
        """Whether a broker's request comes from its current registration (Kafka's broker epoch)."""
        registration = self.context.live.get(broker_id)
        return registration is not None and broker_epoch in (-1, registration.epoch)

    async def alter_partition(self, broker_id: int, broker_epoch: int, topic: str, index: int, leader_epoch: int,
                              partition_epoch: int, new_isr: tuple[int, ...]) -> tuple[int, PartitionState | None]:
        """A leader's ISR change, validated as Kafka's controller does; (error, the state after)."""
        context = self.context
        tp = (topic, index)
        state = context.states.get(tp)
        if state is None or topic in context.deleting:
            return ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, None
        if state.leader != broker_id or leader_epoch < state.leader_epoch:
            return ErrorCode.FENCED_LEADER_EPOCH, state
        if leader_epoch > state.leader_epoch:
            return ErrorCode.UNKNOWN_LEADER_EPOCH, state  # not heard of yet: the leader retries
        if partition_epoch != state.version:
            return ErrorCode.INVALID_UPDATE_VERSION, state
        if tuple(new_isr) == tuple(state.isr):
            return ErrorCode.NONE, state
        added = set(new_isr) - set(state.isr)
        if any(r not in context.live or r in context.shutting_down or r not in context.replicas(tp) for r in added):
            return ErrorCode.INELIGIBLE_REPLICA, state
        proposed = PartitionState(state.leader, state.leader_epoch, tuple(new_isr), context.epoch, state.version)
        written = await self.store.update_states({tp: proposed})
        if tp not in written:
            context.states.update(await self.store.read_states([tp]))
            return ErrorCode.INVALID_UPDATE_VERSION, context.states.get(tp)
        context.states[tp] = written[tp]
        log.info("%s-%d: ISR %s -> %s (asked by leader %d)", topic, index, list(state.isr), list(new_isr), broker_id)
        batch = self.batch()
        batch.metadata([tp])
        self.send(batch)
        if tp in context.reassigning:
            self.queue(lambda: self.reassignments.maybe_complete([tp]))
        return ErrorCode.NONE, written[tp]

    async def controlled_shutdown(self, broker_id: int, broker_epoch: int) -> tuple[int, list[TopicPartition]]:
        """Move leadership off a broker that is stopping, and take it out of ISRs; the partitions
        it still leads (none could take over) are answered, as Kafka does."""
        context = self.context
        registration = context.live.get(broker_id)
        if registration is None:
            return ErrorCode.BROKER_NOT_AVAILABLE, []
        if broker_epoch != -1 and registration.epoch != broker_epoch:
            return ErrorCode.STALE_BROKER_EPOCH, []
        context.shutting_down.add(broker_id)
        hosted = context.partitions_on(broker_id)
        batch = self.batch()
        led = [tp for tp in hosted if context.states.get(tp) and context.states[tp].leader == broker_id
               and len(context.replicas(tp)) > 1]
        await changes.change_states(self.store, batch, led, changes.controlled_shutdown_strategy(self.store),
                                    f"controlled shutdown of broker {broker_id}")
        followed = [tp for tp in hosted if context.states.get(tp) and context.states[tp].leader != broker_id]
        await changes.change_states(self.store, batch, followed,
                                    changes.remove_replica_strategy(self.store, {broker_id}),
                                    f"controlled shutdown of broker {broker_id}")
        for tp in followed:
            batch.stop_replica(broker_id, tp, delete=False)
        self.send(batch)
        # still led here although another live in-sync replica could lead them (a retry may
        # succeed); those with none stay where they are: asking again changes nothing
        remaining = [tp for tp in led if context.states[tp].leader == broker_id
                     and any(r != broker_id and r in context.live for r in context.states[tp].isr)]
        return ErrorCode.NONE, remaining
