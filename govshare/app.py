"""The ASGI application: API routers, console, error handlers."""

from __future__ import annotations

import logging

from fastapi import FastAPI

from govshare import __version__
from govshare.catalog.endpoints import router as catalog_router
from govshare.core.config import get_settings
from govshare.core.errors import install_error_handlers
from govshare.mounting.endpoints import router as mounting_router
from govshare.orgs.endpoints import oauth_router
from govshare.orgs.endpoints import router as orgs_router


def create_app() -> FastAPI:
    settings = get_settings()
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    app = FastAPI(
        title="GovShare",
        version=__version__,
        description="Government data sharing and exchange platform (政务数据共享交换平台). "
        "Errors answer `{\"error\": {\"code\", \"message\", \"details\"}}`.",
        openapi_url="/api/v1/openapi.json",
        docs_url="/api/v1/docs",
        redoc_url=None,
    )
    install_error_handlers(app)
    app.include_router(oauth_router)
    app.include_router(orgs_router)
    app.include_router(catalog_router)
    app.include_router(mounting_router)
    try:
        from govshare.web.pages import router as web_router, mount_static
    except ImportError:  # console not built yet
        web_router = None
    if web_router is not None:
        mount_static(app)
        app.include_router(web_router)

    @app.get("/healthz", tags=["ops"])
    def healthz():
        return {"status": "ok", "version": __version__}

    return app
