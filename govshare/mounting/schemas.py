from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class LoadReport(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    entry_id: str
    mode: str
    source: str
    status: str
    filename: str | None
    format: str | None
    encoding: str | None
    content_sha256: str | None
    size_bytes: int | None
    rows_read: int
    inserted: int
    updated: int
    deleted: int
    unchanged: int
    first_seq: int | None
    last_seq: int | None
    error_count: int
    errors: list
    warning_count: int
    warnings: list
    message: str | None
    actor: str | None
    started_at: datetime
    duration_ms: int


class SourceConfig(BaseModel):
    """A department database an entry is mounted to (挂接数据库): exactly one of `table_name` / `query`."""

    model_config = ConfigDict(extra="forbid")

    url: str = Field(min_length=1, max_length=2000,
                     description="SQLAlchemy URL, e.g. postgresql+psycopg://user:pw@host/db or "
                                 "mysql+pymysql://user:pw@host/db. Stored; never shown with its password. "
                                 "A password of *** keeps the stored one.")
    table_name: str | None = Field(None, max_length=255, description="table or schema.table")
    query: str | None = Field(None, max_length=20000, description="a read-only SELECT (run as a subquery)")
    change_column: str | None = Field(None, max_length=128,
                                      description="column that grows on every change (e.g. updated_at); "
                                                  "enables incremental pulls")
    column_map: dict[str, str] = Field(default_factory=dict,
                                       description="{source column: item name} where names and labels differ")
    schedule_seconds: int | None = Field(None, ge=0, le=366 * 86400,
                                         description="seconds between scheduled pulls; omitted: from the "
                                                     "entry's update cycle; null or 0: no schedule")


class SourceRead(BaseModel):
    entry_id: str
    url: str  # password masked
    table_name: str | None
    query: str | None
    change_column: str | None
    column_map: dict[str, str]
    schedule_seconds: int | None
    last_pulled_at: datetime | None
    last_change_value: str | None
    next_pull_at: datetime | None
    last_status: str | None
    last_message: str | None
    mapping: dict[str, str] | None = Field(None, description="source column -> item, as found when configured")
