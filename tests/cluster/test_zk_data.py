"""Kafka's znode formats: what we write reads back, and what Kafka writes reads as Kafka meant it."""

import uuid

from odradek.server.cluster import zk_data
from odradek.server.listeners import Listener


def test_broker_registration_round_trip_in_kafkas_v5_form():
    registration = zk_data.BrokerRegistration(
        2, (Listener("PLAINTEXT", "h2", 9092), Listener("INTERNAL", "i2", 9094)),
        {"PLAINTEXT": "PLAINTEXT", "INTERNAL": "PLAINTEXT"}, "rack-a")
    data = zk_data.encode_broker(registration)
    assert b'"version":5' in data and b'"host":"h2"' in data and b'"port":9092' in data
    assert zk_data.decode_broker(2, data, epoch=77) == zk_data.BrokerRegistration(
        2, registration.endpoints, registration.protocols, "rack-a", 77)


def test_a_registration_written_by_kafka_is_read():
    kafka = (b'{"listener_security_protocol_map":{"PLAINTEXT":"PLAINTEXT"},"endpoints":["PLAINTEXT://b1:9092"],'
             b'"jmx_port":-1,"features":{},"host":"b1","timestamp":"1700000000000","port":9092,"version":5}')
    decoded = zk_data.decode_broker(1, kafka)
    assert decoded.endpoint("PLAINTEXT") == Listener("PLAINTEXT", "b1", 9092)
    assert decoded.rack is None


def test_topic_assignment_round_trip_with_a_reassignment_under_way():
    topic_id = uuid.uuid4()
    assignment = zk_data.TopicAssignment(topic_id, {0: (1, 2, 3), 1: (2, 3, 4, 1)}, {1: (4,)}, {1: (1,)})
    assert zk_data.decode_topic(zk_data.encode_topic(assignment)) == assignment


def test_a_topic_written_by_kafka_2_is_read():
    kafka = b'{"version":2,"partitions":{"1":[2,3],"0":[1,2]},"adding_replicas":{},"removing_replicas":{}}'
    decoded = zk_data.decode_topic(kafka)
    assert decoded.topic_id is None and decoded.partitions == {0: (1, 2), 1: (2, 3)}


def test_partition_state_is_versioned_by_its_znode():
    state = zk_data.PartitionState(leader=2, leader_epoch=5, isr=(2, 3), controller_epoch=4)
    data = zk_data.encode_partition_state(state)
    assert data == b'{"controller_epoch":4,"leader":2,"version":1,"leader_epoch":5,"isr":[2,3]}'
    assert zk_data.decode_partition_state(data, 9) == zk_data.PartitionState(2, 5, (2, 3), 4, 9)


def test_configs_notifications_and_admin_znodes():
    assert zk_data.decode_config(zk_data.encode_config({"retention.ms": "10"})) == {"retention.ms": "10"}
    assert zk_data.decode_config(None) == {}
    assert zk_data.decode_config_change(zk_data.encode_config_change("topics", "t")) == ("topics", "t")
    targets = {("t", 0): (3, 4), ("u", 2): (1,)}
    assert zk_data.decode_reassignment(zk_data.encode_reassignment(targets)) == targets
    assert zk_data.decode_partition_list(zk_data.encode_partition_list([("t", 1)])) == [("t", 1)]
    assert zk_data.decode_controller(zk_data.encode_controller(3)) == 3
    assert zk_data.decode_cluster_id(zk_data.encode_cluster_id("abc")) == "abc"
