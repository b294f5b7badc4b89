"""MCP face: `search`, `ask`, `factcheck` and `asks` as tools with structured output.

Served over stdio (`qa-service mcp`) and over streamable HTTP at `/mcp` on the API app, both
built on the official `mcp` SDK. The tools call the same core and return the same models as the
HTTP API, so a chatbot sees one result shape whichever way it connects. They keep the HTTP
contract too: the same bounds (`top_k`, query length, dates as YYYY-MM-DD), the same filters
(`kind`, `sender`, `date_from`, `date_to`) on every tool, strict types (`"3"` is not an integer),
unknown arguments and tools refused, and a refused call answered with the HTTP error envelope
`{"error": {"code", "message", "details"}}` as its text (`isError` true), logged without a traceback.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable
from typing import Annotated, Any, Literal

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.tools import Tool
from mcp_types import CallToolResult, InputRequiredResult, TextContent
from pydantic import BaseModel, Field, ValidationError

from qa_service import __version__
from qa_service.answer import Answerer
from qa_service.api.ask_schemas import AskGroup, AskOut
from qa_service.api.errors import clean_errors
from qa_service.api.schemas import (
    MAX_FACTCHECK_TOP_K,
    MAX_TOP_K,
    Int,
    IsoDate,
    Kind,
    QueryText,
    SearchHit,
    SentenceOut,
)
from qa_service.asks.view import ask_view, search_view
from qa_service.errors import InvalidQuery, QAServiceError
from qa_service.search import Filters
from qa_service.serialize import ask_dict, hit_dict, sentence_dict

logger = logging.getLogger(__name__)


class SearchOutput(BaseModel):
    query: str
    results: list[SearchHit]
    reason: str | None = None


class AskOutput(BaseModel):
    question: str
    answer: SentenceOut | None
    confidence: float | None = None
    reason: str | None = None
    candidates: list[SentenceOut] = []
    supporting: list[SearchHit]


class AsksOutput(BaseModel):
    asks: list[AskOut] = []
    groups: list[AskGroup] = []
    total: int | None = None
    counts: dict[str, int] = {}
    reason: str | None = None


class FactCheckOutput(BaseModel):
    claim: str
    status: Literal["evidence_found", "no_evidence"]
    evidence: list[SentenceOut]
    reason: str | None = None


# The HTTP request models' field types and bounds, so both faces accept and refuse the same values:
# strict integers as over HTTP ("3", 3.0 and true are not a top_k).
TopK = Annotated[Int, Field(ge=1, le=MAX_TOP_K, description="Passages to return at most")]
EvidenceK = Annotated[Int, Field(ge=1, le=MAX_FACTCHECK_TOP_K, description="Evidence sentences to return at most")]
KindFilter = Annotated[Kind | None, Field(description="Only documents of this kind (replies only when asked for)")]
Sender = Annotated[
    str | None,
    Field(
        max_length=200,
        description="Case-insensitive part of the sender's or an organisation's name, or a short name whole (VNG)",
    ),
]
DateFrom = Annotated[IsoDate | None, Field(description="Earliest document date (YYYY-MM-DD)")]
DateTo = Annotated[IsoDate | None, Field(description="Latest document date (YYYY-MM-DD), not before date_from")]


def error_result(code: str, message: str, details: Any = None) -> CallToolResult:
    """A refused call: the HTTP API's error envelope as the tool's text."""
    body = {"error": {"code": code, "message": message, "details": details}}
    return CallToolResult(content=[TextContent(type="text", text=json.dumps(body, ensure_ascii=False))], is_error=True)


def _invalid(errors: list[dict[str, Any]]) -> CallToolResult:
    summary = "; ".join(f"{'.'.join(e['loc']) or 'arguments'}: {e['msg']}" for e in errors)
    return error_result("validation_error", f"arguments do not match the tool's input schema: {summary}", errors)


class _InvalidArguments(QAServiceError):
    """Arguments that pass each field's check but not together (HTTP answers these with a 422 too)."""

    code = "validation_error"


class _Server(MCPServer[Any]):
    """The SDK's server, with the HTTP contract on every tool call.

    The SDK drops arguments its model does not know and answers a refused call with
    "Error executing tool <name>" (plus a logged traceback when the tool raised); here unknown
    arguments are refused and the service's own code and message reach the caller.
    """

    def __init__(self, tools: list[Tool], **kw: Any) -> None:
        for tool in tools:
            tool.parameters["additionalProperties"] = False  # the schema says what call_tool enforces
        self._arguments = {tool.name: set(tool.parameters.get("properties", {})) for tool in tools}
        super().__init__(tools=tools, **kw)

    async def call_tool(
        self, name: str, arguments: dict[str, Any], context: Context[Any, Any] | None = None
    ) -> CallToolResult | InputRequiredResult:
        known = self._arguments.get(name)
        if known is None:  # the SDK would answer a bare "Unknown tool: <name>" text
            logger.info("unknown tool %r called", name)
            tools = sorted(self._arguments)
            return error_result("not_found", f"no tool {name!r}; tools: {', '.join(tools)}", {"tools": tools})
        unknown = sorted(set(arguments) - known)
        if unknown:
            logger.info("tool %s refused unknown arguments %s", name, unknown)
            return _invalid(
                [{"loc": [k], "msg": "Extra inputs are not permitted", "type": "extra_forbidden"} for k in unknown]
            )
        try:
            return await super().call_tool(name, arguments, context)
        except ToolError as e:
            cause = e.__cause__
            if isinstance(cause, ValidationError) and cause.title.endswith("Arguments"):
                fields = sorted({".".join(str(part) for part in x["loc"]) for x in cause.errors()})
                logger.info("tool %s refused arguments %s", name, fields)
                return _invalid(clean_errors(list(cause.errors())))
            if isinstance(cause, QAServiceError):
                logger.info("tool %s refused: %s %s", name, cause.code, cause.message)
                return error_result(cause.code, cause.message, cause.details)
            raise


def _filters(kind: str | None, sender: str | None, date_from: dt.date | None, date_to: dt.date | None) -> Filters:
    """The filters every tool takes, checked together as SearchFilters checks them over HTTP."""
    if date_from and date_to and date_from > date_to:
        detail = {"loc": ["date_from"], "msg": "date_from is after date_to", "type": "value_error"}
        raise _InvalidArguments("date_from is after date_to", [detail])
    return Filters(kind=[kind] if kind else None, sender=sender, date_from=date_from, date_to=date_to)


def build_mcp(answerer: Callable[[], Answerer], max_query_chars: int = 2000) -> MCPServer[Any]:
    """An MCP server whose tools use the Answerer that `answerer()` returns at call time.

    Args:
        answerer: gives the live Answerer; raises IndexNotReady while none is loaded.
        max_query_chars: longest query, question or claim accepted (`QA_MAX_QUERY_CHARS`).
    """

    def checked(text: str) -> str:
        if len(text) > max_query_chars:
            raise InvalidQuery(f"text is longer than {max_query_chars} characters")
        return text

    def search(
        query: Annotated[QueryText, Field(description="Question, claim or keywords, in Dutch or English")],
        top_k: TopK = 5,
        kind: KindFilter = None,
        sender: Sender = None,
        date_from: DateFrom = None,
        date_to: DateTo = None,
    ) -> SearchOutput:
        filters = _filters(kind, sender, date_from, date_to)
        res = answerer().search.search(checked(query), top_k=top_k, filters=filters)
        return SearchOutput(
            query=res.query, results=[SearchHit.model_validate(hit_dict(h)) for h in res.hits], reason=res.reason
        )

    def ask(
        question: Annotated[QueryText, Field(description="A question in Dutch or English")],
        top_k: Annotated[TopK, Field(description="Passages to look for the answer in")] = 5,
        kind: KindFilter = None,
        sender: Sender = None,
        date_from: DateFrom = None,
        date_to: DateTo = None,
    ) -> AskOutput:
        filters = _filters(kind, sender, date_from, date_to)
        res = answerer().ask(checked(question), top_k=top_k, filters=filters)
        return AskOutput.model_validate(ask_dict(res))

    def factcheck(
        claim: Annotated[QueryText, Field(description="A statement to find evidence for or against")],
        top_k: EvidenceK = 5,
        kind: KindFilter = None,
        sender: Sender = None,
        date_from: DateFrom = None,
        date_to: DateTo = None,
    ) -> FactCheckOutput:
        filters = _filters(kind, sender, date_from, date_to)
        res = answerer().factcheck(checked(claim), top_k=top_k, filters=filters)
        return FactCheckOutput(
            claim=res.claim,
            status="evidence_found" if res.status == "evidence_found" else "no_evidence",
            evidence=[SentenceOut.model_validate(sentence_dict(e)) for e in res.evidence],
            reason=res.reason,
        )

    def asks(
        query: Annotated[
            QueryText | None,
            Field(description='What is asked for ("who asks for X"); omit to list asks by the filters'),
        ] = None,
        sender: Annotated[str | None, Field(max_length=200, description="An organisation, or its short name")] = None,
        status: Annotated[
            Literal["addressed", "related", "absent"] | None, Field(description="Only asks with this status")
        ] = None,
        chapter: Annotated[str | None, Field(max_length=200, description="Agreement chapter of the best match")] = None,
        top_k: Annotated[Int, Field(ge=1, le=50, description="Asks (or organisations, with a query) at most")] = 10,
    ) -> AsksOutput:
        a = answerer()
        book = a.asks() if a.asks is not None else None
        if book is None:
            raise InvalidQuery("asks are not available")
        if query is not None:
            found = search_view(book, a.search, checked(query), top_k, _filters(None, sender, None, None))
            return AsksOutput(groups=[AskGroup.model_validate(g) for g in found["groups"]], reason=found["reason"])
        book.check_filters(sender, chapter)
        chosen = book.select(sender, [status] if status else None, chapter)
        return AsksOutput(
            asks=[AskOut.model_validate(ask_view(x, book)) for x in chosen[:top_k]],
            total=len(chosen),
            counts=book.counts(chosen),
            reason=None if chosen else "no asks pass these filters",
        )

    tools = [
        Tool.from_function(
            search,
            description="Find the passages most relevant to a query, with exact sources; filter by kind, "
            "sender and document date (YYYY-MM-DD).",
        ),
        Tool.from_function(
            ask,
            description="Answer a question with the best sentence (or the document fact: who signed, when) and "
            "its citation and confidence; answer is null when no answer is likely right, and `candidates` then "
            "holds the sentences where it probably is. Filters as in search.",
        ),
        Tool.from_function(
            factcheck,
            description="Evidence sentences for or against a claim, with citations; status no_evidence when "
            "nothing relevant is found. It does not judge truth. Filters as in search.",
        ),
        Tool.from_function(
            asks,
            description="What organisations asked of the formation in their letters, and what the coalition "
            "agreement does with each ask (status addressed/related/absent with a calibrated confidence, and "
            "the agreement passages, best first). With `query`: who asks for it, grouped by organisation. "
            "Without: the asks filtered by sender, status and agreement chapter.",
        ),
    ]
    return _Server(
        tools,
        name="qa-service",
        version=__version__,
        instructions="Search the Dutch cabinet-formation letters (2025) and the D66-VVD-CDA coalition agreement. "
        "Every result carries its exact source. Questions may be Dutch or English. A refused call answers "
        'with {"error": {"code", "message", "details"}}, as the HTTP API does.',
    )
