"""Leader election strategies: only in-sync replicas lead, unless unclean election is allowed."""

from odradek.server.controller import leader_election as election


def test_offline_election_picks_the_first_live_in_sync_replica_in_assignment_order():
    assert election.offline_partition_leader([3, 1, 2], [1, 2], live={1, 2}, unclean=False) == ((1, (1, 2)), False)


def test_no_live_in_sync_replica_means_no_leader_unless_unclean():
    assert election.offline_partition_leader([1, 2, 3], [1], live={2, 3}, unclean=False) is None
    assert election.offline_partition_leader([1, 2, 3], [1], live={2, 3}, unclean=True) == ((2, (2,)), True)


def test_preferred_leader_must_be_alive_and_in_sync():
    assert election.preferred_leader([2, 1], [1, 2], live={1, 2}) == (2, (1, 2))
    assert election.preferred_leader([2, 1], [1], live={1, 2}) is None
    assert election.preferred_leader([2, 1], [1, 2], live={1}) is None


def test_controlled_shutdown_moves_leadership_and_drops_the_broker_from_the_isr():
    assert election.controlled_shutdown_leader([1, 2, 3], [1, 2, 3], live={1, 2, 3}, shutting_down={1}) == (2, (2, 3))
    assert election.controlled_shutdown_leader([1, 2], [1], live={1, 2}, shutting_down={1}) is None


def test_reassignment_leader_comes_from_the_target():
    assert election.reassignment_leader([4, 5], [1, 4, 5], live={1, 4, 5}) == (4, (1, 4, 5))
