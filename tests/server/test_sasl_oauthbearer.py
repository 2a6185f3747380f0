"""OAUTHBEARER's unsecured tokens, checked as Kafka's OAuthBearerUnsecuredValidatorCallbackHandler
checks them, and RFC 7628's client message."""

import base64
import json
import time

import pytest

from odradek.server.security.sasl.mechanism import SaslFailure, SaslInvalid
from odradek.server.security.sasl.oauthbearer import OAuthBearerServer


def jwt(claims: dict, header: dict | None = None) -> str:
    def part(document):
        return base64.urlsafe_b64encode(json.dumps(document).encode()).decode().rstrip("=")
    return f"{part(header or {'alg': 'none'})}.{part(claims)}."


def message(token: str, authzid: str = "") -> bytes:
    return f"n,{'a=' + authzid if authzid else ''},\x01auth=Bearer {token}\x01\x01".encode()


def later(seconds: float = 3600) -> float:
    return time.time() + seconds


def test_a_valid_token_logs_in_as_its_subject_until_it_expires():
    server = OAuthBearerServer({})
    expiry = int(later())
    assert server.evaluate(message(jwt({"sub": "olivia", "iat": int(time.time()), "exp": expiry}))) == b""
    assert server.complete and server.authorization_id == "olivia"
    assert server.credential_expiry_ms == expiry * 1000


def test_the_jaas_options_choose_the_principal_claim_and_required_scope():
    options = {"unsecuredValidatorPrincipalClaimName": "user", "unsecuredValidatorRequiredScope": "read write"}
    server = OAuthBearerServer(options)
    assert server.evaluate(message(jwt({"user": "u1", "exp": later(), "scope": "read write admin"}))) == b""
    assert server.authorization_id == "u1"
    refused = OAuthBearerServer(options)
    challenge = refused.evaluate(message(jwt({"user": "u1", "exp": later(), "scope": ["read"]})))
    assert challenge == b'{"status":"insufficient_scope", "scope":"[read, write]"}'
    with pytest.raises(SaslFailure, match="insufficient_scope"):
        refused.evaluate(b"\x01")


@pytest.mark.parametrize("claims, header", [
    ({"sub": "o", "exp": 1_000_000_000}, None),  # expired
    ({"sub": "o", "exp": 4_000_000_000, "iat": 3_900_000_000}, None),  # issued in the future
    ({"sub": "o"}, None),  # no expiry
    ({"exp": 4_000_000_000}, None),  # no subject
    ({"sub": 7, "exp": 4_000_000_000}, None),  # a subject that is not a string
    ({"sub": "o", "exp": 4_000_000_000}, {"alg": "HS256"}),  # signed: not an unsecured token
])
def test_invalid_tokens_get_the_error_challenge(claims, header):
    server = OAuthBearerServer({})
    assert server.evaluate(message(jwt(claims, header))) == b'{"status":"invalid_token"}'
    assert not server.complete
    with pytest.raises(SaslFailure, match='^{"status":"invalid_token"}$'):
        server.evaluate(b"\x01")


def test_the_clock_skew_option_lets_a_just_expired_token_in():
    server = OAuthBearerServer({"unsecuredValidatorAllowableClockSkewMs": "60000"})
    assert server.evaluate(message(jwt({"sub": "o", "exp": time.time() - 5}))) == b""


def test_an_authorization_id_must_be_the_subject():
    with pytest.raises(SaslFailure, match=r"authorization id \(mallory\) that is different"):
        OAuthBearerServer({}).evaluate(message(jwt({"sub": "o", "exp": later()}), authzid="mallory"))
    server = OAuthBearerServer({})
    server.evaluate(message(jwt({"sub": "o", "exp": later()}), authzid="o"))
    assert server.complete


@pytest.mark.parametrize("raw", [b"", b"n,,auth=Bearer x", b"n,,\x01auth=Basic abc\x01\x01", b"y,,\x01\x01",
                                 b"\xff\xfe", b"n,,\x01auth=Bearer a.b.\x01"])
def test_malformed_client_messages_fail_without_detail(raw):
    with pytest.raises(SaslInvalid):
        OAuthBearerServer({}).evaluate(raw)
