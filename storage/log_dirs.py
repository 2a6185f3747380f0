"""The broker's log directories (Kafka's ``log.dirs``): opening and locking them, and which are online.

With several directories (JBOD: typically one per disk) the partitions are spread over them,
each partition wholly in one. Every directory is locked with a ``.lock`` file (``flock``) while
the broker runs, so that a second broker started on the same directory stops at start-up instead
of corrupting the logs. The first directory is the metadata directory: it alone holds what is not
a partition (see ``log_manager``), as Kafka's ``metadata.log.dir`` defaults to the first log dir.

Opening, as Kafka's LogManager does it: a directory that does not exist is created; one that is
in use by another broker stops start-up; one that cannot be created, is not a directory, or is
not writable starts offline, unless it is the metadata directory, whose problems stop start-up.
Each start-up problem is a LogDirError naming the directory: one line for the operator. Checks
that have no side effects run before anything is created or locked, directories that exist are
locked before missing ones are created, and a start-up that stops removes what it created, so a
refused start leaves no new files behind.

Health, as Kafka's LogDirFailureChannel: a directory is online until a disk error in it (any
OSError from its files: EIO, ENOSPC, EROFS...) takes it offline for the rest of the run. ``fail``
may be called from any thread; it logs one error line, releases the lock and tells the listeners
(the log manager stops serving the directory's partitions). The directory is not tried again
until a restart.
"""

from __future__ import annotations

import errno
import fcntl
import logging
import os
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

from .errors import LogDirError

logger = logging.getLogger(__package__)

LOCK_FILE = ".lock"


class LogDir:
    """One log directory: its absolute path, as DescribeLogDirs names it, and its health."""

    def __init__(self, path: Path, owner: LogDirs) -> None:
        self.path = path
        self.online = False  # until opened
        self.problem: str | None = None  # why it is offline
        self._owner = owner
        self._lock_fd: int | None = None

    def __repr__(self) -> str:
        return f"LogDir({str(self.path)!r}, {'online' if self.online else 'offline'})"

    @property
    def is_metadata_dir(self) -> bool:
        return self is self._owner.metadata_dir

    def fail(self, error: BaseException) -> None:
        """Take this directory offline for a disk error met in it (from any thread; idempotent)."""
        self._owner._fail(self, error)

    def holds(self, path: Path) -> bool:
        """Whether ``path`` (a partition directory, or a file in one) lies in this directory."""
        return self.path in Path(os.path.abspath(path)).parents


class LogDirs:
    def __init__(self, paths: Sequence[str | os.PathLike]) -> None:
        if not paths:
            raise ValueError("at least one log directory is needed")
        self.all = [LogDir(Path(os.path.abspath(path)), self) for path in paths]
        self._opened = False
        self._lock = threading.Lock()
        self._listeners: list[Callable[[LogDir], None]] = []

    @property
    def metadata_dir(self) -> LogDir:
        return self.all[0]

    def online(self) -> list[LogDir]:
        return [log_dir for log_dir in self.all if log_dir.online]

    def any_offline(self) -> bool:
        return any(not log_dir.online for log_dir in self.all)

    def find(self, path: str) -> LogDir | None:
        """The log directory named ``path`` (absolute, as DescribeLogDirs reports it), else None."""
        return next((log_dir for log_dir in self.all if str(log_dir.path) == path), None)

    def containing(self, path: Path) -> LogDir | None:
        """The log directory ``path`` lies in, else None."""
        return next((log_dir for log_dir in self.all if log_dir.holds(path)), None)

    def on_failure(self, listener: Callable[[LogDir], None]) -> None:
        """Call ``listener(log_dir)`` when a directory goes offline (in the thread that failed it)."""
        self._listeners.append(listener)

    # --- start-up and shutdown ---------------------------------------------------------------

    def open(self) -> None:
        """Create missing directories and lock them all (see the module docstring). Raises
        LogDirError if start-up must stop; directories that merely start offline are logged."""
        if self._opened:
            return
        problems = {log_dir: _problem(log_dir.path) for log_dir in self.all}
        if problems[self.metadata_dir] is not None:
            raise LogDirError(self.metadata_dir.path, problems[self.metadata_dir])
        usable = [log_dir for log_dir in self.all if problems[log_dir] is None]
        usable.sort(key=lambda log_dir: not log_dir.path.is_dir())  # existing ones first: stable sort
        made: list[Path] = []  # files and directories this start-up created, newest last
        try:
            for log_dir in usable:
                try:
                    made += _make_directory(log_dir.path)
                    log_dir._lock_fd, created_lock = _lock(log_dir.path)
                except _StartupProblem as exc:
                    if log_dir.is_metadata_dir or exc.in_use:
                        raise
                    problems[log_dir] = exc.problem
                    continue
                if created_lock:
                    made.append(log_dir.path / LOCK_FILE)
                log_dir.online = True
        except BaseException:
            self._release()
            _remove_made(made)
            raise
        for log_dir in self.all:
            if problems[log_dir] is not None:
                log_dir.problem = problems[log_dir]
                logger.error("Log directory %s is offline: it %s", log_dir.path, log_dir.problem)
        self._opened = True

    def close(self) -> None:
        """Release every lock (the directories stay as they are). Idempotent."""
        self._release()

    def _release(self) -> None:
        for log_dir in self.all:
            fd, log_dir._lock_fd = log_dir._lock_fd, None
            if fd is not None:
                os.close(fd)  # releases the flock

    # --- failures ----------------------------------------------------------------------------

    def _fail(self, log_dir: LogDir, error: BaseException) -> None:
        with self._lock:
            if not log_dir.online:
                return
            log_dir.online = False
            log_dir.problem = f"failed: {error}"
            fd, log_dir._lock_fd = log_dir._lock_fd, None
        if fd is not None:
            try:
                os.close(fd)
            except OSError:
                pass
        logger.error("Log directory %s failed and is offline until a restart; its partitions answer "
                     "KAFKA_STORAGE_ERROR: %s", log_dir.path, error)
        for listener in list(self._listeners):
            listener(log_dir)


class _StartupProblem(LogDirError):
    def __init__(self, path: Path, problem: str, in_use: bool = False) -> None:
        super().__init__(path, problem)
        self.problem = problem
        self.in_use = in_use


def _problem(path: Path) -> str | None:
    """What stops ``path`` from being a log directory, found without changing anything; or None."""
    if os.path.lexists(path) and not os.path.exists(path):
        return "is a broken symbolic link"
    if path.exists():
        if not path.is_dir():
            return "is not a directory"
        return _access_problem(path)
    ancestor = path.parent
    while not ancestor.exists():
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        return f"cannot be created: {ancestor} is not a directory"
    problem = _access_problem(ancestor)
    return None if problem is None else f"cannot be created: {ancestor} {problem}"


def _access_problem(directory: Path) -> str | None:
    if not os.access(directory, os.R_OK | os.X_OK):
        return "is not readable"
    if not os.access(directory, os.W_OK | os.X_OK):
        read_only = os.statvfs(directory).f_flag & os.ST_RDONLY
        return "is on a read-only file system" if read_only else "is not writable"
    return None


def _make_directory(path: Path) -> list[Path]:
    """Create ``path`` and its missing parents; those created, outermost first."""
    missing = []
    ancestor = path
    while not ancestor.exists():
        missing.append(ancestor)
        ancestor = ancestor.parent
    made = []
    for directory in reversed(missing):
        try:
            directory.mkdir()
        except FileExistsError:
            continue  # made meanwhile by someone else: not ours to remove
        except OSError as exc:
            _remove_made(made)
            raise _StartupProblem(path, f"cannot be created: {exc.strerror}") from None
        made.append(directory)
    return made


def _lock(path: Path) -> tuple[int, bool]:
    """Open and flock ``path/.lock``: the descriptor, and whether the file was created."""
    lock_path = path / LOCK_FILE
    existed = lock_path.exists()
    try:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise _StartupProblem(path, f"cannot be locked: {exc.strerror} ({lock_path})") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        os.close(fd)
        if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN):
            raise _StartupProblem(path, f"is in use by another broker (lock file {lock_path} held)",
                                  in_use=True) from None
        raise _StartupProblem(path, f"cannot be locked: {exc.strerror} ({lock_path})") from None
    return fd, not existed


def _remove_made(made: list[Path]) -> None:
    """Remove what a stopped start-up created (newest first); anything else found there stays."""
    for path in reversed(made):
        try:
            if path.is_dir():
                path.rmdir()
            else:
                path.unlink()
        except OSError:
            pass
