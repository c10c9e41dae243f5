"""Open data HTTP endpoints: DCAT-AP documents, downloads (`router`) and CKAN's Action API (`ckan_router`)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["open data"])
ckan_router = APIRouter(prefix="/api/3/action", tags=["open data (CKAN API)"])
