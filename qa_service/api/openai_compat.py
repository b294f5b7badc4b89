"""`POST /v1/vector_stores/{id}/search` in the shape of OpenAI's vector-store search.

So the official `openai` client's `client.vector_stores.search(...)` works against this service
(`OpenAI(base_url="http://host:8000/v1", api_key="unused")`). The store id is `default` or the
index folder's name. Filters follow OpenAI's comparison/compound filters over the attributes
`kind`, `sender`, `source_file`, `document_id` (eq, in) and `date` (gt, gte, lt, lte, eq); a kind
that does not exist is a 422, as in `/v1/search`.

`score` is what OpenAI calls the similarity score and what `score_threshold` compares: the dense
cosine of query and passage, comparable across queries. OpenAI's results come best first by that
score, and clients cut or merge lists by it, so `data` is the hybrid search's best passages
ordered by `score`; the hybrid rank stays in `attributes.rank`.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Path, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field, StrictBool, TypeAdapter, ValidationError

from qa_service.api import examples
from qa_service.api.media import UNSUPPORTED
from qa_service.api.routes import ERRORS, JSON_BODY, ServiceDep, check_length
from qa_service.api.schemas import Int, Kind, Number
from qa_service.errors import InvalidQuery, NotFound
from qa_service.search import Filters

router = APIRouter(responses=ERRORS, tags=["openai-compatible"])


class Comparison(BaseModel):
    model_config = ConfigDict(extra="forbid")
    key: str
    type: Literal["eq", "ne", "gt", "gte", "lt", "lte", "in", "nin"]
    value: str | float | bool | list[str | float]


class Compound(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["and", "or"]
    filters: list[Comparison | Compound] = Field(max_length=20)


class RankingOptions(BaseModel):
    model_config = ConfigDict(extra="ignore")
    # OpenAI's values; each gets this service's own ranking (hybrid fusion, no re-ranker to turn off).
    ranker: Literal["none", "auto", "default-2024-11-15"] | None = Field(
        None, description="Accepted for compatibility; every value gets the service's hybrid ranking"
    )
    score_threshold: Number | None = Field(None, ge=0.0, le=1.0, description="Dense cosine a result must reach")


class VectorStoreSearch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    query: str | list[str] = Field(..., description="One query, or several joined with a space")
    max_num_results: Int = Field(10, ge=1, le=50)
    filters: Comparison | Compound | None = None
    ranking_options: RankingOptions | None = None
    rewrite_query: StrictBool = Field(False, description="Accepted for compatibility; queries are not rewritten")


class TextContent(BaseModel):
    type: Literal["text"]
    text: str


class VectorStoreResult(BaseModel):
    file_id: str = Field(description="The document id")
    filename: str = Field(description="The corpus file the document comes from")
    score: float = Field(description="Dense cosine of query and passage (0-1); `data` is ordered by it, best first")
    attributes: dict[str, str | int | float | bool] = Field(
        description="kind, title, passage_id, rank (in the service's hybrid ranking), char and line offsets; "
        "sender, date, registration_number, subject and heading_path when known"
    )
    content: list[TextContent]


class VectorStorePage(BaseModel):
    object: Literal["vector_store.search_results.page"]
    search_query: list[str]
    data: list[VectorStoreResult]
    has_more: bool
    next_page: str | None


_KIND: TypeAdapter[Kind] = TypeAdapter(Kind)
_KINDS: TypeAdapter[list[Kind]] = TypeAdapter(list[Kind])


def _kinds(value: str | list[str | float], loc: tuple[str | int, ...]) -> list[str]:
    """The kinds asked for, refused as /v1/search refuses them: a kind that does not exist is a 422."""
    try:
        return [_KIND.validate_python(value)] if isinstance(value, str) else list(_KINDS.validate_python(value))
    except ValidationError as e:
        errors = [{**err, "loc": (*loc, *err["loc"])} for err in e.errors()]
        raise RequestValidationError(errors) from None


def _apply(f: Comparison | Compound, out: Filters, loc: tuple[str | int, ...] = ("body", "filters")) -> None:
    if isinstance(f, Compound):
        if f.type != "and":
            raise InvalidQuery("only `and` compound filters are supported")
        for i, sub in enumerate(f.filters):
            _apply(sub, out, (*loc, "filters", i))
        return
    key, op, val = f.key, f.type, f.value
    if key in ("kind", "sender", "source_file", "document_id"):
        if op == "in" and key == "kind" and isinstance(val, list):
            out.kind = _kinds(val, (*loc, "value"))
        elif op == "eq" and isinstance(val, str):
            if key == "kind":
                out.kind = _kinds(val, (*loc, "value"))
            else:
                setattr(out, key, val)
        else:
            raise InvalidQuery(f"filter on {key!r} supports `eq` (and `in` for kind) with string values")
        return
    if key == "date":
        if op not in ("gt", "gte", "lt", "lte", "eq"):
            raise InvalidQuery(f"filter on 'date' supports gt, gte, lt, lte and eq, not {op!r}")
        if not isinstance(val, str):
            # OpenAI's own stores compare Unix timestamps; this one compares calendar days.
            raise InvalidQuery(
                'date comparisons take an ISO date string as value (YYYY-MM-DD, e.g. "2025-12-01"); '
                "Unix timestamps are not supported"
            )
        try:
            day = dt.date.fromisoformat(val)
        except ValueError:
            raise InvalidQuery(f"date filter value {val!r} is not an ISO date (YYYY-MM-DD)") from None
        if op in ("gt", "gte", "eq"):
            out.date_from = day + dt.timedelta(days=1) if op == "gt" else day
        if op in ("lt", "lte", "eq"):
            out.date_to = day - dt.timedelta(days=1) if op == "lt" else day
        return
    raise InvalidQuery(f"unsupported filter {key!r} {op!r}; keys: kind, sender, source_file, document_id, date")


def _score(dense: float) -> float:
    return round(max(0.0, dense), 6)


@router.post(
    "/v1/vector_stores/{vector_store_id}/search",
    operation_id="vector_store_search",
    response_model=VectorStorePage,
    dependencies=JSON_BODY,
    responses=UNSUPPORTED,
)
def vector_store_search(
    vector_store_id: Annotated[
        str,
        Path(
            description="`default`, or the index folder's name",
            openapi_examples={"default": {"summary": "The live index", "value": "default"}},
        ),
    ],
    body: Annotated[VectorStoreSearch, Body(openapi_examples=examples.VECTOR_STORE_REQUESTS)],
    svc: ServiceDep,
    request: Request,
) -> dict[str, Any]:
    """Search in OpenAI's vector-store result shape: one result per passage, best first by `score` (dense cosine)."""
    names = {"default", request.app.state.settings.index_dir.name}
    if vector_store_id not in names:
        raise NotFound(f"no vector store {vector_store_id!r}; use one of {sorted(names)}")
    queries = [body.query] if isinstance(body.query, str) else body.query
    query = " ".join(q.strip() for q in queries if q.strip())
    if not query:
        raise InvalidQuery("query is empty")
    check_length(request, query)
    filters = Filters()
    if body.filters is not None:
        _apply(body.filters, filters)
    threshold = body.ranking_options.score_threshold if body.ranking_options else None
    res = svc.search(query, top_k=body.max_num_results, filters=filters, min_score=threshold)
    data = []
    # Best first by the score shown (sorted is stable: equal scores keep their hybrid order).
    for h in sorted(res.hits, key=lambda h: -_score(h.dense)):
        d = h.document
        attrs: dict[str, str | float | bool] = {
            "kind": d.kind,
            "title": d.title,
            "passage_id": h.passage.id,
            "rank": h.rank,
            "char_start": h.passage.char_start,
            "char_end": h.passage.char_end,
            "line_start": d.line_start,
            "line_end": d.line_end,
        }
        for k in ("sender", "date", "registration_number", "subject"):
            v = getattr(d, k)
            if v:
                attrs[k] = v
        if d.heading_path:
            attrs["heading_path"] = " > ".join(d.heading_path)
        data.append(
            {
                "file_id": d.id,
                "filename": d.source_file,
                "score": _score(h.dense),
                "attributes": attrs,
                "content": [{"type": "text", "text": h.passage.text}],
            }
        )
    return {
        "object": "vector_store.search_results.page",
        "search_query": [query],
        "data": data,
        "has_more": False,
        "next_page": None,
    }
