from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from govshare.catalog.vocab import (
    Category, DataType, EntryFormat, OpenTreatment, OpenType, PIKind, Sensitivity, ShareMethod, ShareType, UpdateCycle,
)

ITEM_NAME_PATTERN = r"^[a-z][a-z0-9_]{0,62}$"


class ItemIn(BaseModel):
    name: str = Field(pattern=ITEM_NAME_PATTERN, description="Identifier: lower-case letters, digits, _")
    label: str = Field(min_length=1, max_length=64, description="Chinese label, e.g. 公民身份号码")
    data_type: DataType
    length: int | None = Field(default=None, ge=1, le=65535)
    precision: int | None = Field(default=None, ge=0, le=18)
    required: bool = False
    is_key: bool = False
    sensitivity: Sensitivity = Sensitivity.general
    pi_kind: PIKind = PIKind.none
    description: str | None = Field(default=None, max_length=500)
    open_treatment: OpenTreatment | None = Field(
        default=None, description="Open data: drop the item or publish it generalised (required for personal "
        "items of an open entry)")

    @model_validator(mode="after")
    def _key_is_required(self):
        if self.is_key:
            self.required = True
        return self


class ItemRead(ItemIn):
    model_config = ConfigDict(from_attributes=True)


class EntryFields(BaseModel):
    """Metadata of the national catalog guide, shared by create and full update."""

    name: str = Field(min_length=2, max_length=50)
    summary: str = Field(min_length=1, max_length=256)
    category: Category
    class_path: list[str] = Field(min_length=1, max_length=3,
                                  description="项/目/细目 names under the category, e.g. ['人口','婚姻','婚姻登记']")
    format: EntryFormat
    share_type: ShareType
    share_condition: str | None = Field(default=None, max_length=1000,
                                        description="Condition for conditional; legal basis for none")
    share_methods: list[ShareMethod] = Field(min_length=1)
    open_type: OpenType = OpenType.closed
    open_condition: str | None = Field(default=None, max_length=1000)
    update_cycle: UpdateCycle
    related_codes: list[str] = []
    items: list[ItemIn] = Field(min_length=1, max_length=500)

    @field_validator("class_path")
    @classmethod
    def _class_names(cls, value: list[str]) -> list[str]:
        cleaned = [v.strip() for v in value]
        if any(not v or len(v) > 50 or "/" in v for v in cleaned):
            raise ValueError("class names must be 1-50 characters without '/'")
        return cleaned

    @field_validator("name", "summary")
    @classmethod
    def _strip(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("must not be blank")
        return value


class EntryCreate(EntryFields):
    provider_code: str | None = Field(default=None, description="Defaults to the caller's department")


class EntryUpdate(BaseModel):
    """Partial update; omitted fields keep their value."""

    name: str | None = Field(default=None, min_length=2, max_length=50)
    summary: str | None = Field(default=None, min_length=1, max_length=256)
    class_path: list[str] | None = Field(default=None, min_length=1, max_length=3)
    format: EntryFormat | None = None
    share_type: ShareType | None = None
    share_condition: str | None = Field(default=None, max_length=1000)
    share_methods: list[ShareMethod] | None = Field(default=None, min_length=1)
    open_type: OpenType | None = None
    open_condition: str | None = Field(default=None, max_length=1000)
    update_cycle: UpdateCycle | None = None
    related_codes: list[str] | None = None
    items: list[ItemIn] | None = Field(default=None, min_length=1, max_length=500)
    note: str | None = Field(default=None, max_length=500, description="Why the entry changed")


class MountState(BaseModel):
    mounted: bool
    row_count: int
    last_load_at: datetime | None
    last_change_at: datetime | None
    stale: bool


class EntryRead(BaseModel):
    id: str
    code: str
    name: str
    summary: str
    category: str
    class_path: list[str]
    classification_code: str
    provider_code: str
    provider_name: str
    format: str
    share_type: str
    share_condition: str | None
    share_methods: list[str]
    open_type: str
    open_condition: str | None
    update_cycle: str
    publish_date: date | None
    related_codes: list[str]
    status: str
    version: int
    created_at: datetime
    updated_at: datetime
    mount: MountState
    items: list[ItemRead]


class EntrySummary(BaseModel):
    id: str
    code: str
    name: str
    summary: str
    category: str
    provider_code: str
    provider_name: str
    share_type: str
    open_type: str
    update_cycle: str
    status: str
    mounted: bool
    row_count: int
    score: float | None = None


class VersionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    version: int
    status: str
    diff: list
    note: str | None
    changed_by: str | None
    changed_at: datetime
    snapshot: dict
