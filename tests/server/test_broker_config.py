"""Broker configuration: Kafka's property syntax, names and defaults."""

from pathlib import Path

import pytest

from odradek.server.broker_config import BrokerConfig
from odradek.server.listeners import Listener, parse_listener
from odradek.server.properties import parse_override, parse_properties


def test_properties_syntax_as_java_reads_it():
    text = (
        "# comment\n"
        "! also a comment\n"
        "node.id=3\n"
        "listeners : PLAINTEXT://:19092\n"
        "log.dirs /var/data\n"
        "long.value=a,\\\n"
        "    b\n"
        "escaped\\=key=tab\\there\n"
        "unicode=caf\\u00e9\n"
        "empty=\n"
    )
    assert parse_properties(text) == {
        "node.id": "3",
        "listeners": "PLAINTEXT://:19092",
        "log.dirs": "/var/data",
        "long.value": "a,b",
        "escaped=key": "tab\there",
        "unicode": "café",
        "empty": "",
    }


def test_override_needs_key_and_value():
    assert parse_override("num.partitions=3") == ("num.partitions", "3")
    with pytest.raises(ValueError):
        parse_override("num.partitions")


@pytest.mark.parametrize(
    "text, expected",
    [
        ("PLAINTEXT://:9092", Listener("PLAINTEXT", "", 9092)),
        ("plaintext://0.0.0.0:9093", Listener("PLAINTEXT", "0.0.0.0", 9093)),
        ("PLAINTEXT://[::1]:9094", Listener("PLAINTEXT", "::1", 9094)),
        ("INTERNAL://broker.example:29092", Listener("INTERNAL", "broker.example", 29092)),
    ],
)
def test_listener_parsing(text, expected):
    assert parse_listener(text) == expected


def test_defaults_are_kafkas():
    config = BrokerConfig.load()
    assert config.listener == Listener("PLAINTEXT", "", 9092)
    assert config.advertised == Listener("PLAINTEXT", "localhost", 9092)
    assert config.data_dir == Path("./odradek-data")
    assert config.num_partitions == 1
    assert config.default_replication_factor == 1
    assert config.auto_create_topics is True
    assert config.socket_request_max_bytes == 104857600
    assert config.node_id == 1


def test_file_then_overrides_then_flags(tmp_path):
    props = tmp_path / "server.properties"
    props.write_text(
        "node.id=7\n"
        "listeners=PLAINTEXT://:9092,CONTROLLER://:9093\n"
        "controller.listener.names=CONTROLLER\n"
        "advertised.listeners=PLAINTEXT://kafka.example:9092\n"
        "log.dirs=/data/a,/data/b\n"
        "num.partitions=2\n"
    )
    config = BrokerConfig.load(str(props), ["num.partitions=6"], host="127.0.0.1", data_dir=str(tmp_path))
    assert config.node_id == 7
    assert config.listener == Listener("PLAINTEXT", "127.0.0.1", 9092)
    assert config.advertised == Listener("PLAINTEXT", "kafka.example", 9092)
    assert config.num_partitions == 6
    assert config.data_dir == tmp_path


def test_broker_id_is_a_synonym_for_node_id():
    assert BrokerConfig({"broker.id": "4"}).node_id == 4
    assert BrokerConfig({"broker.id": "4", "node.id": "5"}).node_id == 5


def test_bad_settings_fail_at_load():
    with pytest.raises(ValueError):
        BrokerConfig.load(overrides=["num.partitions=many"])
    with pytest.raises(ValueError):
        BrokerConfig.load(overrides=["listeners=nonsense"])
    with pytest.raises(ValueError, match="log.segment.bytes"):
        BrokerConfig.load(overrides=["log.segment.bytes=100"])
