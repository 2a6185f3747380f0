"""The authorizer's decisions, case by case as Kafka's StandardAuthorizer makes them."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from odradek.server.security.acl.acl_index import AclIndex
from odradek.server.security.acl.authorizer import Authorizer, parse_super_users
from odradek.server.security.acl.binding import AclBinding, AclFilter, InvalidAcl, UnconstructibleAcl, UnknownAclCode
from odradek.server.security.acl.codes import AclOperation as Op
from odradek.server.security.acl.codes import PatternType as Pt
from odradek.server.security.acl.codes import PermissionType as Perm
from odradek.server.security.acl.codes import ResourceType as Rt
from odradek.server.security.principal import KafkaPrincipal

ALICE = KafkaPrincipal.user("alice")
BOB = KafkaPrincipal.user("bob")
HOST = "10.0.0.1"


def acl(name="t", op=Op.READ, perm=Perm.ALLOW, principal="User:alice", host="*",
        pattern=Pt.LITERAL, rtype=Rt.TOPIC) -> AclBinding:
    return AclBinding(rtype, name, pattern, principal, host, op, perm)


def allowed(authorizer, op=Op.READ, name="t", principal=ALICE, host=HOST, rtype=Rt.TOPIC) -> bool:
    return authorizer.authorize(principal, host, op, rtype, name)


def test_no_acls_denies_unless_allow_everyone_if_no_acl_found():
    assert not allowed(Authorizer())
    assert allowed(Authorizer(allow_everyone_if_no_acl=True))


def test_allow_everyone_applies_only_to_resources_without_any_acl():
    authorizer = Authorizer(allow_everyone_if_no_acl=True, acls=[acl(principal="User:bob")])
    assert not allowed(authorizer)  # an ACL on t, for someone else
    assert allowed(authorizer, name="other")


def test_super_users_may_do_everything_even_when_denied():
    authorizer = Authorizer(super_users=parse_super_users("User:admin; User:alice"),
                            acls=[acl(op=Op.ALL, perm=Perm.DENY)])
    assert allowed(authorizer, op=Op.WRITE)
    assert allowed(authorizer, op=Op.CLUSTER_ACTION, rtype=Rt.CLUSTER, name="kafka-cluster")
    assert not allowed(authorizer, principal=BOB)


def test_literal_acl_allows_its_operation_only():
    authorizer = Authorizer(acls=[acl(op=Op.READ)])
    assert allowed(authorizer, op=Op.READ)
    assert not allowed(authorizer, op=Op.WRITE)
    assert not allowed(authorizer, op=Op.READ, name="t2")
    assert not allowed(authorizer, op=Op.READ, rtype=Rt.GROUP)
    assert not allowed(authorizer, principal=BOB)


@pytest.mark.parametrize("granted", [Op.READ, Op.WRITE, Op.DELETE, Op.ALTER, Op.DESCRIBE, Op.ALL])
def test_describe_is_implied_by_read_write_delete_alter(granted):
    assert allowed(Authorizer(acls=[acl(op=granted)]), op=Op.DESCRIBE)


@pytest.mark.parametrize("granted", [Op.CREATE, Op.DESCRIBE_CONFIGS, Op.ALTER_CONFIGS, Op.IDEMPOTENT_WRITE])
def test_describe_is_not_implied_by_the_others(granted):
    assert not allowed(Authorizer(acls=[acl(op=granted)]), op=Op.DESCRIBE)


def test_describe_configs_is_implied_by_alter_configs():
    authorizer = Authorizer(acls=[acl(op=Op.ALTER_CONFIGS)])
    assert allowed(authorizer, op=Op.DESCRIBE_CONFIGS)
    assert not allowed(authorizer, op=Op.DESCRIBE)


def test_deny_wins_over_allow():
    authorizer = Authorizer(acls=[acl(op=Op.ALL), acl(op=Op.WRITE, perm=Perm.DENY)])
    assert allowed(authorizer, op=Op.READ)
    assert not allowed(authorizer, op=Op.WRITE)


def test_deny_implies_nothing():
    """A DENY for READ does not deny DESCRIBE (Kafka's implication applies to ALLOWs only)."""
    authorizer = Authorizer(acls=[acl(op=Op.DESCRIBE), acl(op=Op.READ, perm=Perm.DENY)])
    assert allowed(authorizer, op=Op.DESCRIBE)
    assert not allowed(authorizer, op=Op.READ)


def test_deny_all_denies_everything():
    authorizer = Authorizer(acls=[acl(op=Op.ALL), acl(op=Op.ALL, perm=Perm.DENY, principal="User:*")])
    assert not allowed(authorizer, op=Op.DESCRIBE)


def test_wildcards_principal_host_and_resource():
    authorizer = Authorizer(acls=[acl(name="*", principal="User:*")])
    assert allowed(authorizer, name="anything", principal=BOB)
    assert allowed(authorizer, principal=KafkaPrincipal("Group", "x"))
    by_host = Authorizer(acls=[acl(host="10.0.0.2")])
    assert not allowed(by_host)
    assert allowed(by_host, host="10.0.0.2")


def test_deny_on_wildcard_resource_beats_literal_allow():
    authorizer = Authorizer(acls=[acl(), acl(name="*", perm=Perm.DENY)])
    assert not allowed(authorizer)


def test_prefixed_acls_match_names_that_start_with_them():
    authorizer = Authorizer(acls=[acl(name="orders-", pattern=Pt.PREFIXED)])
    assert allowed(authorizer, name="orders-eu")
    assert allowed(authorizer, name="orders-")
    assert not allowed(authorizer, name="orders")
    assert not allowed(authorizer, name="xorders-eu")


def test_literal_acl_whose_name_is_a_prefix_does_not_match():
    assert not allowed(Authorizer(acls=[acl(name="orders")]), name="orders-eu")


def test_prefixed_deny_beats_literal_allow():
    authorizer = Authorizer(acls=[acl(name="orders-eu"), acl(name="orders", pattern=Pt.PREFIXED, perm=Perm.DENY)])
    assert not allowed(authorizer, name="orders-eu")


def test_authorize_by_resource_type():
    alice = lambda authorizer: authorizer.authorize_by_resource_type(ALICE, HOST, Op.WRITE, Rt.TOPIC)  # noqa: E731
    assert not alice(Authorizer())
    assert alice(Authorizer(acls=[acl(op=Op.WRITE)]))
    assert alice(Authorizer(acls=[acl(op=Op.ALL, name="x", pattern=Pt.PREFIXED)]))
    assert not alice(Authorizer(acls=[acl(op=Op.READ)]))
    assert not alice(Authorizer(acls=[acl(op=Op.WRITE), acl(op=Op.WRITE, perm=Perm.DENY)]))
    assert not alice(Authorizer(acls=[acl(op=Op.WRITE, name="tx"), acl(op=Op.WRITE, name="t", pattern=Pt.PREFIXED,
                                                                       perm=Perm.DENY)]))
    assert alice(Authorizer(acls=[acl(op=Op.WRITE, name="tx"), acl(op=Op.WRITE, name="t", perm=Perm.DENY)]))
    assert not alice(Authorizer(acls=[acl(op=Op.WRITE), acl(op=Op.WRITE, name="*", perm=Perm.DENY)]))
    assert alice(Authorizer(super_users={"User:alice"}))


def test_filters_as_kafka_matches_them():
    literal, prefixed, star = acl(name="orders-eu"), acl(name="orders", pattern=Pt.PREFIXED), acl(name="*")
    index = AclIndex([literal, prefixed, star, acl(name="other")])
    match = AclFilter(Rt.TOPIC, "orders-eu", Pt.MATCH, None, None, Op.ANY, Perm.ANY)
    assert set(index.matching(match)) == {literal, prefixed, star}
    exact_any = AclFilter(Rt.ANY, "orders", Pt.ANY, None, None, Op.ANY, Perm.ANY)
    assert index.matching(exact_any) == [prefixed]
    by_principal = AclFilter(Rt.ANY, None, Pt.ANY, "User:bob", None, Op.ANY, Perm.ANY)
    assert index.matching(by_principal) == []


@pytest.mark.parametrize("fields, refusal, message", [  # as Kafka 4.3 refuses each (see test_acls)
    ((2, "t", 1, "User:a", "*", 3, 3), UnconstructibleAcl, "patternType"),
    ((2, "t", 2, "User:a", "*", 3, 3), UnconstructibleAcl, "patternType"),
    ((1, "t", 3, "User:a", "*", 3, 3), UnconstructibleAcl, "resourceType"),
    ((2, "t", 3, "User:a", "*", 1, 3), UnconstructibleAcl, "operation"),
    ((2, "t", 3, "User:a", "*", 3, 1), UnconstructibleAcl, "permissionType"),
    ((2, "t", 3, "User:a", "*", 99, 3), UnknownAclCode, "unknown"),
    ((2, "t", 0, "User:a", "*", 3, 3), UnknownAclCode, "unknown"),
    ((2, "", 3, "User:a", "*", 3, 3), InvalidAcl, "empty resource name"),
    ((4, "c", 3, "User:a", "*", 3, 3), InvalidAcl, "kafka-cluster"),
    ((2, "t", 3, "alice", "*", 3, 3), InvalidAcl, "principal"),
])
def test_invalid_bindings_are_refused(fields, refusal, message):
    with pytest.raises(refusal, match=message):
        AclBinding.from_wire(*fields)


names = st.text(alphabet="ab*-", min_size=1, max_size=4)
bindings = st.builds(AclBinding, st.sampled_from([Rt.TOPIC, Rt.GROUP]), names,
                     st.sampled_from([Pt.LITERAL, Pt.PREFIXED]), st.sampled_from(["User:alice", "User:*", "User:bob"]),
                     st.sampled_from(["*", HOST, "10.9.9.9"]),
                     st.sampled_from([Op.ALL, Op.READ, Op.WRITE, Op.DESCRIBE, Op.ALTER_CONFIGS, Op.DESCRIBE_CONFIGS]),
                     st.sampled_from([Perm.ALLOW, Perm.DENY]))


@given(st.lists(bindings, max_size=12), names, st.sampled_from([Op.READ, Op.WRITE, Op.DESCRIBE, Op.DESCRIBE_CONFIGS]))
def test_decision_matches_a_brute_force_reading_of_kafkas_rules(acls, name, op):
    authorizer = Authorizer(acls=acls)
    applying = [a for a in acls if a.resource_type == Rt.TOPIC
                and AclFilter(Rt.TOPIC, name, Pt.MATCH, None, None, Op.ANY, Perm.ANY).matches(a)]
    mine = [a for a in applying if a.principal in ("User:alice", "User:*") and a.host in ("*", HOST)]
    implied = {Op.DESCRIBE: {Op.READ, Op.WRITE, Op.DESCRIBE}, Op.DESCRIBE_CONFIGS: {Op.ALTER_CONFIGS, Op.DESCRIBE_CONFIGS}}
    denied = any(a.permission == Perm.DENY and a.operation in (Op.ALL, op) for a in mine)
    granted = any(a.permission == Perm.ALLOW and (a.operation in (Op.ALL, op) or a.operation in implied.get(op, ()))
                  for a in mine)
    assert allowed(authorizer, op=op, name=name) == (not denied and granted)
