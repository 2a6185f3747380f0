"""Record real Kafka clients' request and response frames, for byte-exact codec tests.

A small TCP proxy sits between a client and odradek and sees every frame: a 4-byte size, then
the request (header: api key, version, correlation id, ...) or the response (header:
correlation id, ...).  The driver below runs kafka-python and confluent-kafka through one step
per API; in each step the first request of the step's API and its response are written to
``frames/<client>__<api>_v<version>[_<variant>]__<request|response>.bin`` (the frame without its
size prefix), and ``frames/index.json`` says what each file is.

Run from the repository root (re-recording replaces the frames):

    python tests/wire/golden/capture.py

It starts its own odradek whose advertised listener is the proxy, so that clients, which
connect to whatever the Metadata response advertises, stay behind the proxy.
"""

from __future__ import annotations

import json
import socket
import struct
import sys
import tempfile
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
FRAMES = Path(__file__).resolve().parent / "frames"
API_NAMES = {0: "produce", 1: "fetch", 2: "list_offsets", 3: "metadata", 18: "api_versions",
             19: "create_topics", 20: "delete_topics", 32: "describe_configs"}


@dataclass
class Step:
    client: str
    api_key: int
    variant: str = ""
    request: tuple[int, int, bytes] | None = None  # (version, correlation id, frame)
    response: bytes | None = None


class Recorder:
    """Keeps, per step, the first request of the step's API and the response to it."""

    def __init__(self) -> None:
        self.steps: list[Step] = []
        self._open: list[Step] = []  # steps may nest: a client's first call sends several APIs
        self._lock = threading.Lock()

    @contextmanager
    def step(self, client: str, api_key: int, variant: str = ""):
        step = Step(client, api_key, variant)
        with self._lock:
            self._open.append(step)
        try:
            yield
        finally:
            with self._lock:
                self._open.remove(step)
        if step.request is None or step.response is None:
            raise RuntimeError(f"{client} sent no {API_NAMES[api_key]} request (or got no answer)")
        self.steps.append(step)

    def on_request(self, api_key: int, version: int, correlation_id: int, payload: bytes):
        """Returns a token to match the response with, or None if this frame is not wanted."""
        with self._lock:
            for step in self._open:
                if step.api_key == api_key and step.request is None:
                    step.request = (version, correlation_id, payload)
                    return step
            return None

    def on_response(self, token: Step, payload: bytes) -> None:
        with self._lock:
            if token.response is None:
                token.response = payload

    def write(self, directory: Path) -> list[dict]:
        directory.mkdir(parents=True, exist_ok=True)
        for old in directory.glob("*.bin"):
            old.unlink()
        index = []
        for step in self.steps:
            version, correlation_id, request = step.request
            stem = f"{step.client}__{API_NAMES[step.api_key]}_v{version}"
            stem += f"_{step.variant}" if step.variant else ""
            for kind, payload in (("request", request), ("response", step.response)):
                name = f"{stem}__{kind}.bin"
                (directory / name).write_bytes(payload)
                index.append({"file": name, "client": step.client, "kind": kind, "api_key": step.api_key,
                              "api_version": version, "correlation_id": correlation_id,
                              "variant": step.variant})
        (directory / "index.json").write_text(json.dumps(index, indent=1) + "\n")
        return index


class RecordingProxy:
    """Accepts clients on 127.0.0.1 and relays each connection to ``upstream``, frame by frame."""

    def __init__(self, recorder: Recorder) -> None:
        self.recorder = recorder
        self.upstream: tuple[str, int] | None = None
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]

    def start(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self) -> None:
        self._listener.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return  # closed
            try:
                broker = socket.create_connection(self.upstream)
            except OSError:  # odradek is gone (stopping): refuse this client too
                client.close()
                continue
            pending: dict[int, Step] = {}  # correlation id -> step awaiting this response
            threading.Thread(target=self._relay_requests, args=(client, broker, pending), daemon=True).start()
            threading.Thread(target=self._relay_responses, args=(broker, client, pending), daemon=True).start()

    def _relay_requests(self, source, sink, pending) -> None:
        for payload in _frames(source, sink):
            api_key, version, correlation_id = struct.unpack_from(">hhi", payload)
            token = self.recorder.on_request(api_key, version, correlation_id, payload)
            if token is not None:
                pending[correlation_id] = token
            sink.sendall(struct.pack(">i", len(payload)) + payload)

    def _relay_responses(self, source, sink, pending) -> None:
        for payload in _frames(source, sink):
            (correlation_id,) = struct.unpack_from(">i", payload)
            token = pending.pop(correlation_id, None)
            if token is not None:
                self.recorder.on_response(token, payload)
            sink.sendall(struct.pack(">i", len(payload)) + payload)


def _frames(source: socket.socket, sink: socket.socket):
    """Yield frames from ``source`` until either side hangs up; then close both."""
    try:
        while True:
            size = _read_exactly(source, 4)
            if size is None:
                return
            payload = _read_exactly(source, struct.unpack(">i", size)[0])
            if payload is None:
                return
            yield payload
    except OSError:
        return
    finally:
        for sock in (source, sink):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()


def _read_exactly(sock: socket.socket, n: int) -> bytes | None:
    data = bytearray()
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            return None
        data += chunk
    return bytes(data)


def drive_kafka_python(recorder: Recorder, bootstrap: str) -> None:
    import kafka
    from kafka.admin import ConfigResource, ConfigResourceType

    client, topic = "kafka-python", "golden-kafka-python"
    with recorder.step(client, 18):
        admin = kafka.admin.KafkaAdminClient(bootstrap_servers=bootstrap, client_id=client)
    with recorder.step(client, 3):
        admin.list_topics()
    with recorder.step(client, 19):
        admin.create_topics({topic: {"num_partitions": 1, "replication_factor": 1}}, timeout_ms=10_000)
    for codec in (None, "gzip"):
        producer = kafka.KafkaProducer(bootstrap_servers=bootstrap, client_id=client, enable_idempotence=False,
                                       acks=1, compression_type=codec, linger_ms=10)
        producer.send(topic, key=b"warm-up", value=b"metadata first").get(timeout=15)
        with recorder.step(client, 0, codec or "none"):
            futures = [producer.send(topic, key=b"k%d" % i, value=b"golden record %d, " % i * 8) for i in range(3)]
            producer.flush(timeout=15)
            [future.get(timeout=15) for future in futures]
        producer.close(timeout=5)
    consumer = kafka.KafkaConsumer(bootstrap_servers=bootstrap, client_id=client, group_id=None,
                                   enable_auto_commit=False, fetch_max_wait_ms=100)
    partition = kafka.TopicPartition(topic, 0)
    with recorder.step(client, 2):
        consumer.end_offsets([partition], timeout_ms=10_000)
    consumer.assign([partition])
    consumer.seek(partition, 0)
    with recorder.step(client, 1):
        _poll_until(lambda: consumer.poll(timeout_ms=200))
    consumer.close()
    with recorder.step(client, 32):
        admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic)])
    with recorder.step(client, 20):
        admin.delete_topics([topic], timeout_ms=10_000)
    admin.close()


def drive_confluent_kafka(recorder: Recorder, bootstrap: str) -> None:
    import confluent_kafka
    from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic

    client, topic = "confluent-kafka", "golden-confluent-kafka"
    common = {"bootstrap.servers": bootstrap, "client.id": client}
    with recorder.step(client, 18):
        admin = AdminClient(common)
        with recorder.step(client, 3):  # nested: the first Metadata follows the first ApiVersions
            admin.list_topics(timeout=10)
    with recorder.step(client, 19):
        for future in admin.create_topics([NewTopic(topic, 1, 1)], operation_timeout=10).values():
            future.result(10)
    for codec in ("none", "zstd"):
        producer = confluent_kafka.Producer({**common, "compression.type": codec, "linger.ms": 10})
        producer.list_topics(topic, timeout=10)
        with recorder.step(client, 0, codec):
            for i in range(3):
                producer.produce(topic, key=b"k%d" % i, value=b"golden record %d, " % i * 8)
            assert producer.flush(15) == 0
    consumer = confluent_kafka.Consumer({**common, "group.id": "golden", "enable.auto.commit": False,
                                         "enable.auto.offset.store": False, "fetch.wait.max.ms": 100})
    with recorder.step(client, 2):
        consumer.get_watermark_offsets(confluent_kafka.TopicPartition(topic, 0), timeout=10, cached=False)
    with recorder.step(client, 1):
        consumer.assign([confluent_kafka.TopicPartition(topic, 0, 0)])
        _poll_until(lambda: (m := consumer.poll(0.2)) is not None and m.error() is None)
    consumer.close()
    with recorder.step(client, 32):
        resource = ConfigResource(ConfigResource.Type.TOPIC, topic)
        admin.describe_configs([resource])[resource].result(10)
    with recorder.step(client, 20):
        for future in admin.delete_topics([topic], operation_timeout=10).values():
            future.result(10)


def _poll_until(poll, attempts: int = 75) -> None:
    for _ in range(attempts):
        if poll():
            return
    raise RuntimeError("nothing consumed")


def main() -> int:
    sys.path.insert(0, str(REPO))
    from compat_tests.broker_process import BrokerProcess
    recorder = Recorder()
    proxy = RecordingProxy(recorder)
    with tempfile.TemporaryDirectory() as data:
        broker = BrokerProcess(Path(data), {"advertised.listeners": f"PLAINTEXT://127.0.0.1:{proxy.port}"})
        broker.start()
        try:
            proxy.start(("127.0.0.1", broker.port))
            bootstrap = f"127.0.0.1:{proxy.port}"
            drive_kafka_python(recorder, bootstrap)
            drive_confluent_kafka(recorder, bootstrap)
        finally:
            proxy.close()
            broker.stop()
    for entry in recorder.write(FRAMES):
        print(entry["file"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
