"""The web console over plain HTTP against a real broker: each page's status and what it shows,
its forms changing what Kafka clients then see (create, alter a config, delete after a
confirmation), bad input answered on the page (400, never a 500), and a hostile record value
shown escaped."""

from __future__ import annotations

import html as html_module
import json
import time
import urllib.parse

import confluent_kafka
import pytest
from confluent_kafka.admin import ConfigResource, NewTopic
from kafka import TopicPartition
from kafka.structs import OffsetAndMetadata

from .clients import ck_produce, ck_wait, kp_read, wait_until
from .console_http import console_url, get, post, table
from .share_members import WireShareMember, beat_until, wait_for_coordinator
from .wire_client import WireClient

BROKER_OVERRIDES = {"metrics.port": 0}


def _create(clients, broker, topic: str, partitions: int = 1) -> None:
    ck_wait(clients.ck_admin(broker).create_topics([NewTopic(topic, partitions, 1)]))


def _topics(clients, broker) -> set[str]:
    """The topic names a Kafka client's Metadata request lists (each call a new client: a client
    keeps what it learnt, and a test waits for a change)."""
    with clients.kp_admin(broker) as admin:
        return set(admin.list_topics())


def _seg(name: str) -> str:
    return urllib.parse.quote(name, safe="")


def test_brokers_page_shows_this_broker_as_controller_with_its_endpoint_and_partitions_led(module_broker, clients, topic):
    _create(clients, module_broker, topic, 4)
    url = console_url(module_broker)
    status, html = get(url)
    assert status == 200
    rows = table(html, "brokers")
    assert len(rows) == 1
    broker_id, rack, endpoints, controller, uptime, leads = rows[0]
    assert broker_id.startswith("1")
    assert endpoints == f"PLAINTEXT://{module_broker.bootstrap}"
    assert controller == "yes"
    assert uptime.endswith("s")
    led = sum(len(t.partitions) for t in clients.ck_admin(module_broker).list_topics(timeout=10).topics.values())
    assert int(leads) == led >= 4


def test_topics_list_and_detail_show_partitions_offsets_and_configs(module_broker, clients, topic):
    _create(clients, module_broker, topic, 3)
    producer = clients.ck_producer(module_broker)
    ck_produce(producer, topic, [(None, b"x" * 100)] * 10, partition=1)
    url = console_url(module_broker)
    status, html = get(f"{url}topics?q={topic}")
    assert status == 200
    rows = table(html, "topics")
    assert [row[0] for row in rows] == [topic]
    assert rows[0][1:3] == ["3", "1"]
    status, html = get(f"{url}topic/{_seg(topic)}")
    assert status == 200
    partitions = table(html, "partitions")
    assert [row[0] for row in partitions] == ["0", "1", "2"]
    assert [row[5] for row in partitions] == ["0", "10", "0"]  # high watermarks
    configs = {row[0]: row[1] for row in table(html, "config-table")}
    assert configs["cleanup.policy"] == "delete"
    assert "retention.ms" in configs


def test_a_topic_of_many_partitions_is_shown_a_page_at_a_time(module_broker, clients, topic):
    _create(clients, module_broker, topic, 250)
    url = console_url(module_broker)
    first = table(get(f"{url}topic/{_seg(topic)}")[1], "partitions")
    last = table(get(f"{url}topic/{_seg(topic)}?page=3")[1], "partitions")
    assert [row[0] for row in first] == [str(i) for i in range(100)]
    assert [row[0] for row in last] == [str(i) for i in range(200, 250)]
    assert get(f"{url}topic/{_seg(topic)}?page=junk")[0] == 200


def test_creating_a_topic_from_the_form_makes_it_for_kafka_clients(module_broker, clients, topic):
    url = console_url(module_broker)
    status, _, location = post(f"{url}create-topic", {"name": topic, "partitions": "2", "replication_factor": "",
                                                     "configs": "retention.ms=3600000\ncleanup.policy=compact"})
    assert status == 303 and location == f"/topic/{_seg(topic)}?notice=created"
    metadata = clients.ck_admin(module_broker).list_topics(topic, timeout=10)
    assert len(metadata.topics[topic].partitions) == 2
    described = ck_wait(clients.ck_admin(module_broker).describe_configs(
        [ConfigResource(ConfigResource.Type.TOPIC, topic)]))
    configs = next(iter(described.values()))
    assert configs["retention.ms"].value == "3600000"
    assert configs["cleanup.policy"].value == "compact"


def test_bad_input_in_the_create_form_is_one_line_on_the_page(module_broker, clients, topic):
    url = console_url(module_broker)
    _create(clients, module_broker, topic)
    for fields, expected in [
        ({"name": "", "partitions": "1"}, "A topic needs a name."),
        ({"name": topic + "-x", "partitions": "many"}, "Partitions must be a whole number"),
        ({"name": topic + "-x", "partitions": "0"}, "INVALID_PARTITIONS"),
        ({"name": topic + "-x", "replication_factor": "3"}, "INVALID_REPLICATION_FACTOR"),
        ({"name": "bad/name"}, "INVALID_TOPIC_EXCEPTION"),
        ({"name": topic + "-x", "configs": "no.such.config=1"}, "Unknown topic config name: no.such.config"),
        ({"name": topic + "-x", "configs": "just words"}, "Configs are name=value lines"),
        ({"name": topic}, "TOPIC_ALREADY_EXISTS"),
    ]:
        status, html, _ = post(f"{url}create-topic", fields)
        assert status == 400, (fields, html[:500])
        assert 'id="error"' in html and expected in html, (fields, html[:2000])
    assert topic + "-x" not in _topics(clients, module_broker)


def test_altering_a_config_from_the_topic_page_is_what_describe_configs_reports(module_broker, clients, topic):
    _create(clients, module_broker, topic)
    url = console_url(module_broker)
    status, _, location = post(f"{url}topic/{_seg(topic)}/configs",
                               {"config": "retention.ms", "value": "120000", "operation": "set"})
    assert status == 303

    def retention():
        described = ck_wait(clients.ck_admin(module_broker).describe_configs(
            [ConfigResource(ConfigResource.Type.TOPIC, topic)]))
        return next(iter(described.values()))["retention.ms"]

    assert retention().value == "120000"
    rows = {row[0]: row for row in table(get(f"{url}topic/{_seg(topic)}")[1], "config-table")}
    assert rows["retention.ms"][1:] == ["120000", "topic override"]
    status, html, _ = post(f"{url}topic/{_seg(topic)}/configs",
                           {"config": "retention.ms", "value": "soon", "operation": "set"})
    assert status == 400 and "INVALID_CONFIG" in html
    assert retention().value == "120000"
    status, _, _ = post(f"{url}topic/{_seg(topic)}/configs", {"config": "retention.ms", "operation": "delete"})
    assert status == 303
    assert retention().value == "604800000"  # the default again


def test_deleting_a_topic_needs_its_name_typed_and_refuses_another_sites_form(module_broker, clients, topic):
    _create(clients, module_broker, topic)
    committer = clients.kp_consumer(module_broker, group_id=f"{topic}-group")  # makes __consumer_offsets
    committer.assign([TopicPartition(topic, 0)])
    committer.commit({TopicPartition(topic, 0): _offset(0)})
    committer.close()  # else its metadata refreshes could auto-create the topic again once deleted
    url = console_url(module_broker)
    status, html = get(f"{url}topic/{_seg(topic)}/delete")
    assert status == 200 and "cannot be undone" in html
    status, html, _ = post(f"{url}topic/{_seg(topic)}/delete", {"confirm": "yes"})
    assert status == 400 and f"Type the topic&#39;s name, {topic}, to confirm." in html
    status, html, _ = post(f"{url}topic/{_seg(topic)}/delete", {"confirm": topic},
                           headers={"Origin": "http://elsewhere.example"})
    assert status == 403
    assert topic in _topics(clients, module_broker)
    origin = url.rstrip("/")
    status, _, location = post(f"{url}topic/{_seg(topic)}/delete", {"confirm": topic}, headers={"Origin": origin})
    assert status == 303 and location.startswith("/topics?notice=")
    wait_until(lambda: topic not in _topics(clients, module_broker), interval=0.5, what="the topic gone")
    assert get(f"{url}topic/{_seg(topic)}")[0] == 404
    assert get(f"{url}topic/{_seg(topic)}/delete")[0] == 404
    status, html, _ = post(f"{url}topic/__consumer_offsets/delete", {"confirm": "__consumer_offsets"})
    assert status == 400 and "the console does not delete it" in html


def test_messages_show_json_pretty_text_and_hex_and_escape_hostile_values(module_broker, clients, topic):
    _create(clients, module_broker, topic)
    producer = clients.ck_producer(module_broker)
    hostile = b"<script>alert('pwned')</script>"
    ck_produce(producer, topic, [(b"json-key", json.dumps({"order": 7, "items": ["a", "b"]}).encode()),
                                 (b"text-key", b"plain words"),
                                 (None, bytes(range(200, 256))),
                                 (b"hostile", hostile)], partition=0, headers=[("trace", b"abc-123")])
    url = console_url(module_broker)
    status, html = get(f"{url}topic/{_seg(topic)}/0/messages?offset=0")
    assert status == 200
    rows = table(html, "messages")
    assert [row[0] for row in rows] == ["0", "1", "2", "3"]
    assert rows[0][2] == "json-key"
    assert '"order": 7,\n  "items": [' in html_module.unescape(html)  # pretty-printed, two spaces
    assert rows[1][3] == "plain words"
    assert rows[2][2] == "null" and rows[2][3].startswith("00000000 c8c9 cacb")  # not UTF-8: hex
    assert rows[0][4] == "trace: abc-123"
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&#39;pwned&#39;)&lt;/script&gt;" in html
    status, html = get(f"{url}topic/{_seg(topic)}/0/messages?offset=1&limit=1&format=hex")
    rows = table(html, "messages")
    assert [row[0] for row in rows] == ["1"]
    assert rows[0][3] == "00000000 706c 6169 6e20 776f 7264 73"  # "plain words"
    assert 'id="next" href="?offset=2&amp;limit=1&amp;format=hex"' in html


def test_messages_from_a_time_and_the_latest_ones(module_broker, clients, topic):
    _create(clients, module_broker, topic)
    producer = clients.ck_producer(module_broker)
    base = 1_700_000_000_000
    for i in range(10):
        producer.produce(topic, value=b"v%d" % i, partition=0, timestamp=base + i * 1000)
    assert producer.flush(10) == 0
    url = console_url(module_broker)
    rows = table(get(f"{url}topic/{_seg(topic)}/0/messages?time={base + 4500}")[1], "messages")
    assert [row[0] for row in rows] == ["5", "6", "7", "8", "9"]
    iso = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime((base + 7000) / 1000))
    rows = table(get(f"{url}topic/{_seg(topic)}/0/messages?time={iso}")[1], "messages")
    assert [row[0] for row in rows] == ["7", "8", "9"]
    assert rows[0][1] == time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime((base + 7000) / 1000)) + ".000 UTC"
    rows = table(get(f"{url}topic/{_seg(topic)}/0/messages?limit=3")[1], "messages")  # the latest
    assert [row[3] for row in rows] == ["v7", "v8", "v9"]


def test_bad_browse_input_is_one_line_on_the_page(module_broker, clients, topic):
    _create(clients, module_broker, topic)
    url = console_url(module_broker)
    for query, status, expected in [
        ("offset=first", 400, "Offset must be a whole number"),
        ("offset=-1", 400, "Offset must be at least 0"),
        ("limit=100000", 400, "At most 500 records"),
        ("time=yesterday", 400, "neither a time"),
    ]:
        got, html = get(f"{url}topic/{_seg(topic)}/0/messages?{query}")
        assert got == status and expected in html, (query, html[:2000])
    got, html = get(f"{url}topic/{_seg(topic)}/7/messages")
    assert got == 404 and "has no partition 7" in html
    assert get(f"{url}topic/{_seg(topic)}/x/messages")[0] == 400
    assert get(f"{url}topic/no-such-topic/0/messages")[0] == 404
    assert get(f"{url}group/no-such-group")[0] == 404


def test_groups_show_committed_offsets_and_lag(module_broker, clients, topic):
    _create(clients, module_broker, topic, 2)
    producer = clients.ck_producer(module_broker)
    ck_produce(producer, topic, [(None, b"a")] * 7, partition=0)
    ck_produce(producer, topic, [(None, b"b")] * 5, partition=1)
    group = f"{topic}-group"
    consumer = clients.kp_consumer(module_broker, group_id=group)
    consumer.assign([TopicPartition(topic, 0)])
    kp_read(consumer, 7)
    consumer.commit({TopicPartition(topic, 0): _offset(3)})
    url = console_url(module_broker)
    status, html = get(f"{url}groups?q={group}")
    assert status == 200
    assert [row[0] for row in table(html, "groups")] == [group]
    status, html = get(f"{url}group/{_seg(group)}")
    assert status == 200
    offsets = table(html, "offsets")
    assert [row[:5] for row in offsets] == [[topic, "0", "3", "7", "4"]]
    assert 'id="total-lag">4<' in html

    def lag_charted():
        html = get(f"{url}group/{_seg(group)}")[1]
        return 'id="lag-chart"' in html and "<polyline" in html and html

    assert "now 4 records" in wait_until(lag_charted, timeout=15, interval=0.5, what="the lag chart")


def _offset(offset: int) -> OffsetAndMetadata:
    return OffsetAndMetadata(offset, "", -1)


def test_throughput_page_charts_records_produced(module_broker, clients, topic):
    _create(clients, module_broker, topic)
    url = console_url(module_broker)
    producer = clients.ck_producer(module_broker)
    ck_produce(producer, topic, [(None, b"r")] * 200)

    def charted():
        status, html = get(f"{url}throughput")
        assert status == 200
        return "<polyline" in html and html

    html = wait_until(charted, timeout=15, interval=0.5, what="a chart line")
    assert html.count("<svg") == 3

    def topic_charted():
        html = get(f"{url}topic/{_seg(topic)}")[1]
        return html.count("<polyline") == 3 and html

    assert "Records in: now" in wait_until(topic_charted, timeout=15, interval=0.5, what="the topic's charts")
    assert get(f"{url}static/console.css")[0] == 200
    assert get(f"{url}metrics")[0] == 200  # the metrics part still served beside the console


def test_a_consumer_protocol_group_shows_its_type_members_and_assignment(module_broker, clients, topic):
    _create(clients, module_broker, topic, 2)
    ck_produce(clients.ck_producer(module_broker), topic, [(None, b"x")] * 6, partition=1)
    group = f"{topic}-848"
    consumer = clients.ck_consumer(module_broker, **{"group.id": group, "group.protocol": "consumer",
                                                     "client.id": "console-test"})
    consumer.subscribe([topic])
    wait_until(lambda: consumer.consume(timeout=0.2) is not None and len(consumer.assignment()) == 2,
               what="the consumer to be assigned both partitions")
    consumer.commit(offsets=[confluent_kafka.TopicPartition(topic, p, p) for p in range(2)], asynchronous=False)
    url = console_url(module_broker)
    row = table(get(f"{url}groups?q={_seg(group)}")[1], "groups")[0]
    assert row[:4] == [group, "consumer", "Stable", "1"]
    status, html = get(f"{url}group/{_seg(group)}")
    assert status == 200
    (member,) = table(html, "members")
    assert member[1] == "console-test"
    assert sorted(member[3].split(", ")) == [f"{topic}-0", f"{topic}-1"]
    offsets = table(html, "offsets")
    assert [row[:5] for row in offsets] == [[topic, "0", "0", "0", "0"], [topic, "1", "1", "6", "5"]]


@pytest.mark.slow
def test_pages_stay_fast_with_ten_thousand_partitions(module_broker, clients, topic):
    """Every table is paged and nothing is read per partition beyond dict lookups: a 10K-partition
    topic's pages answer in well under a second on an idle machine (2 s allows for a loaded one)."""
    admin = clients.ck_admin(module_broker, **{"socket.timeout.ms": 120_000})
    ck_wait(admin.create_topics([NewTopic(topic, 10_000, 1)], request_timeout=120), timeout=180)
    url = console_url(module_broker)
    for path in ("", "topics", f"topic/{_seg(topic)}", f"topic/{_seg(topic)}?page=100",
                 f"topic/{_seg(topic)}/9999/messages", "groups", "throughput"):
        started = time.monotonic()
        status, html = get(f"{url}{path}")
        took = time.monotonic() - started
        assert status == 200, path
        assert took < 2.0, f"/{path} took {took:.2f}s"
        assert len(html) < 200_000, f"/{path} is {len(html)} bytes"


def test_resetting_a_groups_offsets_is_previewed_then_committed_only_while_it_is_inactive(module_broker, clients,
                                                                                      topic):
    _create(clients, module_broker, topic, 2)
    producer = clients.ck_producer(module_broker)
    base = 1_700_000_000_000
    for i in range(10):
        producer.produce(topic, value=b"v", partition=i % 2, timestamp=base + i * 1000)
    assert producer.flush(10) == 0
    group = f"{topic}-reset"
    committer = clients.kp_consumer(module_broker, group_id=group)
    committer.assign([TopicPartition(topic, 0), TopicPartition(topic, 1)])
    committer.commit({TopicPartition(topic, 0): _offset(2), TopicPartition(topic, 1): _offset(3)})
    url = console_url(module_broker)
    reset = f"{url}group/{_seg(group)}/reset"

    def committed():
        return [committer.committed(TopicPartition(topic, p)) for p in range(2)]

    for fields, planned in [
        ({"strategy": "to-earliest"}, ["0", "0"]),
        ({"strategy": "to-latest"}, ["5", "5"]),
        ({"strategy": "to-offset", "value": "4"}, ["4", "4"]),
        ({"strategy": "to-offset", "value": "99"}, ["5", "5"]),  # clamped into the log
        ({"strategy": "shift-by", "value": "-1"}, ["1", "2"]),
        ({"strategy": "to-datetime", "value": str(base + 6000)}, ["3", "3"]),  # the records at 6 s and 7 s
    ]:
        status, html, _ = post(reset, {**fields, "action": "preview"})
        assert status == 200, html[:2000]
        rows = table(html, "planned")
        assert [row[2:] for row in rows] == [["2", planned[0]], ["3", planned[1]]], fields
        assert committed() == [2, 3]  # a preview changes nothing
    status, _, location = post(reset, {"strategy": "to-earliest", "action": "execute"})
    assert status == 303 and location.endswith("?notice=reset")
    assert committed() == [0, 0]
    assert [row[2] for row in table(get(f"{url}group/{_seg(group)}")[1], "offsets")] == ["0", "0"]
    for fields, expected in [({"strategy": "shift-by"}, "needs a value"),
                             ({"strategy": "shift-by", "value": "x"}, "whole number"),
                             ({"strategy": "sideways"}, "Unknown reset strategy")]:
        status, html, _ = post(reset, {**fields, "action": "execute"})
        assert status == 400 and expected in html, fields
    assert committed() == [0, 0]

    member = clients.ck_consumer(module_broker, **{"group.id": group})
    member.subscribe([topic])
    wait_until(lambda: member.consume(timeout=0.2) is not None and len(member.assignment()) == 2,
               what="a member to join the group")
    status, html, _ = post(reset, {"strategy": "to-latest", "action": "execute"})
    assert status == 400 and "can only be reset while group" in html and "Stable" in html
    assert committed() == [0, 0]


def test_transactions_and_a_partitions_producers(module_broker, clients, topic):
    _create(clients, module_broker, topic)
    txn_id = f"{topic}-txn"
    producer = clients.ck_producer(module_broker, **{"transactional.id": txn_id, "enable.idempotence": True})
    producer.init_transactions(10)
    producer.begin_transaction()
    ck_produce(producer, topic, [(None, b"committed")] * 3, partition=0)
    producer.commit_transaction(10)
    producer.begin_transaction()
    ck_produce(producer, topic, [(None, b"open")] * 2, partition=0)
    url = console_url(module_broker)
    status, html = get(f"{url}transactions?q={_seg(txn_id)}")
    assert status == 200
    (row,) = table(html, "transactions")
    assert row[0] == txn_id and row[1] == "Ongoing" and row[6] == f"{topic}-0"
    status, html = get(f"{url}topic/{_seg(topic)}/0/producers")
    assert status == 200
    (entry,) = table(html, "producers")
    assert entry[0] == row[2]  # the transactional id's producer id
    assert entry[5] == "4"  # its open transaction's first offset: after 3 records and a commit marker
    producer.abort_transaction(10)
    assert get(f"{url}topic/{_seg(topic)}/5/producers")[0] == 404


@pytest.mark.parametrize("codec", ["gzip", "snappy", "lz4", "zstd"])
def test_compressed_batches_are_browsed_record_by_record(module_broker, clients, topic, codec):
    _create(clients, module_broker, topic)
    producer = clients.ck_producer(module_broker, **{"compression.type": codec, "linger.ms": 50})
    ck_produce(producer, topic, [(b"k%d" % i, b"value %d " % i * 20) for i in range(40)], partition=0)
    url = console_url(module_broker)
    rows = table(get(f"{url}topic/{_seg(topic)}/0/messages?offset=15&limit=5")[1], "messages")
    assert [(row[0], row[2]) for row in rows] == [(str(i), f"k{i}") for i in range(15, 20)]
    assert rows[0][3] == "value 15 " * 19 + "value 15"


def test_a_share_group_shows_its_type_and_members(module_broker, clients, topic):
    _create(clients, module_broker, topic)
    group = f"{topic}-share"
    with WireClient(module_broker) as wire:
        wait_for_coordinator(wire, group)
    member = WireShareMember(module_broker, group, [topic])
    clients.on_close(member.close)
    beat_until([member], lambda: member.partitions() == {0}, what="the member to have the partition")
    url = console_url(module_broker)
    row = table(get(f"{url}groups?q={_seg(group)}")[1], "groups")[0]
    assert row[:4] == [group, "share", "Stable", "1"]
    status, html = get(f"{url}group/{_seg(group)}")
    assert status == 200
    (shown,) = table(html, "members")
    assert shown[0] == member.member_id and shown[3] == f"{topic}-0"


def test_a_hostile_group_id_and_header_are_shown_escaped(module_broker, clients, topic):
    _create(clients, module_broker, topic)
    ck_produce(clients.ck_producer(module_broker), topic, [(b"k", b"v")], partition=0,
               headers=[("<img src=x onerror=alert(1)>", b"<svg onload=alert(2)>")])
    group = "<script>alert('group')</script>/x?y#z"
    committer = clients.kp_consumer(module_broker, group_id=group)
    committer.assign([TopicPartition(topic, 0)])
    committer.commit({TopicPartition(topic, 0): _offset(1)})
    url = console_url(module_broker)
    status, html = get(f"{url}groups")
    assert status == 200
    assert "<script>alert('group')" not in html and "&lt;script&gt;alert(&#39;group&#39;)&lt;/script&gt;/x?y#z" in html
    assert f'href="/group/{_seg(group)}"' in html
    status, html = get(f"{url}group/{_seg(group)}")
    assert status == 200 and [row[:5] for row in table(html, "offsets")] == [[topic, "0", "1", "1", "0"]]
    status, html = get(f"{url}topic/{_seg(topic)}/0/messages?offset=0")
    assert "<img" not in html and "<svg onload" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html and "&lt;svg onload=alert(2)&gt;" in html
