"""Optional relay of each grant's change feed to NATS JetStream (`GOVSHARE_NATS_URL`).

Why: a consumer that wants changes pushed subscribes to `{prefix}.{entry_id}.{grant_id}` instead of
polling `GET /api/v1/data/{entry}/changes`. Nothing is pushed that the consumer could not pull: every
page is read with `service.changes` as the grant's first client, so the grant check, masking,
region scope, rate limit and audit record apply exactly as over HTTP, and a denied call publishes
nothing and leaves the grant's cursor where it was. An entry with nothing after the cursor costs no
call (and no audit record); a client holding two feed grants for one entry is read under one of them
(as over HTTP), so only that grant is relayed.

Delivery is at least once, de-duplicated: a grant's position (`feed_relay_cursors`) moves only
after JetStream has acknowledged every message of the page, and each message carries
`Nats-Msg-Id: {grant_id}:{seq}`, so a page published again after a crash between publish and
cursor update is dropped by the stream within its duplicate window. Applying changes by `seq` is
idempotent anyway (each change carries the row as it is now).

The scheduler runs one pass per interval while it holds its lease (one process at a time); the
cursor only ever moves forward, so a pass that outlives its lease cannot move it back.
"""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass

import nats
from nats.js import JetStreamContext
from nats.js.errors import BadRequestError, NotFoundError
from sqlalchemy import select, text

from govshare.core.config import get_settings
from govshare.core.database import get_engine, session_scope, utcnow
from govshare.core.errors import GovShareError
from govshare.exchange import service
from govshare.exchange.models import FeedRelayCursor
from govshare.exchange.policy import authorize
from govshare.orgs.models import Organization
from govshare.orgs.service import Principal
from govshare.sharing.models import Grant

log = logging.getLogger("govshare.exchange.relay")
STREAM = "GOVSHARE_FEED"
PAGE = 1000
DUPLICATE_WINDOW = 15 * 60.0  # seconds; longer than a lease takeover (3 scheduler intervals) plus a pass
_TOKEN = re.compile(r"[A-Za-z0-9_-]+")


@dataclass(frozen=True)
class _Target:
    grant_id: str
    entry_id: str
    principal: Principal
    cursor: int


def _targets() -> list[_Target]:
    """Live grants with the feed method, each with the principal it reads as and its position."""
    now = utcnow()
    with session_scope(read_only=True) as session:
        rows = session.execute(
            select(Grant.id, Grant.entry_id, Grant.methods, Grant.client_ids, Grant.consumer_org_id, Organization.code)
            .join(Organization, Organization.id == Grant.consumer_org_id)
            .where(Grant.revoked_at.is_(None), Grant.expires_at > now).order_by(Grant.created_at)).all()
        cursors = dict(session.execute(select(FeedRelayCursor.grant_id, FeedRelayCursor.seq)).all())
    return [_Target(r.id, r.entry_id, Principal(kind="client", id=r.client_ids[0], name="feed-relay",
                                                org_id=r.consumer_org_id, org_code=r.code,
                                                scopes=frozenset({"data:read"})), cursors.get(r.id, 0))
            for r in rows if "feed" in r.methods and r.client_ids]


def _advance(grant_id: str, seq: int) -> None:
    with session_scope() as session:
        row = session.get(FeedRelayCursor, grant_id, with_for_update=True)
        if row is None:
            session.add(FeedRelayCursor(grant_id=grant_id, seq=seq, updated_at=utcnow()))
        elif row.seq < seq:
            row.seq, row.updated_at = seq, utcnow()


async def _ensure_stream(js: JetStreamContext, prefix: str) -> None:
    """The stream exists and takes `{prefix}.>` (created, or the subject added, if not)."""
    subject = f"{prefix}.>"
    try:
        info = await js.stream_info(STREAM)
    except NotFoundError:
        try:
            await js.add_stream(name=STREAM, subjects=[subject], duplicate_window=DUPLICATE_WINDOW)
            return
        except BadRequestError:  # another process created it meanwhile
            info = await js.stream_info(STREAM)
    if subject not in (info.config.subjects or []):
        await js.update_stream(info.config.evolve(subjects=[*(info.config.subjects or []), subject]))


async def _relay_grant(js: JetStreamContext, target: _Target, prefix: str, max_pages: int | None) -> dict:
    """Publish the grant's feed from its cursor, page by page; stop at the end, a denial or `max_pages`."""
    counts = {"published": 0, "duplicates": 0, "skipped": 0}
    grant_id, entry_id, principal = target.grant_id, target.entry_id, target.principal
    if not (_TOKEN.fullmatch(entry_id) and _TOKEN.fullmatch(grant_id)):
        log.warning("grant %s of entry %s: ids are not NATS subject tokens; not relayed", grant_id, entry_id)
        return {**counts, "skipped": 1}
    subject = f"{prefix}.{entry_id}.{grant_id}"
    cursor, pages = target.cursor, 0
    while max_pages is None or pages < max_pages:
        with get_engine().connect() as raw:
            conn = raw.execution_options(read_only=True)
            last = conn.execute(text("SELECT last_seq FROM catalog_entries WHERE id = :id"), {"id": entry_id}).scalar()
            if not last or last <= cursor:  # nothing new: no call, no audit record
                break
            if pages == 0 and (served := _serving_grant(conn, principal, entry_id)) not in (None, grant_id):
                log.info("grant %s: client %s reads entry %s under grant %s; not relayed", grant_id, principal.id,
                         entry_id, served)
                return {**counts, "skipped": 1}
            outcome = service.changes(conn, principal, entry_id, str(cursor), PAGE)
        try:
            body = await outcome.wait_async()
        except GovShareError as exc:
            log.info("grant %s: feed of entry %s denied (%s); not relayed", grant_id, entry_id, exc.code)
            return {**counts, "skipped": 1}
        for change in body["changes"]:
            ack = await js.publish(subject, service.dumps(change), stream=STREAM,
                                   headers={"Nats-Msg-Id": f"{grant_id}:{change['seq']}"})
            counts["duplicates" if ack.duplicate else "published"] += 1
        next_cursor = int(body["next_cursor"])
        if next_cursor <= cursor:
            break
        _advance(grant_id, next_cursor)
        cursor, pages = next_cursor, pages + 1
    return counts


def _serving_grant(conn, principal: Principal, entry_id: str) -> str | None:
    """Which grant `changes` would read under (a client may hold several for one entry); None: denied,
    and `changes` answers with the audited denial."""
    try:
        return authorize(conn, principal, entry_id, "feed", [], utcnow()).grant_id
    except GovShareError:
        return None


async def _nats_error(exc: Exception) -> None:
    log.warning("NATS: %s", exc or exc.__class__.__name__)


async def _relay(url: str, prefix: str, max_pages: int | None) -> dict:
    targets = _targets()
    totals = {"grants": len(targets), "published": 0, "duplicates": 0, "skipped": 0}
    if not targets:
        return totals
    # Fail fast (two tries, ~1 s apart) when NATS is down: the next scheduler pass tries again.
    nc = await nats.connect(url, connect_timeout=5, allow_reconnect=False, max_reconnect_attempts=1,
                            reconnect_time_wait=1, error_cb=_nats_error)
    try:
        js = nc.jetstream()
        await _ensure_stream(js, prefix)
        for target in targets:
            for name, n in (await _relay_grant(js, target, prefix, max_pages)).items():
                totals[name] += n
    finally:
        await nc.close()
    return totals


def relay_once(nats_url: str | None = None, max_pages: int | None = None) -> dict:
    """One pass over every live grant with the feed method: publish what is new, up to `max_pages`
    pages of 1,000 changes per grant (None: until its feed is exhausted).

    Returns `{"grants", "published", "duplicates", "skipped"}` (grants considered, messages newly
    stored, messages the stream already had, grants denied or not relayable). Blocking: call it from
    a plain thread (it runs its own event loop), not from inside a running event loop.
    """
    settings = get_settings()
    url = nats_url or settings.nats_url
    if not url:
        raise ValueError("no NATS URL: set GOVSHARE_NATS_URL")
    prefix = settings.nats_subject_prefix
    if not all(_TOKEN.fullmatch(t) for t in prefix.split(".")):
        raise ValueError(f"GOVSHARE_NATS_SUBJECT_PREFIX {prefix!r} is not a NATS subject prefix")
    return asyncio.run(_relay(url, prefix, max_pages))
