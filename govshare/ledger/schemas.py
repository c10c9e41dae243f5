"""Response and request shapes of the ledger's monitoring and citizen endpoints."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class AlertRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    rule: str
    provider_org_id: str | None
    consumer_org_id: str | None
    client_id: str | None
    entry_id: str | None
    grant_id: str | None
    count: int
    threshold: float | None
    detail: str
    first_at: datetime
    last_at: datetime
    created_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: str | None


class TraceBody(BaseModel):
    """What to trace. A request body, not a query string: an ID number must not end up in URLs, access
    logs or browser history."""

    model_config = ConfigDict(extra="forbid")

    by: str = Field(description="subject (an ID number), consumer (org id), entry or grant")
    value: str = Field(min_length=1, max_length=64)
    limit: int = Field(default=100, ge=1, le=1000)
    before: int | None = Field(default=None, ge=0, description="Continue below this index (`next_before`)")


class AcknowledgeBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str | None = Field(default=None, max_length=1000)


class DataAccessRead(BaseModel):
    index: int
    at: datetime
    department_id: str | None
    department: str | None
    entry_id: str | None
    entry: str | None
    method: str
    purpose: str | None
    outcome: str | None
