"""A response that arrives later: JoinGroup and SyncGroup wait for the rest of the group."""

from __future__ import annotations

import trio


class Reply:
    def __init__(self) -> None:
        self._event = trio.Event()
        self._value: dict | None = None

    @property
    def sent(self) -> bool:
        return self._event.is_set()

    def send(self, value: dict) -> None:
        """Deliver ``value`` once; later sends are ignored."""
        if not self._event.is_set():
            self._value = value
            self._event.set()

    async def wait(self) -> dict:
        await self._event.wait()
        return self._value
