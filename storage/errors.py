"""Exceptions raised by the storage layer.

Each one stands for exactly one Kafka protocol error, named in its docstring and
carried as ``error_code`` so the server can answer a request without a lookup
table of its own. The message is meant for the client (Kafka puts it in the
response's error message field) and for the broker log. A refusal of particular records of a
batch also names them, in ``record_errors``, as Kafka's ProduceResponse does.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple


class RecordError(NamedTuple):
    """One refused record: its index in its batch and why (Kafka's ``RecordError``)."""

    batch_index: int
    message: str


class StorageError(Exception):
    """Base class; never raised itself."""

    error_code: int = -1  # UNKNOWN_SERVER_ERROR

    def __init__(self, message: str = "", record_errors: Sequence[RecordError] = ()) -> None:
        super().__init__(message)
        self.record_errors = tuple(record_errors)


class OffsetOutOfRangeError(StorageError):
    """OFFSET_OUT_OF_RANGE (1): a read or lookup outside [log start, log end]."""

    error_code = 1


class CorruptRecordError(StorageError):
    """CORRUPT_MESSAGE (2): bytes that are not a well-formed batch (bad CRC, bad length, trailing garbage)."""

    error_code = 2


class UnknownTopicError(StorageError):
    """UNKNOWN_TOPIC_OR_PARTITION (3): the topic does not exist."""

    error_code = 3


class RecordTooLargeError(StorageError):
    """MESSAGE_TOO_LARGE (10): a batch is larger than the topic's max.message.bytes."""

    error_code = 10


class InvalidTopicError(StorageError):
    """INVALID_TOPIC_EXCEPTION (17): an illegal topic name, or one that collides with an existing topic."""

    error_code = 17


class RecordBatchTooLargeError(StorageError):
    """RECORD_LIST_TOO_LARGE (18): one append is larger than the topic's segment size."""

    error_code = 18


class InvalidTimestampError(StorageError):
    """INVALID_TIMESTAMP (32): a CreateTime timestamp outside message.timestamp.{before,after}.max.ms."""

    error_code = 32


class TopicExistsError(StorageError):
    """TOPIC_ALREADY_EXISTS (36)."""

    error_code = 36


class InvalidPartitionsError(StorageError):
    """INVALID_PARTITIONS (37): a partition count that is not positive, or does not grow the topic."""

    error_code = 37


class InvalidConfigError(StorageError):
    """INVALID_CONFIG (40): an unknown topic config name or an unparsable/out-of-range value."""

    error_code = 40


class UnsupportedMessageFormatError(StorageError):
    """UNSUPPORTED_FOR_MESSAGE_FORMAT (43): a batch whose magic is not 2 (legacy message sets)."""

    error_code = 43


class PolicyViolationError(StorageError):
    """POLICY_VIOLATION (44): a request the topic's configuration forbids (DeleteRecords on a compacted topic)."""

    error_code = 44


class OutOfOrderSequenceError(StorageError):
    """OUT_OF_ORDER_SEQUENCE_NUMBER (45): an idempotent batch that does not follow the producer's last sequence."""

    error_code = 45


class InvalidProducerEpochError(StorageError):
    """INVALID_PRODUCER_EPOCH (47): a batch or marker from an epoch older than the producer's current one.

    Kafka answers this (not PRODUCER_FENCED) to Produce since 2.7, so the client can abort and retry.
    """

    error_code = 47


class InvalidTxnStateError(StorageError):
    """INVALID_TXN_STATE (48): a non-transactional batch from a producer whose transaction is still open."""

    error_code = 48


class TransactionCoordinatorFencedError(StorageError):
    """TRANSACTION_COORDINATOR_FENCED (52): a marker from a coordinator epoch older than one already seen."""

    error_code = 52


class KafkaStorageError(StorageError):
    """KAFKA_STORAGE_ERROR (56): the partition's log directory is offline, or a disk error in it
    (an OSError: EIO, ENOSPC, ...) took it offline during this request (see ``log_dirs``)."""

    error_code = 56


class LogDirError(KafkaStorageError):
    """KAFKA_STORAGE_ERROR (56) for a whole log directory that cannot be used (in use by another
    broker, not a directory, not writable...). The message names the directory and what is
    wrong with it, in one line: at start-up the broker stops with it."""

    def __init__(self, path, problem: str) -> None:
        super().__init__(f"log directory {path} {problem}")
        self.path = path


class LogDirNotFoundError(StorageError):
    """LOG_DIR_NOT_FOUND (57): a path that is not one of the broker's ``log.dirs``."""

    error_code = 57


class InvalidRecordError(StorageError):
    """INVALID_RECORD (87): a well-formed batch that a broker must refuse (offsets, counts, control batch...)."""

    error_code = 87


class UnexpectedAppendOffsetError(StorageError):
    """A replica's append whose first batch starts before the log end (Kafka's
    UnexpectedAppendOffsetException, not an API error: UNKNOWN_SERVER_ERROR on the wire).

    Carries the append's first and last offsets: a follower whose log is empty and whose
    log end lies inside that range (the leader's log start moved inside a batch) starts
    its log afresh at ``first_offset`` and appends again, as Kafka's Partition does."""

    def __init__(self, message: str, first_offset: int, last_offset: int) -> None:
        super().__init__(message)
        self.first_offset = first_offset
        self.last_offset = last_offset


class OffsetsOutOfOrderError(StorageError):
    """A replica's append whose batches overlap or go backwards (Kafka's
    OffsetsOutOfOrderException, not an API error: UNKNOWN_SERVER_ERROR on the wire)."""
