"""ASGI entry point for uvicorn workers: `uvicorn govshare.asgi:app`."""

from govshare.app import create_app

app = create_app()
