"""The public open data portal's pages (no sign-in)."""

from __future__ import annotations

from fastapi import APIRouter

from govshare.web.console import ConsoleRoute

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
