"""A small blocking Kafka client on odradek's own wire codecs, for the command-line tools.

It speaks only the public protocol (so the tools work against Apache Kafka too): ``Client``
bootstraps, negotiates API versions per broker and routes requests to partition leaders and
group coordinators; the other modules build on it (producing, fetching, group membership).
"""

from .cluster import Client, Metadata, PartitionInfo, TopicInfo
from .errors import KafkaError, check

__all__ = ["Client", "KafkaError", "Metadata", "PartitionInfo", "TopicInfo", "check"]
