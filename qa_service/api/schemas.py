"""Request and response models of the HTTP API."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator
from pydantic import Strict as StrictType

Kind = Literal["letter", "attachment", "reply", "agreement_section"]
# Largest top_k of a search or question, and of a fact check (the MCP tools share them).
MAX_TOP_K = 50
MAX_FACTCHECK_TOP_K = 20


# A question, claim or query. Only the empty string breaks the schema (422); a text with no words
# (blanks, U+2028, "???") is the core's `invalid_query` (400), on every face and endpoint alike.
QueryText = Annotated[str, Field(min_length=1)]


def _iso_date(v: Any) -> Any:
    # pydantic's lax date also takes 0 or "0" (1970-01-01) and datetimes at midnight; the schema says YYYY-MM-DD.
    if isinstance(v, str) and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", v):
        raise ValueError("date must be YYYY-MM-DD")
    if not isinstance(v, (str, dt.date)):
        raise ValueError("date must be a YYYY-MM-DD string")
    return v


# Dates, integers and numbers exactly as the schema declares them: "5" is not an integer here.
IsoDate = Annotated[dt.date, BeforeValidator(_iso_date)]
Int = Annotated[int, StrictType()]
Number = Annotated[float, StrictType()]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _one_or_more_kinds(schema: dict[str, Any]) -> None:
    # The validator below takes one kind as well as a list; the schema says so.
    array = next(b for b in schema["anyOf"] if b.get("type") == "array")
    schema["anyOf"].insert(1, dict(array["items"]))


class SearchFilters(Strict):
    kind: list[Kind] | None = Field(
        None,
        description="Document kinds (one, or a list); default: letters, attachments, agreement sections "
        "(replies only when asked)",
        json_schema_extra=_one_or_more_kinds,
    )
    sender: str | None = Field(
        None,
        max_length=200,
        description="Case-insensitive part of the sender's or an organisation's name, or a short name whole (`VNG`)",
    )
    date_from: IsoDate | None = Field(None, description="Earliest document date (YYYY-MM-DD)")
    date_to: IsoDate | None = Field(None, description="Latest document date (YYYY-MM-DD), not before `date_from`")
    document_id: str | None = Field(None, max_length=200)
    source_file: str | None = Field(None, max_length=300)

    @field_validator("kind", mode="before")
    @classmethod
    def _one_kind(cls, v: Any) -> Any:
        return [v] if isinstance(v, str) else v

    @model_validator(mode="after")
    def _range(self) -> SearchFilters:
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise ValueError("date_from is after date_to")
        return self


class SearchRequest(Strict):
    query: QueryText = Field(..., description="Question, claim or keywords, in Dutch or English")
    top_k: Int = Field(5, ge=1, le=MAX_TOP_K, description="Passages to return at most")
    mode: Literal["hybrid", "semantic", "keyword"] = Field(
        "hybrid", description="`hybrid` (vectors + BM25), `semantic` (vectors only) or `keyword` (BM25 only)"
    )
    filters: SearchFilters = Field(default_factory=SearchFilters)
    min_score: Number | None = Field(
        None, ge=-1.0, le=1.0, description="Dense-cosine threshold; default: the calibrated one"
    )


class DocumentRef(BaseModel):
    id: str
    kind: str
    title: str
    subject: str | None
    sender: str | None
    signatory: str | None
    signatory_role: str | None = Field(None, description="The first signatory's role, e.g. `voorzitter`")
    date: str | None
    registration_number: str | None
    source_file: str
    line_start: int
    line_end: int
    heading_path: list[str]
    parent_id: str | None = Field(
        description="The letter this document belongs to: an attachment's letter, an enclosed letter's cover letter"
    )
    organisations: list[str] = Field(
        default_factory=list,
        description="The organisations the document speaks for, sender first (signatories' organisations, "
        "'namens' lines); an attachment's are its letter's, a reply's the informateur",
    )
    aliases: list[str] = Field(
        default_factory=list,
        description="Other names of those organisations, e.g. short names such as `VNG`; the `sender` filter "
        "matches these whole",
    )


class HighlightOut(BaseModel):
    sentence: str
    char_start: int
    char_end: int
    terms: list[str]
    marked: str


class Scores(BaseModel):
    fused: float = Field(description="Weighted reciprocal-rank fusion score: orders results within one response only")
    dense: float = Field(description="Cosine similarity of query and passage embeddings; comparable across queries")
    keyword: float = Field(description="BM25 score of the passage for the query (0 = no shared term)")


class DuplicateRef(BaseModel):
    passage_id: str
    document: DocumentRef


class SearchHit(BaseModel):
    rank: int
    passage_id: str
    text: str
    char_start: int
    char_end: int
    highlight: HighlightOut | None
    role: Literal["body", "envelope"] = Field(
        "body", description="`envelope`: a letter's head or signature block, found for who/when lookups"
    )
    scores: Scores
    document: DocumentRef
    duplicates: list[DuplicateRef] = Field(
        default_factory=list,
        description="Lower-ranked passages of other documents with (nearly) the same text, left out of the list",
    )


class IndexInfo(BaseModel):
    version: str
    built_at: str
    model: str


class SearchResponse(BaseModel):
    query: str
    mode: str
    took_ms: float
    results: list[SearchHit]
    reason: str | None = Field(None, description="Why `results` is empty, when it is")
    index: IndexInfo


class PassageSpan(BaseModel):
    id: str
    char_start: int
    char_end: int
    heading_path: list[str]


class RelatedDocument(BaseModel):
    relation: Literal["letter", "attachment", "reply", "answers"] = Field(
        description="`letter`: the letter this document belongs to; `attachment`: an attachment or enclosed "
        "letter of it; `reply`: the informateur's reply to it; `answers`: the letter a reply answers"
    )
    id: str
    kind: str
    title: str


class DocumentOut(DocumentRef):
    text: str
    passage_ids: list[str]
    passages: list[PassageSpan] = Field(
        default_factory=list, description="The passages' places in `text`, so a reader can name each by its words"
    )
    signatory: str | None
    addressee: str | None
    date_raw: str | None
    reply_id: str | None
    in_reply_to: str | None
    duplicate_of: str | None
    signatories: list[dict[str, str | None]] = Field(
        default_factory=list, description="Everyone who signed: `name`, `role`, `organisation`"
    )
    reference: str | None = Field(
        None, description="The sender's own reference (`Kenmerk`, `Ons kenmerk`), not a registration number"
    )
    reply_date: str | None = Field(None, description="When the informateur answered this letter")
    reply_signatory: str | None = Field(None, description="Who signed the informateur's reply")
    related: list[RelatedDocument] = Field(
        default_factory=list, description="The documents a reader goes on to: its letter, attachments, reply"
    )


class DocumentPage(BaseModel):
    total: int
    offset: int
    limit: int
    documents: list[DocumentRef]


class PassageOut(BaseModel):
    id: str
    doc_id: str
    text: str
    char_start: int
    char_end: int
    heading_path: list[str]
    document: DocumentRef
    previous: str | None
    next: str | None


class ErrorDetail(BaseModel):
    code: str
    message: str
    details: Any = None


class ErrorBody(BaseModel):
    error: ErrorDetail


class AskRequest(Strict):
    question: QueryText = Field(..., description="A question in Dutch or English")
    top_k: Int = Field(
        5, ge=1, le=MAX_TOP_K, description="Passages to look for the answer in, and to return as support"
    )
    filters: SearchFilters = Field(default_factory=SearchFilters)


class FactCheckRequest(Strict):
    claim: QueryText = Field(..., description="A statement to find evidence for or against")
    top_k: Int = Field(5, ge=1, le=MAX_FACTCHECK_TOP_K, description="Evidence sentences to return at most")
    filters: SearchFilters = Field(default_factory=SearchFilters)


class SentenceOut(BaseModel):
    text: str
    passage_id: str
    char_start: int = Field(description="Offset of the sentence in the document's clean text")
    char_end: int
    similarity: float | None = Field(description="Cosine of question/claim and sentence; null for a document fact")
    confidence: float | None = Field(
        None,
        ge=0.0,
        le=1.0,
        description="Estimated probability that this answer is right (calibrated); a candidate's is at most the "
        "answer's; null for factcheck evidence, which answers no question",
    )
    kind: Literal["sentence", "fact", "ask"] = Field(
        "sentence",
        description="`sentence` from the text, `fact` from the document's metadata (signatory, date), or `ask`: "
        'an organisation\'s ask that answers "who asks for X"',
    )
    citation: str = Field(description="Human-readable source")
    document: DocumentRef


class AskResponse(BaseModel):
    question: str
    answer: SentenceOut | None = Field(description="Shown only when it is likely right (`confidence` high enough)")
    confidence: float | None = Field(
        None, description="Confidence of the answer, or of the best candidate when `answer` is null"
    )
    reason: str | None = Field(None, description="Why `answer` is null, when it is (no evidence, or low confidence)")
    candidates: list[SentenceOut] = Field(
        default_factory=list,
        description="Best sentences of other passages (up to 3): where the answer probably is when `answer` is null",
    )
    supporting: list[SearchHit]
    took_ms: float
    index: IndexInfo


class FactCheckResponse(BaseModel):
    claim: str
    status: Literal["evidence_found", "no_evidence"]
    evidence: list[SentenceOut]
    groups: dict[str, list[SentenceOut]] = Field(description="`agreement` (coalition agreement) and `letters`")
    reason: str | None = None
    note: str = "The service returns evidence; it does not judge whether the claim is true."
    took_ms: float
    index: IndexInfo
