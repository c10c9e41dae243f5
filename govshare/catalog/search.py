"""Full-text search over catalog entries, for Chinese and mixed text.

Tokens. Why CJK bigrams rather than a dictionary segmenter: most Chinese query words have two
characters (婚姻, 社保, 户籍), and a segmenter splits unseen names (新设机构名, 地名) unpredictably
between index and query time. Indexing every overlapping character pair and matching a query as
the AND of its pairs finds every entry that contains the query text as a substring, whatever the
segmentation (the approach of Lucene's CJKAnalyzer). Latin words and numbers are kept whole.

Filters. Status, provider, category, share/open type, mount state and classification prefixes are
indexed as facet tokens in the same document, so a filtered search and its total are one index
lookup instead of a join per hit (a two-character query can match a tenth of the catalog).

Ranking. Entries whose name holds every query term come first, then the other matches. Within each
tier, entries are ranked by relevance (bm25 / ts_rank with name > item labels > summary > provider)
when the tier is small enough to rank within the latency budget (`RANKED_TIER_MAX`); a broader tier
(a generic word matching thousands of entries) is listed newest first instead.

The same tokens feed SQLite FTS5 (unicode61 over space-joined tokens) and PostgreSQL (a weighted
tsvector built from the tokens, GIN-indexed), so both stores answer the same queries the same way.
"""

from __future__ import annotations

import re
import time
import unicodedata
from dataclasses import dataclass, field

from sqlalchemy import text
from sqlalchemy.orm import Session

_TOKEN = re.compile(
    r"([\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]+)|([0-9a-z]+)"
)
_FACET_SAFE = re.compile(r"[^0-9a-z]")

FIELDS = ("name", "labels", "summary", "provider")
SQLITE_WEIGHTS = "10.0, 4.0, 2.0, 1.0, 0.0"  # name, labels, summary, provider, keys
PG_WEIGHT_LETTERS = ("A", "B", "C", "D")
# Reserved tokens, never produced from text: "zzf…" facets, "zzn…" copies of the name's tokens.
# They make filters and the name tier plain document-list intersections: no column filter, no
# position lists (column filters and weight labels make the index read positions of every hit).
RESERVED_PREFIX = "zz"
FACET_PREFIX = "zzf"
NAME_PREFIX = "zzn"
RANKED_TIER_MAX = 1000
DENSE_SHARE = 0.1
# Status values other than "published" are rare: a published-only filter excludes them instead of
# intersecting with the (huge) list of published entries.
STATUSES = ("draft", "published", "withdrawn")


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
        elif not word.startswith(RESERVED_PREFIX):
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
            if tok not in seen and not tok.startswith(RESERVED_PREFIX):
                seen.add(tok)
                terms.append((tok, prefix))
    return terms


def facet_token(name: str, value: object) -> str:
    return FACET_PREFIX + name + _FACET_SAFE.sub("", str(value).lower())


@dataclass
class EntryFacets:
    """The filterable attributes of an entry, as indexed."""

    status: str
    provider_org_id: str
    category: str
    share_type: str
    open_type: str
    mounted: bool
    classification_code: str
    # Facets of the console's catalog page; optional so that older callers (the bench) index as before.
    update_cycle: str = ""
    format: str = ""

    def tokens(self) -> list[str]:
        out = [facet_token("status", self.status), facet_token("prov", self.provider_org_id),
               facet_token("cat", self.category), facet_token("share", self.share_type),
               facet_token("open", self.open_type), facet_token("mounted", int(self.mounted))]
        if self.update_cycle:
            out.append(facet_token("cycle", self.update_cycle))
        if self.format:
            out.append(facet_token("fmt", self.format))
        out += [facet_token("class", self.classification_code[:n])
                for n in range(1, len(self.classification_code) + 1)]
        return out


@dataclass
class FacetFilter:
    """Facet values a search requires (None: any)."""

    values: dict[str, object] = field(default_factory=dict)

    def required(self) -> list[str]:
        return [facet_token(k, v) for k, v in self.values.items()
                if v is not None and not (k == "status" and v == "published")]

    def excluded(self) -> list[str]:
        if self.values.get("status") == "published":
            return [facet_token("status", s) for s in STATUSES if s != "published"]
        return []


def name_tokens(name: str) -> list[str]:
    return [NAME_PREFIX + tok for tok in dict.fromkeys(tokens(name))]


# ---- writing -----------------------------------------------------------------------------------

def _pg_quote(tok: str) -> str:
    return "'" + tok.replace("\\", "\\\\").replace("'", "''") + "'"


def tsvector_literal(fields: dict[str, str], key_tokens: list[str]) -> str:
    """A weighted tsvector literal: positions run across fields so ranking sees proximity."""
    positions: dict[str, list[str]] = {}
    pos = 1
    for name, letter in zip(FIELDS, PG_WEIGHT_LETTERS):
        for tok in tokens(fields.get(name, "")):
            if pos <= 16383:  # PostgreSQL's maximum position
                positions.setdefault(tok, []).append(f"{pos}{letter}")
            pos += 1
    parts = [f"{_pg_quote(tok)}:{','.join(p[:256])}" for tok, p in positions.items()]
    parts += [_pg_quote(tok) for tok in dict.fromkeys(key_tokens)]  # no position: invisible to ranking
    return " ".join(parts)


def index_document(session: Session, entry_id: str, fields: dict[str, str], facets: EntryFacets) -> None:
    """Insert or replace one entry's search document (call after any change of text or facets)."""
    if session.get_bind().dialect.name == "sqlite":
        # FTS5 finds rows by rowid only; catalog_search_docs maps entry ids to stable rowids.
        session.execute(text("INSERT OR IGNORE INTO catalog_search_docs (entry_id) VALUES (:id)"), {"id": entry_id})
        rowid = session.execute(text("SELECT doc_id FROM catalog_search_docs WHERE entry_id = :id"),
                                {"id": entry_id}).scalar_one()
        session.execute(text("DELETE FROM catalog_search WHERE rowid = :rowid"), {"rowid": rowid})
        session.execute(
            text("INSERT INTO catalog_search (rowid, name, labels, summary, provider, keys) "
                 "VALUES (:rowid, :name, :labels, :summary, :provider, :keys)"),
            {"rowid": rowid, "keys": " ".join(facets.tokens() + name_tokens(fields.get("name", ""))),
             **{f: " ".join(tokens(fields.get(f, ""))) for f in FIELDS}},
        )
    else:
        session.execute(
            text("INSERT INTO catalog_search (entry_id, doc) VALUES (:id, CAST(:doc AS tsvector)) "
                 "ON CONFLICT (entry_id) DO UPDATE SET doc = EXCLUDED.doc"),
            {"id": entry_id, "doc": tsvector_literal(fields, facets.tokens() + name_tokens(fields.get("name", "")))},
        )


# ---- searching ---------------------------------------------------------------------------------

@dataclass
class Hit:
    entry_id: str
    score: float


class _Sqlite:
    def __init__(self, terms: list[tuple[str, bool]], facets: FacetFilter):
        def conj(toks: list[tuple[str, bool]]) -> str:
            return " AND ".join(f'"{tok}"' + ("*" if prefix else "") for tok, prefix in toks)
        required = conj([(t, False) for t in facets.required()])
        excluded = "".join(f' NOT "{t}"' for t in facets.excluded())
        names = conj([(NAME_PREFIX + tok, prefix) for tok, prefix in terms])
        self.all = f"({conj(terms)}" + (f" AND {required}" if required else "") + ")" + excluded
        self.tier1 = f"({names}" + (f" AND {required}" if required else "") + ")" + excluded
        self.tier2 = f"{self.all} NOT ({names})"

    @staticmethod
    def count(session: Session, expr: str) -> int:
        return session.execute(text("SELECT count(*) FROM catalog_search WHERE catalog_search MATCH :q"),
                               {"q": expr}).scalar_one()

    @staticmethod
    def page(session: Session, expr: str, ranked: bool, limit: int, offset: int, hits: int) -> list[Hit]:
        order = f"bm25(catalog_search, {SQLITE_WEIGHTS})" if ranked else "catalog_search.rowid DESC"
        rows = session.execute(text(
            f"SELECT d.entry_id, -bm25(catalog_search, {SQLITE_WEIGHTS}) AS score FROM catalog_search "
            f"JOIN catalog_search_docs d ON d.doc_id = catalog_search.rowid "
            f"WHERE catalog_search MATCH :q ORDER BY {order} LIMIT :limit OFFSET :offset"),
            {"q": expr, "limit": limit, "offset": offset})
        return [Hit(r.entry_id, float(r.score)) for r in rows]


class _Postgres:
    """tsquery over the GIN index. Only positive lexemes, so the index answers without rechecking
    each row's tsvector (negation or weight labels would force reading every hit from the heap)."""

    def __init__(self, terms: list[tuple[str, bool]], facets: FacetFilter):
        def conj(toks: list[tuple[str, bool]]) -> str:
            return " & ".join(_pg_quote(tok) + (":*" if prefix else "") for tok, prefix in toks)
        filters = "".join(" & " + _pg_quote(facet_token(k, v)) for k, v in facets.values.items() if v is not None)
        names = conj([(NAME_PREFIX + tok, prefix) for tok, prefix in terms])
        self.rank_query = conj(terms)
        self.all = self.rank_query + filters
        self.tier1 = names + filters
        self.tier2 = f"({self.all}) & !({names})"

    @staticmethod
    def count(session: Session, expr: str) -> int:
        return session.execute(text("SELECT count(*) FROM catalog_search WHERE doc @@ CAST(:q AS tsquery)"),
                               {"q": expr}).scalar_one()

    def page(self, session: Session, expr: str, ranked: bool, limit: int, offset: int, hits: int) -> list[Hit]:
        sql = (f"SELECT entry_id, ts_rank(doc, CAST(:r AS tsquery)) AS score FROM catalog_search "
               f"WHERE doc @@ CAST(:q AS tsquery) ORDER BY {'score DESC, entry_id DESC' if ranked else 'entry_id DESC'} "
               f"LIMIT :limit OFFSET :offset")
        params = {"q": expr, "r": self.rank_query, "limit": limit, "offset": offset}
        documents = session.execute(text(
            "SELECT GREATEST(reltuples, 1) FROM pg_class WHERE oid = 'catalog_search'::regclass")).scalar_one()
        if ranked or hits < DENSE_SHARE * documents:
            rows = session.execute(text(sql), params).all()
        else:
            # A dense tier (a tenth of all entries or more): walking the primary key backwards finds a
            # page within a few dozen rows, while the planner, multiplying term selectivities, expects
            # almost no hits and would fetch and sort every one of them.
            session.execute(text("SET LOCAL enable_bitmapscan = off"))
            try:
                rows = session.execute(text(sql), params).all()
            finally:
                session.execute(text("SET LOCAL enable_bitmapscan = on"))
        return [Hit(r.entry_id, float(r.score)) for r in rows]


def search(session: Session, query: str, facet_filter: FacetFilter, limit: int, offset: int) -> tuple[list[Hit], int]:
    """Ranked entry ids for one page, and the total number of matches."""
    terms = query_terms(query)
    if not terms:
        return [], 0
    engine = _Sqlite(terms, facet_filter) if session.get_bind().dialect.name == "sqlite" \
        else _Postgres(terms, facet_filter)
    total = engine.count(session, engine.all)
    if not total:
        return [], 0
    tier1 = engine.count(session, engine.tier1)
    tier2 = total - tier1
    hits: list[Hit] = []
    if offset < tier1:
        hits += engine.page(session, engine.tier1, tier1 <= RANKED_TIER_MAX, limit, offset, tier1)
    rest = limit - len(hits)
    if rest > 0 and tier2 > 0:
        hits += engine.page(session, engine.tier2, tier2 <= RANKED_TIER_MAX, rest, max(0, offset - tier1), tier2)
    return hits, total


def _expression(dialect: str, terms: list[tuple[str, bool]], facet_filter: FacetFilter, extra: list[str]) -> str:
    """One match expression: every query term, every required facet and the `extra` facet tokens."""
    if dialect == "sqlite":
        parts = [f'"{tok}"' + ("*" if prefix else "") for tok, prefix in terms]
        parts += [f'"{tok}"' for tok in facet_filter.required() + extra]
        return "(" + " AND ".join(parts) + ")" + "".join(f' NOT "{t}"' for t in facet_filter.excluded())
    parts = [_pg_quote(tok) + (":*" if prefix else "") for tok, prefix in terms]
    parts += [_pg_quote(facet_token(k, v)) for k, v in facet_filter.values.items() if v is not None]
    parts += [_pg_quote(tok) for tok in extra]
    return " & ".join(parts)


def match_subquery(session: Session, query: str, facet_filter: FacetFilter) -> tuple[str, dict] | None:
    """SQL selecting the entry ids that match (for listings ordered by something other than
    relevance), with its parameters; None when the query has no searchable terms."""
    terms = query_terms(query)
    if not terms:
        return None
    dialect = session.get_bind().dialect.name
    expr = _expression(dialect, terms, facet_filter, [])
    if dialect == "sqlite":
        return ("SELECT d.entry_id FROM catalog_search JOIN catalog_search_docs d ON d.doc_id = catalog_search.rowid "
                "WHERE catalog_search MATCH :fts_q", {"fts_q": expr})
    return "SELECT entry_id FROM catalog_search WHERE doc @@ CAST(:fts_q AS tsquery)", {"fts_q": expr}


def facet_counts(session: Session, query: str | None, facet_filter: FacetFilter,
                 candidates: dict[str, list[str]], fixed: tuple[str, ...] = (),
                 deadline: float | None = None) -> dict[str, dict[str, int]]:
    """How many entries match for each candidate value of each facet ({facet: [values]}), from the
    index alone: one document-list intersection per value. A facet's own filter is left out of its
    counts, so the other values of a chosen facet still show what choosing them would give, except
    for the `fixed` facets (a limit of what the caller may see, not a choice). Facets are counted in
    the order given; past `deadline` (a time.perf_counter() value) the remaining ones are left out
    of the answer, so that a page stays within its time budget on any store."""
    terms = query_terms(query) if query and query.strip() else []
    if query and query.strip() and not terms:
        return {name: {} for name in candidates}
    dialect = session.get_bind().dialect.name
    sql = ("SELECT count(*) FROM catalog_search WHERE catalog_search MATCH :q" if dialect == "sqlite"
           else "SELECT count(*) FROM catalog_search WHERE doc @@ CAST(:q AS tsquery)")
    out: dict[str, dict[str, int]] = {}
    for name, values in candidates.items():
        if deadline is not None and time.perf_counter() > deadline:
            break
        others = FacetFilter({k: v for k, v in facet_filter.values.items() if k != name or k in fixed})
        counts: dict[str, int] = {}
        for value in values:
            expr = _expression(dialect, terms, others, [facet_token(name, value)])
            count = session.execute(text(sql), {"q": expr}).scalar_one()
            if count:
                counts[value] = count
        out[name] = counts
    return out


# ---- loose matching (demands) --------------------------------------------------------------------

# Words a consumer uses for the same thing (HARD-PARTS: demands are vague; synonyms matter).
SYNONYMS: tuple[tuple[str, ...], ...] = (
    ("婚姻", "结婚", "婚配", "离婚"),
    ("户籍", "户口", "户籍登记"),
    ("社保", "社会保险", "养老保险"),
    ("不动产", "房产", "房屋", "住房产权"),
    ("营业执照", "工商登记", "企业登记", "市场主体"),
    ("公积金", "住房公积金"),
    ("死亡", "火化", "殡葬"),
    ("驾驶", "驾照", "驾驶证"),
    ("犯罪", "违法", "刑事", "无犯罪"),
    ("残疾", "残疾人", "残联"),
    ("低保", "最低生活保障", "救助"),
    ("医保", "医疗保险"),
    ("出生", "出生医学证明", "新生儿"),
)
# Bigrams too common in requests to say anything about what is wanted.
_LOOSE_STOP = frozenset({"需要", "信息", "数据", "情况", "相关", "提供", "查询", "我们", "用于", "要求", "获取", "资料"})


def loose_terms(text_: str) -> list[str]:
    """Distinct tokens of free text plus the tokens of its synonyms, without filler words."""
    normalised = _normalise(text_)
    words = [normalised] + [w for group in SYNONYMS if any(s in normalised for s in group) for w in group]
    out: dict[str, None] = {}
    for word in words:
        for tok in tokens(word):
            if tok not in _LOOSE_STOP and len(tok) > 1:
                out[tok] = None
    return list(out)[:64]


def match_any(session: Session, text_: str, limit: int) -> list[Hit]:
    """Published entries sharing any term with `text_` (or a synonym), best first (bm25 / ts_rank)."""
    terms = loose_terms(text_)
    if not terms:
        return []
    if session.get_bind().dialect.name == "sqlite":
        excluded = "".join(f' NOT "{facet_token("status", s)}"' for s in STATUSES if s != "published")
        expr = "(" + " OR ".join(f'"{t}"' for t in terms) + ")" + excluded
        rows = session.execute(text(
            f"SELECT d.entry_id, -bm25(catalog_search, {SQLITE_WEIGHTS}) AS score FROM catalog_search "
            f"JOIN catalog_search_docs d ON d.doc_id = catalog_search.rowid WHERE catalog_search MATCH :q "
            f"ORDER BY bm25(catalog_search, {SQLITE_WEIGHTS}) LIMIT :limit"), {"q": expr, "limit": limit})
    else:
        any_term = " | ".join(_pg_quote(t) for t in terms)
        rows = session.execute(text(
            "SELECT entry_id, ts_rank(doc, CAST(:r AS tsquery)) AS score FROM catalog_search "
            "WHERE doc @@ CAST(:q AS tsquery) ORDER BY score DESC, entry_id LIMIT :limit"),
            {"q": f"({any_term}) & {_pg_quote(facet_token('status', 'published'))}", "r": any_term, "limit": limit})
    return [Hit(r.entry_id, float(r.score)) for r in rows]
