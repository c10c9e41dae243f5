from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from govshare.catalog.vocab import ShareMethod


class ExchangeMethod(StrEnum):
    lookup = "lookup"
    verify = "verify"
    export = "export"
    feed = "feed"


class MaskPolicy(StrEnum):
    clear = "clear"
    mask = "mask"
    pseudonym = "pseudonym"
    drop = "drop"


# Which exchange methods each catalog share method (共享方式) offers.
METHODS_OF_SHARE_METHOD = {
    ShareMethod.api: {ExchangeMethod.lookup, ExchangeMethod.verify},
    ShareMethod.batch: {ExchangeMethod.export, ExchangeMethod.feed},
    ShareMethod.file: {ExchangeMethod.export},
}


class RequestStatus(StrEnum):
    pending = "pending"
    approved = "approved"
    rejected = "rejected"
    refused = "refused"  # share type none: refused with the entry's legal basis
    escalated = "escalated"  # past the deadline: with the platform operator


class GrantStatus(StrEnum):
    active = "active"
    expired = "expired"
    revoked = "revoked"


class AccessRequestCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    entry_id: str = Field(max_length=32)
    items: list[str] = Field(min_length=1, max_length=500, description="Item names wanted (a subset)")
    methods: list[ExchangeMethod] = Field(min_length=1)
    purpose: str = Field(min_length=2, max_length=1000)
    legal_basis: str = Field("", max_length=1000)
    client_ids: list[str] = Field(default_factory=list, max_length=50,
                                  description="The consumer's API clients (client_id) that will use the grant")
    masking: dict[str, MaskPolicy] = Field(default_factory=dict, description="Per-item policy asked for")
    region_item: str | None = Field(None, max_length=64, description="Item holding each row's region code")
    region_code: str | None = Field(None, pattern=r"^\d{6}$", description="Default: the consumer's region")
    duration_days: int = Field(365, ge=1, le=3650)


class ApproveBody(BaseModel):
    """The approver may narrow what was asked for, never widen it."""

    model_config = ConfigDict(extra="forbid")

    items: list[str] | None = None
    methods: list[ExchangeMethod] | None = None
    duration_days: int | None = Field(None, ge=1, le=3650)
    masking: dict[str, MaskPolicy] = Field(default_factory=dict)
    region_item: str | None = Field(None, max_length=64)
    region_code: str | None = Field(None, pattern=r"^\d{6}$")
    rate_limit_per_minute: int | None = Field(None, ge=1, le=1_000_000)
    note: str | None = Field(None, max_length=1000)


class RejectBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=2, max_length=1000)


class RevokeBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=2, max_length=1000)


class RenewBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    duration_days: int = Field(365, ge=1, le=3650)


class AccessRequestRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    entry_id: str
    entry_code: str
    entry_name: str
    consumer_org_id: str
    consumer_name: str
    provider_org_id: str
    requested_by: str
    items: list[str]
    methods: list[str]
    masking: dict[str, str]
    client_ids: list[str]
    purpose: str
    legal_basis: str
    region_item: str | None
    region_code: str | None
    duration_days: int
    status: str
    overdue: bool
    due_at: datetime | None
    escalated_at: datetime | None
    decided_by: str | None
    decided_at: datetime | None
    decision_reason: str | None
    arbitrated: bool
    grant_id: str | None
    created_at: datetime


class GrantRead(BaseModel):
    id: str
    request_id: str
    entry_id: str
    entry_code: str
    entry_name: str
    consumer_org_id: str
    consumer_name: str
    provider_org_id: str
    items: list[str]
    methods: list[str]
    masking: dict[str, str]
    client_ids: list[str]
    purpose: str
    region_item: str | None
    region_code: str | None
    rate_limit_per_minute: int | None
    status: str
    starts_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    revoke_reason: str | None
    renewed_at: datetime | None


class DemandCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=2, max_length=100)
    description: str = Field("", max_length=2000)
    wanted_items: str = Field("", max_length=1000, description="Wanted items in free words")
    purpose: str = Field(min_length=2, max_length=1000)
    legal_basis: str = Field("", max_length=1000, description="The law or policy that allows the use")
    wanted_by: date
    org_code: str | None = Field(None, max_length=18, description="Credit code of the department thought to "
                                 "hold the data, if known: the demand is routed to it")


class DemandAnswerKind(StrEnum):
    exists = "exists"
    will_publish = "will_publish"
    cannot_share = "cannot_share"


class DemandAnswer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    answer: DemandAnswerKind
    entry_id: str | None = Field(None, max_length=32, description="For exists: the entry that holds it")
    promised_by: date | None = Field(None, description="For will_publish: the date it will be published")
    note: str | None = Field(None, max_length=1000, description="For cannot_share: the legal basis")


class DemandRoute(BaseModel):
    model_config = ConfigDict(extra="forbid")

    org_code: str = Field(max_length=18)


class DemandClose(BaseModel):
    model_config = ConfigDict(extra="forbid")

    satisfied: bool
    rating: int = Field(ge=1, le=5)
    comment: str = Field("", max_length=1000)


class DemandRead(BaseModel):
    id: str
    consumer_org_id: str
    consumer_name: str
    created_by: str
    title: str
    description: str
    wanted_items: str
    purpose: str
    legal_basis: str
    wanted_by: date
    status: str
    overdue: bool
    unmet: bool
    unmet_reason: str | None
    promise_overdue: bool
    routed_org_id: str | None
    suggestions: list[dict]
    answer: str | None
    answer_entry_id: str | None
    promised_by: date | None
    answer_note: str | None
    answered_by_org_id: str | None
    answered_at: datetime | None
    satisfied: bool | None
    rating: int | None
    feedback: str | None
    closed_at: datetime | None
    created_at: datetime
