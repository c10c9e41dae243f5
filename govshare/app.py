"""The ASGI application: API routers, console, error handlers."""

from __future__ import annotations

import gc
import logging
import os
from contextlib import asynccontextmanager

from fastapi import FastAPI

from govshare import __version__
from govshare.catalog.endpoints import router as catalog_router
from govshare.core.config import get_settings
from govshare.core.errors import install_error_handlers
from govshare.core.inflight import InFlightMiddleware
from govshare.core.logs import install_redaction
from govshare.core.routing import index_routes
from govshare.exchange.endpoints import router as exchange_router
from govshare.exchange.history_endpoints import router as exchange_history_router
from govshare.ledger.endpoints import alerts_router, me_router
from govshare.ledger.endpoints import router as ledger_router
from govshare.mounting.endpoints import router as mounting_router
from govshare.opendata.endpoints import ckan_router
from govshare.opendata.endpoints import router as opendata_router
from govshare.opendata.pages import router as opendata_pages_router
from govshare.orgs.endpoints import oauth_router
from govshare.orgs.endpoints import router as orgs_router
from govshare.sharing.endpoints import router as sharing_router
from govshare.web.admin_pages import router as admin_pages_router
from govshare.web.home_pages import router as home_pages_router
from govshare.web.ledger_pages import router as ledger_pages_router
from govshare.web.pages import mount_static
from govshare.web.pages import router as web_router
from govshare.web.sharing_pages import router as sharing_pages_router


@asynccontextmanager
async def lifespan(_app: FastAPI):
    """Start the database-pull scheduler and the ledger integrator when GOVSHARE_SCHEDULER=1 (`govshare
    serve`; each takes a lease, so one process of several does the work); stop them on shutdown."""
    from govshare.ledger.integrator import Integrator
    from govshare.mounting import scheduler
    # A server allocates many short-lived objects per request (rows, records, JSON): with the default
    # thresholds the cyclic collector runs every few hundred allocations and costs a quarter of a
    # feed page. Startup objects are frozen out of collections; young collections run less often.
    gc.freeze()
    gc.set_threshold(100_000, 50, 100)
    running = scheduler.start_if_enabled()
    integrator = Integrator().start() if scheduler.enabled() or os.environ.get("GOVSHARE_INTEGRATOR") == "1" \
        else None
    try:
        yield
    finally:
        if running is not None:
            running.stop()
        if integrator is not None:
            integrator.stop()


def create_app() -> FastAPI:
    settings = get_settings()
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    install_redaction()
    app = FastAPI(
        title="GovShare",
        version=__version__,
        description="Government data sharing and exchange platform (政务数据共享交换平台). "
        "Errors answer `{\"error\": {\"code\", \"message\", \"details\"}}`.",
        openapi_url="/api/v1/openapi.json",
        docs_url="/api/v1/docs",
        redoc_url=None,
        lifespan=lifespan,
    )
    install_error_handlers(app)
    app.add_middleware(InFlightMiddleware)  # the audit writer's group commit asks it (core.inflight)
    app.include_router(exchange_router)  # first: routes are matched in order, and these are the hot path
    app.include_router(oauth_router)
    app.include_router(orgs_router)
    app.include_router(catalog_router)
    app.include_router(mounting_router)
    app.include_router(sharing_router)
    app.include_router(exchange_history_router)
    app.include_router(ledger_router)
    app.include_router(alerts_router)
    app.include_router(me_router)
    app.include_router(ckan_router)
    app.include_router(opendata_router)
    mount_static(app)
    app.include_router(web_router)
    app.include_router(home_pages_router)
    app.include_router(sharing_pages_router)
    app.include_router(ledger_pages_router)
    app.include_router(admin_pages_router)
    app.include_router(opendata_pages_router)

    @app.get("/healthz", tags=["ops"])
    def healthz():
        return {"status": "ok", "version": __version__}

    index_routes(app)  # last: after every router is included
    return app
