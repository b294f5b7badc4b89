"""Documents -> passages: paragraph- and sentence-aligned chunks that fit the encoder's window.

Passages never cross a document, follow paragraphs, split oversized paragraphs at sentence
boundaries with about one sentence of overlap, and keep exact char offsets into the document's
clean text, so a citation can always be traced back.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from qa_service.corpus.metadata import CLOSING, SALUTATION
from qa_service.corpus.models import Document, Paragraph
from qa_service.sentences import sentence_spans

if TYPE_CHECKING:
    from qa_service.config import Settings

TokenCounter = Callable[[str], int]


@dataclass(frozen=True)
class ChunkingSettings:
    """Passage sizes in encoder tokens. `max_tokens` is a hard cap for the embedded text."""

    target_tokens: int = 160
    max_tokens: int = 240
    overlap_sentences: int = 1
    # Embed (and BM25-index) each passage with its document's title, sender, date or heading path
    # in front; the returned text is always the clean passage alone.
    context: bool = True


def chunking_of(settings: Settings) -> ChunkingSettings:
    """The chunking the settings ask for (a store built with other chunking refuses to serve)."""
    return ChunkingSettings(
        target_tokens=settings.chunk_target_tokens,
        max_tokens=settings.chunk_max_tokens,
        context=settings.passage_context,
    )


@dataclass
class Passage:
    """A retrievable unit: `text == document.text[char_start:char_end]`."""

    id: str
    doc_id: str
    ordinal: int
    text: str
    char_start: int
    char_end: int
    heading_path: list[str] = field(default_factory=list)
    # Sentence spans (absolute offsets in the document's text) that make up the passage: the
    # units of sentence-level vectors, answers and evidence.
    sentences: list[tuple[int, int]] = field(default_factory=list)
    # "body" for content; "envelope" for a letter's head (letterhead, address, date, subject) or
    # tail (closing, signatures, copy list): searchable for who/when lookups, never an answer.
    role: str = "body"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def envelope(doc: Document) -> tuple[list[Paragraph], list[Paragraph]]:
    """A letter's head (everything before the salutation) and tail (the closing formula and the
    signature and copy-list blocks after it); both empty for other kinds."""
    if doc.kind != "letter":
        return [], []
    paras = doc.paragraphs
    sal = next((i for i, p in enumerate(paras) if SALUTATION.match(p.text)), None)
    head = paras[:sal] if sal is not None else []
    start = sal + 1 if sal is not None else 0
    closing = next((i for i in range(start, len(paras)) if CLOSING.match(paras[i].text)), None)
    tail: list[Paragraph] = []
    if closing is not None:
        for p in paras[closing:]:
            # Prose after the signature (a postscript, a short enclosure) is content again.
            if p.kind == "prose" and len(p.text.split()) > 15:
                break
            tail.append(p)
    return head, tail


def indexable_paragraphs(doc: Document) -> list[Paragraph]:
    """Paragraphs worth embedding: no address/label blocks, no letter head or signature tail."""
    paras = doc.paragraphs
    if doc.kind in ("letter", "reply"):
        sal = next((i for i, p in enumerate(paras) if SALUTATION.match(p.text)), None)
        if sal is not None:
            paras = paras[sal + 1 :]
    _, tail = envelope(doc)
    outside = {id(p) for p in tail}
    return [p for p in paras if p.kind != "block" and id(p) not in outside and _has_content(p)]


def envelope_passages(doc: Document, count: TokenCounter, settings: ChunkingSettings) -> list[Passage]:
    """One short passage for a letter's head and one for its tail, cut to the token cap.

    They hold what content passages leave out (who signed, in which role, the date and the
    letterhead), so that search can find them for lookups. The whole passage is its one
    "sentence": its lines are a block, not prose, and the sentence leg must see it too.
    """
    out: list[Passage] = []
    for name, paras in zip(("head", "tail"), envelope(doc), strict=True):
        paras = [p for p in paras if p.text.strip()]
        if not paras:
            continue
        a, b = paras[0].char_start, paras[0].char_end
        for p in paras[1:]:
            if count(doc.text[a : p.char_end]) > settings.max_tokens:
                break
            b = p.char_end
        if count(doc.text[a:b]) > settings.max_tokens:
            continue  # one oversized block (an unparsed letterhead): nothing a lookup can use
        out.append(
            Passage(
                f"{doc.id}-{name}",
                doc.id,
                -1 if name == "head" else 10_000,
                doc.text[a:b],
                a,
                b,
                sentences=[(a, b)],
                role="envelope",
            )
        )
    return out


_URL = re.compile(r"(?:https?://|www\.)\S+")


def _has_content(p: Paragraph) -> bool:
    """Lists of links and bare labels carry no answer but match many queries; keep real text."""
    words = _URL.sub(" ", p.text).split()
    if p.kind == "heading":
        return len(words) >= 1
    return len(words) >= (8 if p.kind == "footnote" else 3)


def _pieces(p: Paragraph, count: TokenCounter, cap: int) -> list[tuple[int, int]]:
    """Absolute spans of sentences (or word runs of an over-long sentence) of one paragraph."""
    out: list[tuple[int, int]] = []
    for a, b in sentence_spans(p.text):
        s = p.text[a:b]
        if count(s) <= cap:
            out.append((p.char_start + a, p.char_start + b))
            continue
        words = list(re.finditer(r"\S+", s))
        i = 0
        while i < len(words):
            j = i + 1
            while j < len(words) and count(s[words[i].start() : words[j].end()]) <= cap:
                j += 1
            out.append((p.char_start + a + words[i].start(), p.char_start + a + words[j - 1].end()))
            i = j
    return out


def chunk_document(doc: Document, count: TokenCounter, settings: ChunkingSettings) -> list[Passage]:
    """Greedy packing of consecutive paragraphs, splitting long ones at sentence boundaries."""
    text = doc.text
    paras = indexable_paragraphs(doc)
    spans: list[list[tuple[int, int]]] = []
    pieces_of: list[tuple[int, list[tuple[int, int]]]] = []
    for n, p in enumerate(paras):
        pieces_of.append((n, _pieces(p, count, settings.max_tokens)))

    cur: list[tuple[int, int, int]] = []  # (para index, start, end)

    def tokens(a: int, b: int) -> int:
        return count(text[a:b])

    def emit() -> None:
        if cur:
            spans.append([(a, b) for _, a, b in cur])

    for n, pieces in pieces_of:
        # A gap (an excluded paragraph) between this paragraph and the current chunk closes it,
        # so that every passage is one contiguous slice of the clean text.
        if cur and paras[n].char_start - paras[cur[-1][0]].char_end > 2:
            emit()
            cur = []
        for k, (a, b) in enumerate(pieces):
            if not cur:
                cur = [(n, a, b)]
                continue
            if tokens(cur[0][1], b) <= settings.target_tokens or (
                paras[cur[-1][0]].kind == "heading" and tokens(cur[0][1], b) <= settings.max_tokens
            ):
                cur.append((n, a, b))
                continue
            emit()
            # Overlap: carry the last sentence(s) when the cut falls inside a paragraph.
            keep = [c for c in cur[-settings.overlap_sentences :] if c[0] == n] if k > 0 else []
            if keep and tokens(keep[0][1], b) > settings.max_tokens:
                keep = []
            cur = [*keep, (n, a, b)]
    emit()

    envelope_ps = envelope_passages(doc, count, settings)
    passages: list[Passage] = [p for p in envelope_ps if p.ordinal < 0]
    for i, sents in enumerate(spans):
        a, b = sents[0][0], sents[-1][1]
        passages.append(
            Passage(
                id=f"{doc.id}-p{i}",
                doc_id=doc.id,
                ordinal=i,
                text=text[a:b],
                char_start=a,
                char_end=b,
                heading_path=list(doc.heading_path),
                sentences=sents,
            )
        )
    return passages + [p for p in envelope_ps if p.ordinal >= 0]


def chunk_documents(docs: Iterable[Document], count: TokenCounter, settings: ChunkingSettings) -> list[Passage]:
    out: list[Passage] = []
    for d in docs:
        if d.duplicate_of:
            continue
        out.extend(chunk_document(d, count, settings))
    return out
