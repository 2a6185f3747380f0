"""Leader elections and reassignments in cluster mode: done by the controller.

The requests reach the controller broker (clients send them to the controller Metadata names,
and any other broker forwards them there: ``forwarding``); there each call runs as one of the
controller's events. Should this broker stop being the controller meanwhile, the request fails
with NOT_CONTROLLER, and the client asks again wherever the controller now is.

An election is answered once this broker's metadata shows its outcome (or ``timeout_ms`` passes;
the election stands regardless), so a tool that describes the topics right after sees the new
leaders, as against Kafka.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from odradek.wire import ErrorCode

from ..partition_admin import PartitionAdminError, Reassignment, Result, TopicPartition


class ClusterPartitionAdmin:
    def __init__(self, member):
        self.member = member

    async def elect_leaders(self, election_type: int, partitions: Iterable[TopicPartition] | None,
                            timeout_ms: int) -> dict[TopicPartition, Result]:
        async def elect(controller):
            results = await controller.elect_leaders(election_type, None if partitions is None else list(partitions))
            epochs = {tp: controller.context.states[tp].leader_epoch for tp, (code, _) in results.items()
                      if code == ErrorCode.NONE and tp in controller.context.states}
            return results, epochs

        results, epochs = await self._on_controller(elect)
        metadata = self.member.metadata

        def shown() -> bool:
            return all((p := metadata.partition(*tp)) is None or p.leader_epoch >= epoch for tp, epoch in epochs.items())

        await self.member.wait_for_metadata(shown, max(timeout_ms, 0) / 1000)
        return results

    async def alter_reassignments(self, targets: dict[TopicPartition, Sequence[int] | None],
                                  allow_replication_factor_change: bool, timeout_ms: int
                                  ) -> dict[TopicPartition, Result]:
        return await self._on_controller(
            lambda controller: controller.reassignments.start(targets, allow_replication_factor_change))

    async def list_reassignments(self, partitions: Iterable[TopicPartition] | None) -> list[Reassignment]:
        async def listed(controller):
            return controller.reassignments.list(None if partitions is None else set(partitions))

        return await self._on_controller(listed)

    async def _on_controller(self, action):
        """``action(controller)`` as a controller event; NOT_CONTROLLER unless this broker is it."""
        from ..controller.controller import NotController

        controller = self.member.controller
        if controller is None:
            raise PartitionAdminError(ErrorCode.NOT_CONTROLLER)
        try:
            return await controller.call(lambda: action(controller))
        except NotController:
            raise PartitionAdminError(ErrorCode.NOT_CONTROLLER) from None
