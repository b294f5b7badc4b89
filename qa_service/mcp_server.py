"""MCP face: `search`, `ask` and `factcheck` as tools with structured output.

Served over stdio (`qa-service mcp`) and over streamable HTTP at `/mcp` on the API app, both
built on the official `mcp` SDK. The tools call the same core and return the same models as the
HTTP API, so a chatbot sees one result shape whichever way it connects.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from mcp.server.mcpserver import MCPServer
from pydantic import BaseModel

from qa_service import __version__
from qa_service.answer import Answerer
from qa_service.api.schemas import SearchHit, SentenceOut
from qa_service.search import Filters
from qa_service.serialize import ask_dict, hit_dict, sentence_dict


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


class FactCheckOutput(BaseModel):
    claim: str
    status: Literal["evidence_found", "no_evidence"]
    evidence: list[SentenceOut]
    reason: str | None = None


def _check(text: str, limit: int = 2000) -> str:
    text = text.strip()
    if not text:
        raise ValueError("the text is empty")
    if len(text) > limit:
        raise ValueError(f"the text is longer than {limit} characters")
    return text


def build_mcp(answerer: Callable[[], Answerer]) -> MCPServer:
    """An MCP server whose tools use the Answerer that `answerer()` returns at call time."""
    server = MCPServer(
        name="qa-service",
        version=__version__,
        instructions="Search the Dutch cabinet-formation letters (2025) and the D66-VVD-CDA coalition agreement. "
        "Every result carries its exact source. Questions may be Dutch or English.",
    )

    @server.tool(description="Find the passages most relevant to a query, with exact sources.")
    def search(
        query: str,
        top_k: int = 5,
        kind: Literal["letter", "attachment", "reply", "agreement_section"] | None = None,
        sender: str | None = None,
    ) -> SearchOutput:
        a = answerer()
        res = a.search.search(
            _check(query), top_k=max(1, min(top_k, 50)), filters=Filters(kind=[kind] if kind else None, sender=sender)
        )
        return SearchOutput(
            query=res.query, results=[SearchHit.model_validate(hit_dict(h)) for h in res.hits], reason=res.reason
        )

    @server.tool(
        description="Answer a question with the best sentence (or the document fact: who signed, when) and its "
        "citation and confidence; answer is null when no answer is likely right, and `candidates` then holds "
        "the sentences where it probably is."
    )
    def ask(question: str, top_k: int = 5) -> AskOutput:
        res = answerer().ask(_check(question), top_k=max(1, min(top_k, 50)))
        return AskOutput.model_validate(ask_dict(res))

    @server.tool(
        description="Evidence sentences for or against a claim, with citations; status no_evidence when "
        "nothing relevant is found. It does not judge truth."
    )
    def factcheck(claim: str, top_k: int = 5) -> FactCheckOutput:
        res = answerer().factcheck(_check(claim), top_k=max(1, min(top_k, 20)))
        return FactCheckOutput(
            claim=res.claim,
            status="evidence_found" if res.status == "evidence_found" else "no_evidence",
            evidence=[SentenceOut.model_validate(sentence_dict(e)) for e in res.evidence],
            reason=res.reason,
        )

    return server
