"""Catalog figures of one department for the home dashboard: entries by status and the mounted share
(挂接率: how many published entries have data loaded). Two grouped queries over the provider index."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from govshare.catalog.models import CatalogEntry
from govshare.catalog.vocab import EntryStatus


@dataclass(frozen=True)
class CatalogFigures:
    by_status: dict[str, int]  # draft / published / withdrawn -> entries
    published: int
    mounted: int  # published entries with data loaded

    @property
    def total(self) -> int:
        return sum(self.by_status.values())

    @property
    def mounted_percent(self) -> int | None:
        """Whole percent of published entries that are mounted; None when nothing is published."""
        return round(100 * self.mounted / self.published) if self.published else None


def catalog_figures(session: Session, org_id: str) -> CatalogFigures:
    rows = session.execute(select(CatalogEntry.status, CatalogEntry.mounted, func.count())
                           .where(CatalogEntry.provider_org_id == org_id)
                           .group_by(CatalogEntry.status, CatalogEntry.mounted)).all()
    by_status = {s.value: 0 for s in EntryStatus}
    mounted = 0
    for status, is_mounted, n in rows:
        by_status[status] = by_status.get(status, 0) + n
        if status == EntryStatus.published and is_mounted:
            mounted += n
    return CatalogFigures(by_status=by_status, published=by_status[EntryStatus.published.value], mounted=mounted)
