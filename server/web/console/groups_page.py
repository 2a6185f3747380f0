"""``/groups`` and ``/group/<id>``: the groups this broker coordinates, and one group's members
and committed offsets with their lag, and its total lag over the last minutes (``lag_history``)."""

from __future__ import annotations

from starlette.routing import Route

from .paging import page_of
from .throughput_page import HEIGHT, WIDTH, chart

OFFSETS_PAGE = 100


def routes(console) -> list[Route]:
    render, view = console.render, console.groups

    async def groups(request):
        search = request.query_params.get("q", "")
        ids = view.ids(search)
        page = page_of(request.query_params.get("page"), len(ids))
        return render.page("groups.html", nav="groups", **console.common(), rows=[view.row(g) for g in page.of(ids)],
                           page=page, search=search, clustered=console.broker.cluster is not None)

    async def group(request):
        group_id = request.path_params["group_id"]
        if not view.exists(group_id):
            return render.page("error.html", 404, nav="groups", **console.common(),
                               message=f"This broker coordinates no group {group_id!r}.")
        offsets = view.offsets(group_id)
        page = page_of(request.query_params.get("page"), len(offsets), OFFSETS_PAGE)
        lag = chart("Total lag", "records", console.lag_history.of_group(group_id))
        return render.page("group.html", nav="groups", **console.common(), group=view.row(group_id),
                           members=view.members(group_id), offsets=page.of(offsets), page=page, lag=lag,
                           width=WIDTH, height=HEIGHT)

    return [Route("/groups", groups), Route("/group/{group_id:path}", group)]
