"""Paragraph recovery: raw extracted lines -> clean paragraphs (prose, list items, headings, blocks).

Letters extracted from PDF to markdown keep one paragraph per line, but page breaks cut
paragraphs in two, footnotes interrupt them, and address or signature blocks arrive as runs of
hard-broken short lines. These rules rebuild the paragraphs a reader sees.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from qa_service.corpus.markup import TERMINAL, clean_inline, is_noise_line, strip_list_marker
from qa_service.corpus.models import Paragraph

_HEADING = re.compile(r"^\s*#{1,6}\s*")
_LIST = re.compile(r"^\s*(?:[-•✓◆■]\s+|\d{1,2}[.)]\s+|[a-z][.)]\s+|-\s+\d{1,2}[.)]\s+)")
_FOOTNOTE = re.compile(r"^\s*(?:<sup>\s*\d+\s*</sup>|[¹²³⁴⁵⁶⁷⁸⁹]+\s)")
_BOLD_LINE = re.compile(r"^\s*\*\*[^*]+\*\*:?\s*$")
_RULE = re.compile(r"^\s*-{3,}\s*$")


def _starts_unit(line: str) -> str | None:
    if _HEADING.match(line):
        return "heading"
    if _FOOTNOTE.match(line):
        return "footnote"
    if _LIST.match(line):
        return "list"
    if "\t" in line.strip():
        return "table"
    return None


def recover_paragraphs(lines: Sequence[str]) -> list[Paragraph]:
    """Turn the raw lines of one letter (or attachment) into clean paragraphs.

    Footnotes are moved to the end so that a paragraph interrupted by a page's footnotes is
    re-joined; address and signature blocks are kept as `block` units with their line breaks.
    """
    units: list[tuple[str, list[str]]] = []
    block: list[str] = []
    after_rule = False

    def flush() -> None:
        nonlocal block
        if not block:
            return
        hard = len(block) > 1 and all(b.endswith("  ") for b in block[:-1])
        markers = [_starts_unit(b) for b in block]
        if hard and not any(m in ("list", "heading", "table") for m in markers):
            units.append(("block", block))
        else:
            current: list[str] | None = None
            for line, marker in zip(block, markers, strict=True):
                if marker is None and current is not None and units[-1][0] not in ("heading",):
                    current.append(line)
                    continue
                kind = marker or "prose"
                if kind == "table":
                    # A table row reads as one item: "5  Jaarlijks 1,3 mld extra nodig voor ...".
                    kind = "list"
                if kind == "prose" and after_rule and re.match(r"^\s*\d", line):
                    kind = "footnote"
                if (
                    kind == "prose"
                    and _BOLD_LINE.match(line)
                    and len(line) <= 100
                    and not line.rstrip(" *").endswith(".")
                ):
                    kind = "heading"
                current = [line]
                units.append((kind, current))
        block = []

    for raw in lines:
        if not raw.strip():
            flush()
            continue
        if _RULE.match(raw):
            flush()
            after_rule = True
            continue
        if is_noise_line(raw):
            continue
        if after_rule and not _FOOTNOTE.match(raw) and not re.match(r"^\s*\d", raw):
            after_rule = False
        block.append(raw)
    flush()

    body: list[Paragraph] = []
    notes: list[Paragraph] = []
    for kind, ulines in units:
        if kind == "block":
            text = "\n".join(t for t in (clean_inline(x) for x in ulines) if t)
        else:
            text = " ".join(t for t in (clean_inline(x) for x in ulines) if t)
        if kind == "heading":
            text = clean_inline(_HEADING.sub("", " ".join(ulines)))
        if kind == "list":
            text = strip_list_marker(text)
        if kind == "footnote":
            text = re.sub(r"^\d{1,3}\s+", "", text)
        if not text or not re.search(r"\w", text):
            continue
        para = Paragraph(text=text, kind=kind)  # type: ignore[arg-type]
        (notes if kind == "footnote" else body).append(para)

    body = _merge_page_breaks(body)
    body = _drop_repeated_lines(body)
    return body + notes


def _merge_page_breaks(paras: list[Paragraph]) -> list[Paragraph]:
    """Re-join a paragraph that a page break cut in two (the second half starts lower-case)."""
    out: list[Paragraph] = []
    for p in paras:
        if out:
            a = out[-1]
            cut = (
                a.kind in ("prose", "list")
                and len(a.text) >= 60
                and (not a.text.endswith(TERMINAL) or re.search(r"[a-z]-$", a.text))
            )
            if cut and p.kind == "prose" and re.match(r"^[a-z(]", p.text):
                if re.search(r"[a-z]-$", a.text) and re.match(r"^[a-z]", p.text):
                    a.text = a.text[:-1] + p.text
                elif a.text.endswith("-"):
                    a.text = a.text + p.text
                else:
                    a.text = a.text + " " + p.text
                continue
        out.append(p)
    return out


def _drop_repeated_lines(paras: list[Paragraph]) -> list[Paragraph]:
    """Drop repeats of short lines (running headers, footers, letterheads) after the first."""
    seen: set[str] = set()
    out: list[Paragraph] = []
    for p in paras:
        key = re.sub(r"\W+", " ", p.text.lower()).strip()
        if len(p.text) <= 80 and p.kind in ("prose", "block", "heading") and key in seen:
            continue
        seen.add(key)
        out.append(p)
    return out
