"""The web console of a three-broker cluster: any broker's brokers page shows all three (racks,
the controller, partitions led), a topic created from one broker's form is replicated across the
cluster, its page shows replicas and ISR (and the under-replicated partitions while a follower is
dead), a partition's messages are browsed on its leader (another broker says which one leads),
and a topic deleted from a console is gone from every broker."""

from __future__ import annotations

from .cluster_process import wait_until
from .clients import ck_produce
from .console_http import console_url, get, post, table

CLUSTER_OVERRIDES = {"metrics.port": 0}
CLUSTER_RACKS = {1: "rack-a", 2: "rack-b", 3: "rack-c"}
TOPIC = "replicated"


def test_brokers_topics_and_messages_across_the_cluster(cluster, clients):
    urls = {broker_id: console_url(broker) for broker_id, broker in cluster.brokers.items()}
    controller = cluster.controller()
    rows = table(get(urls[1])[1], "brokers")
    assert [(row[0].split()[0], row[1]) for row in rows] == [(str(i), CLUSTER_RACKS[i]) for i in (1, 2, 3)]
    assert [row[0].split()[0] for row in rows if row[3] == "yes"] == [str(controller)]
    for row, broker in zip(rows, (cluster.brokers[i] for i in (1, 2, 3))):
        assert f"PLAINTEXT://{broker.bootstrap}" in row[2]

    creator = next(i for i in (1, 2, 3) if i != controller)
    status, _, location = post(f"{urls[creator]}create-topic",
                               {"name": TOPIC, "partitions": "3", "replication_factor": "3"})
    assert status == 303, location
    partitions = cluster.wait_for_leaders(TOPIC, 3, isr_size=3)

    def topic_rows(broker_id):
        status, html = get(f"{urls[broker_id]}topic/{TOPIC}")
        return status == 200 and table(html, "partitions")

    for broker_id in (1, 2, 3):  # every broker's metadata has it
        shown = wait_until(lambda: topic_rows(broker_id), 30, f"the topic on broker {broker_id}'s console")
        assert [row[1] for row in shown] == [str(partitions[p].leader) for p in range(3)]
        assert all(sorted(row[2].split(", ")) == ["1", "2", "3"] for row in shown)
    leads = {int(row[0].split()[0]): int(row[5]) for row in table(get(urls[creator])[1], "brokers")}
    expected = {i: sum(1 for p in partitions.values() if p.leader == i) for i in (1, 2, 3)}
    assert leads == expected  # the topic is the cluster's only one so far

    producer = clients.ck_producer(cluster)
    ck_produce(producer, TOPIC, [(b"k", b"on partition zero")] * 5, partition=0)
    leader = partitions[0].leader
    rows = table(get(f"{urls[leader]}topic/{TOPIC}/0/messages?offset=0")[1], "messages")
    assert [row[3] for row in rows] == ["on partition zero"] * 5
    follower = next(i for i in (1, 2, 3) if i != leader)
    status, html = get(f"{urls[follower]}topic/{TOPIC}/0/messages")
    assert status == 400 and f"open the console of broker {leader}, its leader" in html

    # a dead follower: the topic's partitions are under-replicated on the survivors' pages
    victim, survivor = creator, controller
    cluster.kill(victim)

    def under_replicated():
        status, html = get(f"{urls[survivor]}topics?q={TOPIC}")
        rows = table(html, "topics")
        return rows and rows[0][3] == "3"

    wait_until(under_replicated, 30, "3 under-replicated partitions on the topics page")
    cluster.restart(victim)
    # back in every ISR; a loaded machine (CI, other tests beside) has taken more than 30 s
    cluster.wait_for_leaders(TOPIC, 3, isr_size=3, timeout=90)
    wait_until(lambda: table(get(f"{urls[survivor]}topics?q={TOPIC}")[1], "topics")[0][3] == "", 30,
               "no under-replicated partition on the topics page")
    urls[victim] = console_url(cluster.brokers[victim])  # port 0: a new one after the restart

    status, _, _ = post(f"{urls[creator]}topic/{TOPIC}/delete", {"confirm": TOPIC})
    assert status == 303
    for broker_id in (1, 2, 3):
        wait_until(lambda: get(f"{urls[broker_id]}topic/{TOPIC}")[0] == 404, 30,
                   f"the topic gone from broker {broker_id}'s console")
