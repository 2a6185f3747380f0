"""The start-up probe: a Metadata answer counts, a process that dies ends the wait."""

import socket
import struct
import threading

import pytest

from benchmarks.brokers.readiness import metadata_brokers, wait_for_metadata
from odradek.wire.api_keys import ApiKey
from odradek.wire.protocol import encode_response, parse_request


def answer_one_metadata(listener: socket.socket) -> None:
    connection, _ = listener.accept()
    with connection:
        (size,) = struct.unpack(">i", connection.recv(4, socket.MSG_WAITALL))
        header, _ = parse_request(connection.recv(size, socket.MSG_WAITALL))
        assert header.api_key == ApiKey.METADATA
        connection.sendall(encode_response(header, {
            "brokers": [{"node_id": 1, "host": "127.0.0.1", "port": 9092, "rack": None}],
            "controller_id": 1, "topics": []}))


def test_a_metadata_answer_listing_the_broker_is_readiness():
    with socket.create_server(("127.0.0.1", 0)) as listener:
        server = threading.Thread(target=answer_one_metadata, args=(listener,))
        server.start()
        assert metadata_brokers("127.0.0.1", listener.getsockname()[1]) == 1
        server.join()


def test_the_wait_ends_when_the_process_has_exited():
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    with pytest.raises(RuntimeError, match="exited with 1"):
        wait_for_metadata("127.0.0.1", port, timeout=5.0, exited=lambda: 1)
