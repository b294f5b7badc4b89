"""HTTP routes for ask tracing: what organisations asked, and what the agreement does with it."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Query, Request

from qa_service.api import examples
from qa_service.api.ask_schemas import AskSearchRequest, AskSearchResponse, AsksOverview, AsksPage, DocumentAsks
from qa_service.api.media import UNSUPPORTED, require_json
from qa_service.api.routes import ERRORS, DocId, ServiceDep, check_length, index_info, to_filters
from qa_service.asks.book import AskBook
from qa_service.asks.view import ask_view, document_view, search_view
from qa_service.errors import IndexNotReady, NotFound

router = APIRouter(responses=ERRORS, tags=["asks"])
Status = Literal["addressed", "related", "absent"]


def get_book(request: Request, svc: ServiceDep) -> AskBook:
    shelf = request.app.state.asks
    if shelf is None:
        raise IndexNotReady("asks are not available yet")
    book: AskBook = shelf.book(svc.store)
    return book


BookDep = Annotated[AskBook, Depends(get_book)]


@router.get("/v1/asks", response_model=AsksPage, operation_id="list_asks")
def list_asks(
    book: BookDep,
    svc: ServiceDep,
    sender: Annotated[
        str | None, Query(max_length=200, description="An organisation (part of its name, or its short name)")
    ] = None,
    status: Annotated[list[Status] | None, Query(description="Only asks with these statuses")] = None,
    chapter: Annotated[str | None, Query(max_length=200, description="Agreement chapter of the best match")] = None,
    document_id: Annotated[str | None, Query(max_length=300, description="One letter (with its attachments)")] = None,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> dict[str, Any]:
    """Every ask organisations made in their letters, with what the coalition agreement does with it.

    `status` is `addressed` (the agreement commits to it, fully or in clear part), `related` (it
    speaks about the same issue without committing: a weaker measure, a study, the opposite
    choice) or `absent` (nothing on the issue); `confidence` is the calibrated probability of that
    status. `counts` holds the statuses of all asks that pass the filters, not only this page.
    """
    book.check_filters(sender, chapter)
    if document_id and book.document(document_id) is None:
        raise NotFound(f"no document {document_id!r}")
    asks = book.select(sender, status, chapter, document_id)
    page = asks[offset : offset + limit]
    return {
        "total": len(asks),
        "offset": offset,
        "limit": limit,
        "counts": book.counts(asks),
        "asks": [ask_view(a, book) for a in page],
        "reason": None if asks else "no asks pass these filters",
        "index": index_info(svc),
    }


@router.get("/v1/asks/overview", response_model=AsksOverview, operation_id="asks_overview")
def asks_overview(book: BookDep, svc: ServiceDep) -> dict[str, Any]:
    """Organisations x agreement chapters: how many of each organisation's asks land in each chapter."""
    return {**book.overview(), "counts": book.counts(book.asks), "index": index_info(svc)}


@router.get("/v1/documents/{doc_id}/asks", response_model=DocumentAsks, operation_id="document_asks")
def document_asks(doc_id: DocId, book: BookDep, svc: ServiceDep) -> dict[str, Any]:
    """The asks of one letter (and of its attachments), each with what the agreement does with it."""
    doc = book.document(doc_id)
    if doc is None:
        raise NotFound(f"no document {doc_id!r}")
    asks = book.select(document_id=doc_id)
    if not asks:
        reason = (
            f"a document of kind {doc.kind!r} has no asks (only letters and their attachments ask)"
            if doc.kind not in ("letter", "attachment")
            else "this letter asks nothing of the formation that the service recognises"
        )
    else:
        reason = None
    return {
        "document": document_view(doc, book),
        "counts": book.counts(asks),
        "asks": [ask_view(a, book) for a in asks],
        "reason": reason,
        "index": index_info(svc),
    }


@router.post(
    "/v1/asks/search",
    response_model=AskSearchResponse,
    operation_id="search_asks",
    dependencies=[Depends(require_json)],
    responses=UNSUPPORTED,
)
def search_asks(
    body: Annotated[AskSearchRequest, Body(openapi_examples=examples.ASK_SEARCH_REQUESTS)],
    book: BookDep,
    svc: ServiceDep,
    request: Request,
) -> dict[str, Any]:
    """Who asks for X: the asks closest to the query, grouped by organisation, best first."""
    check_length(request, body.query)
    return {**search_view(book, svc, body.query, body.top_k, to_filters(body.filters)), "index": index_info(svc)}
