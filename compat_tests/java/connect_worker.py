"""Kafka Connect workers (``connect-distributed.sh`` and ``connect-standalone.sh``'s main classes)
from the apps' jars, configured by a generated properties file, and a small client for the REST
API they serve (what ``curl`` does in Connect's manual)."""

from __future__ import annotations

import http.client
import json
from pathlib import Path

from .jars import apps_classpath
from .jvm_app import JvmApp, free_port, wait_for

DISTRIBUTED = "org.apache.kafka.connect.cli.ConnectDistributed"
STANDALONE = "org.apache.kafka.connect.cli.ConnectStandalone"
STRING_CONVERTER = "org.apache.kafka.connect.storage.StringConverter"
START_TIMEOUT = 120.0  # seconds: a JVM loading Jetty and Jersey on a loaded machine
REST_TIMEOUT = 30.0


class RestError(Exception):
    def __init__(self, status: int, body: str):
        super().__init__(f"HTTP {status}: {body}")
        self.status = status


def write_properties(path: Path, properties: dict[str, object]) -> Path:
    path.write_text("".join(f"{key}={value}\n" for key, value in properties.items()))
    return path


class ConnectWorker(JvmApp):
    """One worker; ``worker_id`` is what the REST status calls it (its advertised host:port)."""

    def __init__(self, directory: Path, bootstrap: str, properties: dict[str, object],
                 standalone_connectors: list[dict[str, object]] | None = None):
        self.rest_port = free_port()
        directory.mkdir(parents=True, exist_ok=True)
        worker = {"bootstrap.servers": bootstrap,
                  "key.converter": STRING_CONVERTER, "value.converter": STRING_CONVERTER,
                  "listeners": f"http://127.0.0.1:{self.rest_port}",
                  "rest.advertised.host.name": "127.0.0.1", "rest.advertised.port": self.rest_port,
                  "offset.flush.interval.ms": 1000, **properties}
        args = [str(write_properties(directory / "worker.properties", worker))]
        for number, connector in enumerate(standalone_connectors or ()):
            args.append(str(write_properties(directory / f"connector-{number}.properties", connector)))
        main = STANDALONE if standalone_connectors is not None else DISTRIBUTED
        super().__init__(f"connect-{self.rest_port}", apps_classpath(), main, args)

    @property
    def worker_id(self) -> str:
        return f"127.0.0.1:{self.rest_port}"

    def start(self) -> "ConnectWorker":
        """Launch and wait (bounded) until its REST server answers."""
        super().start()
        wait_for(self._answers, START_TIMEOUT, f"Connect worker {self.worker_id}'s REST API\n{self.log_text()}",
                 interval=0.5)
        return self

    def _answers(self) -> bool:
        if not self.running:
            raise AssertionError(f"Connect worker {self.worker_id} exited:\n{self.log_text()}")
        try:
            self.request("GET", "/")
            return True
        except (OSError, RestError):
            return False

    def request(self, method: str, path: str, body: object = None) -> object:
        connection = http.client.HTTPConnection("127.0.0.1", self.rest_port, timeout=REST_TIMEOUT)
        try:
            payload = None if body is None else json.dumps(body)
            connection.request(method, path, body=payload, headers={"Content-Type": "application/json",
                                                                    "Accept": "application/json"})
            response = connection.getresponse()
            text = response.read().decode()
        finally:
            connection.close()
        if response.status >= 300:
            raise RestError(response.status, text)
        return json.loads(text) if text else None

    def put_connector(self, name: str, config: dict[str, object], timeout: float = 60.0) -> None:
        """PUT /connectors/<name>/config, retried while the worker is still joining its group (Connect
        answers 409 during a rebalance and 500 before it has read the config topic)."""
        def attempt():
            try:
                self.request("PUT", f"/connectors/{name}/config", config)
                return True
            except RestError as error:
                if error.status in (409, 500, 503):
                    return False
                raise
        wait_for(attempt, timeout, f"connector {name} to be accepted\n{self.log_text()}", interval=0.5)

    def status(self, name: str) -> dict | None:
        try:
            return self.request("GET", f"/connectors/{name}/status")
        except (RestError, OSError):
            return None
