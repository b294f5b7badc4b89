"""Request and response models of the ask-tracing endpoints (`/v1/asks...`) and the MCP `asks` tool."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from qa_service.api.schemas import IndexInfo, Int, QueryText, SearchFilters, Strict

AskStatus = Literal["addressed", "related", "absent"]


class AskDocument(BaseModel):
    id: str
    kind: str
    title: str
    sender: str | None
    organisations: list[str] = Field(description="The organisations the letter speaks for, sender first")
    date: str | None
    registration_number: str | None
    source_file: str
    line_start: int = Field(description="1-based first line of the document in its source file")
    line_end: int
    parent_id: str | None
    citation: str


class AskSentence(BaseModel):
    text: str
    char_start: int = Field(description="Offset in the agreement section's clean text")
    char_end: int


class AgreementMatchOut(BaseModel):
    passage_id: str
    document_id: str
    text: str = Field(description="The agreement passage")
    char_start: int
    char_end: int
    heading_path: list[str]
    sentence: AskSentence = Field(description="The passage's sentence that bears most on the ask")
    similarity: float = Field(description="Cosine of the ask and that sentence")
    commitment: Literal["commits", "hedges", "rejects", "states"] = Field(
        description="What that sentence does: commits to a measure, only explores it, turns it down, or states"
    )
    citation: str


class AskOut(BaseModel):
    id: str
    text: str = Field(description="The ask as the letter writes it")
    char_start: int = Field(description="Offset of the ask in its document's clean text")
    char_end: int
    topic: str = Field(description="A few words saying what the ask is about")
    cue: str = Field(description="What made it an ask: request, imperative, necessity, list")
    status: AskStatus = Field(
        description="`addressed`: the agreement commits to it (fully or in clear part); `related`: it speaks about "
        "the same issue without committing; `absent`: nothing on the issue"
    )
    status_text: str = Field(description="The status in words (Dutch)")
    confidence: float = Field(ge=0.0, le=1.0, description="Calibrated probability that `status` is right")
    probabilities: dict[str, float] = Field(description="Probability of every status")
    chapter: str | None = Field(description="Agreement chapter of the best match (null when absent)")
    document: AskDocument
    citation: str
    agreement: list[AgreementMatchOut] = Field(description="Agreement passages that bear on the ask, best first")
    similarity: float | None = Field(None, description="Cosine of the query and the ask (search only)")


class AsksPage(BaseModel):
    total: int
    offset: int
    limit: int
    counts: dict[str, int] = Field(description="Statuses of all asks passing the filters")
    asks: list[AskOut]
    reason: str | None = None
    index: IndexInfo


class DocumentAsks(BaseModel):
    document: AskDocument
    counts: dict[str, int]
    asks: list[AskOut]
    reason: str | None = Field(None, description="Why the list is empty, when it is")
    index: IndexInfo


class OverviewRow(BaseModel):
    organisation: str
    chapters: dict[str, int] = Field(description="Asks whose best agreement match lies in each chapter")
    absent: int = Field(description="Asks on which the agreement says nothing")
    total: int


class AsksOverview(BaseModel):
    chapters: list[str]
    organisations: list[OverviewRow]
    counts: dict[str, int]
    index: IndexInfo


class AskSearchRequest(Strict):
    query: QueryText = Field(..., description="What is asked for, e.g. `een functionaris toegankelijkheid`")
    top_k: Int = Field(5, ge=1, le=50, description="Organisations to return at most")
    filters: SearchFilters = Field(default_factory=SearchFilters)


class AskGroup(BaseModel):
    organisation: str
    organisations: list[str]
    similarity: float = Field(description="Cosine of the query and the organisation's best ask")
    asks: list[AskOut]


class AskSearchResponse(BaseModel):
    query: str
    groups: list[AskGroup]
    reason: str | None = None
    index: IndexInfo
