"""``odradek topics``: create, list, describe, add partitions to and delete topics, like kafka-topics.sh."""

from __future__ import annotations

import argparse
import base64

from odradek.wire import ApiKey, ErrorCode

from .client import Client, check
from .options import add_bootstrap, connect, key_values

HELP = "create, list, describe, alter (partitions) and delete topics"
DEFAULT_CONFIG = 5
TOPIC_RESOURCE = 2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_bootstrap(parser)
    action = parser.add_mutually_exclusive_group(required=True)
    for name in ("create", "list", "describe", "alter", "delete"):
        action.add_argument(f"--{name}", action="store_true")
    parser.add_argument("--topic", help="the topic (for --describe, all topics when left out)")
    parser.add_argument("--partitions", type=int, help="partition count (--create, --alter)")
    parser.add_argument("--replication-factor", type=int, default=-1, help="replicas per partition (--create)")
    parser.add_argument("--config", action="append", metavar="KEY=VALUE", help="topic config (--create)")
    parser.add_argument("--if-exists", action="store_true", help="no error when the topic is missing")
    parser.add_argument("--if-not-exists", action="store_true", help="no error when the topic exists")
    parser.add_argument("--exclude-internal", action="store_true", help="leave internal topics out")


def run(args: argparse.Namespace) -> int:
    if (args.create or args.alter or args.delete) and not args.topic:
        raise SystemExit("odradek topics: --topic is required with --create, --alter and --delete")
    with connect(args) as client:
        if args.create:
            return create(client, args)
        if args.list:
            print("\n".join(sorted(_names(client, args))))
        elif args.describe:
            print(describe(client, args), end="")
        elif args.alter:
            alter(client, args)
        else:
            delete(client, args)
    return 0


def create(client: Client, args: argparse.Namespace) -> int:
    configs = key_values(args.config, "--config")
    answer = client.send(ApiKey.CREATE_TOPICS, {"topics": [{
        "name": args.topic, "num_partitions": args.partitions or -1,
        "replication_factor": args.replication_factor,
        "configs": [{"name": k, "value": v} for k, v in configs.items()]}], "timeout_ms": 30_000})
    result = answer.topics[0]
    if result.error_code == ErrorCode.TOPIC_ALREADY_EXISTS and args.if_not_exists:
        return 0
    check(result.error_code, f"creating topic {args.topic}", result.error_message)
    print(f"Created topic {args.topic}.")
    return 0


def describe(client: Client, args: argparse.Namespace) -> str:
    names = [args.topic] if args.topic else sorted(_names(client, args))
    if not names:
        return ""
    described = client.describe_topics(names)
    lines = []
    for name in names:
        info = described[name]
        if info.error_code == ErrorCode.UNKNOWN_TOPIC_OR_PARTITION and args.if_exists:
            continue
        check(info.error_code, f"topic {name}")
        partitions = [info.partitions[i] for i in sorted(info.partitions)]
        factor = len(partitions[0].replicas) if partitions else 0
        configs = ",".join(f"{k}={v}" for k, v in sorted(topic_overrides(client, name).items()))
        lines.append(f"Topic: {name}\tTopicId: {uuid_text(info.topic_id)}\tPartitionCount: {len(partitions)}"
                     f"\tReplicationFactor: {factor}\tConfigs: {configs}")
        lines += [f"\tTopic: {name}\tPartition: {p.index}\tLeader: {p.leader if p.leader >= 0 else 'none'}"
                  f"\tReplicas: {_ids(p.replicas)}\tIsr: {_ids(p.isr)}" + _elr(p) for p in partitions]
    return "".join(line + "\n" for line in lines)


def alter(client: Client, args: argparse.Namespace) -> None:
    if args.partitions is None:
        raise SystemExit("odradek topics: --alter needs --partitions")
    answer = client.send(ApiKey.CREATE_PARTITIONS, {"topics": [{
        "name": args.topic, "count": args.partitions, "assignments": None}], "timeout_ms": 30_000,
        "validate_only": False})
    result = answer.results[0]
    if result.error_code == ErrorCode.UNKNOWN_TOPIC_OR_PARTITION and args.if_exists:
        return
    check(result.error_code, f"adding partitions to {args.topic}", result.error_message)


def delete(client: Client, args: argparse.Namespace) -> None:
    answer = client.send(ApiKey.DELETE_TOPICS, {"topic_names": [args.topic], "topics": [{"name": args.topic}],
                                                "timeout_ms": 30_000})
    result = answer.responses[0]
    if result.error_code == ErrorCode.UNKNOWN_TOPIC_OR_PARTITION and args.if_exists:
        return
    check(result.error_code, f"deleting topic {args.topic}", result.error_message)


def topic_overrides(client: Client, topic: str) -> dict[str, str]:
    """The configs not at Kafka's defaults (set on the topic or by the broker), as kafka-topics lists them."""
    answer = client.send(ApiKey.DESCRIBE_CONFIGS, {"resources": [{
        "resource_type": TOPIC_RESOURCE, "resource_name": topic, "configuration_keys": None}]})
    result = answer.results[0]
    check(result.error_code, f"configs of {topic}", result.error_message)
    return {c.name: c.value for c in result.configs if c.config_source != DEFAULT_CONFIG}


def uuid_text(topic_id) -> str:
    """A topic ID as Kafka prints it: URL-safe base64 of its 16 bytes, unpadded."""
    return base64.urlsafe_b64encode(topic_id.bytes).decode().rstrip("=")


def _names(client: Client, args: argparse.Namespace) -> list[str]:
    return [name for name, info in client.metadata().topics.items()
            if not (args.exclude_internal and info.is_internal)]


def _ids(nodes: list[int] | None) -> str:
    return ",".join(map(str, nodes or []))


def _elr(partition) -> str:
    """The ELR columns, shown (like kafka-topics) only when the broker told them."""
    if partition.elr is None and partition.last_known_elr is None:
        return ""
    return f"\tElr: {_ids(partition.elr)}\tLastKnownElr: {_ids(partition.last_known_elr)}"
