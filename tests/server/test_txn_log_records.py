"""``__transaction_state``: Kafka's TransactionLogKey/Value bytes, and the topic as durable storage."""

from __future__ import annotations

import struct

import pytest

from odradek.server.broker import Broker
from odradek.server.broker_config import BrokerConfig
from odradek.server.groups.offsets_topic import partition_for
from odradek.server.transactions.txn_config import TxnConfig
from odradek.server.transactions.txn_log_records import decode_key, decode_value, encode_key, encode_value
from odradek.server.transactions.txn_metadata import TxnMetadata
from odradek.server.transactions.txn_state import TxnState
from odradek.server.transactions.txn_topic import TRANSACTION_STATE_TOPIC, TransactionTopic
from odradek.wire.records import read_batches

ONGOING = TxnMetadata("app", 4001, 3, 60_000, TxnState.ONGOING, frozenset({("b", 2), ("a", 1), ("a", 0)}),
                      start_ms=1_700_000_000_000, last_update_ms=1_700_000_000_500)


def string(text: str) -> bytes:
    data = text.encode()
    return struct.pack(">h", len(data)) + data


def test_key_is_version_0_and_the_id():
    assert encode_key("app") == b"\x00\x00" + string("app")
    assert decode_key(encode_key("tx-é")) == "tx-é"


def test_value_v0_bytes_are_kafkas_layout():
    partitions = (struct.pack(">i", 2)
                  + string("a") + struct.pack(">iii", 2, 0, 1)
                  + string("b") + struct.pack(">ii", 1, 2))
    expected = (struct.pack(">hqhib", 0, 4001, 3, 60_000, 1) + partitions
                + struct.pack(">qq", 1_700_000_000_500, 1_700_000_000_000))
    assert encode_value(ONGOING) == expected
    assert decode_value("app", expected) == ONGOING


def test_an_empty_transaction_has_a_null_partition_list():
    empty = TxnMetadata("app", 4001, 0, 60_000, TxnState.EMPTY, last_update_ms=5)
    assert encode_value(empty) == struct.pack(">hqhibiqq", 0, 4001, 0, 60_000, 0, -1, 5, -1)
    assert decode_value("app", encode_value(empty)) == empty


def test_value_v1_with_tagged_fields_is_read():
    # flexible: compact arrays and strings (length + 1), then tagged fields: tag 0 previous
    # producer id, tag 2 the client's transaction version
    partitions = b"\x02" + b"\x02a" + b"\x02" + struct.pack(">i", 7) + b"\x00"
    tagged = b"\x02" + b"\x00\x08" + struct.pack(">q", 4000) + b"\x02\x02" + struct.pack(">h", 2)
    data = struct.pack(">hqhib", 1, 4001, 0, 1_000, 4) + partitions + struct.pack(">qq", 9, 8) + tagged
    assert decode_value("app", data) == TxnMetadata(
        "app", 4001, 0, 1_000, TxnState.COMPLETE_COMMIT, frozenset({("a", 7)}), start_ms=8, last_update_ms=9,
        previous_producer_id=4000)


def test_a_null_value_is_a_tombstone():
    assert decode_value("app", None) is None


@pytest.fixture
def broker(tmp_path):
    broker = Broker(BrokerConfig.load(data_dir=str(tmp_path), overrides=["transaction.state.log.num.partitions=5"]))
    broker.open_storage()
    yield broker
    broker.logs.close()


def test_the_topic_is_created_with_kafkas_settings_and_written_one_record_per_batch(broker):
    topic = TransactionTopic(broker, TxnConfig.from_broker(broker.config))
    assert broker.logs.get_topic(TRANSACTION_STATE_TOPIC) is None
    assert topic.load() == {}
    topic.ensure_created()
    topic.write(ONGOING)
    info = broker.logs.get_topic(TRANSACTION_STATE_TOPIC)
    assert info.num_partitions == 5
    assert info.configs["cleanup.policy"] == "compact" and info.configs["compression.type"] == "uncompressed"
    assert info.configs["min.insync.replicas"] == "2"  # transaction.state.log.min.isr
    home = partition_for("app", 5)
    assert topic.partition_for("app") == home
    [batch] = read_batches(broker.logs.partition(TRANSACTION_STATE_TOPIC, home).read(0, 1 << 20).read())
    assert [(r.key, r.value) for r in batch.records] == [(encode_key("app"), encode_value(ONGOING))]
    assert batch.compression == "none"


def test_replay_keeps_the_last_state_per_id_and_drops_tombstoned_ones(broker):
    topic = TransactionTopic(broker, TxnConfig.from_broker(broker.config))
    completed = TxnMetadata("app", 4001, 3, 60_000, TxnState.COMPLETE_COMMIT, start_ms=1, last_update_ms=2)
    topic.ensure_created()
    topic.write(ONGOING)
    topic.write(completed)
    topic.write(TxnMetadata("gone", 9, 0, 1_000, TxnState.EMPTY))
    topic.remove("gone")
    assert topic.load() == {"app": completed}
