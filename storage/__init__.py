"""Kafka's partition log on disk, as Kafka lays it out.

Entry points: ``log_manager.LogManager`` (topics of the broker's log directories) and
``partition_log.PartitionLog`` (one partition: append, transaction markers,
read, timestamp lookups, last stable offset, aborted transactions, active
producers; in cluster mode also follower appends, truncation, leader epochs and
the high watermark). Topic configs live in ``log_config``, broker-wide producer settings
in ``producer_state_config``; every exception a caller should map to a Kafka
error is in ``errors``. The rest are parts:

- batch_header, append_validation: the v2 batch header and what a producer may send
- segment, offset_index, time_index, transaction_index, index_file, file_batches: one segment and its indexes
- log_loader: opening and recovering a partition directory at startup
- producer_state, producer_append, producer_state_manager: idempotent and transactional producers
- producer_snapshot, producer_state_loader: their state on disk, and rebuilt at startup
- transaction_marker: the COMMIT/ABORT control batches
- log_slice: planned reads copied later by the server
- record_timestamps: looking inside a single batch for timestamp lookups
- topic_metadata, topic_names, offset_checkpoint, atomic_file: what persists about topics and partitions, and how
- retention, log_cleaner: dropping old segments, and compacting them
- log_dirs: the log directories (log.dirs): locking them at start-up, and which are online
- log_mover: moving a partition to another log directory while it serves (AlterReplicaLogDirs)
- leader_epoch_cache, leader_epoch_checkpoint: where each leader epoch begins, and its file
- replica_append, log_truncation: what a follower checks in its leader's batches, and cutting a segment back
"""
