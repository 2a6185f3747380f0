"""The routes: each names a handler module of its API, imported on the API's first request."""

from __future__ import annotations

import subprocess
import sys
from importlib import import_module

import pytest
import trio

from odradek.server.routes import CLUSTER_ROUTES, ROUTES, Route
from odradek.wire import ApiKey

ALL_ROUTES = {id(route): route for route in [*ROUTES.values(), *CLUSTER_ROUTES.values()]}.values()


@pytest.mark.parametrize("route", ALL_ROUTES, ids=lambda route: route.module)
def test_each_route_is_its_handler_modules_api(route):
    module = import_module(f"odradek.server.handlers.{route.module}")
    assert module.API_KEY == route.api_key
    assert callable(route.load())


def test_only_produce_is_advertised_from_a_version_it_does_not_accept():
    assert {key for key, route in ROUTES.items() if route.advertised_min_version != route.min_version} == {
        ApiKey.PRODUCE}
    assert ROUTES[ApiKey.PRODUCE].advertised_min_version == 0


def test_the_first_request_loads_the_handler_and_later_ones_call_it_directly():
    route = Route("api_versions")
    first = route.handler
    calls = []

    def wrap(handle):
        async def counted(ctx, request):
            calls.append(request)
            return "answer"
        return counted

    wrapped = route.wrapped(wrap)
    assert trio.run(wrapped.handler, None, "first") == "answer"
    assert wrapped.handler is not first and wrapped.handler.__name__ == "counted"
    assert trio.run(wrapped.handler, None, "second") == "answer"
    assert calls == ["first", "second"]
    assert route.handler is first  # the route it was made from loads on its own first request


def test_a_starting_broker_imports_no_handler_module_but_api_versions():
    """Importing every handler (and what they import) was a tenth of the start-up. The dispatcher
    answers an ApiVersions request of a version it does not know with ApiVersions' own body."""
    code = ("import sys, odradek.tools.serve, odradek.server.broker; "
            "print(sorted(m for m in sys.modules if m.startswith('odradek.server.handlers.')))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.strip() == "['odradek.server.handlers.api_versions']"
