"""The informateur's replies in a bundle, and how a reply finds the letter it answers.

Replies follow a fixed template (office header, addressee block, `Kenmerk:`, signed by the
informateur), so they are the most reliable anchors when a bundle is split. A reply's kenmerk is
the answered letter's registration number plus one; OCR slips and unregistered letters are
matched by the rules below.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from qa_service.corpus.markup import clean_inline, nonblank
from qa_service.corpus.metadata import KENMERK_LINE, normalise_registration, parse_date

REPLY_HEADER = re.compile(r"^\s*Bureau Kabinetsformatie\s*$")
REPLY_END = re.compile(r"^\s*Informati?eur\s*$")
_TAV = re.compile(r"^\s*T\.?a\.?v\.?\s*(.*)$", re.I)


@dataclass
class Reply:
    start: int  # 0-based line indices, inclusive
    end: int
    kenmerk: str
    addressee_org: str | None
    addressee_person: str | None
    date: str | None
    date_raw: str | None
    signatory: str | None


def find_replies(lines: list[str]) -> list[Reply]:
    """Replies: the office header line with a `Kenmerk:` line close below, up to the signer's role."""
    replies: list[Reply] = []
    i = 0
    while i < len(lines):
        if not REPLY_HEADER.match(lines[i]):
            i += 1
            continue
        k = next((j for j in range(i + 1, min(i + 14, len(lines))) if KENMERK_LINE.match(lines[j])), None)
        if k is None:
            i += 1
            continue
        end = next((j for j in range(k + 1, min(k + 60, len(lines))) if REPLY_END.match(lines[j])), None)
        if end is None:
            end = k
        # Addressee: the block(s) between the office's own address block and the Kenmerk line.
        j = i
        while j < k and lines[j].strip():
            j += 1
        addr = [clean_inline(x) for x in lines[j:k] if x.strip()]
        org = person = None
        for a in addr:
            m = _TAV.match(a)
            if m:
                person = m.group(1).strip() or None
                break
            if org is None:
                org = a
        m_kenmerk = KENMERK_LINE.match(lines[k])
        assert m_kenmerk
        body = " ".join(lines[k + 1 : min(k + 4, end + 1)])
        iso, raw = parse_date(clean_inline(body))
        sig_line = nonblank(lines, end - 1, -1, 6)
        signatory = clean_inline(lines[sig_line]) if sig_line is not None else None
        replies.append(Reply(i, end, m_kenmerk.group(1), org, person, iso, raw, signatory))
        i = end + 1
    return replies


def one_digit_off(raw: str, expected: str) -> bool:
    """A registration number that differs from `expected` in one digit: an OCR slip."""
    reg = normalise_registration(raw)
    return len(reg) == len(expected) and sum(x != y for x, y in zip(reg, expected, strict=True)) <= 1


def names_addressee(item_lines: list[str], reply: Reply) -> bool:
    """Does the item's text mention the reply's addressee (organisation word or surname)?"""
    text = clean_inline(" ".join(item_lines)).lower()
    words: list[str] = []
    if reply.addressee_org:
        words += [w for w in re.findall(r"[\w()]+", reply.addressee_org.lower()) if len(w) >= 4]
    if reply.addressee_person:
        words += [w for w in re.findall(r"\w+", reply.addressee_person.lower())[-1:] if len(w) >= 3]
    generic = {"nederland", "nederlandse", "stichting", "vereniging", "gemeente", "bureau", "heer", "mevrouw"}
    return any(w in text for w in words if w not in generic)
