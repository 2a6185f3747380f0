"""``odradek cluster``: a whole local cluster for development, as ``rpk container start -n 3``
starts one: a ZooKeeper and N ``odradek serve`` processes, each broker with its own port and data,
started and stopped together.

Everything lives under ``--dir``: ``zookeeper/`` (its zoo.cfg, data and log) and one
``broker-<id>/`` per broker (the server.properties written on every start, ``data/`` and
``broker.log``), so running it again with the same directory starts the same brokers on their
data. Ctrl-C or SIGTERM stops the brokers one at a time with SIGTERM (each does its controlled
shutdown while the others and ZooKeeper still run), then ZooKeeper; a second Ctrl-C kills what is
left. A child that dies on its own is named in one line, with its log, and the rest are stopped.
"""

from __future__ import annotations

import argparse
import errno
import fcntl
import os
import re
import signal
import socket
import sys
from contextlib import contextmanager
from pathlib import Path

from odradek.server.properties import parse_override

from . import zookeeper_server
from .child_process import ChildProcess
from .cluster_broker import READY, ClusterBroker
from .maven_central import DownloadError, repository
from .options import Fit, columns
from .supervisor import ChildFailed, StopRequested, Supervisor
from .zookeeper_server import ZooKeeperError

HELP = "start a local cluster for development: ZooKeeper and N brokers, stopped together"
ZOOKEEPER_START_TIMEOUT = 30.0
BROKER_START_TIMEOUT = 60.0
BROKER_STOP_TIMEOUT = 30.0  # a controlled shutdown moves leadership away first
ZOOKEEPER_STOP_TIMEOUT = 10.0


class ClusterError(Exception):
    """What keeps the cluster from starting or running: one line naming it."""

    exit_code = 1


class UsageError(ClusterError):
    """Flags that do not fit together (argparse checks each one alone)."""

    exit_code = 2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--brokers", type=_count, default=3, metavar="N", help="how many brokers (default 3)")
    parser.add_argument("--dir", type=Path, default=Path("odradek-cluster"),
                        help="where the cluster keeps its data and logs (default ./odradek-cluster)")
    parser.add_argument("--base-port", type=_port, default=9092, metavar="PORT",
                        help="broker 1 listens on PORT, broker 2 on PORT+1, ... (default 9092)")
    zookeeper = parser.add_mutually_exclusive_group()
    zookeeper.add_argument("--zookeeper", type=_zookeeper_connect, metavar="HOST:PORT[/chroot]",
                           help="use this running ZooKeeper instead of starting one")
    zookeeper.add_argument("--zookeeper-port", type=_port, metavar="PORT",
                           help="the port of the ZooKeeper it starts (default: the last run's, else a free one)")
    parser.add_argument("--racks", type=_racks, metavar="RACK,RACK,...",
                        help="broker.rack of broker 1, 2, ... (reused round-robin)")
    parser.add_argument("--override", type=_override, action="append", default=[], metavar="KEY=VALUE",
                        help="a broker property, for every broker (repeatable)")


def run(args: argparse.Namespace) -> int:
    try:
        return _run(args)
    except (ClusterError, ZooKeeperError, DownloadError) as exc:
        print(f"odradek cluster: {exc}", file=sys.stderr)
        return getattr(exc, "exit_code", 1)
    except KeyboardInterrupt:  # before any child started (say, during a download)
        print("odradek cluster: interrupted", file=sys.stderr)
        return 130


def _run(args: argparse.Namespace) -> int:
    root = args.dir.resolve()  # the brokers' properties name their data directories absolutely
    if args.base_port + args.brokers - 1 > 65535:
        raise UsageError(f"--base-port {args.base_port} leaves no room for {args.brokers} brokers below 65536")
    brokers = [ClusterBroker(i, args.base_port + i - 1, root / f"broker-{i}",
                             args.racks[(i - 1) % len(args.racks)] if args.racks else None)
               for i in range(1, args.brokers + 1)]
    zookeeper_home = root / "zookeeper"
    zookeeper_port = None if args.zookeeper else _zookeeper_port(args.zookeeper_port, zookeeper_home)
    _check_ports_free([(b.port, f"broker {b.id}") for b in brokers]
                      + ([(zookeeper_port, "ZooKeeper")] if zookeeper_port else []))
    zookeeper = None
    if args.zookeeper:
        _check_reachable(args.zookeeper)
    else:  # what ZooKeeper needs, before anything is written
        java = zookeeper_server.find_java()
        jars = zookeeper_server.jars(on_download=_say_downloading)
    with _lock(root), Supervisor() as supervisor:
        if not args.zookeeper:
            config = zookeeper_server.write_config(zookeeper_home, zookeeper_port)
            zookeeper = ChildProcess("ZooKeeper", zookeeper_server.command(java, jars, config),
                                     zookeeper_home / "zookeeper.log", ZOOKEEPER_STOP_TIMEOUT,
                                     clean_exits=(0, 143, -signal.SIGTERM))  # 143: the JVM's, on SIGTERM
        return _run_until_stopped(supervisor, brokers, args, zookeeper, zookeeper_port)


def _run_until_stopped(supervisor: Supervisor, brokers: list[ClusterBroker], args: argparse.Namespace,
                       zookeeper: ChildProcess | None, zookeeper_port: int | None) -> int:
    """Start ZooKeeper and the brokers, print the summary, watch them; stop them all in the end."""
    try:
        problem = _start_and_watch(supervisor, brokers, args, zookeeper, zookeeper_port)
    except BaseException:  # a bug here must not leave the cluster running
        supervisor.stop_all(report=lambda _: None)
        raise
    if problem:
        _say(f"{problem}; stopping the rest")
    else:
        _say(f"{supervisor.received}: stopping {_in_turn(supervisor.running())} (Ctrl-C again kills them)")
    clean = supervisor.stop_all(report=_say)
    if problem or not clean:
        return 1
    _say("stopped")
    return 0


def _start_and_watch(supervisor: Supervisor, brokers: list[ClusterBroker], args: argparse.Namespace,
                     zookeeper: ChildProcess | None, zookeeper_port: int | None) -> str | None:
    """What ended the cluster: a child that failed (in a line), or None for a stop signal."""
    connect = args.zookeeper or f"127.0.0.1:{zookeeper_port}"
    try:
        if zookeeper is not None:
            supervisor.start(zookeeper)
            supervisor.wait_until_ready(lambda _: zookeeper_server.is_serving(zookeeper_port), [zookeeper],
                                        ZOOKEEPER_START_TIMEOUT)
        processes = {}
        for broker in brokers:
            broker.write_properties(connect, len(brokers), dict(args.override))
            processes[broker.id] = supervisor.start(ChildProcess(
                f"broker {broker.id}", broker.command(), broker.log_file, BROKER_STOP_TIMEOUT,
                clean_exits=(0, -signal.SIGTERM)))  # killed by SIGTERM: stopped before it was ready
        supervisor.wait_until_ready(lambda process: READY.search(process.output()), list(processes.values()),
                                    BROKER_START_TIMEOUT)
        if "listeners" not in dict(args.override):  # else the brokers may not take a plaintext client
            by_process = {processes[b.id]: b for b in brokers}
            ids = {b.id for b in brokers}
            supervisor.wait_until_ready(lambda process: by_process[process].knows_brokers(ids),
                                        list(processes.values()), BROKER_START_TIMEOUT)
    except StopRequested:
        return None
    except ChildFailed as exc:
        return str(exc)
    try:
        print(_summary(brokers, processes, connect, zookeeper), flush=True)
    except OSError:  # nobody reads stdout (a closed pipe): the cluster runs all the same
        pass
    return supervisor.watch()


def _summary(brokers: list[ClusterBroker], processes: dict[int, ChildProcess], connect: str,
             zookeeper: ChildProcess | None) -> str:
    """What a developer needs to use the cluster: where to connect, and where each part is."""
    racks = any(b.rack for b in brokers)
    headers = ["broker", "address", "pid", *(["rack"] if racks else []), "data", "log"]
    rows = [[b.id, b.address, processes[b.id].pid, *([b.rack] if racks else []), b.data_dir, b.log_file]
            for b in brokers]
    if zookeeper is None:
        where = "(not started here)"
    else:
        where = f"(ZooKeeper {zookeeper_server.VERSION}, pid {zookeeper.pid}, log {zookeeper.log_file})"
    return "\n".join([
        f"odradek cluster: {len(brokers)} broker{'s' if len(brokers) > 1 else ''} running",
        "",
        f"bootstrap servers: {','.join(b.address for b in brokers)}",
        f"zookeeper.connect: {connect} {where}",
        "",
        *columns(headers, rows, [Fit(len(header)) for header in headers[:-1]] + [None]),
        "",
        f"Stop with Ctrl-C (or kill -TERM {os.getpid()}): the brokers shut down one at a time"
        + (", then ZooKeeper." if zookeeper else "."),
    ])


def _in_turn(names: list[str]) -> str:
    """``broker 3, broker 2, then ZooKeeper``."""
    return ", ".join(names[:-1]) + ", then " + names[-1] if len(names) > 1 else "".join(names)


def _zookeeper_port(chosen: int | None, home: Path) -> int:
    """``--zookeeper-port``, else the last run's port while it is free, else a free one."""
    if chosen is not None:
        return chosen
    previous = zookeeper_server.previous_port(home)
    if previous is not None and _bind_problem(previous) is None:
        return previous
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _check_ports_free(ports: list[tuple[int, str]]) -> None:
    for port, user in ports:
        problem = _bind_problem(port)
        if problem:
            raise ClusterError(f"port {port} ({user}) {problem}")


def _bind_problem(port: int) -> str | None:
    """Why the broker could not listen on 127.0.0.1:``port`` (binding as it does), or None."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return "is already in use on 127.0.0.1"
            return f"cannot be listened on: {exc.strerror}"
    return None


def _check_reachable(connect: str) -> None:
    """Some server of ``--zookeeper`` accepts connections (the brokers will say more if not ZooKeeper)."""
    error = None
    for server in connect.split("/", 1)[0].split(","):
        host, _, port = server.rpartition(":")
        try:
            socket.create_connection((host, int(port)), timeout=5).close()
            return
        except OSError as exc:
            error = exc
    raise ClusterError(f"cannot reach ZooKeeper at {connect}: {error.strerror or error}")


@contextmanager
def _lock(root: Path):
    """Hold ``root/cluster.lock``: two clusters on one directory would share ZooKeeper's data."""
    root.mkdir(parents=True, exist_ok=True)
    with (root / "cluster.lock").open("a+") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.seek(0)
            raise ClusterError(f"{root} is in use by another odradek cluster (pid {lock.read().strip()})") from None
        lock.seek(0)
        lock.truncate()
        lock.write(f"{os.getpid()}\n")
        lock.flush()
        yield


def _say(line: str) -> None:
    """A line for the person at the terminal, which may be gone (SIGHUP): the children still
    have to be stopped then."""
    try:
        print(f"odradek cluster: {line}", file=sys.stderr, flush=True)
    except OSError:
        pass


def _say_downloading(artifact) -> None:
    _say(f"fetching {artifact.file_name} from {repository()} into {zookeeper_server.cache_dir()} (once)")


def _count(text: str) -> int:
    value = _int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {text}")
    return value


def _port(text: str) -> int:
    value = _int(text)
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"not a port number: {text}")
    return value


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None


def _zookeeper_connect(text: str) -> str:
    servers, _, _chroot = text.partition("/")
    if not all(re.fullmatch(r"[^:,\s]+:\d{1,5}", server) for server in servers.split(",")):
        raise argparse.ArgumentTypeError(f"expected HOST:PORT[,HOST:PORT...][/chroot], got {text!r}")
    return text


def _racks(text: str) -> list[str]:
    racks = [rack.strip() for rack in text.split(",")]
    if not all(racks):
        raise argparse.ArgumentTypeError(f"expected RACK,RACK,... without empty names, got {text!r}")
    return racks


def _override(text: str) -> tuple[str, str]:
    try:
        return parse_override(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
