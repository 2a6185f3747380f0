"""Authorization: Kafka's ACLs, and the authorizer that decides with them.

``codes`` holds Kafka's resource types, pattern types, operations and permission types (their wire
codes and names); ``binding`` an ACL (a resource pattern plus an entry) and the filters the ACL
APIs select with; ``authorizer`` the decision, as Kafka's StandardAuthorizer makes it;
``acl_file`` and ``zk_acls`` where the ACLs are kept, alone and in a cluster.
"""
