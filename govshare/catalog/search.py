"""Full-text search over catalog entries, for Chinese and mixed text.

Why CJK bigrams rather than a dictionary segmenter: most Chinese query words have two
characters (婚姻, 社保, 户籍), and a segmenter splits unseen names (新设机构名, 地名) unpredictably
between index and query time. Indexing every overlapping character pair and matching a query as
the AND of its pairs finds every entry that contains the query text as a substring, whatever the
segmentation (the approach of Lucene's CJKAnalyzer). Latin words and numbers are kept whole.
The same tokens feed SQLite FTS5 (unicode61 over space-joined tokens, ranked by bm25 with column
weights) and PostgreSQL (a weighted tsvector built from the tokens, GIN-indexed, ranked by
ts_rank), so both stores answer the same queries the same way.
"""

from __future__ import annotations

import re
import unicodedata

from sqlalchemy import text
from sqlalchemy.orm import Session

_TOKEN = re.compile(
    r"([\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]+)|([0-9a-z]+)"
)

# Relative weight of each indexed field (name matters most, then item labels, summary, provider).
FIELDS = ("name", "labels", "summary", "provider")
SQLITE_WEIGHTS = (10.0, 4.0, 2.0, 1.0)
PG_WEIGHT_LETTERS = ("A", "B", "C", "D")


def _normalise(value: str) -> str:
    return unicodedata.normalize("NFKC", value or "").lower()


def tokens(value: str) -> list[str]:
    """Index tokens: CJK bigrams (a lone character stands for itself) and latin/number words."""
    out: list[str] = []
    for cjk, word in _TOKEN.findall(_normalise(value)):
        if cjk:
            if len(cjk) == 1:
                out.append(cjk)
            else:
                out.extend(cjk[i:i + 2] for i in range(len(cjk) - 1))
        else:
            out.append(word)
    return out


def query_terms(query: str) -> list[tuple[str, bool]]:
    """(token, is_prefix) pairs that must all match. A single CJK character matches as a prefix."""
    terms: list[tuple[str, bool]] = []
    seen: set[str] = set()
    for cjk, word in _TOKEN.findall(_normalise(query)):
        if cjk and len(cjk) == 1:
            candidates = [(cjk, True)]
        elif cjk:
            candidates = [(cjk[i:i + 2], False) for i in range(len(cjk) - 1)]
        else:
            candidates = [(word, False)]
        for tok, prefix in candidates:
            if tok not in seen:
                seen.add(tok)
                terms.append((tok, prefix))
    return terms


def fts5_query(terms: list[tuple[str, bool]]) -> str:
    return " AND ".join(f'"{tok}"' + ("*" if prefix else "") for tok, prefix in terms)


def _pg_quote(tok: str) -> str:
    return "'" + tok.replace("\\", "\\\\").replace("'", "''") + "'"


def tsquery_literal(terms: list[tuple[str, bool]]) -> str:
    return " & ".join(_pg_quote(tok) + (":*" if prefix else "") for tok, prefix in terms)


def tsvector_literal(fields: dict[str, str]) -> str:
    """A weighted tsvector literal: positions run across fields so ranking sees proximity."""
    positions: dict[str, list[str]] = {}
    pos = 1
    for field, letter in zip(FIELDS, PG_WEIGHT_LETTERS):
        for tok in tokens(fields.get(field, "")):
            if pos <= 16383:  # PostgreSQL's maximum position
                positions.setdefault(tok, []).append(f"{pos}{letter}")
            pos += 1
    return " ".join(f"{_pg_quote(tok)}:{','.join(p[:256])}" for tok, p in positions.items())


def index_document(session: Session, entry_id: str, fields: dict[str, str]) -> None:
    """Insert or replace one entry's search document."""
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        session.execute(text("DELETE FROM catalog_search WHERE entry_id = :id"), {"id": entry_id})
        session.execute(
            text("INSERT INTO catalog_search (entry_id, name, labels, summary, provider) "
                 "VALUES (:id, :name, :labels, :summary, :provider)"),
            {"id": entry_id, **{f: " ".join(tokens(fields.get(f, ""))) for f in FIELDS}},
        )
    else:
        session.execute(
            text("INSERT INTO catalog_search (entry_id, doc) VALUES (:id, CAST(:doc AS tsvector)) "
                 "ON CONFLICT (entry_id) DO UPDATE SET doc = EXCLUDED.doc"),
            {"id": entry_id, "doc": tsvector_literal(fields)},
        )


def remove_document(session: Session, entry_id: str) -> None:
    session.execute(text("DELETE FROM catalog_search WHERE entry_id = :id"), {"id": entry_id})


def match_clause(session: Session, query: str) -> tuple[str, str, dict] | None:
    """SQL pieces for a search: (join+where fragment, score expression, params); None if no terms.

    The score is "higher is better" on both stores.
    """
    terms = query_terms(query)
    if not terms:
        return None
    if session.get_bind().dialect.name == "sqlite":
        weights = ", ".join(str(w) for w in SQLITE_WEIGHTS)
        return (
            "JOIN catalog_search ON catalog_search.entry_id = e.id AND catalog_search MATCH :fts",
            f"-bm25(catalog_search, 0.0, {weights})",
            {"fts": fts5_query(terms)},
        )
    return (
        "JOIN catalog_search s ON s.entry_id = e.id AND s.doc @@ CAST(:tsq AS tsquery)",
        "ts_rank(s.doc, CAST(:tsq AS tsquery))",
        {"tsq": tsquery_literal(terms)},
    )
