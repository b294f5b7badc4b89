"""Write routes: add (upload or JSON text), replace and delete documents, behind the API key."""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException

from qa_service.api import examples
from qa_service.api.media import is_json, media_type
from qa_service.api.routes import ERRORS, DocId
from qa_service.api.schemas import IsoDate
from qa_service.errors import InvalidMultipart, TooLarge, Unauthorized, WritesDisabled
from qa_service.ingest import extract_text
from qa_service.service import apply_changes
from qa_service.store.protocol import Change

router = APIRouter(
    responses={
        **ERRORS,
        401: {**ERRORS[400], "description": "No or a wrong API key"},
        403: {**ERRORS[400], "description": "Writes are disabled: the service has no API key configured"},
        409: {**ERRORS[400], "description": "This node reads from a read-only replica: send writes to the primary's"},
        415: {**ERRORS[400], "description": "Unsupported body type, or a file that is not what its extension says"},
        400: {**ERRORS[400], "description": "Invalid JSON, or a multipart body that cannot be parsed"},
    },
    tags=["write"],
)


def presented_key(headers: Mapping[str, str]) -> str | None:
    """The key a request presents: its `X-API-Key` header when it has one, else a bearer token.

    An `X-API-Key` header that is there but empty or wrong is what the client sent, and it is
    refused; it never falls back to another header.
    """
    if "x-api-key" in headers:
        return headers["x-api-key"]
    scheme, _, token = headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None


def key_matches(given: str | None, keys: list[str]) -> bool:
    return bool(given) and any(hmac.compare_digest(str(given).encode(), k.encode()) for k in keys)


def require_write_key(request: Request) -> None:
    """Writes need the configured key; with no key configured, writes are refused, never open."""
    key = request.app.state.settings.api_key
    if key is None:
        raise WritesDisabled("writes are disabled: no API key is configured (QA_API_KEY)")
    if not key_matches(presented_key(request.headers), [key.get_secret_value()]):
        raise Unauthorized("a valid API key is required (X-API-Key header or Authorization: Bearer)")


WriteKey = Annotated[None, Depends(require_write_key)]


class DocumentMeta(BaseModel):
    """Metadata given with an upload; each field given wins over what is read from the text."""

    model_config = ConfigDict(extra="forbid")
    kind: Literal["letter", "attachment", "reply", "agreement_section"] | None = Field(
        None, description="Document kind; default: read from the text (a bundle may hold several kinds)"
    )
    sender: str | None = Field(None, max_length=300, description="Sending organisation or person")
    date: IsoDate | None = Field(None, description="Date of the document (ISO 8601, YYYY-MM-DD)")
    subject: str | None = Field(None, max_length=500, description="Subject (the `Betreft` line)")
    title: str | None = Field(None, max_length=500, description="Title shown in results")


class TextDocument(DocumentMeta):
    """A document sent as JSON text instead of a file."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [examples.TEXT_DOCUMENT]},
    )
    text: str = Field(..., min_length=1, description="The document's text (a letter, or a bundle of letters)")
    name: str = Field(
        "document.txt",
        max_length=200,
        pattern=r"^[^/\\]+\.(txt|md)$",
        description="File name, `.txt` or `.md`: the text is read as that format",
    )


class WriteResult(BaseModel):
    status: Literal["added", "unchanged", "replaced", "deleted"]
    documents: list[str] = Field(description="Ids of the documents added (or, when unchanged, already there)")
    removed: list[str] = Field(description="Ids of the documents removed (a letter takes its attachments along)")
    version: str | None = Field(description="The index version that contains the change")


def _invalid(e: ValidationError) -> RequestValidationError:
    """Upload bodies are read by hand; their errors are answered like FastAPI's own (422, or 400 for bad JSON)."""
    return RequestValidationError(
        [{"loc": ("body", *e_["loc"]), "msg": e_["msg"], "type": e_["type"]} for e_ in e.errors()]
    )


async def _read_upload(request: Request) -> tuple[str, bytes, dict[str, Any]]:
    """(file name, bytes, metadata) from a multipart upload or a JSON body."""
    settings = request.app.state.settings
    media = media_type(request.headers)
    if media == "multipart/form-data":
        try:
            form = await request.form(max_files=1, max_fields=10)
        except HTTPException as e:  # Starlette's answer to a body it cannot split (no boundary, bad framing)
            raise InvalidMultipart(f"the multipart/form-data body cannot be read: {e.detail}") from None
        try:
            upload = form.get("file")
            if not isinstance(upload, UploadFile) or not upload.filename:
                raise RequestValidationError(
                    [{"loc": ("body", "file"), "msg": "a file (with a file name) is required", "type": "missing"}]
                )
            filename = upload.filename
            data = await upload.read(settings.max_upload_bytes + 1)
            # An empty form field counts as not given (HTML forms and curl -F send empty fields).
            fields = {k: v for k, v in form.items() if k != "file" and isinstance(v, str) and v}
        finally:
            await form.close()  # the spooled upload files, whatever happened above
        if len(data) > settings.max_upload_bytes:
            raise TooLarge(f"file exceeds {settings.max_upload_bytes} bytes")
        try:
            form_meta = DocumentMeta.model_validate(fields)
        except ValidationError as e:
            raise _invalid(e) from None
        return filename, data, form_meta.model_dump(mode="json", exclude_none=True)
    if is_json(media):
        try:
            body = TextDocument.model_validate_json(await request.body())
        except ValidationError as e:
            raise _invalid(e) from None
        meta = body.model_dump(mode="json", exclude_none=True, exclude={"text", "name"})
        return body.name, body.text.encode("utf-8"), meta
    raise HTTPException(415, "send multipart/form-data with a `file`, or application/json with `text`")


def _form_schema(model: type[BaseModel]) -> dict[str, Any]:
    """A model's JSON schema for form fields: a form has no null, so the null alternatives go."""
    schema = model.model_json_schema()
    for prop in schema["properties"].values():
        branches = [b for b in prop.pop("anyOf", []) if b.get("type") != "null"]
        if len(branches) == 1:
            prop.update(branches[0])
        elif branches:
            prop["anyOf"] = branches
        if prop.get("default", 0) is None:
            del prop["default"]
    return schema


def openapi_components() -> dict[str, dict[str, Any]]:
    """Schemas of the two upload bodies (the routes read them by hand) and the write key's schemes."""
    form = _form_schema(DocumentMeta)
    form["title"] = "DocumentUpload"
    form["description"] = (
        "A file with optional metadata. Metadata is read from the text as for the bundled corpus; "
        "a field given here wins. An empty field counts as not given."
    )
    for prop in form["properties"].values():
        if "enum" in prop or "format" in prop:  # an empty field is accepted as "not given"
            typed = {k: prop.pop(k) for k in ("enum", "format", "type") if k in prop}
            prop["anyOf"] = [typed, {"type": "string", "maxLength": 0}]
    form["properties"] = {
        "file": {
            "type": "string",
            "format": "binary",
            "description": "PDF with a text layer, DOCX, TXT or Markdown (UTF-8); the file name's extension "
            "says which. At most `QA_MAX_UPLOAD_BYTES` (20 MB by default). A bundle of letters is split.",
        },
        **form["properties"],
    }
    form["required"] = ["file"]
    form["additionalProperties"] = False
    text = TextDocument.model_json_schema()  # JSON has null: a null field counts as not given
    text["additionalProperties"] = False
    return {
        "schemas": {"DocumentUpload": form, "TextDocument": text},
        "securitySchemes": {
            "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key", "description": "`QA_API_KEY`"},
            "bearer": {"type": "http", "scheme": "bearer", "description": "`QA_API_KEY` as a bearer token"},
        },
    }


_UPLOAD_BODY: dict[str, Any] = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {"$ref": "#/components/schemas/DocumentUpload"},
            "encoding": {"file": {"contentType": "application/pdf, application/octet-stream, text/plain"}},
            "examples": examples.UPLOAD_FORM,
        },
        "application/json": {
            "schema": {"$ref": "#/components/schemas/TextDocument"},
            "examples": examples.UPLOAD_JSON,
        },
    },
}
_WRITE_SECURITY: list[dict[str, list[str]]] = [{"apiKey": []}, {"bearer": []}]


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
        app.state.watcher.check()  # this worker serves the new version before it answers
    return change


def _write_result(description: str) -> dict[str, Any]:
    return {"model": WriteResult, "description": description}


_ADDED_LINKS = {
    "GetDocument": {
        "operationId": "get_document",
        "parameters": {"doc_id": "$response.body#/documents/0"},
        "description": "The first document the upload added",
    },
    "ReplaceDocument": {"operationId": "replace_document", "parameters": {"doc_id": "$response.body#/documents/0"}},
    "DeleteDocument": {"operationId": "delete_document", "parameters": {"doc_id": "$response.body#/documents/0"}},
}


@router.post(
    "/v1/documents",
    operation_id="add_document",
    status_code=201,
    response_model=WriteResult,
    responses={
        201: {**_write_result("Added and searchable"), "links": _ADDED_LINKS},
        200: _write_result("The same content is already in the index: nothing was added"),
    },
    openapi_extra={"requestBody": _UPLOAD_BODY, "security": _WRITE_SECURITY},
)
async def add_document(request: Request, _: WriteKey) -> JSONResponse:
    """Add a document: multipart `file` (PDF, DOCX, TXT, Markdown; letter bundles are split) with
    optional `kind`, `sender`, `date`, `subject`, `title`; or JSON `{"text", "name", ...}`.

    Needs the API key. The document is searchable when the response arrives.
    """
    name, data, meta = await _read_upload(request)
    change = await run_in_threadpool(_write, request, name, data, meta, None)
    status = "unchanged" if change.unchanged else "added"
    return JSONResponse(
        {"status": status, "documents": change.added, "removed": [], "version": change.version},
        status_code=200 if change.unchanged else 201,
    )


@router.put(
    "/v1/documents/{doc_id}",
    operation_id="replace_document",
    response_model=WriteResult,
    responses={200: _write_result("Replaced in one index version")},
    openapi_extra={"requestBody": _UPLOAD_BODY, "security": _WRITE_SECURITY},
)
async def replace_document(doc_id: DocId, request: Request, _: WriteKey) -> dict[str, Any]:
    """Replace a document (and its attachments) by a new upload, in one index version; the body is as for POST."""
    name, data, meta = await _read_upload(request)
    change = await run_in_threadpool(_write, request, name, data, meta, {doc_id})
    return {"status": "replaced", "documents": change.added, "removed": change.removed, "version": change.version}


@router.delete(
    "/v1/documents/{doc_id}",
    operation_id="delete_document",
    response_model=WriteResult,
    responses={200: _write_result("Deleted, with its attachments")},
    openapi_extra={"security": _WRITE_SECURITY},
)
def delete_document(doc_id: DocId, request: Request, _: WriteKey) -> dict[str, Any]:
    """Delete a document, its attachments and all their passages."""
    change = _write(request, None, None, {}, {doc_id})
    return {"status": "deleted", "documents": [], "removed": change.removed, "version": change.version}
