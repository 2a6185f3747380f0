"""The README's examples, run as a newcomer pastes them, against a real broker.

The Quick start's Python snippets run twice each (a second run must work as well as the first),
and the Tools section's commands run in order, each one through a shell. Only the broker's
address is changed, from the README's ``localhost:9092`` to the test broker's.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
README_ADDRESS = "localhost:9092"
TIMEOUT = 120


def section(title: str) -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start:end if end != -1 else None]


def code_blocks(title: str, language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", section(title), flags=re.S)


@pytest.fixture(scope="module")
def readme_broker(tmp_path_factory):
    from .broker_process import BrokerProcess

    broker = BrokerProcess(tmp_path_factory.mktemp("data"), {"group.initial.rebalance.delay.ms": 0}).start()
    yield broker
    assert broker.stop() == 0, broker.log_text()[-5000:]


@pytest.mark.parametrize("index, expected", [(0, b"hello"), (1, b"hi")])
def test_quick_start_snippets_run_and_run_again(readme_broker, index, expected):
    snippet = code_blocks("Quick start", "python")[index].replace(README_ADDRESS, readme_broker.bootstrap)
    for attempt in (1, 2):
        ran = subprocess.run([sys.executable, "-c", snippet], capture_output=True, timeout=TIMEOUT)
        assert ran.returncode == 0, f"run {attempt}:\n{ran.stderr.decode(errors='replace')}"
        assert expected in ran.stdout, f"run {attempt} printed:\n{ran.stdout.decode(errors='replace')}"
        assert ran.stdout.count(expected) == attempt  # each run added one record, and reads them all


def test_tool_examples_run_as_pasted_in_order(readme_broker):
    (block,) = code_blocks("Tools", "sh")
    commands = [line for line in block.splitlines() if line.strip()]
    assert all(line.startswith(("odradek ", "printf ")) for line in commands)
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    outputs = []
    for command in commands:
        ran = subprocess.run(["bash", "-c", command.replace(README_ADDRESS, readme_broker.bootstrap)],
                             capture_output=True, text=True, timeout=TIMEOUT, env=env, stdin=subprocess.DEVNULL)
        assert ran.returncode == 0, f"{command}\nexited with {ran.returncode}:\n{ran.stdout}\n{ran.stderr}"
        assert "Traceback" not in ran.stderr, f"{command}\n{ran.stderr}"
        outputs.append(ran.stdout)
    consumed = outputs[next(i for i, c in enumerate(commands) if c.startswith("odradek consume"))]
    assert sorted(consumed.splitlines()) == ["k1\tv1", "k2\tv2"]
