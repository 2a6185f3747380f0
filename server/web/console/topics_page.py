"""``/topics`` and ``/topic/<name>``: the topics, one topic's partitions and configs, and the
forms that create a topic, delete one (after a confirmation page) and change a config.

Changes go through the paths the Kafka APIs take: ``broker.topic_admin`` as CreateTopics and
DeleteTopics use it, ``config_changes.alter_resource`` as IncrementalAlterConfigs does; in
cluster mode these write to ZooKeeper for the controller and every broker, as those APIs do.
"""

from __future__ import annotations

from types import SimpleNamespace
from urllib.parse import quote

from starlette.responses import RedirectResponse
from starlette.routing import Route

from odradek.storage.errors import StorageError

from ...handlers.config_changes import DELETE, SET, ConfigChangeError, alter_resource, edit
from ...handlers.describe_configs import TOPIC
from ...security.acl.codes import AclOperation, ResourceType
from ...topic_admin import TopicAdminError
from .forms import FormError, fields, integer, same_origin
from .paging import page_of
from .charts import HEIGHT, WIDTH, rate_charts

PARTITIONS_PAGE = 100


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def routes(console) -> list[Route]:
    render, view = console.render, console.topics

    def not_found(name: str):
        return render.page("error.html", 404, nav="topics", **console.common(),
                           message=f"There is no topic {name!r}.")

    def refused(name: str, what: str = "describe"):
        return render.page("error.html", 403, nav="topics", **console.common(),
                           message=f"TOPIC_AUTHORIZATION_FAILED: not authorized to {what} topic {name!r}.")

    def cross_site():
        return render.page("error.html", 403, nav="topics", **console.common(),
                           message="Refused: the form was posted from another site's page.")

    async def topics(request):
        search = request.query_params.get("q", "")
        names = console.access().topics(view.names(search))
        page = page_of(request.query_params.get("page"), len(names))
        rows = [row for row in map(view.row, page.of(names)) if row is not None]
        rates = {row.name: console.throughput.of_topic(row.name) for row in rows}
        return render.page("topics.html", nav="topics", **console.common(), rows=rows, rates=rates, page=page,
                           search=search, notice=request.query_params.get("notice", ""))

    async def create_form(request):
        return render.page("create_topic.html", nav="topics", **console.common(), error="", form={})

    async def create(request):
        if not same_origin(request):
            return cross_site()
        form: dict[str, str] = {}
        try:
            form = await fields(request)
            name = form.get("name", "")
            if not name:
                raise FormError("A topic needs a name.")
            partitions = integer(form.get("partitions") or "-1", "Partitions")
            replication = integer(form.get("replication_factor") or "-1", "Replication factor")
            configs = _configs(form.get("configs", ""))
            if not console.access().may_create_topic(name):
                raise FormError(f"TOPIC_AUTHORIZATION_FAILED: not authorized to create topic {name!r}.")
            await console.broker.topic_admin.create_topic(name, partitions, replication, configs)
        except (FormError, TopicAdminError, StorageError) as exc:
            return render.page("create_topic.html", 400, nav="topics", **console.common(),
                               error=_message(exc), form=form)
        return _see_other(f"/topic/{_seg(name)}?notice=created")

    async def topic_page(row, page_asked=None, status=200, notice="", error="", config_form=None):
        page = page_of(page_asked, row.partitions, PARTITIONS_PAGE)
        described = console.access().may(AclOperation.DESCRIBE_CONFIGS, ResourceType.TOPIC, row.name)
        return render.page("topic.html", status, nav="topics", **console.common(), topic=row,
                           partitions=view.partitions(row.name, page.start, page.stop), page=page,
                           configs=(await view.configs(row.name) or []) if described else [], rates=console.throughput.of_topic(row.name),
                           notice=notice, error=error, config_form=config_form or {},
                           charts=_charts(console.throughput.history_of(row.name)), width=WIDTH, height=HEIGHT)

    async def topic(request):
        name = request.path_params["name"]
        if not console.access().may(AclOperation.DESCRIBE, ResourceType.TOPIC, name):
            return refused(name)
        row = view.row(name)
        if row is None:
            return not_found(name)
        return await topic_page(row, request.query_params.get("page"), notice=request.query_params.get("notice", ""))

    async def alter_config(request):
        name = request.path_params["name"]
        if not same_origin(request):
            return cross_site()
        if not console.access().may(AclOperation.ALTER_CONFIGS, ResourceType.TOPIC, name):
            return refused(name, "alter the configs of")
        row = view.row(name)
        if row is None:
            return not_found(name)
        form: dict[str, str] = {}
        try:
            form = await fields(request)
            key, value = form.get("config", ""), form.get("value", "")
            operation = DELETE if form.get("operation") == "delete" else SET
            if not key:
                raise FormError("Name the config to change.")
            entry = SimpleNamespace(name=key, value=None if operation == DELETE else value,
                                    config_operation=operation)
            await alter_resource(console.broker, TOPIC, name, edit([entry]), False)
        except (FormError, ConfigChangeError) as exc:
            return await topic_page(row, status=400, error=_message(exc), config_form=form)
        return _see_other(f"/topic/{_seg(name)}?notice=config#configs")

    async def delete_form(request):
        name = request.path_params["name"]
        if not console.access().may(AclOperation.DELETE, ResourceType.TOPIC, name):
            return refused(name, "delete")
        row = view.row(name)
        if row is None:
            return not_found(name)
        return render.page("delete_topic.html", nav="topics", **console.common(), topic=row, error="")

    async def delete(request):
        name = request.path_params["name"]
        if not same_origin(request):
            return cross_site()
        if not console.access().may(AclOperation.DELETE, ResourceType.TOPIC, name):
            return refused(name, "delete")
        row = view.row(name)
        if row is None:
            return not_found(name)
        try:
            form = await fields(request)
            if row.internal:
                raise FormError(f"{name} is one of the broker's own topics; the console does not delete it.")
            if form.get("confirm") != name:
                raise FormError(f"Type the topic's name, {name}, to confirm.")
            await console.broker.topic_admin.delete_topic(name)
        except (FormError, TopicAdminError, StorageError) as exc:
            return render.page("delete_topic.html", 400, nav="topics", **console.common(), topic=row,
                               error=_message(exc))
        return _see_other(f"/topics?notice={_seg('deleted ' + name)}")

    return [
        Route("/topics", topics),
        Route("/create-topic", create_form),
        Route("/create-topic", create, methods=["POST"]),
        Route("/topic/{name}", topic),
        Route("/topic/{name}/configs", alter_config, methods=["POST"]),
        Route("/topic/{name}/delete", delete_form),
        Route("/topic/{name}/delete", delete, methods=["POST"]),
    ]


def _charts(history) -> list:
    """The topic's throughput charts, if it has had traffic in the last minutes."""
    return rate_charts(history) if history else []


def _configs(text: str) -> dict[str, str]:
    """``name=value`` lines of the create form."""
    configs = {}
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        name, sep, value = line.partition("=")
        if not sep or not name.strip():
            raise FormError(f"Configs are name=value lines; {line!r} is not.")
        configs[name.strip()] = value.strip()
    return configs


def _message(exc: Exception) -> str:
    if isinstance(exc, (TopicAdminError, ConfigChangeError)):
        code = getattr(exc.code, "name", str(exc.code))
        return f"{code}: {exc.message}" if exc.message else code
    return str(exc)


def _seg(value: str) -> str:
    return quote(value, safe="")
