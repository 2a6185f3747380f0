"""Faults under load on a three-broker cluster: nothing acknowledged is ever lost.

Each test runs an ``acks=all``, idempotent confluent-kafka producer (``acked_load``) against an
RF=3 topic with ``min.insync.replicas=2`` while it breaks something, as an operator's worst day
would: a leader killed with SIGKILL, a follower frozen with SIGSTOP, the controller killed, a
broker cut off from ZooKeeper and the other brokers, every broker restarted in turn. Afterwards
every acknowledged record must be read back at its offset, exactly once, in order.
"""

from __future__ import annotations

import time

import pytest

from .acked_load import AckedLoad
from .cluster_process import Cluster, wait_until

pytestmark = pytest.mark.slow
SESSION_TIMEOUT_MS = 4000
RELIABLE = {"min.insync.replicas": 2, "default.replication.factor": 3,
            "zookeeper.session.timeout.ms": SESSION_TIMEOUT_MS}


@pytest.fixture
def cluster(tmp_path):
    running = Cluster(tmp_path, overrides=RELIABLE).start()
    yield running
    running.stop()


def create(cluster: Cluster, topic: str, partitions: int = 3) -> dict:
    from kafka.admin import KafkaAdminClient, NewTopic

    admin = KafkaAdminClient(bootstrap_servers=cluster.bootstrap, request_timeout_ms=30000)
    try:
        admin.create_topics([NewTopic(topic, partitions, 3)])
    finally:
        admin.close()
    return cluster.wait_for_leaders(topic, partitions, isr_size=3)


def test_kill_9_of_a_leader_loses_nothing_acknowledged(cluster):
    partitions = create(cluster, "failover", 1)
    leader = partitions[0].leader
    load = AckedLoad(cluster.bootstrap, "failover", 1).start()
    load.wait_for(500)
    cluster.kill(leader)
    after = cluster.wait_for_leaders("failover", 1)[0]
    assert after.leader != leader and after.leader_epoch > partitions[0].leader_epoch
    load.wait_for(500)
    load.stop()
    assert not load.errors, load.errors[:5]
    assert load.verify(cluster.bootstrap) >= load.count
    cluster.restart(leader)
    isr = cluster.wait_for_leaders("failover", 1, isr_size=3)[0].isr
    assert leader in isr  # the old leader truncated what it alone had, and caught up


def test_a_frozen_follower_leaves_the_isr_and_returns(cluster):
    partitions = create(cluster, "frozen", 1)
    follower = next(r for r in partitions[0].replicas if r != partitions[0].leader)
    load = AckedLoad(cluster.bootstrap, "frozen", 1).start()
    load.wait_for(200)
    cluster.pause(follower)
    shrunk = wait_until(lambda: follower not in cluster.metadata(["frozen"]).topics["frozen"].partitions[0].isr,
                        30, f"broker {follower} to leave the ISR")
    assert shrunk
    load.wait_for(500)  # two in-sync replicas still satisfy min.insync.replicas=2
    cluster.resume(follower)
    wait_until(lambda: follower in cluster.metadata(["frozen"]).topics["frozen"].partitions[0].isr,
               30, f"broker {follower} to rejoin the ISR")
    load.stop()
    assert not load.errors, load.errors[:5]
    load.verify(cluster.bootstrap)


def test_a_killed_controller_is_replaced_within_the_session_timeout(cluster):
    create(cluster, "headless", 3)
    controller = cluster.controller()
    load = AckedLoad(cluster.bootstrap, "headless", 3).start()
    load.wait_for(300)
    killed_at = time.monotonic()
    cluster.kill(controller)
    live = set(cluster.brokers) - {controller}
    cluster.wait_for_brokers(live, timeout=SESSION_TIMEOUT_MS / 1000 + 10)
    replaced_after = time.monotonic() - killed_at
    assert cluster.controller() in live
    assert replaced_after < SESSION_TIMEOUT_MS / 1000 + 5, f"a new controller took {replaced_after:.1f}s"
    cluster.wait_for_leaders("headless", 3)
    load.wait_for(300)
    load.stop()
    assert not load.errors, load.errors[:5]
    load.verify(cluster.bootstrap)


def test_a_rolling_restart_shows_the_producer_nothing_but_retries(cluster):
    create(cluster, "rolling", 3)
    load = AckedLoad(cluster.bootstrap, "rolling", 3).start()
    load.wait_for(300)
    for broker_id in sorted(cluster.brokers):
        cluster.restart(broker_id)  # SIGTERM: a controlled shutdown moves its leaderships first
        cluster.wait_for_leaders("rolling", 3, isr_size=3)
        load.wait_for(200)
    load.stop()
    assert not load.errors, load.errors[:5]
    load.verify(cluster.bootstrap)


@pytest.fixture
def linked_cluster(tmp_path):
    running = Cluster(tmp_path, overrides=RELIABLE, links=True).start()
    yield running
    running.stop()


def test_a_leader_cut_off_from_the_cluster_loses_nothing_acknowledged(linked_cluster):
    cluster = linked_cluster
    partitions = create(cluster, "partitioned", 1)
    leader = partitions[0].leader
    load = AckedLoad(cluster.bootstrap, "partitioned", 1).start()
    load.wait_for(500)
    cluster.isolate(leader)  # ZooKeeper and the other brokers no longer reach it; clients still do
    others = set(cluster.brokers) - {leader}

    def new_leader():
        for broker_id in others:
            info = _metadata_from(cluster, broker_id, "partitioned")
            if info.leader in others:
                return info
        return None

    after = wait_until(new_leader, SESSION_TIMEOUT_MS / 1000 + 20, "a new leader among the connected brokers")
    assert after.leader_epoch > partitions[0].leader_epoch
    load.wait_for(500)
    cluster.reconnect(leader)
    cluster.wait_for_brokers(set(cluster.brokers))
    cluster.wait_for_leaders("partitioned", 1, isr_size=3)
    load.wait_for(200)
    load.stop()
    assert not load.errors, load.errors[:5]
    load.verify(cluster.bootstrap)


def _metadata_from(cluster: Cluster, broker_id: int, topic: str):
    from odradek.tools.client import Client

    with Client(cluster.brokers[broker_id].bootstrap, timeout=5.0) as client:
        return client.metadata([topic]).topics[topic].partitions[0]
