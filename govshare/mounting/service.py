"""Mounting (挂接): uploads and database pulls, turned into all-or-nothing loads."""

from __future__ import annotations

import hashlib
import os
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from govshare.ledger import sequencer as ledger
from govshare.catalog import service as catalog
from govshare.catalog.models import CatalogEntry
from govshare.core.config import get_settings
from govshare.core.database import session_scope
from govshare.core.errors import Forbidden, GovShareError, InvalidInput, PayloadTooLarge
from govshare.core.security import new_id
from govshare.mounting import loader, readers, validation
from govshare.mounting.models import DataLoad
from govshare.orgs import service as orgs
from govshare.orgs.roles import Role, Scope
from govshare.orgs.service import Principal


def require_data_writer(principal: Principal, entry: CatalogEntry) -> None:
    if principal.is_platform_admin:
        return
    if principal.org_id != entry.provider_org_id:
        raise Forbidden("only the providing department may load its data", code="not_provider")
    orgs.require_scope_or_role(principal, Scope.data_write, Role.org_admin)


def check_can_load(entry_id: str, principal: Principal) -> None:
    with session_scope(read_only=True) as session:
        require_data_writer(principal, catalog.get_entry(session, entry_id, principal))


MULTIPART_OVERHEAD = 64 * 1024  # boundaries and the other form fields


def upload_too_large() -> PayloadTooLarge:
    limit = get_settings().max_upload_bytes
    return PayloadTooLarge(f"upload exceeds the limit of {limit} bytes", details={"limit": limit})


def check_declared_size(content_length: str | int | None, multipart: bool = False) -> None:
    """Refuse a body whose declared length is past the limit before reading any of it."""
    declared = str(content_length) if content_length is not None else ""
    if declared.isdigit() and int(declared) > get_settings().max_upload_bytes + (
            MULTIPART_OVERHEAD if multipart else 0):
        raise upload_too_large()


@dataclass
class SavedUpload:
    path: Path
    size: int
    sha256: str

    def discard(self) -> None:
        self.path.unlink(missing_ok=True)


def upload_dir() -> Path:
    path = get_settings().data_dir / "uploads"
    path.mkdir(parents=True, exist_ok=True)
    return path


class UploadSpool:
    """Spools an upload to disk, hashing it and enforcing the size limit as bytes arrive."""

    def __init__(self, declared_length: int | None = None, filename: str | None = None):
        self.limit = get_settings().max_upload_bytes
        check_declared_size(declared_length)
        # Keep a plain extension: some readers (openpyxl) decide the format by it.
        suffix = Path(filename or "").suffix.lower()
        suffix = suffix if suffix[1:].isalnum() and len(suffix) <= 8 else ""
        fd, name = tempfile.mkstemp(dir=upload_dir(), prefix="upload-", suffix=suffix)
        self.path = Path(name)
        self._fh = os.fdopen(fd, "wb")
        self._digest = hashlib.sha256()
        self.size = 0

    def write(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size > self.limit:
            self.abort()
            raise upload_too_large()
        self._digest.update(chunk)
        self._fh.write(chunk)

    def finish(self) -> SavedUpload:
        self._fh.close()
        return SavedUpload(self.path, self.size, self._digest.hexdigest())

    def abort(self) -> None:
        self._fh.close()
        self.path.unlink(missing_ok=True)


def save_stream(chunks: Iterator[bytes], declared_length: int | None = None,
                filename: str | None = None) -> SavedUpload:
    spool = UploadSpool(declared_length, filename)
    try:
        for chunk in chunks:
            spool.write(chunk)
    except BaseException:
        spool.abort()
        raise
    return spool.finish()


def file_source(path: Path, filename: str | None, items, info: dict) -> loader.BatchSource:
    """Batches read from a file, mapped to items and validated; re-runnable (reopens the file)."""
    batch_rows = get_settings().load_batch_rows

    def source(outcome: loader.LoadOutcome):
        stream = readers.open_table_stream(path, filename=filename, batch_rows=batch_rows)
        info.update(format=stream.format, encoding=stream.encoding)
        header_map = validation.map_headers(stream.headers, items)
        for first_row, batch in stream:
            result = validation.validate_batch(batch, first_row, items, header_map,
                                               cap=get_settings().load_error_cap)
            if result.warning_count:
                outcome.add_warnings(result.warnings, count=result.warning_count)
            if result.error_count:
                outcome.add_errors(result.errors, count=result.error_count)
                continue
            yield first_row, result.batch
    return source


def load_upload(entry_id: str, upload: SavedUpload, filename: str | None, mode: str,
                principal: Principal) -> DataLoad:
    """Load an uploaded file into an entry; the report is stored whether the load succeeds or not."""
    try:
        with session_scope() as session:
            entry = catalog.get_entry(session, entry_id, principal, for_update=True)
            require_data_writer(principal, entry)
            items = catalog.item_specs(entry)
            entry_pk = entry.id
        info: dict = {}
        return run_recorded_load(entry_pk, mode, "upload", file_source(upload.path, filename, items, info), info,
                               principal, filename=filename, size=upload.size, sha256=upload.sha256)
    finally:
        upload.discard()


def run_recorded_load(entry_pk: str, mode: str, source_kind: str, source: loader.BatchSource, info: dict,
                    principal: Principal | None, *, filename: str | None = None, size: int | None = None,
                    sha256: str | None = None) -> DataLoad:
    """Run one load in its own transaction and store its report, also when it fails."""
    load_id = new_id("l")
    started = time.perf_counter()
    record = DataLoad(id=load_id, entry_id=entry_pk, mode=mode, source=source_kind, filename=filename,
                      size_bytes=size, content_sha256=sha256, actor=principal.name if principal else source_kind)
    try:
        with session_scope() as session:
            entry = session.scalar(select(CatalogEntry).where(CatalogEntry.id == entry_pk).with_for_update(of=CatalogEntry))
            items = catalog.item_specs(entry)
            outcome = loader.run_load(session, entry, items, mode, source, load_id)
            catalog.entry_changed(session, entry)  # mount state: a search facet, and exchange reads it
            ledger.record(session, "data.loaded", provider_org_id=entry.provider_org_id, entry_id=entry.id,
                          load=load_id, mode=mode, source=source_kind, content_sha256=sha256,
                          inserted=outcome.inserted, updated=outcome.updated, deleted=outcome.deleted,
                          rows=entry.row_count, last_seq=entry.last_seq,
                          actor=principal.id if principal else source_kind)
            _fill(record, outcome, info, "succeeded", started)
            session.add(record)
        return record
    except GovShareError as exc:
        outcome = getattr(exc, "outcome", None) or _outcome_from(exc)
        _fill(record, outcome, info, "failed", started, message=exc.message)
        with session_scope() as session:
            session.add(record)
        if isinstance(exc, loader.LoadRejected):
            exc.details["load_id"] = load_id
        raise


def _outcome_from(exc: GovShareError) -> loader.LoadOutcome:
    outcome = loader.LoadOutcome()
    details = exc.details if isinstance(exc.details, list) else []
    outcome.add_errors(details, count=max(1, len(details)))
    return outcome


def _fill(record: DataLoad, outcome: loader.LoadOutcome, info: dict, status: str, started: float,
          message: str | None = None) -> None:
    record.status = status
    record.format = info.get("format")
    record.encoding = info.get("encoding")
    for f in ("rows_read", "inserted", "updated", "deleted", "unchanged", "first_seq", "last_seq", "error_count",
              "errors", "warning_count", "warnings"):
        setattr(record, f, getattr(outcome, f))
    record.message = message
    record.duration_ms = loader.elapsed_ms(started)


def may_load(principal: Principal, entry: CatalogEntry) -> bool:
    try:
        require_data_writer(principal, entry)
    except GovShareError:
        return False
    return True


def list_loads(session: Session, entry_id: str, principal: Principal, limit: int = 20, offset: int = 0):
    """Load reports of an entry, newest first. Rejected values can be personal data (an ID number
    with a wrong check digit), so only those who may load the entry see the problem lists; everyone
    else sees the counts."""
    entry = catalog.get_entry(session, entry_id, principal)
    stmt = select(DataLoad).where(DataLoad.entry_id == entry.id)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = list(session.scalars(stmt.order_by(DataLoad.started_at.desc()).limit(limit).offset(offset)))
    if not may_load(principal, entry):
        for row in rows:
            session.expunge(row)  # redact a detached copy, never the stored report
            row.errors, row.warnings = [], []
    return rows, total


def check_mode(mode: str) -> str:
    if mode not in loader.MODES:
        raise InvalidInput(f"mode must be one of {', '.join(loader.MODES)}",
                           details=[{"field": "mode", "reason": "unknown mode", "value": mode}])
    return mode
