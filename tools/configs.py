"""``odradek configs``: describe and alter topic and broker configs, like kafka-configs.sh."""

from __future__ import annotations

import argparse

from odradek.wire import ApiKey

from .client import Client, check
from .options import connect, key_values

HELP = "describe and alter topic and broker configs (and, with --zookeeper, users' SCRAM credentials)"
RESOURCE_TYPES = {"topics": 2, "brokers": 4}
ENTITY_WORDS = {"topics": "topic", "brokers": "broker"}
SOURCES = {1: "DYNAMIC_TOPIC_CONFIG", 2: "DYNAMIC_BROKER_CONFIG", 3: "DYNAMIC_DEFAULT_BROKER_CONFIG",
           4: "STATIC_BROKER_CONFIG", 5: "DEFAULT_CONFIG", 6: "DYNAMIC_BROKER_LOGGER_CONFIG"}
DYNAMIC_SOURCE = {"topics": 1, "brokers": 2}  # what "Dynamic configs for ..." lists, as kafka-configs
SET, DELETE = 0, 1  # IncrementalAlterConfigs operations


def add_arguments(parser: argparse.ArgumentParser) -> None:
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--bootstrap-server", metavar="HOST:PORT[,HOST:PORT]", help="brokers to connect to first")
    where.add_argument("--zookeeper", metavar="HOST:PORT[/CHROOT]",
                       help="write users' SCRAM credentials straight into a cluster's ZooKeeper (before its "
                            "brokers start, as kafka-configs --zookeeper did)")
    parser.add_argument("--client-id", default="odradek-tools", help="client ID sent with every request")
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--describe", action="store_true")
    action.add_argument("--alter", action="store_true")
    parser.add_argument("--entity-type", choices=sorted([*RESOURCE_TYPES, "users"]), required=True)
    parser.add_argument("--entity-name", help="topic name or broker ID (--describe: all topics when left out)")
    parser.add_argument("--all", action="store_true", help="--describe every config, not only dynamic ones")
    parser.add_argument("--add-config", action="append", metavar="K=V[,K=V]", help="configs to set (--alter)")
    parser.add_argument("--delete-config", action="append", metavar="K[,K]", help="configs to remove (--alter)")


def run(args: argparse.Namespace) -> int:
    if args.zookeeper:
        from . import configs_zookeeper

        return configs_zookeeper.run(args)
    if args.entity_type == "users":
        raise SystemExit("odradek configs: --entity-type users is served with --zookeeper (SCRAM credentials); "
                         "over --bootstrap-server, use kafka-configs or an admin client")
    with connect(args) as client:
        if args.describe:
            print(describe(client, args), end="")
        else:
            alter(client, args)
            print(f"Completed updating config for {ENTITY_WORDS[args.entity_type]} {args.entity_name}.")
    return 0


def describe(client: Client, args: argparse.Namespace) -> str:
    if args.entity_name:
        names = [args.entity_name]
    elif args.entity_type == "topics":
        names = sorted(client.metadata().topics)
    else:
        names = [str(node) for node in sorted(client.metadata([]).brokers)]
    answer = client.send(ApiKey.DESCRIBE_CONFIGS, {"resources": [{
        "resource_type": RESOURCE_TYPES[args.entity_type], "resource_name": name, "configuration_keys": None}
        for name in names], "include_synonyms": True})
    out = []
    for result in answer.results:
        check(result.error_code, f"configs of {result.resource_name}", result.error_message)
        kind = "All" if args.all else "Dynamic"
        out.append(f"{kind} configs for {ENTITY_WORDS[args.entity_type]} {result.resource_name} are:")
        for config in sorted(result.configs, key=lambda c: c.name):
            if args.all or config.config_source == DYNAMIC_SOURCE[args.entity_type]:
                value = "null" if config.is_sensitive else config.value
                synonyms = ", ".join(f"{SOURCES.get(s.source, s.source)}:{s.name}={s.value}" for s in config.synonyms)
                out.append(f"  {config.name}={value} sensitive={str(config.is_sensitive).lower()}"
                           f" synonyms={{{synonyms}}}")
    return "".join(line + "\n" for line in out)


def alter(client: Client, args: argparse.Namespace) -> None:
    if not args.entity_name:
        raise SystemExit("odradek configs: --alter needs --entity-name")
    changes = [{"name": k, "config_operation": SET, "value": v}
               for k, v in key_values(args.add_config, "--add-config").items()]
    changes += [{"name": k.strip(), "config_operation": DELETE, "value": None}
                for item in args.delete_config or [] for k in item.split(",") if k.strip()]
    if not changes:
        raise SystemExit("odradek configs: --alter needs --add-config or --delete-config")
    answer = client.send(ApiKey.INCREMENTAL_ALTER_CONFIGS, {"resources": [{
        "resource_type": RESOURCE_TYPES[args.entity_type], "resource_name": args.entity_name,
        "configs": changes}], "validate_only": False})
    for result in answer.responses:
        check(result.error_code, f"altering configs of {result.resource_name}", result.error_message)
