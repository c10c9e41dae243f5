"""Console pages every role starts from: the department's dashboard, notifications, and the exchange call history."""

from __future__ import annotations

from fastapi import APIRouter

from govshare.web.console import ConsoleRoute

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
