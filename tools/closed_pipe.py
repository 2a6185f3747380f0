"""Ending quietly when the reader of our output goes away (``odradek dump-log ... | head -1``).

Python ignores SIGPIPE, so writing to a pipe whose reader has closed raises ``BrokenPipeError``,
and the interpreter's last flush of stdout at exit raises it once more ("Exception ignored ...").
A tool whose output nobody reads any more has nothing left to do: it stops, prints nothing, and
exits 141, the status a shell reports for a program ended by SIGPIPE (``yes | head -1``).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

EXIT_CODE = 128 + 13  # 128 + SIGPIPE


@contextmanager
def exit_quietly_when_stdout_closes() -> Iterator[None]:
    """Turn a ``BrokenPipeError`` on stdout into ``SystemExit(141)``, without another at exit.
    Only for code that writes to nothing but stdout: a socket's broken pipe is another matter."""
    try:
        yield
    except BrokenPipeError:
        discard_stdout()
        raise SystemExit(EXIT_CODE) from None


def discard_stdout() -> None:
    """Send what stdout still buffers, and anything printed later, nowhere: its reader is gone."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
