"""The batch checksum: the crc32c package's C code, imported on the first checksum only."""

import subprocess
import sys

import crc32c as package

from odradek.wire.checksum import crc32c


def test_the_same_checksum_as_the_package_whole_and_continued():
    data = bytes(range(256)) * 40
    assert crc32c(data) == package.crc32c(data)
    assert crc32c(memoryview(data)[100:], crc32c(data[:100])) == package.crc32c(data)


def test_a_starting_broker_does_not_import_the_package():
    """Its ``__init__`` reads its version through importlib.metadata: ~17 ms of start-up."""
    code = ("import sys, odradek.tools.serve, odradek.server.broker; "
            "print(sorted(m for m in ('crc32c', 'importlib.metadata') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.strip() == "[]"
