"""``odradek configs --zookeeper``: SCRAM users written straight into ZooKeeper, before any broker runs.

A cluster whose brokers log in to each other with SCRAM (``sasl.mechanism.inter.broker.protocol``)
cannot start until the brokers' own user exists, and no broker can create it over the wire before
the brokers can talk. ZooKeeper-era Kafka's answer is ``kafka-configs --zookeeper ... --alter
--add-config 'SCRAM-SHA-512=[password=...]' --entity-type users --entity-name admin``, which salts
and hashes the password in the tool and writes ``/config/users/<user>`` itself (then announces the
change under ``/config/changes``, for brokers already running). This does the same, with the same
arguments, output and znode layout the brokers read (``server/cluster/user_scram.py``). Only the
``users`` entity type is served this way: everything else goes through ``--bootstrap-server``.
"""

from __future__ import annotations

import argparse
import os

from odradek.server.cluster import zk_data
from odradek.server.security.sasl.scram_credential import (
    MAX_ITERATIONS,
    MECHANISM_TYPES,
    MIN_ITERATIONS,
    ScramCredential,
)

DEFAULT_ITERATIONS = 4096  # Kafka's ScramMechanism default
SALT_BYTES = 32
TIMEOUT_S = 30.0


def run(args: argparse.Namespace) -> int:
    if args.entity_type != "users":
        raise SystemExit(f"odradek configs: --zookeeper serves only --entity-type users (SCRAM credentials); "
                         f"use --bootstrap-server for {args.entity_type}")
    from kazoo.client import KazooClient
    from kazoo.handlers.threading import KazooTimeoutError

    zk = KazooClient(hosts=args.zookeeper, timeout=10.0)
    try:
        zk.start(timeout=TIMEOUT_S)
    except KazooTimeoutError:
        raise SystemExit(f"odradek configs: could not reach ZooKeeper at {args.zookeeper}") from None
    try:
        if args.describe:
            print(describe(zk, args.entity_name), end="")
        else:
            alter(zk, args)
            print(f"Completed updating config for entity: user-principal '{args.entity_name}'.")
    finally:
        zk.stop()
        zk.close()
    return 0


def describe(zk, user: str | None) -> str:
    if user:
        users = [user]
    else:
        users = sorted(zk_data.user_of(entity) for entity in (zk.get_children(zk_data.CONFIG_USERS)
                                                               if zk.exists(zk_data.CONFIG_USERS) else []))
    out = []
    for name in users:
        configs = _read(zk, name)
        shown = ",".join(f"{key}={value}" for key, value in sorted(configs.items()))
        out.append(f"Configs for user-principal '{name}' are {shown}\n")
    return "".join(out)


def alter(zk, args: argparse.Namespace) -> None:
    if not args.entity_name:
        raise SystemExit("odradek configs: --alter needs --entity-name")
    added = scram_configs(args.add_config)
    deleted = [key.strip() for item in args.delete_config or [] for key in item.split(",") if key.strip()]
    if not added and not deleted:
        raise SystemExit("odradek configs: --alter needs --add-config or --delete-config")
    configs = _read(zk, args.entity_name)
    for mechanism, (password, iterations) in added.items():
        credential = ScramCredential.from_password(mechanism, password, os.urandom(SALT_BYTES), iterations)
        configs[mechanism] = credential.to_string()
    for key in deleted:
        if key not in configs:
            raise SystemExit(f"odradek configs: invalid config(s): {key} is not set for user {args.entity_name}")
        del configs[key]
    path = zk_data.user_config_path(args.entity_name)
    if configs:
        data = zk_data.encode_config(configs)
        if zk.exists(path):
            zk.set(path, data)
        else:
            zk.create(path, data, makepath=True)
    elif zk.exists(path):
        zk.delete(path)
    zk.create(f"{zk_data.CONFIG_CHANGES}/{zk_data.CONFIG_CHANGE_PREFIX}",
              zk_data.encode_config_change("users", zk_data.user_entity(args.entity_name)),
              sequence=True, makepath=True)


def scram_configs(items: list[str] | None) -> dict[str, tuple[str, int]]:
    """``SCRAM-SHA-256=[iterations=8192,password=alice-secret],SCRAM-SHA-512=[password=...]``, as
    kafka-configs takes it: mechanism -> (password, iterations)."""
    found = {}
    for item in items or []:
        for entry in _split_outside_brackets(item):
            key, sep, value = entry.partition("=")
            key, value = key.strip(), value.strip()
            if key not in MECHANISM_TYPES:
                raise SystemExit(f"odradek configs: --zookeeper sets only {', '.join(MECHANISM_TYPES)} of users, "
                                 f"not {key!r}")
            if not (sep and value.startswith("[") and value.endswith("]")):
                raise SystemExit(f"odradek configs: {key} expects [password=...] or "
                                 f"[iterations=N,password=...], got {value!r}")
            options = dict(part.partition("=")[::2] for part in value[1:-1].split(",") if part)
            if "password" not in options:
                raise SystemExit(f"odradek configs: {key} needs a password: {key}=[password=...]")
            try:
                iterations = int(options.get("iterations", DEFAULT_ITERATIONS))
            except ValueError:
                raise SystemExit(f"odradek configs: {key}: iterations={options['iterations']} is not a number") from None
            if not MIN_ITERATIONS <= iterations <= MAX_ITERATIONS:
                raise SystemExit(f"odradek configs: {key}: iterations must be between {MIN_ITERATIONS} and "
                                 f"{MAX_ITERATIONS}, got {iterations}")
            found[key] = (options["password"], iterations)
    return found


def _split_outside_brackets(text: str) -> list[str]:
    parts, depth, start = [], 0, 0
    for index, char in enumerate(text):
        if char == "[":
            depth += 1
        elif char == "]":
            depth = max(0, depth - 1)
        elif char == "," and depth == 0:
            parts.append(text[start:index])
            start = index + 1
    parts.append(text[start:])
    return [part for part in parts if part.strip()]


def _read(zk, user: str) -> dict[str, str]:
    path = zk_data.user_config_path(user)
    return zk_data.decode_config(zk.get(path)[0]) if zk.exists(path) else {}
