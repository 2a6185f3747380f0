"""One process of a local cluster (ZooKeeper or a broker), its output appended to its own log file.

Each child runs in its own session, so a Ctrl-C at the terminal reaches only ``odradek cluster``,
which then stops the children in order (the brokers first, while the ZooKeeper their controlled
shutdown needs is still there) instead of all of them at once. Should the command itself be killed
outright, Linux sends each child SIGTERM (``PR_SET_PDEATHSIG``) rather than leave it running on
the cluster's ports. A log file outlives its process
and is appended to on every run, so what happened before a restart stays readable; what a run
wrote is read from where that run began.
"""

from __future__ import annotations

import ctypes
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

TAIL_BYTES, TAIL_LINES = 8192, 40  # how much of a log's end is searched for its telling line
POLL_INTERVAL = 0.05  # seconds
#: Lines that only frame something: blank, or an exception group's ``+---- 1 ----`` borders.
_DECORATION = re.compile(r"[-+|\s\d]*")
#: ``NameError: ...`` ending a Python traceback, ``java.net.BindException: ...`` heading a Java
#: stack trace, or the one line ``odradek serve`` prints when it cannot start.
_ERROR = re.compile(r"[\w.$]*(Error|Exception)\b(:.*)?$|odradek serve: ")
PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>
KILL_TIMEOUT = 10.0  # seconds: SIGKILL cannot be ignored, but a process in the kernel may take a while


class ChildProcess:
    def __init__(self, name: str, command: list[str], log_file: Path, stop_timeout: float,
                 clean_exits: tuple[int, ...] = (0,)):
        self.name = name
        self.command = command
        self.log_file = log_file
        self.stop_timeout = stop_timeout
        self.clean_exits = clean_exits  # the exit codes of a clean stop on SIGTERM
        self._start_offset = 0
        self._process: subprocess.Popen | None = None

    @property
    def pid(self) -> int:
        return self._process.pid

    def start(self) -> None:
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        with self.log_file.open("ab") as log:
            self._start_offset = log.tell()
            log.write(f"--- odradek cluster started {self.name} at {time.strftime('%Y-%m-%d %H:%M:%S')}: "
                      f"{' '.join(self.command)}\n".encode())
            log.flush()
            self._process = subprocess.Popen(self.command, stdin=subprocess.DEVNULL, stdout=log,
                                             stderr=subprocess.STDOUT, start_new_session=True,
                                             preexec_fn=_terminate_with_parent())

    def exit_code(self) -> int | None:
        """None while it runs."""
        return None if self._process is None else self._process.poll()

    def output(self) -> str:
        """What this run wrote to the log so far."""
        with self.log_file.open("rb") as log:
            log.seek(self._start_offset)
            return log.read().decode(errors="replace")

    def telling_line(self) -> str:
        """The line of this run's log that best tells why it ended: the last error near the end
        (a Python exception, the head of a Java stack trace, an ``odradek serve:`` one-liner),
        else the last line that says anything (a traceback's frames and borders do not)."""
        with self.log_file.open("rb") as log:
            end = log.seek(0, 2)
            log.seek(max(self._start_offset, end - TAIL_BYTES))
            lines = [line.strip().lstrip("|").strip() for line in log.read().decode(errors="replace").splitlines()]
        lines = [line for line in lines[-TAIL_LINES:]
                 if not _DECORATION.fullmatch(line) and not line.startswith("--- odradek cluster ")]
        errors = [line for line in lines if _ERROR.match(line)]
        return (errors or lines or ["(nothing)"])[-1]

    def log_tail(self) -> str:
        """``<log file>: <its telling line>``, for the messages that report this child."""
        return f"{self.log_file}: {self.telling_line()}"

    def stop(self, give_up=None) -> str | None:
        """SIGTERM and a bounded wait, SIGKILL after it (or once ``give_up``, an Event, is set).
        What went wrong, in a line; None for a clean stop."""
        self._signal(signal.SIGTERM)
        code = self.wait(self.stop_timeout, give_up)
        if code is None:
            forced = give_up is not None and give_up.is_set()
            self._signal(signal.SIGKILL)
            self.wait(KILL_TIMEOUT)
            return f"{self.name} was killed " + (
                "on request" if forced else f"after ignoring SIGTERM for {self.stop_timeout:.0f}s")
        if code not in self.clean_exits:
            return f"{self.name} {describe_exit(code)} while stopping; {self.log_tail()}"
        return None

    def wait(self, timeout: float, give_up=None) -> int | None:
        """The exit code, or None if it still runs after ``timeout`` seconds or once ``give_up``
        (an Event: a second Ctrl-C) is set."""
        deadline = time.monotonic() + timeout
        while (code := self.exit_code()) is None:
            left = deadline - time.monotonic()
            if left <= 0 or (give_up is not None and give_up.is_set()):
                return None
            time.sleep(min(POLL_INTERVAL, left))
        return code

    def _signal(self, signum: signal.Signals) -> None:
        if self.exit_code() is None:
            self._process.send_signal(signum)


def _terminate_with_parent():
    """On Linux, a function for the forked child that asks the kernel for SIGTERM when its parent
    dies; None elsewhere."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        prctl = libc.prctl
    except (OSError, AttributeError):
        return None

    def request() -> None:
        prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)

    return request


def describe_exit(code: int) -> str:
    """``exited with code 1`` or ``was killed by SIGKILL`` (Popen's negative codes)."""
    if code < 0:
        try:
            return f"was killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"was killed by signal {-code}"
    return f"exited with code {code}"
