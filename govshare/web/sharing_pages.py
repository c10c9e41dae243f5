"""Console pages of sharing: the demand board, access requests and the approver's inbox, grants, API clients."""

from __future__ import annotations

from fastapi import APIRouter

from govshare.web.console import ConsoleRoute

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
