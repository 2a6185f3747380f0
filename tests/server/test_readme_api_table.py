"""The README's tables of supported APIs say exactly what ApiVersions advertises, alone and in a
cluster."""

from __future__ import annotations

import re
from pathlib import Path

from odradek.server.routes import CLUSTER_ROUTES, ROUTES, SINGLE_NODE_MODULES

README = Path(__file__).resolve().parents[2] / "README.md"
ROW = re.compile(r"^\| (\w+) \| (\d+) \| (\d+)(?:–(\d+))?\b", re.M)


CLUSTER_TABLE = "In cluster mode (`zookeeper.connect`), brokers also serve"


def _listed(text: str) -> dict[int, tuple[int, int]]:
    return {int(key): (int(low), int(high or low)) for _name, key, low, high in ROW.findall(text)}


def _served(routes) -> dict[int, tuple[int, int]]:
    return {key: (route.advertised_min_version, route.max_version) for key, route in routes.items()}


def test_readme_lists_every_served_api_with_its_versions():
    section = README.read_text(encoding="utf-8").split("## Supported APIs", 1)[1].split("\n## ", 1)[0]
    single_node, cluster = section.split(CLUSTER_TABLE, 1)
    assert _listed(single_node) == _served(ROUTES)
    single_node_only = {route.api_key for route in ROUTES.values() if route.module in SINGLE_NODE_MODULES}
    expected = {key: versions for key, versions in {**_listed(single_node), **_listed(cluster)}.items()
                if key not in single_node_only}
    assert expected == _served(CLUSTER_ROUTES)
