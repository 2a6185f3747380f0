"""The broker's share sessions, at most ``group.share.max.share.sessions`` of them (Kafka's
``ShareSessionCache``), and which client connection opened each.

A session ends when its member closes it (epoch -1), opens a new one (epoch 0), or when the
connection that opened it goes: then, as in Kafka, the member's records are released at once
rather than at the end of their locks. A session replaced on a new connection is not ended by
the old connection closing.
"""

from __future__ import annotations

from dataclasses import dataclass

from .share_session import ShareSession, ShareSessionKey, TopicIdPartition


@dataclass
class _Opened:
    key: ShareSessionKey
    stale: bool = False  # the session was removed since; the connection's end means nothing


class ShareSessionCache:
    def __init__(self, max_entries: int):
        self.max_entries = max_entries
        self._sessions: dict[ShareSessionKey, ShareSession] = {}
        self._by_connection: dict[str, _Opened] = {}

    def has_group(self, group_id: str) -> bool:
        """Whether any member of the group has a session here."""
        return any(key.group_id == group_id for key in self._sessions)

    def get(self, key: ShareSessionKey) -> ShareSession | None:
        return self._sessions.get(key)

    def create(self, key: ShareSessionKey, partitions: list[TopicIdPartition],
               connection_id: str) -> ShareSession | None:
        """A new session at epoch 1 (the next after 0), or None when the cache is full."""
        if len(self._sessions) >= self.max_entries:
            return None
        session = ShareSession(key, connection_id, partitions=dict.fromkeys(partitions, False))
        self._sessions[key] = session
        self._by_connection[connection_id] = _Opened(key)
        return session

    def remove(self, key: ShareSessionKey) -> ShareSession | None:
        session = self._sessions.pop(key, None)
        if session is not None:
            opened = self._by_connection.get(session.connection_id)
            if opened is not None and opened.key == key:
                opened.stale = True
        return session

    def connection_closed(self, connection_id: str) -> ShareSession | None:
        """The session the connection opened, removed, if it was still open."""
        opened = self._by_connection.pop(connection_id, None)
        if opened is None or opened.stale:
            return None
        return self._sessions.pop(opened.key, None)
