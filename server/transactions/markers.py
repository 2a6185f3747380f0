"""Transaction markers: the control batch that ends a producer's transaction in one partition.

Kafka's transaction coordinator sends WriteTxnMarkers to each partition's leader, which appends
the marker (stamped with its own leader epoch) and answers once its ISR has it
(``append_here``, which the WriteTxnMarkers handler runs too). Here the partitions this broker
leads are written directly, and the others through WriteTxnMarkers to their leaders on the
inter-broker listener; on a single broker every partition is local. A marker in
``__consumer_offsets`` also settles the transactional offset commits it ends, which the group
coordinator of that partition holds back until then.

What each partition answers decides what comes next, as in Kafka's
TransactionMarkerRequestCompletionHandler: written, done; no longer in the metadata (the topic
was deleted), done, the marker dropped; a newer producer epoch or coordinator epoch there, done,
as no retry would change that; anything else (no leader yet, a leader that moved, too few
in-sync replicas, a timeout, an offline log directory), tried again.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

import trio

from odradek.storage.errors import StorageError
from odradek.wire import ApiKey, ErrorCode

from ..cluster import api_versions
from ..cluster.broker_channel import BrokerUnavailable
from ..cluster.peers import Peers
from ..groups.offsets_topic import OFFSETS_TOPIC
from ..storage_errors import error_code_for
from .txn_metadata import TopicPartition

log = logging.getLogger("odradek.transactions")

# The partition will not take this marker, and never will: drop it rather than retry.
_FINAL = frozenset({ErrorCode.INVALID_PRODUCER_EPOCH, ErrorCode.TRANSACTION_COORDINATOR_FENCED,
                    ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT, ErrorCode.UNSUPPORTED_VERSION})


@dataclass(frozen=True)
class Markers:
    """The markers one transaction still owes."""

    transactional_id: str
    producer_id: int
    producer_epoch: int
    commit: bool
    coordinator_epoch: int
    partitions: frozenset[TopicPartition]

    @property
    def kind(self) -> str:
        return "commit" if self.commit else "abort"


class MarkerWriter:
    def __init__(self, broker, timeout_ms: int):
        self._broker = broker
        self._timeout_ms = timeout_ms  # how long a leader waits for its ISR (request.timeout.ms)
        self._peers = Peers(broker, "txn-markers", timeout_ms / 1000 + 5)

    async def aclose(self) -> None:
        await self._peers.aclose()

    # --- the coordinator's side ---------------------------------------------------------------

    async def write(self, owed: list[Markers], here_only: bool = False) -> dict[str, set[TopicPartition]]:
        """Write the markers (with ``here_only``, only to partitions this broker leads): the
        partitions each transaction needs no more tries for, by transactional id."""
        done: dict[str, set[TopicPartition]] = {m.transactional_id: set() for m in owed}
        here: list[tuple[Markers, list[TopicPartition]]] = []
        elsewhere: dict[int, list[tuple[Markers, list[TopicPartition]]]] = {}
        me = self._broker.config.node_id
        for markers in owed:
            local, remote = [], {}
            for tp in sorted(markers.partitions):
                partition = self._broker.metadata.partition(*tp)
                if partition is None:
                    log.info("Dropping the %s marker of producer %d for %s-%d: the partition no longer exists",
                             markers.kind, markers.producer_id, *tp)
                    done[markers.transactional_id].add(tp)
                elif partition.leader == me:
                    local.append(tp)
                elif partition.leader >= 0 and not here_only:
                    remote.setdefault(partition.leader, []).append(tp)
            if local:
                here.append((markers, local))
            for leader, tps in remote.items():
                elsewhere.setdefault(leader, []).append((markers, tps))

        def settle(markers: Markers, codes: dict[TopicPartition, ErrorCode]) -> None:
            for tp, code in codes.items():
                if code == ErrorCode.NONE:
                    done[markers.transactional_id].add(tp)
                elif code in _FINAL:
                    log.warning("Dropping the %s marker of producer %d for %s-%d: %s", markers.kind,
                                markers.producer_id, *tp, code.name)
                    done[markers.transactional_id].add(tp)
                else:
                    log.debug("The %s marker of producer %d for %s-%d was not written (%s); will retry",
                             markers.kind, markers.producer_id, *tp, code.name)

        async def write_here() -> None:
            for markers, tps in here:
                settle(markers, await self.append_here(markers.producer_id, markers.producer_epoch,
                                                             markers.commit, markers.coordinator_epoch, tps))

        async def send(leader: int, batch: list[tuple[Markers, list[TopicPartition]]]) -> None:
            for markers, codes in await self._send(leader, batch):
                settle(markers, codes)

        if not elsewhere:
            await write_here()  # (a single broker: everything is here, no task to start)
            return done
        async with trio.open_nursery() as nursery:
            nursery.start_soon(write_here)
            for leader, batch in elsewhere.items():
                nursery.start_soon(send, leader, batch)
        return done

    async def _send(self, leader: int, batch: list[tuple[Markers, list[TopicPartition]]]):
        """One WriteTxnMarkers to ``leader`` for every marker it is owed; each partition's answer."""
        request = {"markers": [{
            "producer_id": markers.producer_id, "producer_epoch": markers.producer_epoch,
            "transaction_result": markers.commit, "coordinator_epoch": markers.coordinator_epoch,
            "topics": [{"name": topic, "partition_indexes": [p for t, p in tps if t == topic]}
                       for topic in dict.fromkeys(t for t, _ in tps)],
        } for markers, tps in batch]}
        try:
            response = await self._peers.request(leader, ApiKey.WRITE_TXN_MARKERS, api_versions.WRITE_TXN_MARKERS,
                                                 request)
        except BrokerUnavailable as exc:
            log.info("Could not send transaction markers to broker %d: %s", leader, exc)
            return [(markers, dict.fromkeys(tps, ErrorCode.NETWORK_EXCEPTION)) for markers, tps in batch]
        answered: dict[tuple[int, TopicPartition], ErrorCode] = {}
        for marker in response.markers:
            for topic in marker.topics:
                for partition in topic.partitions:
                    answered[(marker.producer_id, (topic.name, partition.partition_index))] = \
                        ErrorCode(partition.error_code)
        return [(markers, {tp: answered.get((markers.producer_id, tp), ErrorCode.UNKNOWN_SERVER_ERROR)
                           for tp in tps}) for markers, tps in batch]

    # --- the partition leader's side ----------------------------------------------------------

    async def append_here(self, producer_id: int, producer_epoch: int, commit: bool, coordinator_epoch: int,
                          partitions: Iterable[TopicPartition]) -> dict[TopicPartition, ErrorCode]:
        """Append the marker to each partition this broker leads and wait until its ISR has it:
        each partition's WriteTxnMarkers answer. Markers in ``__consumer_offsets`` then settle
        the transactional offsets they end."""
        broker = self._broker
        replicas = broker.replicas
        codes: dict[TopicPartition, ErrorCode] = {}
        appended = []
        for tp in partitions:
            log_, code = replicas.leader_log(*tp)
            if log_ is None:
                codes[tp] = code
                continue
            try:
                offset = replicas.append_marker(log_, producer_id, producer_epoch, commit, coordinator_epoch)
            except StorageError as exc:
                codes[tp] = error_code_for(exc)
                continue
            except Exception:
                log.exception("Could not write the transaction marker of producer %d to %s-%d", producer_id, *tp)
                codes[tp] = ErrorCode.UNKNOWN_SERVER_ERROR
                continue
            replicas.after_append(log_)
            broker.appends.notify(tp)
            appended.append((tp, log_, offset + 1))
            codes[tp] = ErrorCode.NONE
        if appended:
            with trio.CancelScope(shield=True):
                outcome = await replicas.wait_for_acks([(log_, end) for _, log_, end in appended], self._timeout_ms)
            for tp, _, _ in appended:
                codes[tp] = outcome.get(tp, ErrorCode.NONE)
                if codes[tp] == ErrorCode.NONE and tp[0] == OFFSETS_TOPIC:
                    broker.groups.complete_transaction(tp[1], producer_id, commit)
        return codes
