"""Chiso's settings: one object, each field with a type, a default and a description.

Read from the environment (`CHISO_DATA_DIR`, `CHISO_DATABASE_URL`, `CHISO_UPLOAD_MAX_BYTES`) or a
`.env` file, when a command or the web app starts — never at import time.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CHISO_", env_file=".env", extra="ignore", frozen=True)

    data_dir: Path = Field(
        Path("var"),
        description="Folder for Chiso's own files: the default SQLite database and the evidence files.",
    )
    database_url: str | None = Field(
        None,
        description=(
            "SQLAlchemy URL of the database, e.g. postgresql+psycopg://user@host/chiso. "
            "Default: the SQLite file chiso.sqlite3 in data_dir."
        ),
    )
    upload_max_bytes: int = Field(
        20 * 1024 * 1024, gt=0, description="Largest evidence file accepted, in bytes (default 20 MB)."
    )

    @property
    def url(self) -> str:
        """The database URL to connect to (the setting, or the default SQLite file)."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'chiso.sqlite3').resolve()}"

    @property
    def evidence_dir(self) -> Path:
        return self.data_dir / "evidence"
