"""An incoming item -> its letter, the letters it encloses and its attachments.

After a letter's closing formula and signature comes either nothing, an enclosed letter (its
own head, salutation and closing: a letter passed on, a joint letter, an acknowledgement), or an
attachment (a position paper, a brochure). The rules read the shape of Dutch letters: where a
signature ends, what a letterhead, an address and a label block look like.
"""

from __future__ import annotations

import re

from qa_service.corpus.markup import clean_inline, is_noise_line, nonblank
from qa_service.corpus.metadata import ADDRESS_TO_PARLIAMENT, CLOSING, SALUTATION, header_date
from qa_service.corpus.signatures import ROLE, looks_like_name

_COPY_LIST = re.compile(r"(?i)^(kopie|cc\b|c\.c\.|afschrift|bijlage\(?n?\)?\s*:)")


def block_bounds(lines: list[str], j: int) -> tuple[int, int]:
    """The run of non-blank lines around line j."""
    a = j
    while a > 0 and lines[a - 1].strip():
        a -= 1
    b = j
    while b + 1 < len(lines) and lines[b + 1].strip():
        b += 1
    return a, b


# Lines of a letter's head: an address, a label (Datum, Betreft, Kenmerk, Aan, Bijlage), a date.
_HEAD_LINE = re.compile(
    r"(?i)\b\d{4}\s?[A-Z]{2}\b|\bpostbus\b|^(?:aan|datum|date|betreft|onderwerp|kenmerk|ons kenmerk|uw kenmerk"
    r"|onze referentie|referentie|ref\.?\s*no|bijlagen?|telefoon|e-?mail|plaats en datum)\b|@|www\."
)
_LIST_LINE = re.compile(r"^\s*(?:[-•◆▪]\s|\d{1,2}[.)]\s)")


def _is_head_block(raw: list[str]) -> bool:
    """Can this block open a letter (letterhead, address, labels, date, subject line), rather
    than end the previous one (closing, signature, list of enclosures, prose)?"""
    block = [clean_inline(x) for x in raw]
    if any(len(x) > 100 for x in block) or any(re.search(r"(?i)redacted", x) for x in raw):
        return False
    if any(_HEAD_LINE.search(x) or ADDRESS_TO_PARLIAMENT.match(x) or header_date([x])[0] for x in block):
        return True
    if any(CLOSING.match(x) or _LIST_LINE.match(x) or ROLE.match(x) or looks_like_name(x) for x in block):
        return False
    return True


def _header_start(lines: list[str], sal: int, floor: int) -> int:
    """First line of the head above a salutation: back over letterhead, address, date and
    label blocks, up to the previous letter's signature (at most twelve blocks, not above `floor`)."""
    start = sal
    j = sal - 1
    blocks = 0
    while j >= floor and blocks < 12:
        if not lines[j].strip() or is_noise_line(lines[j]):
            j -= 1
            continue
        a, b = block_bounds(lines, j)
        a = max(a, floor)
        if not _is_head_block(lines[a : b + 1]):
            break
        start, blocks, j = a, blocks + 1, a - 1
    return start


def _next_part(lines: list[str], s: int, e: int) -> tuple[int, str] | None:
    """Where the material after a letter's closing and signature starts, and what it is.

    A salutation after the signature (with a closing of its own further on) opens an enclosed
    letter, whose head starts where the signature ends. Otherwise the signature runs over
    short-line blocks after the closing formula; the next address block to parliament, heading,
    or long prose line starts an attachment (or a letter, if a salutation follows closely).
    """
    sal = next((j for j in range(s, e + 1) if SALUTATION.match(lines[j])), None)
    if sal is None:
        return None
    closing = next((j for j in range(sal + 1, e + 1) if CLOSING.match(lines[j])), None)
    if closing is None:
        return None
    j = closing + 1
    first_long = None
    sig_blocks = 0
    while j <= e:
        if not lines[j].strip() or is_noise_line(lines[j]):
            j += 1
            continue
        a, b = block_bounds(lines, j)
        b = min(b, e)
        greeting = next((k for k in range(max(a, closing + 1), b + 1) if SALUTATION.match(lines[k])), None)
        if greeting is not None and any(CLOSING.match(x) for x in lines[greeting + 1 : e + 1]):
            return _header_start(lines, greeting, closing + 1), "letter"
        if ADDRESS_TO_PARLIAMENT.match(lines[a]) and any(SALUTATION.match(x) for x in lines[a : a + 25]):
            if not any(CLOSING.match(x) for x in lines[a : e + 1]):
                return a, "attachment"
            j = b + 1
            continue
        long_line = next((k for k in range(a, b + 1) if len(clean_inline(lines[k])) > 100), None)
        if long_line is not None:
            first_long = long_line
            break
        head = clean_inline(lines[a]).lstrip("# ")
        if lines[a].lstrip().startswith("#") and sig_blocks > 0 and not _COPY_LIST.match(head):
            return a, _kind_from(lines, a, e)
        sig_blocks += 1
        j = b + 1
    if first_long is None:
        return None
    # Back up over the title lines that head the attachment (up to three one-line blocks).
    start = first_long
    k = first_long - 1
    titles = 0
    while k > closing and titles < 3:
        if not lines[k].strip():
            k -= 1
            continue
        ba, bb = block_bounds(lines, k)
        block = [clean_inline(x) for x in lines[ba : bb + 1]]
        if bb - ba > 0 or ba <= closing + 1:
            break
        t = block[0]
        if _COPY_LIST.match(t) or t.endswith((",", ".")):
            break
        prev = nonblank(lines, ba - 1, -1, 6)
        if prev is not None and prev <= closing + 3 and not lines[ba].lstrip().startswith("#"):
            break
        start = ba
        titles += 1
        k = ba - 1
    return start, _kind_from(lines, start, e)


def _kind_from(lines: list[str], s: int, e: int) -> str:
    """An attachment that opens with a salutation and has a closing further on is a letter."""
    window = [x for x in lines[s : e + 1] if x.strip()][:25]
    enclosed = any(SALUTATION.match(x) for x in window) and any(CLOSING.match(x) for x in lines[s : e + 1])
    return "letter" if enclosed else "attachment"


def cut_item(lines: list[str], s: int, e: int) -> list[tuple[str, int, int]]:
    """Cut an item into its letter, enclosed letters and attachments: [(kind, start, end)].

    Each letter may be followed by another part; an attachment runs to the end of the item.
    """
    parts: list[tuple[str, int, int]] = []
    kind = "letter"
    while True:
        nxt = _next_part(lines, s, e) if kind == "letter" else _unsaluted_letter(lines, s, e)
        if nxt is None:
            parts.append((kind, s, e))
            return parts
        att, next_kind = nxt
        end = nonblank(lines, att - 1, -1, att - s) or s
        parts.append((kind, s, end))
        s, kind = att, next_kind


# A letterhead line above a date: an organisation's name, a place, an enclosure stamp ("Bijlage 2").
_LETTERHEAD_LINE = re.compile(r"(?i)^(?:(?:bijlage|beilage|bylage)\s+\d{1,2}|[^\d,;:.]{2,60})$")
_REFERENCE_LINE = re.compile(r"(?i)^(?:ons\s+|uw\s+)?(?:kenmerk|referentie)\b|^onze referentie\b")


def _unsaluted_letter(lines: list[str], s: int, e: int) -> tuple[int, str] | None:
    """A letter inside an attachment that opens without a salutation (an acknowledgement): a
    date line with a reference label close below and prose right after; its head is the run of
    short letterhead lines above the date (at most four one-line blocks)."""
    for k in range(s + 1, e + 1):
        line = clean_inline(lines[k])
        iso, raw = header_date([line])
        if not iso or not raw or len(line) > len(raw) + 30:
            continue
        below = [j for j in range(k + 1, min(k + 12, e + 1)) if lines[j].strip()][:4]
        label = next((j for j in below if _REFERENCE_LINE.match(clean_inline(lines[j]))), None)
        if label is None:
            continue
        prose = next((j for j in range(label + 1, min(label + 8, e + 1)) if len(clean_inline(lines[j])) > 100), None)
        if prose is None:
            continue
        start, j, taken = k, k - 1, 0
        while j > s and taken < 4:
            if not lines[j].strip():
                j -= 1
                continue
            a, b = block_bounds(lines, j)
            if a != b or a <= s or not _LETTERHEAD_LINE.match(clean_inline(lines[a])):
                break
            start, taken, j = a, taken + 1, a - 1
        return start, "letter"
    return None
