"""HTTP routes: thin, plain `def` (encoding and FAISS are blocking CPU work), calling the core."""

from __future__ import annotations

import time
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path, Query, Request

from qa_service.answer import Answerer
from qa_service.api import examples
from qa_service.api.media import UNSUPPORTED, require_json
from qa_service.api.schemas import (
    AskRequest,
    AskResponse,
    DocumentOut,
    DocumentPage,
    DocumentRef,
    ErrorBody,
    FactCheckRequest,
    FactCheckResponse,
    Kind,
    PassageOut,
    SearchFilters,
    SearchRequest,
    SearchResponse,
)
from qa_service.errors import IndexNotReady, InvalidQuery, QAServiceError
from qa_service.search import Filters, SearchService
from qa_service.serialize import ask_dict, document_ref, hit_dict, sentence_dict

ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorBody, "description": "Bad request: invalid JSON, or a query the service cannot answer"},
    404: {"model": ErrorBody, "description": "No such document, passage or vector store"},
    413: {"model": ErrorBody, "description": "The request body is too large"},
    422: {
        "model": ErrorBody,
        "description": "The request does not match the schema",
        "content": {"application/json": {"example": examples.ERROR_EXAMPLE}},
    },
    503: {"model": ErrorBody, "description": "The index is not loaded (yet)"},
}
router = APIRouter(responses=ERRORS)
# A JSON endpoint answers 415 to another body type, before its schema is checked.
JSON_BODY = [Depends(require_json)]

DocId = Annotated[
    str,
    Path(
        max_length=300,
        description="A document id, as in search results and `GET /v1/documents`",
        openapi_examples={"letter": {"summary": "The NVZ letter", "value": examples.DOC_ID}},
    ),
]
PassageId = Annotated[
    str,
    Path(
        max_length=300,
        description="A passage id, as in search results (`passage_id`) and a document's `passage_ids`",
        openapi_examples={"passage": {"summary": "The NVZ letter's first passage", "value": examples.PASSAGE_ID}},
    ),
]


def get_service(request: Request) -> SearchService:
    svc: SearchService | None = request.app.state.service
    if svc is None:
        err = request.app.state.load_error
        if isinstance(err, QAServiceError):
            raise IndexNotReady(f"index not available: {err.message}")
        raise IndexNotReady("index is still loading" if err is None else f"index failed to load: {err}")
    return svc


ServiceDep = Annotated[SearchService, Depends(get_service)]


def get_answerer(request: Request, svc: ServiceDep) -> Answerer:
    answerer: Answerer = request.app.state.answerer
    return answerer


AnswererDep = Annotated[Answerer, Depends(get_answerer)]


def to_filters(f: SearchFilters) -> Filters:
    return Filters(
        kind=list(f.kind) if f.kind else None,
        sender=f.sender,
        date_from=f.date_from,
        date_to=f.date_to,
        document_id=f.document_id,
        source_file=f.source_file,
    )


def index_info(svc: SearchService) -> dict[str, Any]:
    i = svc.info()
    return {"version": i.version, "built_at": i.built_at, "model": i.encoder}


def check_length(request: Request, text: str) -> None:
    limit = request.app.state.settings.max_query_chars
    if len(text) > limit:
        raise InvalidQuery(f"text is longer than {limit} characters")


@router.post(
    "/v1/search",
    response_model=SearchResponse,
    tags=["search"],
    operation_id="search",
    dependencies=JSON_BODY,
    responses=UNSUPPORTED,
)
def search(
    body: Annotated[SearchRequest, Body(openapi_examples=examples.SEARCH_REQUESTS)], svc: ServiceDep, request: Request
) -> dict[str, Any]:
    """The best passages for a question, claim or keywords, with exact sources.

    `results` is empty, with a `reason`, when no passage's dense cosine clears the threshold.
    """
    check_length(request, body.query)
    t0 = time.perf_counter()
    res = svc.search(
        body.query, top_k=body.top_k, mode=body.mode, min_score=body.min_score, filters=to_filters(body.filters)
    )
    request.app.state.metrics.search_latency.labels(body.mode).observe(time.perf_counter() - t0)
    return {
        "query": res.query,
        "mode": res.mode,
        "took_ms": res.took_ms,
        "reason": res.reason,
        "results": [hit_dict(h) for h in res.hits],
        "index": index_info(svc),
    }


@router.post(
    "/v1/ask",
    response_model=AskResponse,
    tags=["answers"],
    operation_id="ask",
    dependencies=JSON_BODY,
    responses=UNSUPPORTED,
)
def ask(
    body: Annotated[AskRequest, Body(openapi_examples=examples.ASK_REQUESTS)], answerer: AnswererDep, request: Request
) -> dict[str, Any]:
    """The answer to a question with its citation: a document fact (who signed, when, the kenmerk)
    or the sentence (with the one after it) that answers it.

    `answer` is null, with a `reason` and up to 3 `candidates`, when its calibrated confidence is
    below the threshold, its similarity below the floor, or a lookup finds no document fact.
    """
    check_length(request, body.question)
    a = answerer.ask(body.question, top_k=body.top_k, filters=to_filters(body.filters))
    return {**ask_dict(a), "index": index_info(answerer.search)}


@router.post(
    "/v1/factcheck",
    response_model=FactCheckResponse,
    tags=["answers"],
    operation_id="factcheck",
    dependencies=JSON_BODY,
    responses=UNSUPPORTED,
)
def factcheck(
    body: Annotated[FactCheckRequest, Body(openapi_examples=examples.FACTCHECK_REQUESTS)],
    answerer: AnswererDep,
    request: Request,
) -> dict[str, Any]:
    """The sentences most related to a claim, grouped into the agreement and the letters.

    `status` is `no_evidence` when no sentence is close enough; the service does not judge truth.
    """
    check_length(request, body.claim)
    f = answerer.factcheck(body.claim, top_k=body.top_k, filters=to_filters(body.filters))
    return {
        "claim": f.claim,
        "status": f.status,
        "evidence": [sentence_dict(e) for e in f.evidence],
        "groups": {k: [sentence_dict(e) for e in v] for k, v in f.groups.items()},
        "reason": f.reason,
        "took_ms": f.took_ms,
        "index": index_info(answerer.search),
    }


@router.get(
    "/v1/documents",
    response_model=DocumentPage,
    tags=["documents"],
    operation_id="list_documents",
)
def list_documents(
    svc: ServiceDep,
    kind: Annotated[Kind | None, Query(description="Only this kind", examples=["letter"])] = None,
    sender: Annotated[
        str | None,
        Query(
            max_length=200,
            description="Case-insensitive part of the sender's or an organisation's name, or a short name whole (VNG)",
            examples=["NVZ"],
        ),
    ] = None,
    source_file: Annotated[str | None, Query(max_length=300, description="Only documents of this corpus file")] = None,
    offset: Annotated[int, Query(ge=0, le=1_000_000, description="Documents to skip")] = 0,
    limit: Annotated[int, Query(ge=1, le=500, description="Documents to return at most")] = 50,
) -> dict[str, Any]:
    """Documents in corpus order, paged and filterable by kind, sender (or organisation, or short name) and file."""
    total, docs = svc.documents(kind, sender, source_file, offset, limit)
    return {"total": total, "offset": offset, "limit": limit, "documents": [document_ref(d) for d in docs]}


@router.get(
    "/v1/documents/{doc_id}",
    response_model=DocumentOut,
    tags=["documents"],
    operation_id="get_document",
)
def get_document(doc_id: DocId, svc: ServiceDep) -> dict[str, Any]:
    """One document: metadata, clean text and the ids of its passages."""
    d = svc.document(doc_id)
    passages = svc.passages_of(doc_id)
    return {
        **document_ref(d),
        "text": d.text,
        "passage_ids": [p.id for p in passages],
        "passages": [
            {"id": p.id, "char_start": p.char_start, "char_end": p.char_end, "heading_path": p.heading_path}
            for p in passages
        ],
        "addressee": d.addressee,
        "date_raw": d.date_raw,
        "reply_id": d.reply_id,
        "in_reply_to": d.in_reply_to,
        "duplicate_of": d.duplicate_of,
        "signatories": d.signatories,
        "reply_date": d.reply_date,
        "reply_signatory": d.reply_signatory,
        "reference": d.reference,
        "related": [{"relation": r, "id": o.id, "kind": o.kind, "title": o.title} for r, o in svc.related(d)],
    }


@router.get(
    "/v1/passages/{passage_id}",
    response_model=PassageOut,
    tags=["documents"],
    operation_id="get_passage",
)
def get_passage(passage_id: PassageId, svc: ServiceDep) -> dict[str, Any]:
    """One passage with its document and the ids of its neighbours in that document."""
    p, prev, nxt = svc.passage(passage_id)
    return {
        **p.to_dict(),
        "document": DocumentRef(**document_ref(svc.document(p.doc_id))),
        "previous": prev.id if prev else None,
        "next": nxt.id if nxt else None,
    }
