"""The versions brokers use when they talk to each other.

Every odradek broker serves these, so peers need no ApiVersions round trip first. They are the
newest of each API that does not belong to KRaft: names rather than topic ids where Kafka's
ZooKeeper-era brokers used names, and Fetch at the first version with KIP-595's diverging epochs,
so a follower learns where its log departs from the leader's in the fetch answer itself.
"""

LEADER_AND_ISR = 6
UPDATE_METADATA = 7
STOP_REPLICA = 3
CONTROLLED_SHUTDOWN = 3
ALTER_PARTITION = 1
REPLICA_FETCH = 12
OFFSET_FOR_LEADER_EPOCH = 4
WRITE_TXN_MARKERS = 1
ADD_PARTITIONS_TO_TXN = 5  # verify only (KIP-890), for a partition leader checking a transactional batch

#: UpdateMetadata's security protocol ids.
SECURITY_PROTOCOL_IDS = {"PLAINTEXT": 0, "SSL": 1, "SASL_PLAINTEXT": 2, "SASL_SSL": 3}
