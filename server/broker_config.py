"""The broker's configuration: Kafka property names, Kafka defaults, plus odradek's CLI flags.

Everything a user sets stays in ``props`` under its Kafka name, so DescribeConfigs can report it
and the storage layer can read the ``log.*`` settings it owns.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from odradek.storage.errors import InvalidConfigError
from odradek.storage.log_config import LogConfig

from .listeners import Listener, parse_listeners
from .properties import parse_override, parse_properties

DEFAULT_LISTENERS = "PLAINTEXT://:9092"
DEFAULT_DATA_DIR = "./odradek-data"


@dataclass
class BrokerConfig:
    props: dict[str, str] = field(default_factory=dict)  # only what the user set, by Kafka name

    @classmethod
    def load(
        cls,
        properties_file: str | None = None,
        overrides: list[str] = (),
        host: str | None = None,
        port: int | None = None,
        data_dir: str | None = None,
    ) -> "BrokerConfig":
        props: dict[str, str] = {}
        if properties_file:
            props.update(parse_properties(Path(properties_file).read_text(encoding="utf-8")))
        props.update(parse_override(item) for item in overrides)
        if host is not None or port is not None:
            current = _broker_listener(props)
            props["listeners"] = str(
                Listener(current.name, current.host if host is None else host,
                         current.port if port is None else port)
            )
        if data_dir is not None:
            props["log.dirs"] = data_dir
            props.pop("log.dir", None)
        config = cls(props)
        config.validate()
        return config

    def get(self, name: str, default: str) -> str:
        return self.props.get(name, default)

    def get_int(self, name: str, default: int) -> int:
        return int(self.props.get(name, default))

    def get_bool(self, name: str, default: bool) -> bool:
        value = self.props.get(name)
        return default if value is None else value.strip().lower() == "true"

    def validate(self) -> None:
        """Fail at start-up, not at the first request, on a setting we cannot honour."""
        self.listener
        self.advertised
        for name in ("node.id", "num.partitions", "default.replication.factor",
                     "message.max.bytes", "socket.request.max.bytes"):
            if name in self.props:
                int(self.props[name])
        try:
            LogConfig.from_props(self.props, {})  # the log.* defaults every topic falls back to
        except InvalidConfigError as exc:
            raise ValueError(str(exc)) from None

    @property
    def node_id(self) -> int:
        if "node.id" in self.props:
            return int(self.props["node.id"])
        return int(self.props.get("broker.id", "1"))

    @property
    def listener(self) -> Listener:
        return _broker_listener(self.props)

    @property
    def advertised(self) -> Listener:
        """Where clients should connect: ``advertised.listeners``, else the listener itself,
        with ``localhost`` standing in for a wildcard address."""
        if "advertised.listeners" in self.props:
            for candidate in parse_listeners(self.props["advertised.listeners"]):
                if candidate.name == self.listener.name:
                    return candidate
        listener = self.listener
        if listener.is_wildcard:
            return Listener(listener.name, "localhost", listener.port)
        return listener

    @property
    def data_dir(self) -> Path:
        dirs = self.props.get("log.dirs") or self.props.get("log.dir") or DEFAULT_DATA_DIR
        return Path(dirs.split(",")[0].strip())

    @property
    def num_partitions(self) -> int:
        return self.get_int("num.partitions", 1)

    @property
    def default_replication_factor(self) -> int:
        return self.get_int("default.replication.factor", 1)

    @property
    def auto_create_topics(self) -> bool:
        return self.get_bool("auto.create.topics.enable", True)

    @property
    def socket_request_max_bytes(self) -> int:
        return self.get_int("socket.request.max.bytes", 104857600)

    @property
    def socket_send_buffer_bytes(self) -> int:
        """SO_SNDBUF of client connections; -1 leaves it to the OS (and its autotuning)."""
        return self.get_int("socket.send.buffer.bytes", 102400)

    @property
    def socket_receive_buffer_bytes(self) -> int:
        """SO_RCVBUF of client connections; -1 leaves it to the OS (and its autotuning)."""
        return self.get_int("socket.receive.buffer.bytes", 102400)


def _broker_listener(props: dict[str, str]) -> Listener:
    """The client listener: the first one that is not a KRaft controller listener."""
    controller_names = {
        n.strip().upper() for n in props.get("controller.listener.names", "").split(",") if n.strip()
    }
    for listener in parse_listeners(props.get("listeners", DEFAULT_LISTENERS)):
        if listener.name not in controller_names:
            return listener
    raise ValueError("no client listener in 'listeners'")
