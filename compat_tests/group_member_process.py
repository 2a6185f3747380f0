"""A group member in a child process, so that a test can SIGKILL it: no LeaveGroup, no goodbye.

The child runs a ``Member`` and prints one ``assignment <json>`` line on stdout each time its
assignment changes; the parent reads them on a thread.  Run as
``python -m compat_tests.group_member_process <json spec>`` from the repository root.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
from pathlib import Path

from .clients import TIMEOUT

REPO_ROOT = Path(__file__).resolve().parents[1]


class MemberProcess:
    """The parent's handle on a child member: its latest assignment, and a way to kill it."""

    def __init__(self, client: str, bootstrap: str, group: str, topics: list[str], **settings):
        self._spec = dict(client=client, bootstrap=bootstrap, group=group, topics=topics, settings=settings)
        self._lock = threading.Lock()
        self._assignment: frozenset = frozenset()
        self._output: list[str] = []
        self._process: subprocess.Popen | None = None

    def start(self) -> "MemberProcess":
        self._process = subprocess.Popen(
            [sys.executable, "-m", "compat_tests.group_member_process", json.dumps(self._spec)],
            cwd=REPO_ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True)
        threading.Thread(target=self._read, args=(self._process.stdout,), daemon=True).start()
        return self

    @property
    def assignment(self) -> frozenset:
        with self._lock:
            return self._assignment

    def check(self) -> None:
        """Fail if the child ended on its own (its output says why)."""
        if self._process is not None and self._process.poll() is not None:
            with self._lock:
                output = "".join(self._output)
            raise AssertionError(f"member process exited with {self._process.returncode}:\n{output}")

    def kill(self) -> None:
        """SIGKILL: the member vanishes without leaving its group."""
        if self._process is not None:
            self._process.send_signal(signal.SIGKILL)
            self._process.wait(TIMEOUT)
            self._process = None

    def _read(self, stream) -> None:
        for line in stream:
            with self._lock:
                self._output.append(line)
                if line.startswith("assignment "):
                    self._assignment = frozenset(tuple(p) for p in json.loads(line[len("assignment "):]))


def main(spec: dict) -> None:
    from .group_member import Member

    def report(assignment: frozenset) -> None:
        print("assignment", json.dumps(sorted(assignment)), flush=True)

    member = Member(spec["client"], spec["bootstrap"], spec["group"], spec["topics"], on_assignment=report,
                    **spec["settings"])
    member.run()
    member.check()


if __name__ == "__main__":
    main(json.loads(sys.argv[1]))
