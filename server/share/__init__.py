"""Share groups' data path (KIP-932, "queues for Kafka"), as Kafka 4.3 keeps it.

A share group's consumers take records from the same partitions; each record is acquired by one
consumer at a time, under a lock that expires, and is then accepted, released for another
delivery, or rejected. The broker leading a partition keeps, per share group, a *share partition*
(``share_partition``): the share-partition start offset (SPSO), the end of what it has handed
out, and the in-flight records between them with their state and delivery count. ShareFetch and
ShareAcknowledge (``server/handlers``) drive it through the ``share_partition_manager``, which also
keeps the share sessions (``share_session_cache``).

Every change that must survive a restart (acknowledgements, releases, expired locks, the SPSO) is
written through the *share coordinator* (``share_coordinator``) to ``__share_group_state`` before
the consumer's acknowledgement is answered; a share partition loads its state from there on first
use. Acquisitions are not written, as in Kafka: after a crash, records that were only acquired are
delivered again.

Membership and the group's settings come from outside this package, through ``ShareGroupView``
(``share_group_view``), which ``server/broker.py`` wires.
"""

#: Where share partitions' state is kept (named here, in the package's lightest module, for the
#: broker's start-up to look for it without importing the share coordinator: ``share_on_demand``).
SHARE_STATE_TOPIC = "__share_group_state"
