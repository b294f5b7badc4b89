"""Write routes: add (upload or JSON text), replace and delete documents, behind the API key."""

from __future__ import annotations

import datetime as dt
import hmac
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.datastructures import UploadFile

from qa_service.api.routes import ERRORS
from qa_service.errors import InvalidQuery, TooLarge, Unauthorized, WritesDisabled
from qa_service.ingest import extract_text
from qa_service.service import apply_changes
from qa_service.store.live import Change

router = APIRouter(responses={**ERRORS, 401: ERRORS[400], 403: ERRORS[400], 415: ERRORS[400]}, tags=["write"])


def require_write_key(request: Request) -> None:
    """Writes need the configured key; with no key configured, writes are refused, never open."""
    key = request.app.state.settings.api_key
    if key is None:
        raise WritesDisabled("writes are disabled: no API key is configured (QA_API_KEY)")
    given = request.headers.get("x-api-key") or request.headers.get("authorization", "").removeprefix("Bearer ")
    if not given or not hmac.compare_digest(given.encode(), key.get_secret_value().encode()):
        raise Unauthorized("a valid API key is required (X-API-Key header or Authorization: Bearer)")


WriteKey = Annotated[None, Depends(require_write_key)]


class DocumentMeta(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["letter", "attachment", "reply", "agreement_section"] | None = None
    sender: str | None = Field(None, max_length=300)
    date: dt.date | None = None
    subject: str | None = Field(None, max_length=500)
    title: str | None = Field(None, max_length=500)


class TextDocument(DocumentMeta):
    text: str = Field(..., min_length=1, description="The document's text (a letter, or a bundle of letters)")
    name: str = Field("document.txt", max_length=200, pattern=r"^[^/\\]+\.(txt|md)$", description="File name")


class WriteResult(BaseModel):
    status: Literal["added", "unchanged", "replaced", "deleted"]
    documents: list[str] = Field(description="Ids of the documents added (or, when unchanged, already there)")
    removed: list[str]
    version: str | None = Field(description="The index version that contains the change")


async def _read_upload(request: Request) -> tuple[str, bytes, dict[str, Any]]:
    """(file name, bytes, metadata) from a multipart upload or a JSON body."""
    settings = request.app.state.settings
    ctype = request.headers.get("content-type", "")
    if ctype.startswith("multipart/form-data"):
        # The context closes the spooled upload files, whatever happens below.
        async with request.form(max_files=1, max_fields=10) as form:
            upload = form.get("file")
            if not isinstance(upload, UploadFile) or not upload.filename:
                raise InvalidQuery("multipart upload needs a `file` field")
            filename = upload.filename
            data = await upload.read(settings.max_upload_bytes + 1)
            fields = {k: v for k, v in form.items() if k != "file" and isinstance(v, str) and v}
        if len(data) > settings.max_upload_bytes:
            raise TooLarge(f"file exceeds {settings.max_upload_bytes} bytes")
        try:
            form_meta = DocumentMeta.model_validate(fields)
        except ValidationError as e:
            raise InvalidQuery(
                "invalid metadata", details=[{"loc": list(x["loc"]), "msg": x["msg"]} for x in e.errors()]
            ) from None
        return filename, data, form_meta.model_dump(mode="json", exclude_none=True)
    if ctype.startswith("application/json"):
        try:
            body = TextDocument.model_validate_json(await request.body())
        except ValidationError as e:
            raise InvalidQuery(
                "invalid document", details=[{"loc": list(x["loc"]), "msg": x["msg"]} for x in e.errors()]
            ) from None
        meta = body.model_dump(mode="json", exclude_none=True, exclude={"text", "name"})
        return body.name, body.text.encode("utf-8"), meta
    raise InvalidQuery("send multipart/form-data with a `file`, or application/json with `text`")


def _write(
    request: Request, name: str | None, data: bytes | None, meta: dict[str, Any], remove: set[str] | None
) -> Change:
    app = request.app
    settings = app.state.settings
    add = None
    if name is not None and data is not None:
        add = (name, extract_text(name, data), meta)
    change = apply_changes(settings, app.state.service.encoder, add_text=add, remove=remove)
    if app.state.watcher is not None:
        app.state.watcher.check()  # this worker serves the new folder version before it answers
    return change


@router.post("/v1/documents", status_code=201, response_model=WriteResult)
async def add_document(request: Request, _: WriteKey) -> JSONResponse:
    """Add a document: multipart `file` (PDF, DOCX, TXT, Markdown; letter bundles are split) with
    optional `kind`, `sender`, `date`, `subject`, `title`; or JSON `{"text", "name", ...}`."""
    from starlette.concurrency import run_in_threadpool

    name, data, meta = await _read_upload(request)
    change = await run_in_threadpool(_write, request, name, data, meta, None)
    status = "unchanged" if change.unchanged else "added"
    return JSONResponse(
        {"status": status, "documents": change.added, "removed": [], "version": change.version},
        status_code=200 if change.unchanged else 201,
    )


@router.put("/v1/documents/{doc_id}", response_model=WriteResult)
async def replace_document(doc_id: str, request: Request, _: WriteKey) -> dict[str, Any]:
    """Replace a document (and its attachments) by a new upload, in one index version."""
    from starlette.concurrency import run_in_threadpool

    name, data, meta = await _read_upload(request)
    change = await run_in_threadpool(_write, request, name, data, meta, {doc_id})
    return {"status": "replaced", "documents": change.added, "removed": change.removed, "version": change.version}


@router.delete("/v1/documents/{doc_id}", response_model=WriteResult)
def delete_document(doc_id: str, request: Request, _: WriteKey) -> dict[str, Any]:
    """Delete a document, its attachments and all their passages."""
    change = _write(request, None, None, {}, {doc_id})
    return {"status": "deleted", "documents": [], "removed": change.removed, "version": change.version}
