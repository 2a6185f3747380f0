"""What a starting broker imports: not what most brokers never use (start-up time).

A real broker is started in a child process (a fresh interpreter, so nothing the test run imported
counts); once it serves, it reports the odradek modules it imported and stops. A plaintext single
broker imports no handler but ApiVersions' (handlers come with their API's first request), no share
data path and no share or streams group code (they come with their first use), and no TLS, SASL or
ACL code (it comes when configured).
"""

from __future__ import annotations

import json
import subprocess
import sys

from odradek.server.broker import Broker
from odradek.server.broker_config import BrokerConfig
from odradek.server.security.sasl.scram_credential import ScramCredential

SERVE_AND_REPORT = """
import json, sys
import trio
from odradek.server.broker import Broker
from odradek.server.broker_config import BrokerConfig

async def main(data_dir, share_state, overrides):
    broker = Broker(BrokerConfig.load(None, overrides, "127.0.0.1", 0, data_dir))
    async with trio.open_nursery() as nursery:
        await nursery.start(broker.serve)
        print(json.dumps(sorted(m for m in sys.modules if m.startswith("odradek."))))
        if share_state:  # what the first FindCoordinator for a share partition does
            await broker.share_coordinator.topic.ensure_exists()
        nursery.cancel_scope.cancel()

trio.run(main, sys.argv[1], sys.argv[2] == "share-state", sys.argv[3:])
"""

SHARE_DATA_PATH = "odradek.server.share.share_data_path"
#: the share and streams groups' own modules: imported with the first group of their kind
GROUP_KINDS = {f"odradek.server.groups.{name}" for name in (
    "share_group", "share_group_records", "share_group_coordinator", "share_group_offsets",
    "streams_group", "streams_group_records", "streams_coordinator")}
SECURITY = "odradek.server.security"
#: What a plaintext broker may import of it: the session and principal every connection carries,
#: the ACL operations handlers authorize, and what checking the security settings names.
PLAINTEXT_SECURITY = {f"{SECURITY}{name}" for name in (
    "", "_settings", ".principal", ".session", ".acl", ".acl.codes", ".acl.authorizer_config",
    ".sasl", ".sasl.mechanism_names", ".sasl.scram_file",
)}
PLAIN_USERS = ("org.apache.kafka.common.security.plain.PlainLoginModule required "
               'username="admin" password="admin-secret" user_admin="admin-secret";')


def _serve(data_dir, *overrides: str, share_state: bool = False) -> set[str]:
    done = subprocess.run([sys.executable, "-c", SERVE_AND_REPORT, str(data_dir),
                           "share-state" if share_state else "", *overrides],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stdout))


def test_a_new_plaintext_broker_imports_only_what_every_broker_uses(tmp_path):
    imported = _serve(tmp_path / "logs")
    assert {m for m in imported if m.startswith("odradek.server.handlers.")} == {"odradek.server.handlers.api_versions"}
    assert {m for m in imported if m.startswith("odradek.server.share.")} == {"odradek.server.share.share_on_demand"}
    assert not imported & GROUP_KINDS
    assert {m for m in imported if m.startswith(SECURITY)} <= PLAINTEXT_SECURITY
    for heavy in ("acl.binding", "acl.authorizer", "sasl.listener_sasl", "sasl.authenticator", "tls_context",
                  "cipher_suites", "ssl_principal_mapper", "sasl.scram_credentials"):
        assert f"{SECURITY}.{heavy}" not in imported


def test_a_broker_with_share_state_loads_it_as_it_starts(tmp_path):
    assert SHARE_DATA_PATH not in _serve(tmp_path / "logs", share_state=True)  # then made on first use
    assert SHARE_DATA_PATH in _serve(tmp_path / "logs")  # __share_group_state exists: replayed at start-up


def test_a_broker_with_a_sasl_listener_and_an_authorizer_imports_them_but_no_tls(tmp_path):
    imported = _serve(tmp_path / "logs", "listeners=SASL_PLAINTEXT://127.0.0.1:0", "sasl.enabled.mechanisms=PLAIN",
                      f"listener.name.sasl_plaintext.plain.sasl.jaas.config={PLAIN_USERS}",
                      "authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer")
    assert {f"{SECURITY}.sasl.listener_sasl", f"{SECURITY}.acl.authorizer"} <= imported
    assert not {f"{SECURITY}.tls_context", f"{SECURITY}.tls_handshake"} & imported


def _open(data_dir) -> Broker:
    broker = Broker(BrokerConfig.load(data_dir=str(data_dir)))
    broker.open_storage()
    return broker


async def test_scram_credentials_a_broker_kept_are_read_as_it_starts_again(tmp_path):
    credential = ScramCredential.from_password("SCRAM-SHA-256", "pw", b"salt-salt", 4096)
    first = _open(tmp_path)
    try:
        assert first.scram_credentials.users() == {}  # none kept: made empty on first use
        await first.scram_credentials.replace("alice", {"SCRAM-SHA-256": credential.to_string()})
    finally:
        first.logs.close()
    again = _open(tmp_path)
    try:
        assert again.scram_credentials.get("alice", "SCRAM-SHA-256") == credential
    finally:
        again.logs.close()
