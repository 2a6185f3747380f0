"""How ``odradek consume --group`` ends when it is told to stop, as a person or a service manager
stops it: Ctrl-C (SIGINT), SIGTERM, or its reader going away (``| head``).  Each time it leaves its
group at once, prints the console consumer's closing line and exits with no traceback.

The signal is sent once the consumer has printed and committed its records, when it spends its
time in a long-polling Fetch: the case where the LeaveGroup used to read the Fetch's late answer.
With ``ODRADEK_COMPAT_TARGET=kafka`` the same tests run against Apache Kafka.
"""

from __future__ import annotations

import signal
import subprocess

import pytest
from confluent_kafka import ConsumerGroupState, ConsumerGroupTopicPartitions, TopicPartition

from .clients import ck_produce, ck_wait, wait_until
from .group_helpers import create_topic, produce_to_partitions
from .odradek_cli import COMMAND, Tool

BROKER_OVERRIDES = {"group.initial.rebalance.delay.ms": 0, "offsets.topic.num.partitions": 3}
RUNS_AGAINST_KAFKA_TOO = True


def committed(admin, group: str, topic: str, partitions: int) -> list[int]:
    wanted = ConsumerGroupTopicPartitions(group, [TopicPartition(topic, p) for p in range(partitions)])
    [answer] = ck_wait(admin.list_consumer_group_offsets([wanted])).values()
    return [tp.offset for tp in answer.topic_partitions]


@pytest.mark.parametrize("how", [signal.SIGINT, signal.SIGTERM], ids=["sigint", "sigterm"])
def test_a_signalled_group_consumer_leaves_and_reports(module_broker, clients, topic, how):
    group = f"{topic}-g"
    create_topic(clients, module_broker, topic, 2)
    sent = produce_to_partitions(clients, module_broker, topic, 2, 2)
    admin = clients.ck_admin(module_broker)
    with Tool("consume", "--bootstrap-server", module_broker.bootstrap, "--topic", topic, "--group", group,
              "--from-beginning") as tool:
        assert sorted(tool.lines(4)) == sorted(value.decode() for value in sent)
        wait_until(lambda: committed(admin, group, topic, 2) == [2, 2])  # now it waits in Fetch
        tool.signal(how)
        ran = tool.finish()
    assert (ran.code, ran.err) == (0, "Processed a total of 4 messages\n")
    # LeaveGroup was answered before the tool exited: the group is empty now, not a session timeout later
    [described] = ck_wait(admin.describe_consumer_groups([group])).values()
    assert (described.state, described.members) == (ConsumerGroupState.EMPTY, [])


def test_a_group_consumer_whose_reader_goes_away_leaves_and_reports(module_broker, clients, topic):
    """``odradek consume ... | head -1``: far more output than a pipe holds, read one line, close."""
    group = f"{topic}-g"
    create_topic(clients, module_broker, topic, 1)
    ck_produce(clients.ck_producer(module_broker), topic, [(None, b"x" * 200)] * 2_000, partition=0)
    consumer = subprocess.Popen([*COMMAND, "consume", "--bootstrap-server", module_broker.bootstrap, "--topic", topic,
                                 "--group", group, "--from-beginning"], stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert consumer.stdout.readline() == b"x" * 200 + b"\n"
        consumer.stdout.close()
        err = consumer.stderr.read().decode()
        code = consumer.wait(30)
    finally:
        consumer.kill()
        consumer.stderr.close()
    assert code == 141, err
    closing, processed, end = err.split("\n")
    assert (closing, end) == ("Unable to write to standard out, closing consumer.", "")
    assert processed.startswith("Processed a total of ") and processed.endswith(" messages")
    [described] = ck_wait(clients.ck_admin(module_broker).describe_consumer_groups([group])).values()
    assert (described.state, described.members) == (ConsumerGroupState.EMPTY, [])
