#!/usr/bin/env python3
"""Check the hand-made evaluation files: fields, unique ids, and that every evidence quote stands
in its file.

Usage (from the repository root):
    python eval/check_data.py [FILE.jsonl ...]

Without arguments it checks eval/offtopic.jsonl, eval/ontopic.jsonl and eval/own_letters.jsonl.
A quote must occur in its file after whitespace is collapsed in both (the agreement's words broken
over lines, "AI-" + newline + "Rekenkrachtplan", therefore read "AI- Rekenkrachtplan"). Files are
looked up in /work/shared/corpus, data/corpus and tests/data/own_letters (first hit wins). Items
whose note starts with "off-topic" must have no evidence and an empty answer; all others need
evidence. When an item has answer_keys, at least one key must stand in one of its quotes (a typo
in a key would otherwise make every answer wrong). Exit status 1 on any error. Standard library
only.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_FILES = ["eval/offtopic.jsonl", "eval/ontopic.jsonl", "eval/own_letters.jsonl"]
SEARCH_DIRS = [Path("/work/shared/corpus"), ROOT / "data" / "corpus", ROOT / "tests" / "data" / "own_letters"]
REQUIRED = {"id": str, "query": str, "lang": str, "kind": str, "style": str, "evidence": list, "answer": str}
LANGS = {"nl", "en"}
KINDS = {"question", "lookup", "claim_true", "claim_false"}
STYLES = {"paraphrase", "lexical"}


def collapse(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


class Texts:
    """Whitespace-collapsed file texts, read once."""

    def __init__(self) -> None:
        self.cache: dict[str, str | None] = {}

    def get(self, name: str) -> str | None:
        if name not in self.cache:
            found = next((d / name for d in SEARCH_DIRS if (d / name).is_file()), None)
            self.cache[name] = collapse(found.read_text(encoding="utf-8")) if found else None
        return self.cache[name]


def check_item(item: dict[str, Any], texts: Texts) -> list[str]:
    errors = []
    for field, typ in REQUIRED.items():
        if not isinstance(item.get(field), typ):
            errors.append(f"field {field!r} missing or not {typ.__name__}")
    if errors:
        return errors
    if not item["query"].strip():
        errors.append("empty query")
    if item["lang"] not in LANGS:
        errors.append(f"lang {item['lang']!r} not in {sorted(LANGS)}")
    if item["kind"] not in KINDS:
        errors.append(f"kind {item['kind']!r} not in {sorted(KINDS)}")
    if item["style"] not in STYLES:
        errors.append(f"style {item['style']!r} not in {sorted(STYLES)}")
    off_topic = str(item.get("note", "")).startswith("off-topic")
    if off_topic:
        if item["evidence"] or item["answer"]:
            errors.append("off-topic item with evidence or an answer")
        return errors
    if not item["evidence"]:
        errors.append("no evidence (mark off-topic items with a note 'off-topic: ...')")
    if not item["answer"].strip():
        errors.append("empty answer")
    quotes = []
    for ev in item["evidence"]:
        if not isinstance(ev, dict) or not isinstance(ev.get("file"), str) or not isinstance(ev.get("quote"), str):
            errors.append(f"evidence entry is not {{file, quote}}: {ev!r}")
            continue
        text = texts.get(ev["file"])
        quote = collapse(ev["quote"])
        quotes.append(quote)
        if text is None:
            errors.append(f"file not found: {ev['file']}")
        elif not quote:
            errors.append("empty quote")
        elif quote not in text:
            errors.append(f"quote not in {ev['file']}: {quote[:90]!r}")
    keys = item.get("answer_keys")
    if keys is not None:
        if not isinstance(keys, list) or not keys or not all(isinstance(k, str) and k.strip() for k in keys):
            errors.append("answer_keys must be a non-empty list of strings")
        elif not any(k.lower() in q.lower() for k in keys for q in quotes):
            errors.append(f"no answer key occurs in a quote: {keys}")
        minimum = item.get("answer_keys_min", 1)
        if not isinstance(minimum, int) or not 1 <= minimum <= len(keys):
            errors.append(f"answer_keys_min {minimum!r} out of range")
    return errors


def emit(line: str) -> None:
    sys.stdout.write(line + "\n")


def main(argv: list[str]) -> int:
    files = argv or DEFAULT_FILES
    texts = Texts()
    seen: dict[str, str] = {}
    n_items = n_errors = 0
    for name in files:
        path = Path(name) if Path(name).is_absolute() else ROOT / name
        if not path.is_file():
            emit(f"{name}: missing")
            n_errors += 1
            continue
        for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            where = f"{name}:{lineno}"
            try:
                item = json.loads(line)
            except json.JSONDecodeError as exc:
                emit(f"{where}: not JSON ({exc})")
                n_errors += 1
                continue
            n_items += 1
            problems = check_item(item, texts)
            item_id = item.get("id")
            if isinstance(item_id, str):
                if item_id in seen:
                    problems.append(f"duplicate id (also {seen[item_id]})")
                seen.setdefault(item_id, where)
            for p in problems:
                emit(f"{where} [{item_id}]: {p}")
            n_errors += len(problems)
    emit(f"{n_items} items in {len(files)} files, {n_errors} errors")
    return 1 if n_errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
