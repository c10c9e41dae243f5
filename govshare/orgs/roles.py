"""Roles and separation of duties (三员分立)."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    platform_admin = "platform_admin"
    org_admin = "org_admin"
    approver = "approver"
    consumer = "consumer"
    security_officer = "security_officer"
    auditor = "auditor"
    citizen = "citizen"  # a person: sees their own data-access record, nothing else


class Level(StrEnum):
    national = "national"
    provincial = "provincial"
    city = "city"
    county = "county"


class Scope(StrEnum):
    """What an API client may do on behalf of its department."""

    catalog_write = "catalog:write"
    data_write = "data:write"
    data_read = "data:read"


DEFAULT_CLIENT_SCOPES = [Scope.data_read.value]

# The three duties that must sit with different people: administering, setting security
# policy, auditing. Business roles (approver, consumer) combine with any one of them.
DUTY_OF_ROLE = {
    Role.platform_admin: "administration",
    Role.org_admin: "administration",
    Role.security_officer: "security",
    Role.auditor: "audit",
}


def conflicting_duties(roles: set[str]) -> set[str]:
    """The duties a set of roles spans; more than one means separation of duties is broken."""
    return {DUTY_OF_ROLE[Role(r)] for r in roles if Role(r) in DUTY_OF_ROLE}
