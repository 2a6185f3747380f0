"""What a starting single broker imports: not what most brokers never use (start-up time).

A real broker is started in a child process (a fresh interpreter, so nothing the test run imported
counts); once it serves, it reports the odradek modules it imported and stops.
"""

from __future__ import annotations

import json
import subprocess
import sys

SERVE_AND_REPORT = """
import json, sys
import trio
from odradek.server.broker import Broker
from odradek.server.broker_config import BrokerConfig

async def main(data_dir, share_state):
    broker = Broker(BrokerConfig.load(None, [], "127.0.0.1", 0, data_dir))
    async with trio.open_nursery() as nursery:
        await nursery.start(broker.serve)
        print(json.dumps(sorted(m for m in sys.modules if m.startswith("odradek."))))
        if share_state:  # what the first FindCoordinator for a share partition does
            await broker.share_coordinator.topic.ensure_exists()
        nursery.cancel_scope.cancel()

trio.run(main, sys.argv[1], sys.argv[2] == "share-state")
"""

SHARE_DATA_PATH = "odradek.server.share.share_data_path"
#: the share and streams groups' own modules: imported with the first group of their kind
GROUP_KINDS = {f"odradek.server.groups.{name}" for name in (
    "share_group", "share_group_records", "share_group_coordinator", "share_group_offsets",
    "streams_group", "streams_group_records", "streams_coordinator")}


def _serve(data_dir, *, share_state: bool = False) -> set[str]:
    done = subprocess.run([sys.executable, "-c", SERVE_AND_REPORT, str(data_dir), "share-state" if share_state else ""],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stdout))


def test_a_new_broker_imports_no_handler_but_api_versions_no_share_data_path_and_no_group_kinds(tmp_path):
    imported = _serve(tmp_path / "logs")
    assert {m for m in imported if m.startswith("odradek.server.handlers.")} == {"odradek.server.handlers.api_versions"}
    assert {m for m in imported if m.startswith("odradek.server.share.")} == {"odradek.server.share.share_on_demand"}
    assert not imported & GROUP_KINDS


def test_a_broker_with_share_state_loads_it_as_it_starts(tmp_path):
    assert SHARE_DATA_PATH not in _serve(tmp_path / "logs", share_state=True)  # then made on first use
    assert SHARE_DATA_PATH in _serve(tmp_path / "logs")  # __share_group_state exists: replayed at start-up
