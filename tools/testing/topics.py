"""Create a topic for a test and wait until every broker can serve it.

With odradek's own small client (``odradek.tools.client``, which speaks only the public protocol),
so it needs no Kafka client library and works against Apache Kafka too. A test producing right
after creating the topic must not meet LEADER_NOT_AVAILABLE, so the call returns only when each
broker's metadata gives every partition a leader.
"""

from __future__ import annotations

from typing import Mapping

TIMEOUT = 30.0


def create_topic(bootstrap: str, name: str, partitions: int = 1, replication_factor: int = -1,
                 configs: Mapping[str, object] | None = None, *, exist_ok: bool = False,
                 timeout: float = TIMEOUT) -> str:
    """Create ``name`` on the broker(s) at ``bootstrap`` and return it.

    ``replication_factor=-1`` takes the broker's ``default.replication.factor``; ``configs`` are
    topic configs (``{"cleanup.policy": "compact"}``). ``exist_ok`` accepts a topic that exists.
    Raises ``odradek.tools.client.KafkaError`` with Kafka's error name if the broker refuses.
    """
    from odradek.tools.client import Client, check  # the wire codecs: loaded by the first topic only
    from odradek.wire import ApiKey, ErrorCode

    with Client(bootstrap, client_id="odradek-testing", timeout=timeout) as client:
        answer = client.send(ApiKey.CREATE_TOPICS, {"topics": [{
            "name": name, "num_partitions": partitions, "replication_factor": replication_factor,
            "assignments": [], "configs": [{"name": k, "value": str(v)} for k, v in (configs or {}).items()]}],
            "timeout_ms": int(timeout * 1000), "validate_only": False})
        result = answer.topics[0]
        if not (exist_ok and result.error_code == ErrorCode.TOPIC_ALREADY_EXISTS):
            check(result.error_code, f"creating topic {name}", result.error_message)
        for node_id in client.metadata([]).brokers:  # each broker's own view: a client may ask any
            _leaders_known(client, node_id, name)
    return name


def _leaders_known(client, node_id: int, name: str) -> None:
    from odradek.tools.client import check
    from odradek.tools.client.errors import retrying
    from odradek.wire import ApiKey, ErrorCode

    def ask() -> None:
        answer = client.send(ApiKey.METADATA, {"topics": [{"name": name}], "allow_auto_topic_creation": False},
                             node_id)
        topic = answer.topics[0]
        check(topic.error_code, f"topic {name} on broker {node_id}")
        for partition in topic.partitions:
            check(partition.error_code or (ErrorCode.LEADER_NOT_AVAILABLE if partition.leader_id < 0 else 0),
                  f"{name}-{partition.partition_index} on broker {node_id}")

    retrying(ask)  # a broker may learn of the topic, and its leaders, a moment after the controller
