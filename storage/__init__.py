"""Kafka's partition log on disk, as Kafka lays it out.

Entry points: ``log_manager.LogManager`` (topics of one data directory) and
``partition_log.PartitionLog`` (one partition: append, read, timestamp
lookups). Topic configs live in ``log_config``; every exception a caller
should map to a Kafka error is in ``errors``. The rest are parts:

- batch_header, append_validation: the v2 batch header and what a producer may send
- segment, offset_index, time_index, index_file, file_batches: one segment and its indexes
- log_loader: opening and recovering a partition directory at startup
- log_slice: planned reads copied later by the server
- record_timestamps, compression: looking inside a single batch for timestamp lookups
- topic_metadata, topic_names, atomic_file: what persists about topics, and how
"""
