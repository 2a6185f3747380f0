"""SCRAM credentials kept alone: a small JSON file in the metadata directory, replaced whole and
atomically, readable by the broker's user only, and read back as Kafka's credential text."""

import json
import stat

from odradek.server.security.sasl.scram_credential import ScramCredential
from odradek.server.security.sasl.scram_credentials import ScramCredentials
from odradek.server.security.sasl.scram_file import FileScramStore


class _Dir:  # what the store needs of a LogDir: its path, and where a disk error goes
    def __init__(self, path):
        self.path = path
        self.failed = None

    def fail(self, error):
        self.failed = error


async def test_kept_credentials_survive_a_restart_and_stay_private(tmp_path):
    credential = ScramCredential.from_password("SCRAM-SHA-512", "pw", b"salt-salt", 4096)
    credentials = ScramCredentials(FileScramStore(_Dir(tmp_path)))
    credentials.load()
    await credentials.replace("alice", {"SCRAM-SHA-512": credential.to_string()})
    path = tmp_path / "odradek-scram-credentials.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads(path.read_text())["users"] == {"alice": {"SCRAM-SHA-512": credential.to_string()}}

    again = ScramCredentials(FileScramStore(_Dir(tmp_path)))
    again.load()
    assert again.get("alice", "SCRAM-SHA-512") == credential
    assert again.get("alice", "SCRAM-SHA-256") is None
    await again.replace("alice", {})
    assert again.users() == {}
    reread = ScramCredentials(FileScramStore(_Dir(tmp_path)))
    reread.load()
    assert reread.users() == {}
