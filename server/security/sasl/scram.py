"""SASL/SCRAM-SHA-256 and SCRAM-SHA-512 (RFC 5802, RFC 7677), on the ``scramp`` library.

Two round trips: client-first (user name and nonce) is answered with server-first (the user's
salt and iteration count, and the joint nonce); client-final (the proof) with server-final (the
server's signature). The credential comes from ``ScramCredentials`` (salted and hashed). As in
Kafka's ScramSaslServer, an unknown user, a wrong proof or a malformed message tells the client
nothing specific (``SaslInvalid``); only an authorization id other than the user name gets a
message of its own.
"""

from __future__ import annotations

from .mechanism import SaslFailure, SaslInvalid
from .scram_credential import MIN_ITERATIONS


class ScramServer:
    def __init__(self, mechanism: str, credentials):
        self.mechanism = mechanism
        self._credentials = credentials  # ScramCredentials
        import scramp  # once a SCRAM login starts: a broker without SCRAM listeners never loads it

        self._scramp = scramp
        self._server = scramp.ScramMechanism(mechanism).make_server(self._auth_info)
        self._first_done = False
        self.complete = False
        self.authorization_id = ""
        self.credential_expiry_ms = None

    def evaluate(self, token: bytes) -> bytes:
        try:
            message = token.decode("utf-8")
        except UnicodeDecodeError:
            raise SaslInvalid("SCRAM message is not UTF-8") from None
        if self._first_done:
            return self._final(message)
        self._first_done = True
        return self._first(message)

    def _first(self, message: str) -> bytes:
        parts = message.split(",", 3)
        if len(parts) == 4 and parts[1].startswith("a=") and parts[2].startswith("n="):
            username = parts[2][2:].replace("=2C", ",").replace("=3D", "=")
            if parts[1][2:] != username:
                raise SaslFailure("Authentication failed: Client requested an authorization id that is "
                                  "different from username")
        try:
            self._server.set_client_first(message)
            server_first = self._server.get_server_first()
        except self._scramp.ScramException as exc:
            raise SaslInvalid(f"Authentication failed: {exc}") from None
        return server_first.encode()

    def _final(self, message: str) -> bytes:
        if self.complete:
            raise SaslInvalid("Unexpected challenge in Sasl server state COMPLETE")
        try:
            self._server.set_client_final(message)
            server_final = self._server.get_server_final()
        except self._scramp.ScramException as exc:
            raise SaslInvalid(f"Invalid client credentials: {exc}") from None
        self.complete = True
        return server_final.encode()

    def _auth_info(self, username: str):
        credential = self._credentials.get(username, self.mechanism)
        if credential is None:
            raise KeyError("Authentication failed: Invalid user credentials")
        if credential.iterations < MIN_ITERATIONS:
            raise KeyError(f"Iterations {credential.iterations} is less than the minimum {MIN_ITERATIONS} "
                           f"for {self.mechanism}")
        self.authorization_id = username
        return credential.salt, credential.stored_key, credential.server_key, credential.iterations
