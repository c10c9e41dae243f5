from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict


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
