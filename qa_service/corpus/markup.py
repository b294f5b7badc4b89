"""Inline clean-up of PDF-to-markdown text, and the line-level noise that never carries content.

Every rule here is about the *format* of extracted letters (markdown remnants, footnote markers,
postal barcodes, page markers), not about this corpus's content, so it carries over to the next
bundle of letters.
"""

from __future__ import annotations

import re
import unicodedata

_ESCAPES = {"\\*": "\x00", "\\(": "(", "\\)": ")", "\\_": "_", "\\[": "[", "\\]": "]", "\\#": "#"}
_SUP_ORDINAL = re.compile(r"(\d)\s*<sup>\s*(de|ste|e|st|nd|rd|th)\s*</sup>", re.I)
_SUP_MARK = re.compile(r"<sup>[^<]{0,6}</sup>", re.I)
_TAG = re.compile(r"</?(?:b|i|u|em|strong|sub|sup|span|br|p)\b[^>]*>", re.I)
_LINK = re.compile(r"\[([^\]]*)\]\((?:[^()]|\([^)]*\))*\)")
_AUTOLINK = re.compile(r"<((?:https?://|mailto:|www\.)[^>\s]+)>")
_STARS = re.compile(r"\*+")
_REF = re.compile(r"(?<=\S)\[\d{1,3}\]")
# Footnote markers written as unicode superscripts right after a word or punctuation.
_UNI_SUP = re.compile(r"(?<=[\w.,;:!?)\]’”'\"])[¹²³⁴⁵⁶⁷⁸⁹⁰]+")
_REDACTED = re.compile(r"\[\s*redacted[^\]]*\]", re.I)
_WS = re.compile(r"[ \t\u00a0\u202f\u2009]+")
LIST_GLYPHS = "✓◆•■▪●○►–-"

_NOISE_LINE = [
    re.compile(r"^\s*\d+\s*/\s*\d+\s*$"),  # page marker "1/1"
    re.compile(r"^\s*pagina\s+\d+\s+(van|/)\s+\d+\s*$", re.I),
    re.compile(r"^\s*\d{1,3}\s*$"),  # stray page numbers / envelope junk
    re.compile(r"^\s*(?:-{3,}|_{3,}|\*{3,})\s*$"),  # horizontal rules
    re.compile(r"port\s+betaald|port\s+pay[ée]|^\s*pays-bas\s*$|^\s*postnl\s*$", re.I),
    re.compile(r"#[\w]*#\d+#\d+#|#\d{4}#"),  # postal barcodes
    re.compile(r"^\s*(?:geen\s*)?retaxaties?\s*$", re.I),  # postal stamp
    re.compile(r"^\s*\[?\s*redacted[^\]]*\]?\s*$", re.I),
    re.compile(r"^\s*volg ons op\s*$", re.I),
    re.compile(r"^\s*\[terug\b.*\]\(#\)\s*$", re.I),
    re.compile(r"\t\s*(?:<b>)?\s*\d{1,3}\s*(?:</b>)?\s*$"),  # table-of-contents rows
]


def is_noise_line(line: str) -> bool:
    """True for lines that are layout or postal debris, never content."""
    return any(p.search(line) for p in _NOISE_LINE)


def clean_inline(text: str) -> str:
    """Strip markdown/HTML remnants and footnote markers; normalise unicode and spaces."""
    for esc, repl in _ESCAPES.items():
        text = text.replace(esc, repl)
    text = _SUP_ORDINAL.sub(r"\1\2", text)
    text = _SUP_MARK.sub("", text)
    text = _LINK.sub(r"\1", text)
    text = _AUTOLINK.sub(r"\1", text)
    text = _TAG.sub("", text)
    text = _STARS.sub("", text)
    text = _REDACTED.sub("", text)
    text = _REF.sub("", text)
    text = _UNI_SUP.sub("", text)
    text = text.replace("\x00", "*")
    text = unicodedata.normalize("NFKC", text)
    text = re.sub(r"^\s*>\s?", "", text)
    return _WS.sub(" ", text).strip()


def strip_list_marker(text: str) -> str:
    """Remove a leading bullet glyph (keeps numbering such as `1.`)."""
    text = re.sub(r"^\s*[-•]\s+", "", text)
    return text.lstrip(LIST_GLYPHS + " ").strip() if text[:1] in LIST_GLYPHS else text


TERMINAL = tuple('.!?:;…"”’)')


def nonblank(lines: list[str], i: int, step: int, limit: int) -> int | None:
    """The first non-blank line from `i` in direction `step`, at most `limit` lines away."""
    j = i
    while 0 <= j < len(lines) and abs(j - i) <= limit:
        if lines[j].strip():
            return j
        j += step
    return None
