"""The one paging shape: `?limit=&offset=` in, `{"items": [...], "total": n}` out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel

T = TypeVar("T")

MAX_LIMIT = 200


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


@dataclass(frozen=True)
class PageParams:
    limit: int = 20
    offset: int = 0


def page_params(
    limit: int = Query(20, ge=1, le=MAX_LIMIT, description="Page size"),
    offset: int = Query(0, ge=0, le=1_000_000, description="Rows to skip"),
) -> PageParams:
    return PageParams(limit=limit, offset=offset)
