"""``/transactions``: the transactional ids this broker coordinates (as ListTransactions and
DescribeTransactions see them), and ``/topic/<name>/<partition>/producers``: the producers a
partition's leader remembers (as DescribeProducers reports them)."""

from __future__ import annotations

from starlette.routing import Route

from odradek.wire import ErrorCode

from ...security.acl.codes import AclOperation, ResourceType
from .forms import FormError, integer
from .paging import page_of


def routes(console) -> list[Route]:
    render, broker = console.render, console.broker

    async def transactions(request):
        search = request.query_params.get("q", "").strip().lower()
        code, _, found = broker.transactions.list_transactions()
        access = console.access()
        found = sorted((m for m in found if search in m.transactional_id.lower()
                        and access.may(AclOperation.DESCRIBE, ResourceType.TRANSACTIONAL_ID, m.transactional_id)),
                       key=lambda m: m.transactional_id)
        page = page_of(request.query_params.get("page"), len(found))
        return render.page("transactions.html", nav="transactions", **console.common(), rows=page.of(found),
                           page=page, search=request.query_params.get("q", ""),
                           loading=code == ErrorCode.COORDINATOR_LOAD_IN_PROGRESS)

    async def producers(request):
        name = request.path_params["name"]
        try:
            partition = integer(request.path_params["partition"], "Partition", 0)
        except FormError as exc:
            return render.page("error.html", 400, nav="topics", **console.common(), message=str(exc))
        if not console.access().may(AclOperation.READ, ResourceType.TOPIC, name):  # as DescribeProducers asks
            return render.page("error.html", 403, nav="topics", **console.common(),
                               message=f"TOPIC_AUTHORIZATION_FAILED: not authorized to read topic {name!r}.")
        log, code = broker.replicas.leader_log(name, partition)
        if log is None or code != ErrorCode.NONE:
            return render.page("error.html", 404, nav="topics", **console.common(),
                               message=f"Broker {broker.config.node_id} leads no partition {partition} of "
                                       f"{name!r} ({ErrorCode(code).name}).")
        return render.page("producers.html", nav="topics", **console.common(), topic=name, partition=partition,
                           producers=sorted(log.active_producers(), key=lambda p: p.producer_id))

    return [Route("/transactions", transactions), Route("/topic/{name}/{partition}/producers", producers)]
