"""Kafka principals: ``User:alice``, the identity ACLs name.

Kafka's default principal builder gives a connection on a PLAINTEXT listener (or an SSL one
without a client certificate) the principal ``User:ANONYMOUS``; SASL gives ``User:<authorization
id>``, mutual TLS ``User:<mapped certificate subject>``.
"""

from __future__ import annotations

from dataclasses import dataclass

USER_TYPE = "User"


@dataclass(frozen=True)
class KafkaPrincipal:
    principal_type: str
    name: str

    def __str__(self) -> str:
        return f"{self.principal_type}:{self.name}"

    @classmethod
    def parse(cls, text: str) -> "KafkaPrincipal":
        """``User:alice`` (Kafka's SecurityUtils.parseKafkaPrincipal): the type is what precedes
        the first colon; ValueError when there is none."""
        principal_type, sep, name = text.strip().partition(":")
        if not sep or not principal_type or not name:
            raise ValueError(f"principal must look like <type>:<name>, got {text!r}")
        return cls(principal_type, name)

    @classmethod
    def user(cls, name: str) -> "KafkaPrincipal":
        return cls(USER_TYPE, name)


ANONYMOUS = KafkaPrincipal.user("ANONYMOUS")
