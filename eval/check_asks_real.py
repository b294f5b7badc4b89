#!/usr/bin/env python3
# ruff: noqa: T201  (a command-line check: printing is its output)
"""Check our own ask annotation (eval/asks_complete_own.jsonl, eval/asks_labelled_own.jsonl).

Usage:
    python eval/check_asks_real.py [--corpus data/corpus] [--complete F] [--labelled F]

Every quote must occur in its file's text with whitespace collapsed (the agreement, file 004, has a
blank line after every PDF line, so a word split across lines reads "defensie- industrie" there).
A quote may drop the letters' markup (**, <sup>n</sup> footnote marks, [text](#) links, unicode
superscripts): it then has to occur in the text with that markup dropped too, which is how the
service shows letters. The script also checks what the shared scorer relies on:

- a complete letter's quotes lie inside its line range (a quote listed twice occurs twice there);
  letters do not overlap the 8 dev letters;
- a labelled ask lies inside one of the complete letters, its letter_line is that letter's first
  line, and it matches one of that letter's complete quotes by the scorer's 5-gram rule;
- labels are addressed/related/absent, an absent ask has no agreement quote and the others have
  at least one, ids are unique, each letter has 4-8 labelled asks;
- no quote is longer than 80 words (the scorer drops found asks that long).
Standard library only; exits 1 on any error.
"""

from __future__ import annotations

import argparse
import bisect
import json
import re
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
AGREEMENT = "004_57c8288db939ad7f.txt"
LABELS = {"addressed", "related", "absent"}
MAX_WORDS = 80
# Letters of the shared dev ask set (asks-dev.jsonl / asks-complete-dev.jsonl): file -> first lines.
# Our letters must be other letters, so none of these may fall inside one of our ranges.
DEV_LETTERS = {
    "000_bc9a0256b61318aa.txt": (5, 154, 587, 782),
    "001_824ccb33317f7564.txt": (1098,),
    "002_f77dc67e94f5bf41.txt": (3, 688, 1278, 1408),
}

_SUP = re.compile(r"<su[pb]>[^<]{0,8}</su[pb]>", re.I)
_TAG = re.compile(r"</?b>", re.I)
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_SUPERSCRIPT = re.compile(r"[\u00b9\u00b2\u00b3\u2070-\u2079]+")


def collapse(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def strip_markup(text: str) -> str:
    text = _SUP.sub("", text)
    text = _TAG.sub("", text)
    text = _LINK.sub(r"\1", text)
    text = _SUPERSCRIPT.sub("", text)
    return text.replace("**", "")


def words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


def grams(tokens: list[str], n: int = 5) -> set[tuple[str, ...]]:
    return {tuple(tokens[i : i + n]) for i in range(max(1, len(tokens) - n + 1))}


def overlap(gold: str, found: str) -> float:
    """The shared scorer's match rule (score_asks.py): 0 for no match, else the share of gold covered."""
    g, f = grams(words(gold)), grams(words(found))
    shared = len(g & f)
    cover = shared / len(g)
    return cover if cover >= 0.5 or (shared / len(f) >= 0.9 and cover >= 0.3) else 0.0


class Text:
    """A corpus file collapsed to one line of text (raw and markup-free), with offsets back to lines."""

    def __init__(self, path: Path) -> None:
        lines = path.read_text(encoding="utf-8").split("\n")
        self.views = {}
        for name, clean in (("raw", lambda s: s), ("plain", strip_markup)):
            parts, starts, numbers, pos = [], [], [], 0
            for number, line in enumerate(lines, 1):
                piece = collapse(clean(line))
                if not piece:
                    continue
                starts.append(pos)
                numbers.append(number)
                parts.append(piece)
                pos += len(piece) + 1
            self.views[name] = (" ".join(parts), starts, numbers)

    def find(self, quote: str, plain_only: bool = False) -> list[tuple[int, int]]:
        """(first line, last line) of every occurrence of the quote, in the raw or the markup-free view."""
        views = (("raw", collapse(quote)), ("plain", collapse(strip_markup(quote))))
        for name, q in views[1:] if plain_only else views:
            text, starts, numbers = self.views[name]
            hits, at = [], text.find(q)
            while q and at >= 0:
                first = numbers[bisect.bisect_right(starts, at) - 1]
                last = numbers[bisect.bisect_right(starts, at + len(q) - 1) - 1]
                hits.append((first, last))
                at = text.find(q, at + 1)
            if hits:
                return hits
        return []


def load(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", default=str(HERE.parent / "data" / "corpus"))
    ap.add_argument("--complete", default=str(HERE / "asks_complete_own.jsonl"))
    ap.add_argument("--labelled", default=str(HERE / "asks_labelled_own.jsonl"))
    a = ap.parse_args()

    corpus = Path(a.corpus)
    texts: dict[str, Text] = {}
    errors: list[str] = []

    def text(name: str) -> Text:
        if name not in texts:
            texts[name] = Text(corpus / name)
        return texts[name]

    def long(where: str, quote: str) -> None:
        if len(words(quote)) > MAX_WORDS:
            errors.append(f"{where}: quote has {len(words(quote))} words (> {MAX_WORDS})")

    complete = load(Path(a.complete))
    letters: dict[tuple[str, int], dict] = {}
    n_quotes = 0
    for letter in complete:
        name, (first, last), sender = letter["file"], letter["lines"], letter["sender"]
        where = f"complete {sender} ({name} {first}-{last})"
        letters[(name, first)] = letter
        for dev_line in DEV_LETTERS.get(name, ()):
            if first <= dev_line <= last:
                errors.append(f"{where}: contains dev letter starting at line {dev_line}")
        listed = Counter(collapse(strip_markup(q)) for q in letter["asks"])
        for quote in letter["asks"]:
            n_quotes += 1
            long(where, quote)
            hits = [h for h in text(name).find(quote) if first <= h[0] and h[1] <= last]
            if not hits:
                found = text(name).find(quote)
                errors.append(f"{where}: {'outside the range' if found else 'not found'}: {quote[:90]!r}")
                continue
            times = listed[collapse(strip_markup(quote))]
            inside = [h for h in text(name).find(quote, plain_only=True) if first <= h[0] and h[1] <= last]
            if len(inside) < times:
                errors.append(f"{where}: listed {times} times, occurs {len(inside)} times: {quote[:90]!r}")
    for (name_a, first_a), la in letters.items():
        for (name_b, first_b), lb in letters.items():
            if name_a == name_b and first_a < first_b <= la["lines"][1]:
                errors.append(f"complete letters overlap: {la['sender']} and {lb['sender']}")

    labelled = load(Path(a.labelled))
    ids = Counter(item["id"] for item in labelled)
    errors += [f"duplicate id {i}" for i, n in ids.items() if n > 1]
    per_letter: Counter[tuple[str, int]] = Counter()
    labels: dict[str, Counter[str]] = {}
    for item in labelled:
        where = f"{item['id']} ({item['sender']})"
        ask, label, agreement = item["ask"], item["label"], item["agreement"]
        if ask["file"] != item["letter_file"]:
            errors.append(f"{where}: ask file {ask['file']} is not letter_file {item['letter_file']}")
        key = (item["letter_file"], item["letter_line"])
        letter = letters.get(key)
        if letter is None:
            errors.append(f"{where}: letter_line {key} is not the first line of a complete letter")
        else:
            per_letter[key] += 1
            labels.setdefault(letter["sender"], Counter())[label] += 1
            first, last = letter["lines"]
            if not any(first <= h[0] and h[1] <= last for h in text(ask["file"]).find(ask["quote"])):
                errors.append(f"{where}: ask quote not found in its letter: {ask['quote'][:90]!r}")
            if not any(overlap(q, ask["quote"]) > 0 for q in letter["asks"]):
                errors.append(f"{where}: ask matches none of the letter's complete quotes")
        long(where, ask["quote"])
        for field in ("ask_summary", "note", "sender"):
            if not str(item.get(field) or "").strip():
                errors.append(f"{where}: empty {field}")
        if label not in LABELS:
            errors.append(f"{where}: bad label {label!r}")
        if (label == "absent") != (not agreement):
            errors.append(f"{where}: label {label} with {len(agreement)} agreement quotes")
        for quote in agreement:
            if quote["file"] != AGREEMENT:
                errors.append(f"{where}: agreement quote from {quote['file']}")
            elif not text(AGREEMENT).find(quote["quote"]):
                errors.append(f"{where}: agreement quote not found: {quote['quote'][:90]!r}")
    for key, letter in letters.items():
        if not 4 <= per_letter[key] <= 8:
            errors.append(f"{letter['sender']}: {per_letter[key]} labelled asks (want 4-8)")

    for letter in complete:
        counts = labels.get(letter["sender"], Counter())
        print(
            f"{letter['sender'][:60]:60} {letter['file'][:3]} {letter['lines'][0]:>4}-{letter['lines'][1]:<4} "
            f"asks {len(letter['asks']):>3}  labelled {sum(counts.values())}: "
            + ", ".join(f"{lab} {counts[lab]}" for lab in ("addressed", "related", "absent"))
        )
    total = Counter(item["label"] for item in labelled)
    print(
        f"{len(complete)} letters, {n_quotes} asks; {len(labelled)} labelled: "
        + ", ".join(f"{lab} {total[lab]}" for lab in ("addressed", "related", "absent"))
    )
    for e in errors:
        print("ERROR", e)
    print("OK" if not errors else f"{len(errors)} errors")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
