"""The cluster controller: one broker, elected through ZooKeeper, that decides for everyone.

It owns the cluster's decisions, as Kafka's ZooKeeper-era KafkaController does: where each
partition's replicas live, which replica leads, which are in sync; it elects new leaders when a
broker dies, moves leadership back to preferred replicas, carries out reassignments and topic
deletions, and tells every broker its part with LeaderAndIsr, UpdateMetadata and StopReplica.
Its decisions are written to ZooKeeper first (conditionally on its controller epoch, so that a
deposed controller cannot overwrite a newer one's), and only then sent to the brokers.

Everything the controller does runs as events handled one at a time by one task
(``controller.Controller``), so its view of the cluster (``context``) needs no locks.
"""
