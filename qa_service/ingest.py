"""Uploaded files -> text: PDF (text layer), DOCX, TXT and Markdown, checked for what they claim to be."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

from qa_service.errors import EmptyDocument, UnsupportedDocument

SUPPORTED = (".pdf", ".docx", ".txt", ".md")
# Fewer words than this (of two letters or more) are not a document worth a passage.
MIN_WORDS = 5


def extract_text(name: str, data: bytes) -> str:
    """The text of an uploaded file.

    Raises:
        UnsupportedDocument: unknown extension, or content that is not what the extension claims.
        EmptyDocument: encrypted or image-only PDFs, empty files, text with hardly any words.
    """
    ext = Path(name).suffix.lower()
    if ext not in SUPPORTED:
        raise UnsupportedDocument(
            f"{ext or 'files without extension'} not supported; send one of {', '.join(SUPPORTED)}"
        )
    if ext == ".pdf":
        text = _pdf(data)
    elif ext == ".docx":
        text = _docx(data)
    else:
        if data[:4] == b"%PDF" or data[:2] == b"PK":
            raise UnsupportedDocument(f"{name} is a binary file, not {ext} text")
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise UnsupportedDocument(f"{name} is not UTF-8 text") from None
        if "\x00" in text:
            raise UnsupportedDocument(f"{name} contains binary data")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    words = len(re.findall(r"\w{2,}", text))
    if words == 0:
        raise EmptyDocument(f"{name} has no text to index (empty, or an image-only scan without a text layer)")
    if words < MIN_WORDS:
        # Not empty, so saying "empty" would send the user looking for the wrong problem.
        raise EmptyDocument(
            f"{name} has too little text to index: {words} of {MIN_WORDS} needed words of two or more letters"
        )
    return text


def _pdf(data: bytes) -> str:
    if not data.startswith(b"%PDF-"):
        raise UnsupportedDocument("the file is not a PDF")
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise EmptyDocument("the PDF is encrypted; send an unencrypted copy")
        pages = [page.extract_text() or "" for page in reader.pages]
    except (PdfReadError, ValueError, KeyError, TypeError) as e:
        raise UnsupportedDocument(f"the PDF cannot be read ({e})") from None
    # Pages become blocks, so no paragraph runs across a page boundary unnoticed.
    return "\n\n".join(p.strip() for p in pages)


def _docx(data: bytes) -> str:
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise UnsupportedDocument("the file is not a DOCX (not a zip archive)")
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        doc = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, KeyError, ValueError, zipfile.BadZipFile) as e:
        raise UnsupportedDocument(f"the DOCX cannot be read ({e})") from None
    parts = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            parts.append("\t".join(c.text for c in row.cells))
    return "\n\n".join(p for p in parts if p.strip())
