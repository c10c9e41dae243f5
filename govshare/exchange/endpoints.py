"""Exchange endpoints. Lookup, verify and feed are `async` and call the database inline: each call
is one or two indexed reads, cheaper than a hop to the thread pool; the wait for the audit commit
is the only await. Export streams from one read snapshot in the thread pool.
"""

from __future__ import annotations

from contextlib import contextmanager

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from govshare.core.database import get_engine
from govshare.exchange import service
from govshare.ledger.sequencer import RECEIPT_HEADER
from govshare.orgs.auth import require_client

router = APIRouter(prefix="/api/v1/data", tags=["exchange"])


class VerifyBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    match: dict[str, str | int | float | bool | None] = Field(
        min_length=1, max_length=50, description="Item → value; must include the key items")


@contextmanager
def _reading():
    with get_engine().connect() as conn:
        # Single reads need no transaction: on PostgreSQL autocommit saves the BEGIN and the ROLLBACK
        # when the connection goes back to the pool.
        if conn.dialect.name == "postgresql":
            yield conn.execution_options(isolation_level="AUTOCOMMIT")
        else:
            yield conn.execution_options(read_only=True)


def _answer(outcome: service.Outcome, headers: dict | None = None) -> Response:
    """The answer exactly as hashed into the call's ledger leaf, with the call's receipt."""
    return Response(outcome.content, media_type="application/json", headers={**outcome.headers, **(headers or {})})


@router.get("/{entry_id}/records", summary="Look up rows by key")
async def lookup(entry_id: str, request: Request,
                 fields: str | None = Query(None, description="Comma-separated items to return (default: all "
                                                              "granted)")):
    """`?{key_item}={value}` (every key item) → `{"records": [...]}`: granted items only, masked per grant.
    Denials answer 403 with `error.code` = `no_grant`, `pending`, `expired`, `revoked`, `method_not_granted`
    or `item_not_granted`."""
    principal = require_client(request)
    with _reading() as conn:
        outcome = service.lookup(conn, principal, entry_id, dict(request.query_params))
    await outcome.wait_async()
    return _answer(outcome)


@router.post("/{entry_id}/verify", summary="Yes/no verification (核验)")
async def verify(entry_id: str, body: VerifyBody, request: Request):
    """`{"match": {item: value, …}}` → `{"result": true|false}` and nothing else."""
    principal = require_client(request)
    with _reading() as conn:
        outcome = service.verify(conn, principal, entry_id, body.match)
    await outcome.wait_async()
    return _answer(outcome)


@router.get("/{entry_id}/changes", summary="Change feed")
async def changes(entry_id: str, request: Request, cursor: str | None = Query(None, max_length=32),
                  limit: int = Query(1000, ge=1, le=10_000)):
    """`{"changes": [{op, key, record, seq}], "next_cursor"}`. Start from an export's
    `GovShare-Feed-Cursor` header; `key` matches the export's `_key` column. The response header
    `GovShare-Next-Cursor` repeats `next_cursor`."""
    principal = require_client(request)
    with _reading() as conn:
        outcome = service.changes(conn, principal, entry_id, cursor, limit)
    body = await outcome.wait_async()
    # The next cursor in a header too: a consumer can ask for the next page before parsing this one.
    return _answer(outcome, {"GovShare-Next-Cursor": body["next_cursor"]})


@router.get("/{entry_id}/export", summary="Bulk export",
            responses={200: {"content": {t: {} for t in service.EXPORT_FORMATS.values()}}})
def export(entry_id: str, request: Request, format: str = Query("csv", description="csv, jsonl, parquet or xlsx")):
    """The granted items of every row in the grant's region, masked, streamed from one snapshot.
    Headers: `GovShare-Feed-Cursor` (follow the change feed from there), `GovShare-Row-Count`,
    `GovShare-Receipt`. When the stream ends, the ledger logs the hash of the bytes sent."""
    principal = require_client(request)
    started = service.export(get_engine(), principal, entry_id, format)
    headers = {"Content-Disposition": f'attachment; filename="{started.filename}"',
               "GovShare-Feed-Cursor": str(started.cursor), "GovShare-Row-Count": str(started.rows)}
    if started.receipt is not None:
        headers[RECEIPT_HEADER] = started.receipt.header()
    return StreamingResponse(started.chunks, media_type=started.media_type, headers=headers)
