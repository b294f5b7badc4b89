"""Corpus files -> documents: choose the parser by the file's layout, then finalise ids and offsets."""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

from qa_service.corpus.agreement import parse_structured
from qa_service.corpus.letters import parse_bundle
from qa_service.corpus.metadata import SALUTATION
from qa_service.corpus.models import Document
from qa_service.corpus.organisations import abbreviations, assign_aliases

logger = logging.getLogger(__name__)

CORPUS_SUFFIXES = (".txt", ".md")


def looks_like_letters(lines: list[str]) -> bool:
    """Letters have salutations; PDF-line documents (agreements, reports) have none."""
    return sum(1 for x in lines if SALUTATION.match(x)) > 0


def parse_file(path: Path, name: str | None = None) -> list[Document]:
    """Parse one corpus file into documents (letters/attachments/replies, or sections)."""
    text = path.read_text(encoding="utf-8")
    return parse_text(text, name or path.name)


def parse_text(text: str, source_file: str) -> list[Document]:
    lines = text.splitlines()
    stem = Path(source_file).stem
    docs = (
        parse_bundle(lines, source_file, stem)
        if looks_like_letters(lines)
        else parse_structured(lines, source_file, stem)
    )
    for d in docs:
        d.finalize()
    docs = [d for d in docs if d.paragraphs]
    assign_aliases(docs)
    return docs


def corpus_files(corpus_dir: Path) -> list[Path]:
    return sorted(p for p in corpus_dir.iterdir() if p.is_file() and p.suffix in CORPUS_SUFFIXES)


def corpus_hash(corpus_dir: Path) -> str:
    h = hashlib.sha256()
    for p in corpus_files(corpus_dir):
        h.update(p.name.encode())
        h.update(hashlib.sha256(p.read_bytes()).digest())
    return h.hexdigest()


def load_corpus(corpus_dir: Path) -> list[Document]:
    """All documents of every corpus file in `corpus_dir`, in file and line order."""
    docs: list[Document] = []
    for p in corpus_files(corpus_dir):
        parsed = parse_file(p)
        logger.info("parsed %s: %d documents", p.name, len(parsed))
        docs.extend(parsed)
    # A short name defined in one file ("Vereniging Nederlandse Gemeenten (VNG)") names the
    # organisation in every file.
    assign_aliases(docs, abbreviations(d.text for d in docs if d.kind != "agreement_section"))
    return docs
