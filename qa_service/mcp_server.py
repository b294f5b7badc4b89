"""MCP face: `search`, `ask` and `factcheck` as tools with structured output.

Served over stdio (`qa-service mcp`) and over streamable HTTP at `/mcp` on the API app, both
built on the official `mcp` SDK. The tools call the same core as the HTTP API.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from mcp.server.mcpserver import MCPServer
from pydantic import BaseModel, Field

from qa_service import __version__
from qa_service.answer import Answerer, ScoredSentence
from qa_service.search import Filters, Hit


class Source(BaseModel):
    document_id: str
    kind: str
    title: str
    sender: str | None
    date: str | None
    registration_number: str | None
    source_file: str
    line_start: int
    line_end: int


class Passage(BaseModel):
    rank: int
    passage_id: str
    text: str
    char_start: int
    char_end: int
    score: float = Field(description="Dense cosine similarity with the query")
    source: Source


class Sentence(BaseModel):
    text: str
    passage_id: str
    char_start: int
    char_end: int
    similarity: float
    citation: str
    source: Source


class SearchOutput(BaseModel):
    query: str
    results: list[Passage]
    reason: str | None = None


class AskOutput(BaseModel):
    question: str
    answer: Sentence | None
    reason: str | None = None
    supporting: list[Passage]


class FactCheckOutput(BaseModel):
    claim: str
    status: Literal["evidence_found", "no_evidence"]
    evidence: list[Sentence]
    reason: str | None = None


def _source(d: Any) -> Source:
    return Source(
        document_id=d.id,
        kind=d.kind,
        title=d.title,
        sender=d.sender,
        date=d.date,
        registration_number=d.registration_number,
        source_file=d.source_file,
        line_start=d.line_start,
        line_end=d.line_end,
    )


def _passage(h: Hit) -> Passage:
    p = h.passage
    return Passage(
        rank=h.rank,
        passage_id=p.id,
        text=p.text,
        char_start=p.char_start,
        char_end=p.char_end,
        score=round(h.dense, 4),
        source=_source(h.document),
    )


def _sentence(s: ScoredSentence) -> Sentence:
    return Sentence(
        text=s.text,
        passage_id=s.passage_id,
        char_start=s.char_start,
        char_end=s.char_end,
        similarity=round(s.similarity, 4),
        citation=s.citation,
        source=_source(s.document),
    )


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
        return SearchOutput(query=res.query, results=[_passage(h) for h in res.hits], reason=res.reason)

    @server.tool(
        description="Answer a question with the best sentence from the documents and its citation; "
        "answer is null when the documents do not answer it."
    )
    def ask(question: str, top_k: int = 5) -> AskOutput:
        res = answerer().ask(_check(question), top_k=max(1, min(top_k, 50)))
        return AskOutput(
            question=res.question,
            answer=_sentence(res.answer) if res.answer else None,
            reason=res.reason,
            supporting=[_passage(h) for h in res.supporting],
        )

    @server.tool(
        description="Evidence sentences for or against a claim, with citations; status no_evidence when "
        "nothing relevant is found. It does not judge truth."
    )
    def factcheck(claim: str, top_k: int = 5) -> FactCheckOutput:
        res = answerer().factcheck(_check(claim), top_k=max(1, min(top_k, 20)))
        return FactCheckOutput(
            claim=res.claim,
            status="evidence_found" if res.status == "evidence_found" else "no_evidence",
            evidence=[_sentence(e) for e in res.evidence],
            reason=res.reason,
        )

    return server
