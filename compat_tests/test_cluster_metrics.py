"""``/metrics`` of a three-broker cluster: under-replicated partitions appear when a follower
dies and go when it is back in the ISR, as Kafka's ReplicaManager metrics report them."""

from __future__ import annotations

from kafka.admin import NewTopic

from .cluster_process import wait_until
from .metrics_scrape import metrics_url, scrape

CLUSTER_OVERRIDES = {"metrics.port": 0}
REPLICAS = "kafka_server_replicamanager_"


def _sum(cluster, name: str) -> float:
    return sum(scrape(metrics_url(broker)).value(name) for broker in cluster.brokers.values() if broker.running)


def test_a_dead_follower_leaves_its_partitions_under_replicated_until_it_is_back(cluster, clients):
    clients.kp_admin(cluster).create_topics([NewTopic("watched", 3, 3)])
    cluster.wait_for_leaders("watched", 3, isr_size=3)
    # the leaders learn their ISR from the controller a moment after the metadata shows it
    wait_until(lambda: _sum(cluster, f"{REPLICAS}underreplicatedpartitions") == 0, 30,
               "no under-replicated partition")
    assert _sum(cluster, f"{REPLICAS}leadercount") >= 3
    assert _sum(cluster, "kafka_controller_kafkacontroller_activecontrollercount") == 1
    expands = _sum(cluster, f"{REPLICAS}isrexpands_total")

    controller = cluster.controller()
    victim = next(b for b in sorted(cluster.brokers) if b != controller)
    cluster.kill(victim)
    # every partition of the topic has a replica on the dead broker; the others' leaders say so
    wait_until(lambda: _sum(cluster, f"{REPLICAS}underreplicatedpartitions") == 3, 30,
               "3 under-replicated partitions")
    assert _sum(cluster, "kafka_controller_kafkacontroller_offlinepartitionscount") == 0  # leaders remain

    cluster.restart(victim)
    cluster.wait_for_leaders("watched", 3, isr_size=3)
    wait_until(lambda: _sum(cluster, f"{REPLICAS}underreplicatedpartitions") == 0, 30,
               "no under-replicated partition")
    assert _sum(cluster, f"{REPLICAS}isrexpands_total") - expands >= 3  # the follower rejoined each ISR
