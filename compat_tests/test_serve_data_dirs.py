"""``odradek serve`` with a log directory it cannot use: one line on stderr naming the directory and
what is wrong, exit code 1 (2 for a contradictory ``log.dirs``), no traceback, nothing left behind.

Each test runs ``odradek serve`` as an operator would, as a subprocess, and checks its exit code and
its whole stderr.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kafka import TopicPartition

from .broker_process import BrokerProcess
from .clients import kp_read

TIMEOUT = 30.0


def serve(*args: str) -> subprocess.CompletedProcess:
    """Run ``odradek serve`` (bounded); it is expected to stop by itself."""
    command = [sys.executable, "-m", "odradek.tools.cli", "serve", "--host", "127.0.0.1", "--port", "0", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT, stdin=subprocess.DEVNULL)


def assert_refused(run: subprocess.CompletedProcess, line: str, code: int = 1) -> None:
    assert "Traceback" not in run.stderr, run.stderr
    assert run.stderr.splitlines() == [f"odradek serve: {line}"], run.stderr
    assert run.returncode == code


def snapshot(directory: Path) -> dict[str, bytes]:
    return {str(p.relative_to(directory)): p.read_bytes() if p.is_file() else b"<dir>"
            for p in sorted(directory.rglob("*"))}


def test_a_log_directory_in_use_by_another_broker(broker):
    data = broker.data_dir
    before = snapshot(data)
    run = serve("--data-dir", str(data))
    assert_refused(run, f"log directory {data} is in use by another broker (lock file {data / '.lock'} held)")
    assert snapshot(data) == before  # not even meta.properties was touched


def test_a_second_log_directory_in_use_stops_start_up_before_the_first_is_created(broker, tmp_path):
    fresh = tmp_path / "fresh" / "logs"
    run = serve("--override", f"log.dirs={fresh},{broker.data_dir}")
    assert_refused(run, f"log directory {broker.data_dir} is in use by another broker "
                        f"(lock file {broker.data_dir / '.lock'} held)")
    assert not (tmp_path / "fresh").exists()


def test_a_log_directory_under_a_regular_file(tmp_path):
    (tmp_path / "file").write_bytes(b"not a directory")
    run = serve("--data-dir", str(tmp_path / "file" / "sub"))
    assert_refused(run, f"log directory {tmp_path / 'file' / 'sub'} cannot be created: "
                        f"{tmp_path / 'file'} is not a directory")
    assert sorted(os.listdir(tmp_path)) == ["file"]


def test_a_log_directory_that_is_a_regular_file(tmp_path):
    (tmp_path / "file").write_bytes(b"not a directory")
    run = serve("--data-dir", str(tmp_path / "file"))
    assert_refused(run, f"log directory {tmp_path / 'file'} is not a directory")
    assert (tmp_path / "file").read_bytes() == b"not a directory"


@pytest.fixture
def unwritable(tmp_path):
    """A directory this process cannot write to, and how the broker says so. As root, permissions
    stop nothing: then a read-only tmpfs is mounted there, or the test is skipped."""
    directory = tmp_path / "unwritable"
    directory.mkdir()
    if os.geteuid() != 0:
        directory.chmod(0o555)
        yield directory, "is not writable"
        directory.chmod(0o755)
        return
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", str(directory)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip("running as root, whom file permissions do not stop, and a read-only tmpfs cannot be "
                    f"mounted here: {mounted.stderr.strip()}")
    try:
        yield directory, "is on a read-only file system"
    finally:
        subprocess.run(["umount", str(directory)], check=True)


def test_an_unwritable_log_directory(unwritable):
    directory, problem = unwritable
    run = serve("--data-dir", str(directory))
    assert_refused(run, f"log directory {directory} {problem}")
    run = serve("--data-dir", str(directory / "sub"))
    assert_refused(run, f"log directory {directory / 'sub'} cannot be created: {directory} {problem}")
    assert os.listdir(directory) == []


def test_log_dirs_naming_one_directory_twice_is_a_configuration_error(tmp_path):
    run = serve("--override", f"log.dirs={tmp_path}/a,{tmp_path}/b/../a")
    assert_refused(run, f"log.dirs names the directory {tmp_path / 'a'} twice: as {tmp_path}/a and as "
                        f"{tmp_path}/b/../a", code=2)
    assert os.listdir(tmp_path) == []


def test_a_start_up_that_stops_part_way_leaves_no_clean_shutdown_marker(tmp_path, clients):
    dirs = [tmp_path / "a", tmp_path / "b"]
    broker = BrokerProcess(dirs[0], {"log.dirs": ",".join(map(str, dirs))}).start()
    try:
        producer = clients.kp_producer(broker)
        for i in range(20):
            producer.send("t", key=b"k%d" % i, value=b"v%d" % i).get(timeout=TIMEOUT)
        clients.close_all()
    finally:
        broker.kill()  # a crash: the next start must recover the logs
    [partition] = [d / "t-0" for d in dirs if (d / "t-0").exists()]
    copy = dirs[1 - dirs.index(partition.parent)] / "t-0"
    shutil.copytree(partition, copy)  # as a move cut short between its two renames

    run = serve("--override", f"log.dirs={dirs[0]},{dirs[1]}")
    first, second = (partition, copy) if dirs.index(partition.parent) == 0 else (copy, partition)
    assert_refused(run, f"log directory {second.parent} holds partition t-0, and so does {first.parent}: "
                        f"a move between them was cut short; remove one of {first} and {second}")
    assert not any((d / ".kafka_cleanshutdown").exists() for d in dirs)

    shutil.rmtree(copy)
    broker.start()
    try:
        consumer = clients.kp_consumer(broker)
        consumer.assign([TopicPartition("t", 0)])
        assert [m.value for m in kp_read(consumer, 20)] == [b"v%d" % i for i in range(20)]
    finally:
        clients.close_all()
        assert broker.stop() == 0
