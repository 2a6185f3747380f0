"""The SASL client brokers log in to each other with, against odradek's own SASL servers."""

from __future__ import annotations

import os

import pytest

from odradek.server.security.sasl.mechanism import SaslFailure, SaslInvalid
from odradek.server.security.sasl.plain import PlainServer
from odradek.server.security.sasl.sasl_client import SaslClientError, SaslLogin
from odradek.server.security.sasl.scram import ScramServer
from odradek.server.security.sasl.scram_credential import ScramCredential
from odradek.server.security.sasl.scram_credentials import ScramCredentials


def credentials(mechanism: str, user: str, password: str) -> ScramCredentials:
    """A credential store holding one user (the store itself is never written: no ``replace``)."""
    kept = ScramCredentials(store=None)
    kept.reloaded(user, {mechanism: ScramCredential.from_password(mechanism, password, os.urandom(16), 4096).to_string()})
    return kept


def exchange(login: SaslLogin, server) -> None:
    """Run the exchange to its end, as BrokerConnection does over SaslAuthenticate."""
    client = login.start()
    token = client.first()
    while token is not None:
        token = client.next(server.evaluate(token))
    assert server.complete and server.authorization_id == login.username


@pytest.mark.parametrize("mechanism", ["SCRAM-SHA-256", "SCRAM-SHA-512"])
def test_scram_logs_in_and_checks_the_server(mechanism):
    exchange(SaslLogin(mechanism, "broker", "broker-secret"),
             ScramServer(mechanism, credentials(mechanism, "broker", "broker-secret")))
    with pytest.raises(SaslInvalid):
        exchange(SaslLogin(mechanism, "broker", "wrong"),
                 ScramServer(mechanism, credentials(mechanism, "broker", "broker-secret")))


def test_a_server_that_does_not_know_the_password_is_not_believed():
    """The server's final signature proves it holds the credential: a forged one is refused."""
    client = SaslLogin("SCRAM-SHA-512", "broker", "broker-secret").start()
    server = ScramServer("SCRAM-SHA-512", credentials("SCRAM-SHA-512", "broker", "broker-secret"))
    client.next(server.evaluate(client.first()))
    with pytest.raises(SaslClientError):
        client.next(b"v=" + b"A" * 88)


def test_plain_logs_in_once():
    exchange(SaslLogin("PLAIN", "broker", "broker-secret"), PlainServer({"broker": "broker-secret"}))
    with pytest.raises(SaslFailure):
        exchange(SaslLogin("PLAIN", "broker", "wrong"), PlainServer({"broker": "broker-secret"}))


def test_only_plain_and_scram_have_a_client():
    with pytest.raises(ValueError):
        SaslLogin("OAUTHBEARER", "broker", "x")
