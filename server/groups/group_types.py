"""A group's type, as Kafka names it (``GroupType``: ListGroups' ``group_type``, KIP-848).

Each group class says its own (``group_type``). Code that runs for every group (the
coordinator's loading, unloading and expiry, ListGroups) compares it rather than the class, so as
not to import kinds of group it may never meet: the share and streams groups' modules are
imported with the first group of their kind (see ``group_coordinator``).
"""

CLASSIC = "classic"
CONSUMER = "consumer"  # KIP-848 groups
SHARE = "share"  # KIP-932 groups
STREAMS = "streams"  # KIP-1071 groups
