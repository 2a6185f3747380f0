"""SASL for the compat tests: a SASL_PLAINTEXT broker's settings, clients' settings, and a raw
SASL exchange over a socket for what no client library does on purpose (a request before
authenticating, a 100 MB token, a thousand wrong passwords)."""

from __future__ import annotations

import struct

from odradek.wire import ApiKey

from .wire_client import WireClient

PLAIN_JAAS = ('org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" '
              'password="admin-secret" user_admin="admin-secret" user_alice="alice-secret";')
MECHANISMS = "PLAIN,SCRAM-SHA-256,SCRAM-SHA-512"
BROKER = {"sasl.enabled.mechanisms": MECHANISMS,
          "listener.name.sasl_plaintext.plain.sasl.jaas.config": PLAIN_JAAS}
ADMIN = ("PLAIN", "admin", "admin-secret")


def kp_sasl(mechanism: str, user: str, password: str) -> dict:
    """kafka-python's settings for a SASL_PLAINTEXT listener."""
    return dict(security_protocol="SASL_PLAINTEXT", sasl_mechanism=mechanism, sasl_plain_username=user,
                sasl_plain_password=password)


def ck_sasl(mechanism: str, user: str, password: str) -> dict:
    """confluent-kafka's (librdkafka's) settings for a SASL_PLAINTEXT listener."""
    return {"security.protocol": "SASL_PLAINTEXT", "sasl.mechanisms": mechanism, "sasl.username": user,
            "sasl.password": password}


def plain_token(user: str, password: str, authzid: str = "") -> bytes:
    return f"{authzid}\0{user}\0{password}".encode()


class SaslWire(WireClient):
    """A WireClient with the SASL requests, and bare frames for the legacy (v0) exchange."""

    def handshake(self, mechanism: str, version: int = 1):
        return self.send(ApiKey.SASL_HANDSHAKE, version, {"mechanism": mechanism})

    def authenticate(self, token: bytes, version: int = 2):
        return self.send(ApiKey.SASL_AUTHENTICATE, version, {"auth_bytes": token})

    def login_plain(self, user: str, password: str, version: int = 2):
        assert self.handshake("PLAIN").error_code == 0
        return self.authenticate(plain_token(user, password), version)

    def login_scram(self, mechanism: str, user: str, password: str) -> int:
        """A whole SCRAM exchange (``scramp``'s client, which checks the server's signature too):
        the error code of the last SaslAuthenticate answer."""
        import scramp

        assert self.handshake(mechanism).error_code == 0
        client = scramp.ScramClient([mechanism], user, password)
        server_first = self.authenticate(client.get_client_first().encode())
        if server_first.error_code:
            return server_first.error_code
        client.set_server_first(bytes(server_first.auth_bytes).decode())
        server_final = self.authenticate(client.get_client_final().encode())
        if server_final.error_code == 0:
            client.set_server_final(bytes(server_final.auth_bytes).decode())
        return server_final.error_code

    def over_tls(self, ca) -> "SaslWire":
        """Speak TLS from here on, checking the broker's certificate against ``ca``."""
        import ssl

        self.sock = ssl.create_default_context(cafile=str(ca)).wrap_socket(self.sock, server_hostname="127.0.0.1")
        return self

    def send_bare(self, token: bytes) -> None:
        self.sock.sendall(struct.pack(">i", len(token)) + token)


OAUTHBEARER_JAAS = ("org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required "
                    'unsecuredLoginStringClaim_sub="admin";')


def unsecured_jwt(claims: dict) -> str:
    """An unsecured JWS (``"alg":"none"``, no signature), as Kafka's OAUTHBEARER development tokens are."""
    import base64
    import json

    def part(document: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(document).encode()).decode().rstrip("=")
    return f"{part({'alg': 'none'})}.{part(claims)}."


def oauthbearer_token(jwt: str, authzid: str = "") -> bytes:
    """RFC 7628's client initial response."""
    return f"n,{'a=' + authzid if authzid else ''},\x01auth=Bearer {jwt}\x01\x01".encode()
