"""Kafka's ACL vocabulary: the codes on the wire and the names in tools and in ZooKeeper.

The codes are Kafka's (``ResourceType``, ``PatternType``, ``AclOperation``, ``AclPermissionType``
in its clients); 0 is UNKNOWN everywhere and never valid in a request. ``name`` is the Java
constant (``TRANSACTIONAL_ID``); ``pascal`` the form ZooKeeper-era Kafka stores
(``TransactionalId``, ``DescribeConfigs``, ``Allow``).
"""

from __future__ import annotations

from enum import IntEnum


class _Code(IntEnum):
    @property
    def pascal(self) -> str:
        return "".join(part.capitalize() for part in self.name.split("_"))

    @classmethod
    def from_code(cls, code: int):
        """The member with this code, or None for UNKNOWN (0) and codes Kafka does not define."""
        try:
            member = cls(code)
        except ValueError:
            return None
        return None if member == 0 else member

    @classmethod
    def from_name(cls, name: str):
        """By either name form, case-insensitively (``Topic``, ``TOPIC``, ``DescribeConfigs``)."""
        key = name.strip().replace("_", "").upper()
        for member in cls:
            if member.name.replace("_", "") == key and member != 0:
                return member
        raise ValueError(f"unknown {cls.__name__} {name!r}")


class ResourceType(_Code):
    UNKNOWN = 0
    ANY = 1
    TOPIC = 2
    GROUP = 3
    CLUSTER = 4
    TRANSACTIONAL_ID = 5
    DELEGATION_TOKEN = 6
    USER = 7


class PatternType(_Code):
    UNKNOWN = 0
    ANY = 1  # filters only: any pattern type, the name matched exactly
    MATCH = 2  # filters only: every pattern that would match the name
    LITERAL = 3
    PREFIXED = 4


class AclOperation(_Code):
    UNKNOWN = 0
    ANY = 1  # filters only
    ALL = 2
    READ = 3
    WRITE = 4
    CREATE = 5
    DELETE = 6
    ALTER = 7
    DESCRIBE = 8
    CLUSTER_ACTION = 9
    DESCRIBE_CONFIGS = 10
    ALTER_CONFIGS = 11
    IDEMPOTENT_WRITE = 12
    CREATE_TOKENS = 13
    DESCRIBE_TOKENS = 14


class PermissionType(_Code):
    UNKNOWN = 0
    ANY = 1  # filters only
    DENY = 2
    ALLOW = 3


CLUSTER_NAME = "kafka-cluster"  # the one name the CLUSTER resource has
WILDCARD = "*"  # a literal resource name, a host, and (as User:*) a principal that match all
WILDCARD_PRINCIPAL = "User:*"
