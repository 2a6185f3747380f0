"""Transaction markers: the control batch that ends a producer's transaction in one partition.

Kafka's coordinator sends WriteTxnMarkers to each partition's leader; on a single broker it
appends them itself.  A marker in ``__consumer_offsets`` also settles the transactional offset
commits it ends, which the group coordinator holds back until then.
"""

from __future__ import annotations

import logging

from odradek.storage.errors import InvalidProducerEpochError, KafkaStorageError, TransactionCoordinatorFencedError
from odradek.storage.partition_log import wall_clock_ms

from ..groups.offsets_topic import OFFSETS_TOPIC
from .txn_metadata import TopicPartition

log = logging.getLogger("odradek.transactions")

COORDINATOR_EPOCH = 0  # the leader epoch of our __transaction_state partitions, which never change leader


class MarkerWriter:
    def __init__(self, broker):
        self._logs = broker.logs
        self._appends = broker.appends
        self._groups = broker.groups

    def write(self, tp: TopicPartition, producer_id: int, producer_epoch: int, commit: bool) -> bool:
        """Append the marker; True once it is written or never can be (its partition is gone, as
        Kafka drops markers for deleted partitions; or the partition already saw a newer epoch
        of the producer, which no retry changes); False if it should be tried again (its log
        directory is offline: the marker is written once it is back, after a restart)."""
        topic, partition = tp
        partition_log = self._logs.partition(topic, partition)
        if partition_log is None and self._logs.is_offline(topic, partition):
            return False
        if partition_log is None:
            log.info("Dropping the %s marker of producer %d for %s-%d: the partition no longer exists",
                     "commit" if commit else "abort", producer_id, topic, partition)
            return True
        try:
            partition_log.append_marker(producer_id, producer_epoch, commit, COORDINATOR_EPOCH, wall_clock_ms())
        except (InvalidProducerEpochError, TransactionCoordinatorFencedError) as exc:
            log.warning("Dropping the transaction marker of producer %d for %s-%d: %s",
                        producer_id, topic, partition, exc)
            return True
        except KafkaStorageError as exc:
            log.warning("Could not write the transaction marker of producer %d to %s-%d; will retry: %s",
                        producer_id, topic, partition, exc)
            return False
        except Exception:
            log.exception("Could not write the transaction marker of producer %d to %s-%d; will retry",
                          producer_id, topic, partition)
            return False
        self._appends.notify(tp)
        if topic == OFFSETS_TOPIC:
            self._groups.offsets.complete_transaction(partition, producer_id, commit)
        return True
