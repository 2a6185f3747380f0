"""``/topic/<name>/<partition>/messages``: a partition's records from an offset, from a time, or
the latest ones, each key, value and header shown as text, JSON or hex (``record_format``)."""

from __future__ import annotations

from starlette.routing import Route

from ...security.acl.codes import AclOperation, ResourceType
from .forms import FormError, integer, timestamp_ms
from .record_browser import DEFAULT_LIMIT, MAX_LIMIT, BrowseError
from .record_format import FORMATS, show


def routes(console) -> list[Route]:
    render = console.render

    async def messages(request):
        name = request.path_params["name"]
        query = request.query_params
        form = {key: query.get(key, "").strip() for key in ("offset", "time", "limit", "format")}
        wanted = form["format"] if form["format"] in FORMATS else "auto"
        form["format"] = wanted
        try:
            partition = integer(request.path_params["partition"], "Partition", 0)
        except FormError as exc:
            return _error(console, name, None, form, str(exc), 400)
        if not console.access().may(AclOperation.READ, ResourceType.TOPIC, name):  # as Fetch asks
            return console.render.page("error.html", 403, nav="topics", **console.common(),
                                       message=f"TOPIC_AUTHORIZATION_FAILED: not authorized to read topic {name!r}.")
        count = console.topics.partition_count(name)
        if partition >= count:
            message = f"There is no topic {name!r}." if count == 0 else \
                f"Topic {name!r} has no partition {partition} (it has {count})."
            return _error(console, name, partition, form, message, 404)
        try:
            limit = integer(form["limit"], "Records", 1) if form["limit"] else DEFAULT_LIMIT
            if limit > MAX_LIMIT:
                raise FormError(f"At most {MAX_LIMIT} records are shown at once.")
            offset = None
            if form["offset"]:
                offset = integer(form["offset"], "Offset", 0)
            elif form["time"]:
                offset = console.records.offset_for_timestamp(name, partition, timestamp_ms(form["time"]))
            browsed = await console.records.read(name, partition, offset, limit)
        except (FormError, BrowseError) as exc:
            return _error(console, name, partition, form, str(exc), 400)
        rows = [
            {"offset": r.offset, "timestamp": r.timestamp, "key": show(r.key, wanted), "value": show(r.value, wanted),
             "headers": [(k, show(v, "text" if wanted == "auto" else wanted)) for k, v in r.headers]}
            for r in browsed.records
        ]
        return render.page("messages.html", nav="topics", **console.common(), topic=name, partition=partition,
                           partitions=count, form=form, formats=FORMATS, browsed=browsed, rows=rows, error="",
                           limit=limit)

    return [Route("/topic/{name}/{partition}/messages", messages)]


def _error(console, name, partition, form, message: str, status: int):
    return console.render.page("messages.html", status, nav="topics", **console.common(), topic=name,
                               partition=partition, partitions=console.topics.partition_count(name), form=form,
                               formats=FORMATS, browsed=None, rows=[], error=message, limit=DEFAULT_LIMIT)

