"""One error envelope for every 4xx/5xx: {"error": {"code", "message", "details"}}."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match, Mount

from qa_service.errors import (
    ConfigurationError,
    EmptyDocument,
    IndexMismatch,
    IndexNotFound,
    IndexNotReady,
    InvalidMultipart,
    InvalidQuery,
    NotFound,
    QAServiceError,
    ReadOnlyStore,
    StoreUnavailable,
    TooLarge,
    Unauthorized,
    UnknownFilter,
    UnsupportedDocument,
    WritesDisabled,
)

logger = logging.getLogger(__name__)

STATUS: dict[type[QAServiceError], int] = {
    InvalidQuery: 400,
    InvalidMultipart: 400,
    NotFound: 404,
    IndexNotFound: 503,
    IndexMismatch: 503,
    IndexNotReady: 503,
    StoreUnavailable: 503,
    # Not a 503: the node is healthy and will never take this write, however often it is retried;
    # it must go to a node on the primary.
    ReadOnlyStore: 409,
    ConfigurationError: 500,
    Unauthorized: 401,
    WritesDisabled: 403,
    UnsupportedDocument: 415,
    EmptyDocument: 422,
    UnknownFilter: 422,
    TooLarge: 413,
}
_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "too_many_requests",
    503: "unavailable",
}


def envelope(
    status: int, code: str, message: str, details: Any = None, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(
        {"error": {"code": code, "message": message, "details": details}}, status_code=status, headers=headers
    )


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def allowed_methods(request: Request) -> list[str]:
    """Every method some route serves at this request's path.

    Starlette stops at the first route whose path matches, so its 405 names only that route's
    methods, and GET, PUT and DELETE on `/v1/documents/{doc_id}` are three routes. Each method is
    tried against the routes instead (mounted apps answer their own 405s, with their own `Allow`).
    """
    routes = [r for r in request.app.router.routes if not isinstance(r, Mount)]
    served = {m for m in _METHODS if any(r.matches({**request.scope, "method": m})[0] == Match.FULL for r in routes)}
    if "GET" in served:  # head.HeadAsGet answers HEAD wherever GET is served
        served.add("HEAD")
    return [m for m in _METHODS if m in served]


def clean_errors(errors: list[Any]) -> list[dict[str, Any]]:
    """Validation errors without the raw input echo (it may be 100 KB or not UTF-8)."""
    out = []
    for e in errors:
        out.append({"loc": [str(x) for x in e.get("loc", ())], "msg": str(e.get("msg", "")), "type": e.get("type")})
    return out


def install(app: FastAPI) -> None:
    @app.exception_handler(QAServiceError)
    async def service_error(request: Request, exc: QAServiceError) -> JSONResponse:
        status = STATUS.get(type(exc), 500)
        if status >= 500:
            logger.error("service error %s: %s", exc.code, exc.message)
        return envelope(status, exc.code, exc.message, exc.details)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        errs = clean_errors(list(exc.errors()))
        if any(e["type"] == "json_invalid" for e in errs):
            return envelope(400, "invalid_json", "request body is not valid JSON (UTF-8)", errs)
        return envelope(422, "validation_error", "request does not match the schema", errs)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _HTTP_CODES.get(exc.status_code, "http_error")
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            # RFC 9110: a 405 names the methods the target resource supports.
            given = {m.strip() for m in headers.get("Allow", "").split(",") if m.strip()}
            allow = sorted(given | set(allowed_methods(request)))
            headers["Allow"] = ", ".join(allow)
            message = f"{request.method} is not allowed on {request.url.path}; allowed: {headers['Allow']}"
            return envelope(405, code, message, {"allow": allow}, headers)
        if exc.status_code == 400 and isinstance(exc.__cause__, (UnicodeDecodeError, RecursionError)):
            # FastAPI reports a JSON body it could not decode (not UTF-8, nested too deeply) as a bare
            # 400 "error parsing the body"; it is malformed JSON like any other, so it gets the same code.
            why = "is not UTF-8" if isinstance(exc.__cause__, UnicodeDecodeError) else "is nested too deeply"
            details = [{"loc": ["body"], "msg": f"the body {why}", "type": "json_invalid"}]
            return envelope(400, "invalid_json", f"request body is not valid JSON: it {why}", details)
        return envelope(exc.status_code, code, str(exc.detail), None, headers)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        logger.exception("unhandled error on %s %s", request.method, request.url.path)
        return envelope(500, "internal", "internal error; it has been logged", None)
