from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session

from govshare.core.database import get_session, session_scope
from govshare.core.errors import InvalidInput
from govshare.core.pagination import Page, PageParams, page_params
from govshare.mounting import service, sources
from govshare.mounting.schemas import LoadReport, SourceConfig, SourceRead
from govshare.orgs.auth import current_principal, require_principal

router = APIRouter(prefix="/api/v1/catalog", tags=["mounting"])


@router.put("/entries/{entry_id}/data", response_model=LoadReport, status_code=200,
            responses={413: {"description": "Upload too large"}, 422: {"description": "Invalid data; nothing loaded"}})
async def upload_data(
    entry_id: str,
    request: Request,
    mode: str = Query("replace", pattern="^(replace|append|upsert)$"),
    filename: str | None = Query(None, max_length=255, description="Original file name (format hint)"),
):
    """Upload a CSV, TSV, XLSX, JSON, JSONL or Parquet file as the request body (or as multipart field
    `file`). All or nothing: any invalid row answers 422 with the load report and leaves data unchanged."""
    principal = await run_in_threadpool(_authenticate, request)
    # Refuse before reading a possibly huge body: unknown entry, or not the provider.
    await run_in_threadpool(service.check_can_load, entry_id, principal)
    declared = request.headers.get("content-length")
    length = int(declared) if declared and declared.isdigit() else None
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("multipart/form-data"):
        service.check_declared_size(declared, multipart=True)
        form = await request.form(max_part_size=service.get_settings().max_upload_bytes)
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise InvalidInput("multipart upload needs a 'file' field",
                               details=[{"field": "file", "reason": "missing"}])
        filename = filename or upload.filename

        def file_chunks():
            while chunk := upload.file.read(1 << 20):
                yield chunk
        saved = await run_in_threadpool(service.save_stream, file_chunks(), None, filename)
    else:
        saved = await _save_raw(request, length, filename)
    record = await run_in_threadpool(service.load_upload, entry_id, saved, filename, mode, principal)
    return LoadReport.model_validate(record)


async def _save_raw(request: Request, length: int | None, filename: str | None) -> service.SavedUpload:
    spool = service.UploadSpool(length, filename)
    try:
        async for chunk in request.stream():
            spool.write(chunk)  # local disk writes of <=64 KiB chunks; not worth a thread hop each
    except BaseException:
        spool.abort()
        raise
    return spool.finish()


def _authenticate(request: Request):
    with session_scope(read_only=True) as session:
        return require_principal(request, session)


@router.get("/entries/{entry_id}/loads", response_model=Page[LoadReport])
def list_loads(entry_id: str, page: PageParams = Depends(page_params), session: Session = Depends(get_session),
               principal=Depends(current_principal)):
    rows, total = service.list_loads(session, entry_id, principal, page.limit, page.offset)
    return Page(items=[LoadReport.model_validate(r) for r in rows], total=total, limit=page.limit,
                offset=page.offset)


# ---- database sources (挂接数据库) ------------------------------------------------------------
# These authenticate with a read-only session (like uploads): a source probe or a pull may take a while
# and must not hold a write transaction of the platform's own database open meanwhile.


@router.put("/entries/{entry_id}/source", response_model=SourceRead,
            responses={422: {"description": "Invalid configuration or unreachable source (source_unreachable)"}})
def put_source(entry_id: str, data: SourceConfig, request: Request):
    """Mount the entry to a department database: a SQLAlchemy URL and a table or a read-only SELECT.
    The source is connected once to check that its columns cover the entry's required items. The answer
    never shows the password."""
    return sources.configure(entry_id, data, _authenticate(request))


@router.get("/entries/{entry_id}/source", response_model=SourceRead)
def get_source(entry_id: str, request: Request):
    principal = _authenticate(request)
    with session_scope(read_only=True) as session:
        return sources.source_read(sources.get_source(session, entry_id, principal))


@router.delete("/entries/{entry_id}/source", status_code=204, response_class=Response)
def delete_source(entry_id: str, request: Request):
    """Unmount the database; data loaded so far stays."""
    principal = _authenticate(request)
    with session_scope() as session:
        sources.delete_source(session, entry_id, principal)
    return Response(status_code=204)


@router.post("/entries/{entry_id}/source/pull", response_model=LoadReport,
             responses={422: {"description": "Invalid data (nothing loaded) or source unreachable"}})
def pull_source(entry_id: str, request: Request,
                full: bool | None = Query(None, description="true: full pull (replace); false: incremental "
                                                            "(upsert) when possible; omitted: decided")):
    """Pull from the department database now; answers the load report like an upload."""
    record = sources.pull(entry_id, _authenticate(request), full)
    return LoadReport.model_validate(record)
