"""``/groups`` and ``/group/<id>``: the groups this broker coordinates, and one group's members
and committed offsets with their lag, and its total lag over the last minutes (``lag_history``);
``/group/<id>/reset`` previews, then executes, a reset of its offsets (``offset_reset``)."""

from __future__ import annotations

from urllib.parse import quote

from starlette.responses import RedirectResponse
from starlette.routing import Route

from ...security.acl.codes import AclOperation, ResourceType
from .forms import FormError, fields, integer, same_origin, timestamp_ms
from .offset_reset import STRATEGIES
from .paging import page_of
from .charts import HEIGHT, WIDTH, chart

OFFSETS_PAGE = 100


def routes(console) -> list[Route]:
    render, view = console.render, console.groups

    async def groups(request):
        search = request.query_params.get("q", "")
        ids = console.access().groups(view.ids(search))
        page = page_of(request.query_params.get("page"), len(ids))
        return render.page("groups.html", nav="groups", **console.common(), rows=[view.row(g) for g in page.of(ids)],
                           page=page, search=search, clustered=console.broker.cluster is not None)

    def refused(group_id: str):
        return render.page("error.html", 403, nav="groups", **console.common(),
                           message=f"GROUP_AUTHORIZATION_FAILED: not authorized to describe group {group_id!r}.")

    async def group(request):
        group_id = request.path_params["group_id"]
        if not console.access().may(AclOperation.DESCRIBE, ResourceType.GROUP, group_id):
            return refused(group_id)
        if not view.exists(group_id):
            return render.page("error.html", 404, nav="groups", **console.common(),
                               message=f"This broker coordinates no group {group_id!r}.")
        offsets = view.offsets(group_id)
        described = set(console.access().topics(list({row.topic for row in offsets})))
        offsets = [row for row in offsets if row.topic in described]  # as OffsetFetch shows them
        page = page_of(request.query_params.get("page"), len(offsets), OFFSETS_PAGE)
        console.lag_history.watch(group_id)  # charted from now on, while its page is looked at
        lag = chart("Total lag", "records", console.lag_history.of_group(group_id))
        return render.page("group.html", nav="groups", **console.common(), group=view.row(group_id),
                           members=view.members(group_id), offsets=page.of(offsets), page=page, lag=lag,
                           width=WIDTH, height=HEIGHT, strategies=STRATEGIES,
                           notice=request.query_params.get("notice", ""))

    async def reset(request):
        group_id = request.path_params["group_id"]
        if not same_origin(request):
            return render.page("error.html", 403, nav="groups", **console.common(),
                               message="Refused: the form was posted from another site's page.")
        if not view.exists(group_id):
            return render.page("error.html", 404, nav="groups", **console.common(),
                               message=f"This broker coordinates no group {group_id!r}.")
        form: dict[str, str] = {}
        try:
            form = await fields(request)
            strategy, text = form.get("strategy", ""), form.get("value", "")
            value = None
            if text:
                value = timestamp_ms(text) if strategy == "to-datetime" else integer(text, "The value")
            planned = console.offset_reset.plan(group_id, strategy, value)
            access = console.access()
            if not access.may(AclOperation.READ, ResourceType.GROUP, group_id):  # as OffsetCommit asks
                raise FormError(f"GROUP_AUTHORIZATION_FAILED: not authorized to commit offsets of group {group_id!r}.")
            refused_topics = sorted({row.topic for row in planned} - set(access.names(
                AclOperation.READ, ResourceType.TOPIC, list({row.topic for row in planned}))))
            if refused_topics:
                raise FormError(f"TOPIC_AUTHORIZATION_FAILED: not authorized to read {', '.join(refused_topics)}.")
            if form.get("action") == "execute":
                await console.offset_reset.execute(group_id, planned)
                return RedirectResponse(f"/group/{quote(group_id, safe='')}?notice=reset", status_code=303)
        except FormError as exc:
            return render.page("reset_offsets.html", 400, nav="groups", **console.common(), group_id=group_id,
                               form=form, strategies=STRATEGIES, planned=[], error=str(exc))
        return render.page("reset_offsets.html", nav="groups", **console.common(), group_id=group_id, form=form,
                           strategies=STRATEGIES, planned=planned, error="")

    return [Route("/groups", groups), Route("/group/{group_id:path}/reset", reset, methods=["POST"]),
            Route("/group/{group_id:path}", group)]
