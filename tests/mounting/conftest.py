from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select, text

from govshare.catalog.models import CatalogEntry
from govshare.core.database import session_scope
from govshare.catalog import service as catalog
from govshare.mounting import store
from govshare.mounting.models import DataChange
from tests.conftest import make_id_number

HEADER = ["id_number", "name", "birth_date", "mobile", "children", "income", "married"]


def person_rows(n: int, start: int = 0) -> list[list[str]]:
    rows = []
    for i in range(start, start + n):
        birth = f"19{60 + i % 40:02d}0{1 + i % 9}1{i % 9}"
        rows.append([make_id_number(birth=birth, seq=i % 1000), f"张{'三四五六七'[i % 5]}{i}", birth,
                     f"138{i:08d}", str(i % 4), f"{1000 + i}.50", "是" if i % 2 else "否"])
    return rows


def to_csv(rows: list[list[str]], header: list[str] = HEADER, encoding: str = "utf-8", sep: str = ",") -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=sep, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue().encode(encoding)


def data_rows(entry_id: str) -> dict[str, dict]:
    """The entry's mounted rows keyed by their key, read straight from its table."""
    with session_scope(read_only=True) as session:
        entry = session.get(CatalogEntry, entry_id)
        if not entry.data_table:
            return {}
        key = store.key_column(catalog.item_specs(entry))
        result = session.execute(text(f'SELECT * FROM "{entry.data_table}"')).mappings().all()
        return {r[key]: dict(r) for r in result}


def changes(entry_id: str) -> list[tuple[int, str, str]]:
    with session_scope(read_only=True) as session:
        rows = session.execute(select(DataChange.seq, DataChange.op, DataChange.key)
                               .where(DataChange.entry_id == entry_id).order_by(DataChange.seq)).all()
        return [tuple(r) for r in rows]


@pytest.fixture()
def provider_entry(platform):
    org, headers = platform.provider()
    entry = platform.entry(headers)
    return entry, headers


def upload(client, entry: dict, headers: dict, body: bytes, filename: str = "data.csv", mode: str = "replace"):
    return client.put(f"/api/v1/catalog/entries/{entry['id']}/data", params={"mode": mode, "filename": filename},
                      content=body, headers=headers)
