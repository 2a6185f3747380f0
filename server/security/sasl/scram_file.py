"""A single broker's SCRAM credentials: ``odradek-scram-credentials.json`` in the metadata directory.

Rewritten whole at each change, readable by the broker's user only (a server key lets its holder
pose as the broker). Kept apart from ``scram_credentials`` so that a starting broker can tell
whether it has credentials to read (``kept``) without importing the SCRAM code, which most
brokers never use (start-up time).
"""

from __future__ import annotations

from odradek.storage.log_dirs import LogDir

from ...entity_config_file import FileEntityConfigStore

SCRAM_CREDENTIALS_FILE = "odradek-scram-credentials.json"


class FileScramStore(FileEntityConfigStore):
    """Every user's credentials by mechanism name, as Kafka writes them (``scram_credential``)."""

    def __init__(self, metadata_dir: LogDir) -> None:
        super().__init__(metadata_dir, SCRAM_CREDENTIALS_FILE, "users", "SCRAM credentials", mode=0o600)

    @property
    def kept(self) -> bool:
        """Whether the file exists (blocking): if not, no credential was ever kept."""
        return self.path.exists()
