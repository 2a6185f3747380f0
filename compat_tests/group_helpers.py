"""Setting up and checking consumer-group scenarios: topics, records, even splits, single reads."""

from __future__ import annotations

import time
from collections import Counter
from contextlib import closing

from confluent_kafka.admin import ConsumerGroupDescription, NewTopic

from .clients import TIMEOUT, ck_produce, ck_wait
from .group_member import Record
from .raw_kafka import api_versions_v0, connect, parse_api_versions_v0, read_response

CONSUMER_GROUP_HEARTBEAT = 68  # KIP-848's API key


def create_topic(clients, broker, name: str, partitions: int) -> None:
    admin = clients.ck_admin(broker)
    ck_wait(admin.create_topics([NewTopic(name, num_partitions=partitions, replication_factor=1)],
                                operation_timeout=10))


def produce_to_partitions(clients, broker, topic: str, partitions: int, per_partition: int,
                          tag: str = "") -> list[bytes]:
    """Send ``per_partition`` records to each partition; return their values (all distinct)."""
    producer = clients.ck_producer(broker)
    sent = []
    for partition in range(partitions):
        values = [f"{tag}p{partition}-{i}".encode() for i in range(per_partition)]
        ck_produce(producer, topic, [(None, value) for value in values], partition=partition)
        sent += values
    return sent


def wait_for_split(members: list, topic: str, partitions: int, timeout: float = TIMEOUT) -> list[frozenset]:
    """Wait until ``members`` hold disjoint, even shares of all of ``topic``'s partitions.

    Returns each member's partition numbers.  Members may be anything with ``assignment``
    and ``check()``: a ``Member`` or a ``MemberProcess``.
    """
    share, extra = divmod(partitions, len(members))
    deadline = time.monotonic() + timeout
    while True:
        for member in members:
            member.check()
        held = [frozenset(p for t, p in member.assignment if t == topic) for member in members]
        sizes = sorted(len(h) for h in held)
        if (frozenset().union(*held) == frozenset(range(partitions)) and sum(sizes) == partitions
                and sizes == [share] * (len(members) - extra) + [share + 1] * extra):
            return held
        if time.monotonic() >= deadline:
            raise AssertionError(f"no even split of {partitions} partitions over {len(members)} members "
                                 f"within {timeout}s; they hold {[sorted(h) for h in held]}")
        time.sleep(0.05)


def wait_for_records(members: list, count: int, timeout: float = TIMEOUT) -> list[Record]:
    """Wait until ``members`` together read ``count`` records; return them all."""
    deadline = time.monotonic() + timeout
    while True:
        for member in members:
            member.check()
        records = [record for member in members for record in member.records]
        if len(records) >= count:
            return records
        if time.monotonic() >= deadline:
            raise AssertionError(f"members read {len(records)} of {count} records within {timeout}s")
        time.sleep(0.05)


def assert_each_read_once(records: list[Record], sent: list[bytes]) -> None:
    repeated = [value for value, times in Counter(r.value for r in records).items() if times > 1]
    assert not repeated, f"{len(repeated)} records were delivered more than once, e.g. {repeated[:3]}"
    assert sorted(r.value for r in records) == sorted(sent)


def describe_group(clients, broker, group: str) -> ConsumerGroupDescription:
    admin = clients.ck_admin(broker)
    return ck_wait(admin.describe_consumer_groups([group], request_timeout=10))[group]


def serves_api(broker, api_key: int) -> bool:
    """Whether the broker's ApiVersions (v0, read by hand) lists ``api_key``."""
    with closing(connect(broker)) as sock:
        sock.sendall(api_versions_v0(1))
        _, error, apis = parse_api_versions_v0(read_response(sock))
    assert error == 0
    return api_key in apis
