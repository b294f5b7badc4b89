"""Liveness and readiness, answered to GET and to HEAD (uptime probes often send HEAD)."""

from __future__ import annotations

import os
from typing import Any, Literal

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from qa_service.api.routes import ERRORS, get_service
from qa_service.errors import IndexNotReady, QAServiceError

router = APIRouter(tags=["ops"])


class Health(BaseModel):
    status: Literal["ok"]


class Readiness(BaseModel):
    status: Literal["ready"]
    worker: int = Field(description="Process id of the worker that answered")
    version: str = Field(description="Index version this worker serves")
    built_at: str
    model: str = Field(description="Encoder the index was built with")
    documents: int
    passages: int


# A HEAD answer has the GET answer's status and headers and no body, so its responses declare no content.
_HEAD_OK: dict[int | str, dict[str, Any]] = {200: {"description": "As GET, without a body"}}
_HEAD_NOT_READY: dict[int | str, dict[str, Any]] = {503: {"description": "Not ready yet (as GET, without a body)"}}


@router.get("/healthz", operation_id="healthz", response_model=Health)
def healthz() -> dict[str, str]:
    """Liveness: the process answers."""
    return {"status": "ok"}


@router.head("/healthz", operation_id="healthz_head", response_class=Response, responses=_HEAD_OK)
def healthz_head() -> JSONResponse:
    """Liveness for probes that send HEAD: 200, no body."""
    return JSONResponse(healthz())


def _not_ready(e: QAServiceError) -> JSONResponse:
    return JSONResponse(
        {"error": {"code": e.code, "message": e.message, "details": {"worker": os.getpid()}}}, status_code=503
    )


@router.get("/readyz", operation_id="readyz", response_model=Readiness, responses={503: ERRORS[503]})
def readyz(request: Request) -> JSONResponse:
    """Readiness: 503 until the index is loaded; then its counts, model and build time.

    `worker` (the process id) lets an operator or a test see each of several workers get ready.
    """
    try:
        svc = get_service(request)
    except IndexNotReady as e:
        return _not_ready(e)
    try:
        i = svc.info()
    except QAServiceError as e:  # the database went away after start-up
        return _not_ready(e)
    return JSONResponse(
        {
            "status": "ready",
            "worker": os.getpid(),
            "version": i.version,
            "built_at": i.built_at,
            "model": i.encoder,
            "documents": i.documents,
            "passages": i.passages,
        }
    )


@router.head("/readyz", operation_id="readyz_head", response_class=Response, responses={**_HEAD_OK, **_HEAD_NOT_READY})
def readyz_head(request: Request) -> JSONResponse:
    """Readiness for probes that send HEAD: 200 when ready, 503 before; no body."""
    return readyz(request)
