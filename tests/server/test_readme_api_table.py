"""The README's table of supported APIs says exactly what ApiVersions advertises."""

from __future__ import annotations

import re
from pathlib import Path

from odradek.server.routes import ROUTES

README = Path(__file__).resolve().parents[2] / "README.md"
ROW = re.compile(r"^\| (\w+) \| (\d+) \| (\d+)(?:–(\d+))?\b", re.M)


def test_readme_lists_every_served_api_with_its_versions():
    listed = {}
    for name, key, low, high in ROW.findall(README.read_text(encoding="utf-8")):
        listed[int(key)] = (int(low), int(high or low))
    served = {key: (route.advertised_min_version, route.max_version) for key, route in ROUTES.items()}
    assert listed == served
