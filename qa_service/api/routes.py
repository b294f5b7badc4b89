"""HTTP routes: thin, plain `def` (encoding and FAISS are blocking CPU work), calling the core."""

from __future__ import annotations

import time
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse

from qa_service.api.schemas import (
    DocumentOut,
    DocumentPage,
    DocumentRef,
    ErrorBody,
    PassageOut,
    SearchRequest,
    SearchResponse,
)
from qa_service.errors import IndexNotReady, InvalidQuery, QAServiceError
from qa_service.search import Filters, SearchService
from qa_service.serialize import document_ref, hit_dict

ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorBody},
    404: {"model": ErrorBody},
    413: {"model": ErrorBody},
    422: {"model": ErrorBody},
    503: {"model": ErrorBody},
}
router = APIRouter(responses=ERRORS)


def get_service(request: Request) -> SearchService:
    svc: SearchService | None = request.app.state.service
    if svc is None:
        err = request.app.state.load_error
        if isinstance(err, QAServiceError):
            raise IndexNotReady(f"index not available: {err.message}")
        raise IndexNotReady("index is still loading" if err is None else f"index failed to load: {err}")
    return svc


ServiceDep = Annotated[SearchService, Depends(get_service)]


@router.get("/healthz", tags=["ops"])
def healthz() -> dict[str, str]:
    """Liveness: the process answers."""
    return {"status": "ok"}


@router.get("/readyz", tags=["ops"])
def readyz(request: Request) -> JSONResponse:
    """Readiness: 503 until the index is loaded; then its counts, model and build time."""
    try:
        svc = get_service(request)
    except IndexNotReady as e:
        return JSONResponse({"error": {"code": e.code, "message": e.message, "details": None}}, status_code=503)
    m = svc.index.manifest
    return JSONResponse(
        {
            "status": "ready",
            "version": m["version"],
            "built_at": m["built_at"],
            "model": m["encoder"],
            "documents": len(svc.index.documents),
            "passages": len(svc.index.passages),
        }
    )


@router.post("/v1/search", response_model=SearchResponse, tags=["search"])
def search(body: SearchRequest, svc: ServiceDep, request: Request) -> dict[str, Any]:
    """The best passages for a question, claim or keywords, with exact sources.

    `results` is empty, with a `reason`, when no passage's dense cosine clears the threshold.
    """
    settings = request.app.state.settings
    if len(body.query) > settings.max_query_chars:
        raise InvalidQuery(f"query is longer than {settings.max_query_chars} characters")
    f = body.filters
    t0 = time.perf_counter()
    res = svc.search(
        body.query,
        top_k=body.top_k,
        mode=body.mode,
        min_score=body.min_score,
        filters=Filters(
            kind=list(f.kind) if f.kind else None,
            sender=f.sender,
            date_from=f.date_from,
            date_to=f.date_to,
            document_id=f.document_id,
            source_file=f.source_file,
        ),
    )
    request.app.state.metrics.search_latency.labels(body.mode).observe(time.perf_counter() - t0)
    m = svc.index.manifest
    return {
        "query": res.query,
        "mode": res.mode,
        "took_ms": res.took_ms,
        "reason": res.reason,
        "results": [hit_dict(h) for h in res.hits],
        "index": {"version": m["version"], "built_at": m["built_at"], "model": m["encoder"]},
    }


@router.get("/v1/documents", response_model=DocumentPage, tags=["documents"])
def list_documents(
    svc: ServiceDep,
    kind: Annotated[str | None, Query(max_length=40)] = None,
    sender: Annotated[str | None, Query(max_length=200)] = None,
    source_file: Annotated[str | None, Query(max_length=300)] = None,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> dict[str, Any]:
    """Documents in corpus order, paged and filterable by kind, sender substring and source file."""
    docs = list(svc.index.documents.values())
    if kind:
        docs = [d for d in docs if d.kind == kind]
    if sender:
        docs = [d for d in docs if sender.lower() in (d.sender or "").lower()]
    if source_file:
        docs = [d for d in docs if d.source_file == source_file]
    return {
        "total": len(docs),
        "offset": offset,
        "limit": limit,
        "documents": [document_ref(d) for d in docs[offset : offset + limit]],
    }


@router.get("/v1/documents/{doc_id}", response_model=DocumentOut, tags=["documents"])
def get_document(doc_id: str, svc: ServiceDep) -> dict[str, Any]:
    """One document: metadata, clean text and the ids of its passages."""
    d = svc.document(doc_id)
    return {
        **document_ref(d),
        "text": d.text,
        "passage_ids": [p.id for p in svc.passages_of(doc_id)],
        "addressee": d.addressee,
        "date_raw": d.date_raw,
        "reply_id": d.reply_id,
        "in_reply_to": d.in_reply_to,
        "duplicate_of": d.duplicate_of,
    }


@router.get("/v1/passages/{passage_id}", response_model=PassageOut, tags=["documents"])
def get_passage(passage_id: str, svc: ServiceDep) -> dict[str, Any]:
    """One passage with its document and the ids of its neighbours in that document."""
    p, prev, nxt = svc.passage(passage_id)
    return {
        **p.to_dict(),
        "document": DocumentRef(**document_ref(svc.document(p.doc_id))),
        "previous": prev.id if prev else None,
        "next": nxt.id if nxt else None,
    }
