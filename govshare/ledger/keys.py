"""The ledger's signing key: one Ed25519 key in the data directory (mode 0600), rotatable.

Every process signs with it (receipts in the audit writer, checkpoints in the integrator), so all
processes of one platform share the file or `GOVSHARE_LEDGER_KEY`. Each key's public half is kept
in `ledger_keys` for good (retired ones too) and published at `/api/v1/ledger/public-key`.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from govshare.core.config import get_settings
from govshare.core.database import utcnow
from govshare.ledger.models import LedgerKey
from govshare.ledger.note import Signer, new_signer, signer_key

_lock = threading.Lock()
_cached: tuple[tuple, Signer, object] | None = None  # (source tag, signer, the settings it was read under)
_checked_at = 0.0
RECHECK_SECONDS = 1.0


def key_path() -> Path:
    return get_settings().data_dir / "ledger.key"


def _write_private(path: Path, text: str, replace: bool = True) -> None:
    """Write a key file readable by its owner only, atomically (a rotation never leaves half a key).
    With `replace=False` an existing file wins: processes starting together agree on one key."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.new")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(text + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    if replace:
        os.replace(tmp, path)
        return
    try:
        os.link(tmp, path)  # fails if another process created the key first
    except FileExistsError:
        pass
    finally:
        os.unlink(tmp)


def signer() -> Signer:
    """The current signing key: `GOVSHARE_LEDGER_KEY`, else data_dir/ledger.key (created on first use).
    Re-read when the file changes (looked at once a second: every receipt batch asks), so a rotation
    reaches every process within a second, without a restart."""
    global _cached, _checked_at
    settings = get_settings()
    cached = _cached
    if cached is not None and cached[2] is settings and time.monotonic() < _checked_at + RECHECK_SECONDS:
        return cached[1]
    with _lock:
        _checked_at = time.monotonic()
        if settings.ledger_key:
            tag: tuple = ("env", settings.ledger_key)
            path = None
        else:
            path = key_path()
            try:
                stat = path.stat()
            except FileNotFoundError:
                _write_private(path, signer_key(settings.ledger_origin, new_signer(settings.ledger_origin).key),
                               replace=False)
                stat = path.stat()
            tag = (str(path), stat.st_mtime_ns, stat.st_size)
        if _cached is not None and _cached[0] == tag:
            current = _cached[1]
        else:  # a new key, or another key (rotated, or other settings): read and publish it
            current = Signer.from_text(settings.ledger_key if path is None else path.read_text())
            _publish_once(current)
        _cached = (tag, current, settings)
        return current


def _publish_once(loaded: Signer) -> None:
    """List a key the first time this process loads it: nothing is signed with an unpublished key."""
    from govshare.core.database import session_scope
    with session_scope() as session:
        publish(session, loaded)


def publish(session: Session, current: Signer | None = None) -> LedgerKey:
    """Make sure the current key's public half is listed (idempotent)."""
    current = current or signer()
    key_id = current.verifier_key.split("+")[1]
    row = session.get(LedgerKey, key_id)
    if row is None:
        try:
            with session.begin_nested():  # processes starting together publish the same key at once
                session.add(LedgerKey(key_id=key_id, verifier_key=current.verifier_key, created_at=utcnow()))
        except IntegrityError:
            pass
        row = session.get(LedgerKey, key_id)
    return row


def rotate(session: Session) -> tuple[LedgerKey, LedgerKey]:
    """A new key replaces the current one; the old one is listed as retired (its signatures stay valid)."""
    if get_settings().ledger_key:
        raise RuntimeError("the key comes from GOVSHARE_LEDGER_KEY: rotate it there")
    old = publish(session)
    origin = get_settings().ledger_origin
    fresh = new_signer(origin)
    path = key_path()
    _write_private(path, signer_key(origin, fresh.key))
    session.execute(update(LedgerKey).where(LedgerKey.key_id == old.key_id).values(retired_at=utcnow()))
    global _cached
    with _lock:  # published here, in this transaction (a second one would wait for this one's lock)
        stat = path.stat()
        _cached = ((str(path), stat.st_mtime_ns, stat.st_size), fresh, get_settings())
    return old, publish(session, fresh)


def verifier_keys(session: Session) -> list[LedgerKey]:
    """Every key ever used, current first."""
    rows = session.scalars(select(LedgerKey)).all()
    return sorted(rows, key=lambda k: (k.retired_at is not None, -(k.created_at.timestamp())))
