"""``odradek serve``: run the broker until SIGTERM or SIGINT, then flush and close the logs.

What stops start-up (a property with a bad value, a port in use, an unusable data directory) is
printed as one line naming it, with exit code 2 for configuration and 1 for the machine. The
ready line, the stopped line and such errors print at every ``--log-level``: whoever started
the broker needs to know whether it runs.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys

import trio

from odradek.server.broker import Broker
from odradek.server.broker_config import BrokerConfig
from odradek.server.startup_error import StartupError

from .malloc_tuning import keep_large_buffers

HELP = "run the broker (reads Kafka's server.properties names)"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
SHUTDOWN_GRACE_S = 30  # at most this long handing leadership over before stopping anyway
log = logging.getLogger("odradek.server")
#: The ready and stopped lines: logged whatever the level, since they say whether the broker runs.
lifecycle = logging.getLogger("odradek.lifecycle")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("properties", nargs="?", help="a Kafka-style server.properties file")
    parser.add_argument("--override", action="append", default=[], metavar="KEY=VALUE",
                        help="set a property, overriding the file (repeatable)")
    parser.add_argument("--host", help="listen address (default: all interfaces)")
    parser.add_argument("--port", type=int, help="listen port (default 9092; 0 picks a free one)")
    parser.add_argument("--data-dir", help="where logs are kept (default ./odradek-data)")
    parser.add_argument("--log-level", default="INFO", type=_log_level, metavar="LEVEL",
                        help=f"{', '.join(LOG_LEVELS)} (default INFO); the ready line always prints")


def _log_level(text: str) -> str:
    level = text.strip().upper()
    level = "WARNING" if level == "WARN" else level
    if level not in LOG_LEVELS:
        raise argparse.ArgumentTypeError(f"unknown log level {text!r}: use one of {', '.join(LOG_LEVELS)}")
    return level


def run(args: argparse.Namespace) -> int:
    logging.basicConfig(
        level=args.log_level,
        format="[%(asctime)s] %(levelname)s %(message)s (%(name)s)",
        stream=sys.stderr,
    )
    lifecycle.setLevel(logging.INFO)  # propagates to the root handler whatever the root's level
    _raise_open_files_limit()
    keep_large_buffers()
    try:
        config = BrokerConfig.load(args.properties, args.override, args.host, args.port, args.data_dir)
        broker = Broker(config)  # each component checks its own settings as it is built
        trio.run(_serve_until_signalled, broker)
    except BaseException as exc:  # noqa: BLE001 - only a StartupError is turned into one line
        problem = _startup_error(exc)
        if problem is None:
            raise
        print(f"odradek serve: {problem}", file=sys.stderr)
        return problem.exit_code
    return 0


def _startup_error(exc: BaseException) -> StartupError | None:
    """The StartupError behind ``exc``, also when trio delivers it inside an exception group."""
    if isinstance(exc, StartupError):
        return exc
    if isinstance(exc, BaseExceptionGroup):
        for inner in exc.exceptions:
            found = _startup_error(inner)
            if found is not None:
                return found
    return None


async def _serve_until_signalled(broker: Broker) -> None:
    with trio.open_signal_receiver(signal.SIGTERM, signal.SIGINT) as signals:
        async with trio.open_nursery() as nursery:
            addresses = await nursery.start(broker.serve)
            bound = ", ".join(_format(host, port) for host, port in addresses)
            advertised = ", ".join(str(listener) for listener in broker.advertised_listeners.values())
            metrics = f", metrics on {broker.web.url}" if broker.web is not None else ""
            lifecycle.info("odradek ready: listening on %s, advertised as %s, data in %s%s",
                           bound, advertised, ", ".join(map(str, broker.config.log_dirs)), metrics)
            async for signum in signals:
                lifecycle.info("received %s, shutting down", signal.Signals(signum).name)
                with trio.move_on_after(SHUTDOWN_GRACE_S):
                    await broker.prepare_shutdown()
                nursery.cancel_scope.cancel()
                break


def _raise_open_files_limit() -> None:
    """Lift the soft limit on open files to the hard one, as the JVM does for Kafka: every
    partition keeps its active segment open, so thousands of partitions need thousands of fds."""
    try:
        import resource
    except ImportError:  # not on this platform
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        except (ValueError, OSError) as exc:
            log.warning("could not raise the open files limit from %d to %d: %s", soft, hard, exc)


def _format(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
