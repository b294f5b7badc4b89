"""Letter bundles -> letters, attachments and replies, with their metadata.

A bundle interleaves incoming letters with the informateur's replies. The replies are the most
reliable anchors (`replies.py`); incoming letters fill the gaps between them and are split
further at their registration lines and at a fresh address block after a finished letter. A
letter's sender comes from the reply that answers it, else from its own text (`senders.py`), its
signatories from its signature block (`signatures.py`). The rules are those of Dutch
correspondence, not of this particular bundle.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from qa_service.corpus.markup import clean_inline, nonblank
from qa_service.corpus.metadata import (
    ADDRESS_TO_PARLIAMENT,
    CLOSING,
    REGISTRATION_LINE,
    SALUTATION,
    find_reference,
    find_subject,
    header_date,
    normalise_registration,
    subject_line,
)
from qa_service.corpus.models import Document
from qa_service.corpus.organisations import assign_organisations
from qa_service.corpus.paragraphs import recover_paragraphs
from qa_service.corpus.parts import block_bounds, cut_item
from qa_service.corpus.replies import REPLY_END, Reply, find_replies, names_addressee, one_digit_off
from qa_service.corpus.senders import org_line, sender_from_text
from qa_service.corpus.signatures import parse_signatures


@dataclass
class Item:
    """An incoming letter (with its enclosures) between two replies, as 0-based line indices."""

    start: int
    end: int
    registration_raw: str | None = None
    letterhead: list[str] = field(default_factory=list)
    reply: Reply | None = None


def _is_short(line: str) -> bool:
    return len(clean_inline(line)) <= 70


def _letterhead_start(lines: list[str], reg: int, floor: int) -> int:
    """Back up from a registration line over the letterhead/address/date run directly above it.

    Stops at the previous letter's closing and its signature block, at any long line, and after
    at most eight lines; `floor` is the first line the item may start at.
    """
    start = reg
    j = reg - 1
    taken = 0
    while j >= floor:
        if not lines[j].strip():
            j -= 1
            continue
        a, b = block_bounds(lines, j)
        a = max(a, floor)
        block = lines[a : b + 1]
        if any(CLOSING.match(x) or REPLY_END.match(x) for x in block):
            break
        if not all(_is_short(x) for x in block) or taken + len(block) > 8:
            break
        # The block right after a closing block is the previous letter's signature.
        prev = nonblank(lines, a - 1, -1, 5)
        if prev is not None and prev >= floor:
            pa, pb = block_bounds(lines, prev)
            if any(CLOSING.match(x) for x in lines[pa : pb + 1]) and pb - pa == 0:
                break
        start = a
        taken += len(block)
        j = a - 1
    return start


def _blocks(lines: list[str], a: int, b: int) -> list[str]:
    """The non-blank blocks of lines[a:b], each cleaned and joined into one string."""
    out: list[str] = []
    cur: list[str] = []
    for x in [*lines[a:b], ""]:
        if x.strip():
            cur.append(clean_inline(x))
        elif cur:
            out.append(" ".join(cur))
            cur = []
    return out


def _split_gap(lines: list[str], a: int, b: int) -> list[Item]:
    """Split the incoming material between two replies into items."""
    first = nonblank(lines, a, 1, b - a)
    if first is None or first > b:
        return []
    starts: dict[int, str | None] = {first: None}
    seen_closing = False
    for i in range(first, b + 1):
        line = lines[i]
        m = REGISTRATION_LINE.match(line)
        if m:
            s = _letterhead_start(lines, i, first) if i != first else i
            # The registration line may follow the letterhead of the item that starts at `first`.
            if s <= first:
                starts[first] = m.group(1)
            else:
                starts[s] = m.group(1)
                seen_closing = False
            continue
        if CLOSING.match(line):
            seen_closing = True
        elif seen_closing and ADDRESS_TO_PARLIAMENT.match(line):
            if any(SALUTATION.match(x) for x in lines[i + 1 : i + 13]) and (i == 0 or not lines[i - 1].strip()):
                if not any(s <= i < s + 12 for s in starts):
                    starts[i] = None
                    seen_closing = False
    ordered = sorted(starts)
    items: list[Item] = []
    for n, s in enumerate(ordered):
        e = (ordered[n + 1] - 1) if n + 1 < len(ordered) else b
        last = nonblank(lines, e, -1, e - s)
        if last is None or last < s:
            continue
        reg_raw = starts[s]
        head: list[str] = []
        if reg_raw is not None:
            reg_line = next(j for j in range(s, last + 1) if REGISTRATION_LINE.match(lines[j]))
            head = _blocks(lines, s, reg_line)
        items.append(Item(s, last, reg_raw, head))
    return items


def parse_bundle(lines: list[str], source_file: str, stem: str) -> list[Document]:
    """Split a bundle of letters into documents (letters, attachments, replies)."""
    replies = find_replies(lines)
    docs: list[Document] = []
    bounds = [-1] + [r.start for r in replies] + [len(lines)]
    ends = [-1] + [r.end for r in replies]
    gap_items: list[list[Item]] = []
    for n in range(len(replies) + 1):
        a = ends[n] + 1
        b = bounds[n + 1] - 1
        gap_items.append(_split_gap(lines, a, b) if b >= a else [])

    # Pair each reply with the item it answers: registration = Kenmerk - 1, else the last item of its gap.
    all_items = [it for g in gap_items for it in g]
    for n, reply in enumerate(replies):
        expected = str(int(reply.kenmerk) - 1)

        def has_reg(it: Item, expected: str = expected) -> bool:
            return bool(it.registration_raw) and normalise_registration(it.registration_raw or "") == expected

        # The answered letter sits in the gap before its reply: an exact registration first,
        # then one that differs in a single digit (OCR), then an unregistered item that names
        # the reply's addressee.
        gap = [it for it in reversed(gap_items[n]) if it.reply is None]
        match = next((it for it in gap if has_reg(it)), None)
        if match is None:
            last = gap[:1] if gap and gap_items[n] and gap[0] is gap_items[n][-1] else []
            match = next(
                (it for it in last if it.registration_raw and one_digit_off(it.registration_raw, expected)), None
            )
        if match is None:
            match = next(
                (it for it in gap if not it.registration_raw and names_addressee(lines[it.start : it.end + 1], reply)),
                None,
            )
        if match is not None:
            match.reply = reply

    def make(kind: str, s: int, e: int, **meta: object) -> Document:
        doc = Document(id=f"{stem}-L{s + 1}", kind=kind, source_file=source_file, line_start=s + 1, line_end=e + 1)  # type: ignore[arg-type]
        for k, v in meta.items():
            setattr(doc, k, v)
        doc.paragraphs = recover_paragraphs(lines[s : e + 1])
        return doc

    def letter_meta(letter: Document, s: int, e: int) -> list[str]:
        body = lines[s : e + 1]
        sal = next((j for j, x in enumerate(body) if SALUTATION.match(x)), len(body))
        header = body[:sal]
        letter.date, letter.date_raw = header_date(header)
        letter.subject = find_subject(header) or find_subject(body[: sal + 3]) or subject_line(header)
        letter.reference = find_reference(header)
        sal_line = clean_inline(body[sal]) if sal < len(body) else None
        letter.addressee = sal_line.rstrip(",") if sal_line else None
        closing = next((j for j, x in enumerate(body) if CLOSING.match(x)), None)
        if closing is not None:
            signed = parse_signatures([clean_inline(x) for x in body[closing + 1 :]])
            letter.signatories = [s.to_dict() for s in signed]
            if signed:
                letter.signatory, letter.signatory_role = signed[0].name, signed[0].role
            else:
                nxt = nonblank(body, closing + 1, 1, 6)
                if nxt is not None:
                    sig = clean_inline(body[nxt])
                    letter.signatory = sig if sig and not org_line(sig) else None
        return body

    item_docs: list[tuple[Item, Document, list[Document]]] = []
    bodies: dict[str, list[str]] = {}
    for item in all_items:
        parts = cut_item(lines, item.start, item.end)
        (_, ls, le) = parts[0]
        letter = make("letter", ls, le)
        body = bodies[letter.id] = letter_meta(letter, ls, le)
        if item.registration_raw:
            letter.registration_raw = item.registration_raw
            letter.registration_number = normalise_registration(item.registration_raw)
        if item.reply:
            r = item.reply
            expected = str(int(r.kenmerk) - 1)
            # A registration that differs from the reply's reference in one digit is an OCR slip.
            reg = letter.registration_number
            if reg is None or one_digit_off(reg, expected):
                letter.registration_number = expected
            letter.sender = r.addressee_org
            # The signature's own spelling wins over the reply's "T.a.v." (often initials only).
            letter.signatory = letter.signatory or r.addressee_person
        if not letter.sender:
            letter.sender = sender_from_text(body, item.letterhead)
        extra: list[Document] = []
        owner = letter  # the nearest letter above: what an attachment belongs to
        for kind, ps, pe in parts[1:]:
            doc = make(kind, ps, pe)
            if kind == "letter":
                # An enclosed letter: its own head, date, subject and signatures, sent (or passed
                # on) by the item's sender; it belongs with the letter that encloses it.
                bodies[doc.id] = letter_meta(doc, ps, pe)
                doc.sender, doc.parent_id = letter.sender, letter.id
                owner = doc
                extra.append(doc)
                continue
            if len(doc.text.split()) < 40:  # a scrap (a card, a footer): the end of the part above
                target = extra[-1] if extra else letter
                target.paragraphs += doc.paragraphs
                target.line_end = pe + 1
                continue
            doc.parent_id = owner.id
            extra.append(doc)
        item_docs.append((item, letter, extra))

    # The same letter can occur twice in a bundle: keep the copy that was answered.
    by_text: dict[str, Document] = {}
    for _item, letter, _ in sorted(item_docs, key=lambda t: t[0].reply is None):
        key = re.sub(r"\W+", "", letter.text.lower())
        if key in by_text:
            letter.duplicate_of = by_text[key].id
        else:
            by_text[key] = letter

    for n, reply in enumerate(replies):
        answered = next((ld for it, ld, _ in item_docs if it.reply is reply), None)
        rdoc = make(
            "reply",
            reply.start,
            reply.end,
            date=reply.date,
            date_raw=reply.date_raw,
            registration_number=reply.kenmerk,
            registration_raw=reply.kenmerk,
            sender="Informateur",
            signatory=reply.signatory,
            addressee=" ".join(x for x in (reply.addressee_org, reply.addressee_person) if x) or None,
            subject="Ontvangstbevestiging",
        )
        if answered is not None:
            rdoc.in_reply_to = answered.id
            answered.reply_id = rdoc.id
            answered.reply_date, answered.reply_signatory = reply.date, reply.signatory
            if reply.addressee_org is None and answered.sender:
                rdoc.addressee = answered.sender
            # Titles and citations name the organisation answered, not the informateur.
            rdoc.title = f"Antwoord van de informateur aan {answered.sender_short or rdoc.addressee or 'de afzender'}"
        # Attachments of a duplicate copy belong with the letter this reply answers.
        for it, ld, extra in item_docs:
            if ld.duplicate_of and it in gap_items[n] and answered is not None:
                for ad in extra:
                    if ad.parent_id == ld.id:
                        ad.parent_id = answered.id
        docs.append(rdoc)

    for _, letter, extra in item_docs:
        docs.append(letter)
        for attachment in extra:
            if attachment.parent_id is None:
                attachment.parent_id = letter.id
            docs.append(attachment)
    by_id = {d.id: d for d in docs}
    for d in docs:
        if d.kind == "attachment" and d.parent_id in by_id:
            parent = by_id[d.parent_id]
            for f in ("sender", "signatory", "signatory_role", "date", "date_raw", "registration_number", "subject"):
                if getattr(d, f) is None:
                    setattr(d, f, getattr(parent, f))
            if d.addressee is None:
                d.addressee = parent.addressee
    for d in docs:
        # A lone signatory without an organisation signs for the letter's sender.
        if d.sender and len(d.signatories) == 1 and not d.signatories[0]["organisation"]:
            d.signatories[0]["organisation"] = d.sender
    docs.sort(key=lambda d: d.line_start)
    for d in docs:
        if d.kind == "letter":
            assign_organisations(d, bodies.get(d.id, []))
            if not d.sender and d.organisations:
                # Neither a reply nor the letter's head names the sender: those who signed do.
                orgs = d.organisations
                d.sender = ", ".join(orgs) if len(orgs) >= 3 else orgs[0]
        elif d.kind == "reply":
            d.organisations = [d.sender] if d.sender else []  # the informateur speaks for the office
    for d in docs:
        if d.kind == "attachment" and d.parent_id in by_id:
            parent = by_id[d.parent_id]
            d.organisations = list(parent.organisations)
            d.sender = d.sender or parent.sender
    return docs
