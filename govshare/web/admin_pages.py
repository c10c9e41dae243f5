"""Console pages of the platform operator: departments, users and roles, arbitration queue, overdue list, settings."""

from __future__ import annotations

from fastapi import APIRouter

from govshare.web.console import ConsoleRoute

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
