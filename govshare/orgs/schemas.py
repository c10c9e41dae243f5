from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from govshare.orgs.roles import Level, Role, Scope


class OrgCreate(BaseModel):
    code: str = Field(min_length=18, max_length=18, description="统一社会信用代码 (GB 32100)")
    name: str = Field(min_length=2, max_length=100)
    short_name: str | None = Field(default=None, pattern=r"^[a-z][a-z0-9_]{1,31}$")
    region_code: str = Field(pattern=r"^\d{6}$", description="GB/T 2260 行政区划代码")
    level: Level
    parent_code: str | None = None


class OrgRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    code: str
    name: str
    short_name: str | None
    region_code: str
    level: str
    parent_id: str | None
    code_check_failed: bool
    warnings: list[str] = []


class UserCreate(BaseModel):
    username: str = Field(pattern=r"^[A-Za-z0-9_.@-]{3,64}$")
    display_name: str = Field(min_length=1, max_length=100)
    org_code: str
    password: str = Field(min_length=10, max_length=128)
    roles: list[Role] = []
    id_number: str | None = Field(default=None, description="A citizen account's ID number (kept only as a keyed "
                                  "hash): whose data-access record the account sees.")


class UserRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    username: str
    display_name: str
    org_id: str
    roles: list[str]
    is_active: bool


class ClientCreate(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    org_code: str | None = Field(default=None, description="Defaults to the caller's department")
    scopes: list[Scope] = [Scope.data_read]


class ClientRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    client_id: str
    name: str
    org_id: str
    scopes: list[str]
    created_at: datetime
    revoked_at: datetime | None


class ClientCreated(ClientRead):
    client_secret: str = Field(description="Shown once; only its hash is stored")


class TokenResponse(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int
    scope: str
