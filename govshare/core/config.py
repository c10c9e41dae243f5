"""Settings, read once from `GOVSHARE_*` environment variables (see README, "Configuration")."""

from __future__ import annotations

import os
import secrets
from datetime import date
from functools import cached_property, lru_cache
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GOVSHARE_", extra="ignore")

    data_dir: Path = Field(default=Path("./data"), description="Where SQLite, keys and uploads live.")
    database_url: str | None = Field(default=None, description="SQLAlchemy URL; default SQLite in data_dir.")
    secret_key: str | None = Field(
        default=None,
        description="Signing key for tokens and sessions. Default: generated once into data_dir/secret.key. "
        "Every process of one platform must share it.",
    )
    # argon2id for passwords and client secrets. The defaults are RFC 9106's second recommended option
    # (64 MiB, 3 passes, 4 lanes): ~0.2 s per hash, which also slows guessing. Lower only for tests.
    password_hash_memory_kib: int = Field(default=64 * 1024, ge=1024, description="argon2id memory per "
                                          "password or client-secret hash, in KiB.")
    password_hash_time_cost: int = Field(default=3, ge=1, description="argon2id passes over that memory.")
    # Failed sign-ins (GB/T 22239-2019 8.1.4.1 b: limit failed logins), for users and API clients alike
    signin_max_failures: int = Field(default=5, ge=1, description="Failed sign-ins of one account within a "
                                     "lock window, after which it is refused until the window ends.")
    signin_max_failures_per_address: int = Field(default=200, ge=1, description="The same for one client "
                                                 "address, whatever accounts it tries.")
    signin_lock_minutes: int = Field(default=15, ge=1, description="The lock window.")
    token_ttl_seconds: int = 900
    session_ttl_seconds: int = 8 * 3600
    max_upload_bytes: int = 2 * 1024**3
    load_batch_rows: int = 50_000
    load_error_cap: int = 100
    default_language: str = "zh"
    # Secure cookies need HTTPS; the embedded demo serves plain HTTP on loopback.
    secure_cookies: bool = False
    scheduler_interval_seconds: float = 30.0
    log_level: str = "INFO"

    # Sharing (access requests and grants)
    review_working_days: int = Field(default=10, ge=1, description="Working days a provider has to decide.")
    holidays: str = Field(default="", description="Public holidays, ISO dates separated by commas.")
    extra_workdays: str = Field(default="", description="Weekend days that are working days (调休).")
    max_grant_days: int = Field(default=3 * 365, ge=1)

    # Exchange
    redis_url: str | None = Field(default=None, description="Redis for rate limits shared by all processes.")
    rate_limit_per_minute: int = Field(default=6000, ge=1, description="Calls per client and grant per minute.")
    # 4 ms, not less: under load a commit's cost (and its receipt's signature) is shared by the calls of
    # one window; at 2 ms the batch is half as large and a governed call costs ~20% more CPU
    # (bench/governed_lookup.py, #4's note). A call waits at most one window.
    audit_flush_ms: float = Field(default=4.0, gt=0, description="Group commit window of the audit writer.")
    sqlite_wal_max_mb: int = Field(default=64, ge=1, description="SQLite: past this size the WAL is restarted "
                                   "from its beginning (and cut back to it), though readers never stop.")
    feed_page_max: int = 10_000
    export_chunk_rows: int = 20_000
    nats_url: str | None = Field(default=None, description="NATS JetStream for the change-feed relay.")
    nats_subject_prefix: str = "govshare.feed"

    # Open data (public, no sign-in)
    opendata_rate_per_minute: int = Field(default=600, ge=1, description="Requests per client IP address and minute "
                                          "to the open data portal, its downloads, DCAT documents and CKAN API.")

    # Ledger
    ledger_origin: str = Field(default="govshare.local/ledger", pattern=r"^[^\s+]+$",
                               description="The log's name: first line of every checkpoint, and the key's name.")
    ledger_key: str | None = Field(default=None, description="Signing key (sumdb note form). Default: generated "
                                   "once into data_dir/ledger.key; every process of one platform must share it.")
    ledger_interval_seconds: float = Field(default=1.0, gt=0, description="How often the integrator signs a "
                                           "checkpoint over the newly sequenced events.")
    ledger_max_delay_seconds: int = Field(default=60, ge=1, description="Receipts promise inclusion within this "
                                          "many seconds.")

    # Monitoring rules (事中监控): alerts to the provider's security officer
    monitor_working_hours: str = Field(default="08:00-18:00", pattern=r"^\d{2}:\d{2}-\d{2}:\d{2}$",
                                       description="Calls outside these hours (China time) or on non-working days "
                                       "raise an alert.")
    monitor_volume_factor: float = Field(default=5.0, gt=1, description="An hour's calls above this many times the "
                                         "consumer's own hourly average of the past 7 days raise an alert…")
    monitor_volume_min_calls: int = Field(default=200, ge=1, description="…once they are at least this many.")
    monitor_subjects_window_minutes: int = Field(default=10, ge=1)
    monitor_distinct_subjects: int = Field(default=300, ge=1, description="Distinct people looked up by one client "
                                           "within the window that raise an alert.")

    @field_validator("holidays", "extra_workdays")
    @classmethod
    def _iso_dates(cls, value: str) -> str:
        for part in value.split(","):
            if part.strip():
                date.fromisoformat(part.strip())
        return value

    # Cached in the instance's __dict__ (cached_property): a pydantic private attribute costs ~1 µs per
    # read, and both are read on every call (engine, tokens, keyed hashes).
    @cached_property
    def resolved_database_url(self) -> str:
        # Resolving the SQLite path touches the filesystem: once per settings object, not per call.
        return self.database_url or f"sqlite:///{(self.data_dir / 'govshare.db').resolve()}"

    @property
    def is_sqlite(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")

    def resolved_secret_key(self) -> str:
        """The shared signing secret: env first, else a 0600 file created on first use."""
        return self.secret_key or self._file_secret

    @cached_property
    def _file_secret(self) -> str:
        path = self.data_dir / "secret.key"
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_urlsafe(48))
        return path.read_text().strip()


@lru_cache
def get_settings() -> Settings:
    return Settings()


def reset_settings() -> None:
    """Forget cached settings (CLI --data-dir, tests)."""
    get_settings.cache_clear()
