"""Cluster mode: this broker as one of several, coordinated through ZooKeeper.

``member.ClusterMember`` joins the cluster (registration, controller election), keeps the
``metadata_cache`` the controller feeds, and holds the replica manager (``server.replication``)
and, while this broker is it, the controller (``server.controller``). ``zk_client`` bridges kazoo
to trio; ``zk_data`` is Kafka's ZooKeeper layout. Nothing here is imported in single-node mode
except ``cluster_config``, which decides the mode.
"""
