"""SCRAM credentials: derived from the salted password as RFC 5802 says, written as Kafka writes them."""

import base64
import hashlib
import hmac

import pytest
import scramp

from odradek.server.security.sasl.scram import ScramServer
from odradek.server.security.sasl.mechanism import SaslInvalid
from odradek.server.security.sasl.scram_credential import ScramCredential


def test_keys_follow_rfc_5802_and_the_password_is_not_kept():
    salt, password = b"0123456789abcdef", "alice-secret"
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, 4096)
    credential = ScramCredential.from_salted_password("SCRAM-SHA-256", salt, salted, 4096)
    client_key = hmac.digest(salted, b"Client Key", "sha256")
    assert credential.stored_key == hashlib.sha256(client_key).digest()
    assert credential.server_key == hmac.digest(salted, b"Server Key", "sha256")
    # the same keys scramp (a client's view) derives from the password
    assert scramp.ScramMechanism("SCRAM-SHA-256").make_auth_info(password, 4096, salt) == (
        salt, credential.stored_key, credential.server_key, 4096)
    assert password.encode() not in credential.to_string().encode()
    assert salted not in base64.b64decode(credential.to_string().split(",")[1].partition("=")[2])


def test_kafkas_text_form_round_trips():
    credential = ScramCredential.from_password("SCRAM-SHA-512", "pw", b"salt", 8192)
    text = credential.to_string()
    assert text.startswith(f"salt={base64.b64encode(b'salt').decode()},stored_key=")
    assert text.endswith(",iterations=8192")
    assert ScramCredential.from_string(text) == credential


@pytest.mark.parametrize("text", ["", "salt=AA==", "salt=AA==,stored_key=AA==,server_key=AA==,iterations=x",
                                  "salt=!!,stored_key=AA==,server_key=AA==,iterations=4096",
                                  "salt=AA==,stored_key=AA==,server_key=AA==,iterations=4096,extra=1"])
def test_malformed_text_is_refused(text):
    with pytest.raises(ValueError, match="Credentials not valid"):
        ScramCredential.from_string(text)


class _Users:
    def __init__(self, **credentials):
        self.credentials = credentials

    def get(self, user, mechanism):
        return self.credentials.get(user)


def _exchange(server, user, password, mechanism="SCRAM-SHA-256"):
    client = scramp.ScramClient([mechanism], user, password)
    client.set_server_first(server.evaluate(client.get_client_first().encode()).decode())
    final = server.evaluate(client.get_client_final().encode())
    client.set_server_final(final.decode())  # the client checks the server's signature too


def test_a_full_exchange_against_the_stored_keys():
    users = _Users(alice=ScramCredential.from_password("SCRAM-SHA-256", "alice-secret", b"s" * 16, 4096))
    server = ScramServer("SCRAM-SHA-256", users)
    _exchange(server, "alice", "alice-secret")
    assert server.complete and server.authorization_id == "alice"


@pytest.mark.parametrize("user, password", [("alice", "wrong"), ("mallory", "alice-secret")])
def test_a_wrong_password_or_unknown_user_fails_without_saying_which(user, password):
    users = _Users(alice=ScramCredential.from_password("SCRAM-SHA-256", "alice-secret", b"s" * 16, 4096))
    with pytest.raises(SaslInvalid):
        _exchange(ScramServer("SCRAM-SHA-256", users), user, password)


def test_too_few_iterations_cannot_log_in():
    users = _Users(alice=ScramCredential.from_password("SCRAM-SHA-256", "pw", b"s" * 16, 1000))
    with pytest.raises(SaslInvalid):
        _exchange(ScramServer("SCRAM-SHA-256", users), "alice", "pw")
