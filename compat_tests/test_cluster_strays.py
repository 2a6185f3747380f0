"""A replica moved away while its broker was down is a stray when that broker returns (KIP-516):
the controller's FULL LeaderAndIsr does not name it, so the broker stops serving it and sets its
directory aside as ``-stray``, kept for an operator to look at rather than deleted."""

from __future__ import annotations

from odradek.wire import ApiKey

from .cluster_process import Cluster, wait_until
from .cluster_tools import replica_dirs
from .wire_client import WireClient


def test_a_replica_reassigned_away_while_its_broker_was_down_is_set_aside(tmp_path):
    cluster = Cluster(tmp_path, overrides={"default.replication.factor": 2}).start()
    try:
        controller = cluster.controller()
        away, stays = [b for b in cluster.brokers if b != controller]
        with WireClient(cluster.brokers[controller]) as wire:
            created = wire.send(ApiKey.CREATE_TOPICS, 5, {"timeout_ms": 30000, "validate_only": False, "topics": [
                {"name": "moved", "num_partitions": -1, "replication_factor": -1, "configs": [],
                 "assignments": [{"partition_index": 0, "broker_ids": [controller, away]}]}]})
            assert created.topics[0].error_code == 0
        cluster.wait_for_leaders("moved", 1, isr_size=2)
        assert replica_dirs(cluster, away, "moved") == {0}

        cluster.brokers[away].stop()
        with WireClient(cluster.brokers[controller]) as wire:
            moved = wire.send(ApiKey.ALTER_PARTITION_REASSIGNMENTS, 0, {"timeout_ms": 30000, "topics": [
                {"name": "moved", "partitions": [{"partition_index": 0, "replicas": [controller, stays]}]}]})
            assert moved.responses[0].partitions[0].error_code == 0
        wait_until(lambda: sorted(cluster.metadata(["moved"]).topics["moved"].partitions[0].replicas)
                   == sorted([controller, stays]), 30, "the move to complete")

        cluster.brokers[away].start()
        data = cluster.brokers[away].data_dir
        strays = wait_until(lambda: [p.name for p in data.glob("moved-0.*-stray")], 30, "the stray set aside")
        assert len(strays) == 1 and replica_dirs(cluster, away, "moved") == set()
        assert "setting them aside as strays" in cluster.brokers[away].log_text()
    finally:
        cluster.stop()
