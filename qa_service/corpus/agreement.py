"""Structured documents laid out as PDF lines (the coalition agreement) -> one document per section.

The text has no font information, so headings are recognised by layout: a short title-like line
after a structural gap (a whitespace-only line, a page number, or a page start glued to the
previous line), followed by a line that starts a sentence or a list. Levels are inferred: a heading
that opens a page and is followed at once by another heading is a part; any other heading that
opens a page is a chapter; the rest are sections, and a heading right after a section's heading
is a subsection.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from qa_service.corpus.markup import clean_inline
from qa_service.corpus.models import Document, Paragraph, ParaKind

_PAGE_NUMBER = re.compile(r"^\s*\d{1,3}\s*$")
_LIST_ITEM = re.compile(r"^\s*(?:•|\d{1,2}\.\s)")
_SENTENCE_BREAK = re.compile(r"[a-z]\. [A-Z]")
_NEXT_START = re.compile(r"^\s*[A-Z0-9•“\"‘'ÀÉÈÖÜ]")


@dataclass
class _Line:
    no: int  # 0-based index in the file
    text: str  # stripped
    gap_before: bool  # structural gap (whitespace-only line, page number, file start, page join)
    page_start: bool


def _text_lines(lines: list[str]) -> list[_Line]:
    out: list[_Line] = []
    gap = True
    prev_raw_nonempty = False
    for i, raw in enumerate(lines):
        if raw == "":
            prev_raw_nonempty = False
            continue
        if not raw.strip() or _PAGE_NUMBER.match(raw):
            gap = True
            prev_raw_nonempty = False
            continue
        page_start = raw.startswith(" ") and prev_raw_nonempty
        out.append(_Line(i, raw.strip(), gap or page_start, page_start))
        gap = False
        prev_raw_nonempty = True
    return out


def _is_heading(cur: _Line, nxt: _Line | None, prev_is_heading: bool) -> bool:
    t = cur.text
    words = t.split()
    if len(t) > 72 or len(words) > 10 or not words:
        return False
    if re.match(r"^(?:•|-|\d+[.)]\s)", t) or t.endswith((",", ";", ":")):
        return False
    if t.endswith(".") and (len(words) > 9 or not cur.gap_before):
        return False
    if _SENTENCE_BREAK.search(t) or t[:1].islower():
        return False
    if not (cur.gap_before or (prev_is_heading and len(words) <= 8)):
        return False
    return nxt is not None and bool(_NEXT_START.match(nxt.text))


def _join(a: str, b: str) -> str:
    if a.endswith("-") and not re.match(r"^(en|of|als|tot)\b", b):
        return a + b
    return a + " " + b


def parse_structured(lines: list[str], source_file: str, stem: str, title: str | None = None) -> list[Document]:
    """Split a PDF-line document into leaf sections with their heading paths."""
    tl = _text_lines(lines)
    heads: list[bool] = []
    for k, cur in enumerate(tl):
        nxt = tl[k + 1] if k + 1 < len(tl) else None
        heads.append(_is_heading(cur, nxt, bool(heads) and heads[-1]))
    # A heading name that recurs as a signature line (names under the introduction) is not one:
    # signatures are consecutive one-line "headings" with nothing in between, three or more.
    k = 0
    while k < len(tl):
        if heads[k]:
            run = k
            while run + 1 < len(tl) and heads[run + 1]:
                run += 1
            if run - k >= 2:
                # Keep the last of the run: the real title that follows the names.
                for r in range(k, run):
                    heads[r] = False
            k = run + 1
        else:
            k += 1

    docs: list[Document] = []
    part: str | None = None
    chapter: str | None = None
    section: str | None = None
    subsection: str | None = None
    prev_level = ""
    cur_doc: Document | None = None
    para: list[str] = []
    prev_line: _Line | None = None

    def flush_para() -> None:
        nonlocal para
        if para and cur_doc is not None:
            text = clean_inline(" ".join(para) if len(para) == 1 else _reduce(para))
            kind: ParaKind = "list" if _LIST_ITEM.match(para[0]) else "prose"
            text = text.lstrip("• ").strip()
            if text:
                cur_doc.paragraphs.append(Paragraph(text=text, kind=kind))
        para = []

    def _reduce(parts: list[str]) -> str:
        out = parts[0]
        for p in parts[1:]:
            out = _join(out, p)
        return out

    def close_doc(end_line: int) -> None:
        nonlocal cur_doc
        flush_para()
        if cur_doc is not None and cur_doc.paragraphs:
            cur_doc.line_end = end_line + 1
            docs.append(cur_doc)
        cur_doc = None

    def new_section(line: _Line, path: list[str]) -> Document:
        return Document(
            id=f"{stem}-L{line.no + 1}",
            kind="agreement_section",
            source_file=source_file,
            line_start=line.no + 1,
            line_end=line.no + 1,
            heading_path=path,
            subject=path[-1] if path else None,
            sender=title,
        )

    for k, line in enumerate(tl):
        if heads[k]:
            close_doc(prev_line.no if prev_line else line.no)
            next_is_heading = k + 1 < len(tl) and heads[k + 1]
            prev_heading = k > 0 and heads[k - 1]
            if next_is_heading and not prev_heading and (line.page_start or k == 0):
                # A part title opens a page and is followed at once by its first chapter's.
                part, chapter, section, subsection, level = line.text, None, None, None, "part"
            elif prev_heading and prev_level == "section":
                subsection, level = line.text, "subsection"
            elif line.page_start or (prev_heading and prev_level == "part") or k == 0 or chapter is None:
                # Without font sizes a top-level chapter on a new page cannot be told from a
                # chapter of the current part; it stays under the current part.
                chapter, section, subsection, level = line.text, None, None, "chapter"
            else:
                # A section title followed at once by another title has subsections.
                section, subsection, level = line.text, None, "section"
            prev_level = level
            path = [x for x in (part, chapter, section, subsection) if x]
            cur_doc = new_section(line, path)
            prev_line = line
            continue
        if cur_doc is None:  # text before the first heading
            cur_doc = new_section(line, [])
        new_para = (
            not para
            or line.gap_before
            and not line.page_start
            or _LIST_ITEM.match(line.text) is not None
            or (
                prev_line is not None
                and prev_line.text.endswith((".", "!", "?", ":"))
                and (lines[prev_line.no].endswith("  ") or len(prev_line.text) < 60)
            )
        )
        if new_para:
            flush_para()
        para.append(line.text)
        prev_line = line
    close_doc(prev_line.no if prev_line else 0)
    return docs
