"""Chiso's settings: one object, each field with a type, a default and a description.

Read from the environment (`CHISO_DATA_DIR`, `CHISO_DATABASE_URL`, … one variable per field) or a
`.env` file, when a command or the web app starts — never at import time.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

if TYPE_CHECKING:
    from chiso.clock import Clock


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
    body_max_bytes: int | None = Field(
        None,
        gt=0,
        description=(
            "Largest web request body, in bytes; a larger one gets HTTP 413 before it is read. "
            "Default: upload_max_bytes + 1 MB (one evidence file and the rest of its form)."
        ),
    )

    secret_key: str | None = Field(
        None,
        description=(
            "Key that signs the web session cookies. Default: a random key kept in data_dir/secret_key, "
            "made on first start (set it when several servers share the sessions)."
        ),
    )
    session_hours: int = Field(12, gt=0, description="How long a web login lasts, in hours.")
    login_max_failures: int = Field(
        5, gt=0, description="Failed logins allowed per account and address within login_window_seconds."
    )
    login_window_seconds: int = Field(
        300, gt=0, description="Window of the login rate limit, in seconds; further attempts get HTTP 429."
    )
    forwarded_allow_ips: str = Field(
        "127.0.0.1",
        description=(
            "Reverse proxies (addresses or networks, comma-separated) whose X-Forwarded-For and "
            "X-Forwarded-Proto are believed: the client's address (for the login limit) and HTTPS (for "
            "Secure cookies and HSTS). From any other client these headers are ignored. Empty: none; *: any."
        ),
    )
    web_workers: int = Field(
        1,
        gt=0,
        le=64,
        description=(
            "Processes serving the web app (`chiso serve --workers`). Each keeps its own count of failed "
            "logins, so login_max_failures is shared out among them."
        ),
    )

    province: str | None = Field(
        None,
        description=(
            "Official code (2025) of the province this installation serves, e.g. 19: its own programme is "
            "listed first. Default: provincial programmes first, then national ones."
        ),
    )
    clock: str | None = Field(
        None,
        description=(
            "Freeze Chiso's clock at this date (09:00 in Vietnam) or ISO date-time, e.g. 2027-11-30 to "
            "rehearse a deadline. Default: the system clock. Dates are Vietnam's (UTC+7)."
        ),
    )
    holidays_file: Path | None = Field(
        None,
        description=(
            "Days off besides weekends and the fixed public holidays (Tết, Giỗ Tổ, days moved by the "
            "Government): a text file with one ISO date per line, for deadlines in working days."
        ),
    )
    webhook_attempts: int = Field(
        10, gt=0, le=50, description="Attempts to push an event to a webhook before its delivery is dead."
    )
    webhook_backoff_seconds: float = Field(
        120.0,
        ge=0,
        description=(
            "Wait after a webhook's first failed push, in seconds; doubled after each further failure "
            "(10 attempts from 120 s span about 17 hours)."
        ),
    )

    @field_validator("clock")
    @classmethod
    def _clock_reads(cls, value: str | None) -> str | None:
        if value:
            from chiso.clock import parse

            parse(value)  # refused at start, with the example, rather than at the first request
        return value

    def environment(self) -> dict[str, str]:
        """These settings as the CHISO_* variables that give them back (for processes started from here)."""
        return {f"CHISO_{name.upper()}": str(value) for name, value in self.model_dump().items() if value is not None}

    def make_clock(self) -> Clock:
        """The clock these settings name (frozen by `clock`, else the system's)."""
        from chiso.clock import from_setting

        return from_setting(self.clock)

    @property
    def url(self) -> str:
        """The database URL to connect to (the setting, or the default SQLite file)."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'chiso.sqlite3').resolve()}"

    @property
    def body_limit(self) -> int:
        """The largest request body the web app reads (the setting, else one evidence file and its form)."""
        return self.body_max_bytes or self.upload_max_bytes + 1024 * 1024

    @property
    def evidence_dir(self) -> Path:
        return self.data_dir / "evidence"

    def signing_key(self) -> str:
        """The session-signing key: the setting, else the one kept in data_dir (made on first use)."""
        if self.secret_key:
            return self.secret_key
        path = self.data_dir / "secret_key"
        if not path.exists():
            import secrets

            self.data_dir.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(48), encoding="utf-8")
            path.chmod(0o600)
        return path.read_text(encoding="utf-8").strip()
