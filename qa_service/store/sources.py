"""Texts ingested through the service (HTTP or CLI): parsed, named and checked the same way by
every backend, which keeps them so that a full `index build` reproduces the live corpus."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

from qa_service.chunking import Passage
from qa_service.corpus import Document
from qa_service.corpus.loader import parse_text
from qa_service.corpus.organisations import set_sender
from qa_service.errors import EmptyDocument

OVERRIDABLE = ("kind", "sender", "date", "subject", "signatory", "registration_number")

# (source_file, text, metadata) of one ingested text, as a backend stores it.
Source = tuple[str, str, dict[str, Any]]


def documents_from_text(text: str, source_file: str, meta: dict[str, Any]) -> list[Document]:
    """Parse text by the corpus rules, then apply explicit metadata (it wins over what was read)."""
    docs = parse_text(text, source_file)
    for d in docs:
        for key in OVERRIDABLE:
            if key == "sender" and meta.get(key):
                set_sender(d, meta[key])
            elif meta.get(key):
                setattr(d, key, meta[key])
        if meta.get("date"):
            d.date_raw = None  # the date as written in the text is not the date the document has now
        if meta.get("title"):
            d.title = meta["title"]
        elif any(meta.get(k) for k in ("kind", "sender", "subject")):
            d.title = ""
            d.finalize()
    return docs


def require_content(name: str, passages: list[Passage]) -> None:
    """Refuse an upload that would be indexed without a passage of content.

    A text of a salutation and a signature parses as a letter whose body is empty: stored, it
    would be listed but never found, which reads as a broken search.
    """
    if not any(p.role != "envelope" for p in passages):
        raise EmptyDocument(f"{name} has no paragraph of content to index (only a letterhead, salutation or signature)")


def safe_name(name: str) -> str:
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", Path(name).stem).strip("-._")[:60] or "document"
    return stem


def source_name(name: str, text: str) -> str:
    """The stored name of an ingested text: the upload's name made safe, and a hash of the text."""
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:10]
    return f"{safe_name(name)}-{digest}{Path(name).suffix.lower() or '.txt'}"


def new_source(name: str, text: str, given: dict[str, Any]) -> tuple[Source, list[Document]]:
    """An upload (its name, text and the metadata given with it) as a source and its documents."""
    source_file = source_name(name, text)
    meta = {**{k: v for k, v in given.items() if v}, "source_file": source_file, "original_name": name}
    return (source_file, text, meta), documents_from_text(text, source_file, meta)
