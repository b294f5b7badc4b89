#!/usr/bin/env python3
"""Check the hand-made evaluation files of eval/ against the corpus.

    python eval/check_asks_own.py [--corpus DIR]

- asks_own.jsonl: every line has the fields of the format, a known label and language, 1-3
  agreement quotes for addressed/related and none for absent, an ask of 10-60 words, a unique id;
  every agreement quote stands in the coalition agreement once its whitespace is collapsed.
- who_asks_dev.jsonl / who_asks_tune.jsonl: the answers format of score_answers.py (kind lookup,
  answer_keys, answer_keys_min no larger than the number of keys); every evidence quote stands in
  its corpus file (whitespace collapsed); dev questions cite only the dev letters' line ranges for
  their primary evidence, tune questions cite no dev letter at all.

Prints one line per problem and a summary; exits 1 when anything is wrong. Standard library only.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_CORPUS = Path("/work/shared/corpus")
AGREEMENT = "004_57c8288db939ad7f.txt"
LABELS = {"addressed", "related", "absent"}
LANGS = {"nl", "en"}
# The letters of the ask dev set (asks-dev.jsonl / asks-complete-dev.jsonl): file -> line ranges
# (first, last) of the items, replies excluded. who_asks_dev may only ask about these letters,
# who_asks_tune about none of them.
DEV_LETTERS = {
    "000_bc9a0256b61318aa.txt": [(5, 50), (154, 213), (587, 747), (782, 910)],  # NVZ, VluchtelingenWerk, RSJ
    "001_824ccb33317f7564.txt": [(1098, 1142)],  # Architectuur Overal
    "002_f77dc67e94f5bf41.txt": [(3, 103), (688, 890), (1278, 1377), (1408, 1610)],  # NVO, Steenbergen, TijdVoorActie, NUWWC
}


def collapse(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def words(text: str) -> int:
    return len(re.findall(r"\w+", text))


def load(path: Path) -> list[dict]:
    rows = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            row = json.loads(line)
            row["_line"] = n
            rows.append(row)
    return rows


def quote_lines(raw: str, quote: str) -> tuple[int, int] | None:
    """The 1-based first and last line of the file that the (collapsed) quote spans."""
    # Map each character of the collapsed text back to its line in the raw file.
    out_chars, line_of = [], []
    line, prev_space = 1, True
    for ch in raw:
        if ch.isspace():
            if not prev_space:
                out_chars.append(" ")
                line_of.append(line)
            prev_space = True
        else:
            out_chars.append(ch)
            line_of.append(line)
            prev_space = False
        if ch == "\n":
            line += 1
    flat = "".join(out_chars)
    i = flat.find(quote)
    if i < 0:
        return None
    return line_of[i], line_of[i + len(quote) - 1]


def check_asks(rows: list[dict], agreement: str, problems: list[str]) -> Counter:
    tally: Counter = Counter()
    seen: set[str] = set()
    for r in rows:
        where = f"asks_own.jsonl:{r['_line']} {r.get('id')}"
        for field in ("id", "sender", "ask", "ask_summary", "label", "agreement", "note", "lang"):
            if field not in r:
                problems.append(f"{where}: missing field {field}")
        if r.get("id") in seen:
            problems.append(f"{where}: duplicate id")
        seen.add(r.get("id"))
        label, lang = r.get("label"), r.get("lang")
        if label not in LABELS:
            problems.append(f"{where}: unknown label {label!r}")
        if lang not in LANGS:
            problems.append(f"{where}: unknown lang {lang!r}")
        n = words((r.get("ask") or {}).get("quote", ""))
        if not 10 <= n <= 60:
            problems.append(f"{where}: ask has {n} words (want 10-60)")
        quotes = r.get("agreement") or []
        if label == "absent" and quotes:
            problems.append(f"{where}: absent ask with agreement quotes")
        if label in ("addressed", "related") and not 1 <= len(quotes) <= 3:
            problems.append(f"{where}: {len(quotes)} agreement quotes (want 1-3)")
        for q in quotes:
            if q.get("file") != AGREEMENT:
                problems.append(f"{where}: agreement quote from {q.get('file')}")
            if collapse(q.get("quote", "")) not in agreement:
                problems.append(f"{where}: quote not in the agreement: {q.get('quote', '')[:80]!r}")
        tally[(label, lang)] += 1
    return tally


_LETTERS: list[str] = []


def corpus_lower(corpus: Path, raw: dict[str, str]) -> str:
    """All letter files (not the agreement), lower-cased: where an answer key must occur."""
    if not _LETTERS:
        _LETTERS.append("\n".join(p.read_text(encoding="utf-8") for p in sorted(corpus.glob("*.txt"))
                                  if p.name != AGREEMENT).lower())
    return _LETTERS[0]


def in_dev(file: str, span: tuple[int, int]) -> bool:
    return any(a <= span[0] and span[1] <= b for a, b in DEV_LETTERS.get(file, []))


def check_who(name: str, rows: list[dict], corpus: Path, raw: dict[str, str], dev: bool, problems: list[str]) -> Counter:
    tally: Counter = Counter()
    seen: set[str] = set()
    for r in rows:
        where = f"{name}:{r['_line']} {r.get('id')}"
        for field in ("id", "query", "lang", "kind", "style", "evidence", "answer", "answer_keys", "answer_keys_min", "note"):
            if field not in r:
                problems.append(f"{where}: missing field {field}")
        if r.get("id") in seen:
            problems.append(f"{where}: duplicate id")
        seen.add(r.get("id"))
        if r.get("kind") != "lookup":
            problems.append(f"{where}: kind {r.get('kind')!r}, want lookup")
        if r.get("lang") not in LANGS or r.get("style") not in ("paraphrase", "lexical"):
            problems.append(f"{where}: bad lang/style")
        keys = r.get("answer_keys") or []
        if not keys or not 1 <= int(r.get("answer_keys_min", 1)) <= len(keys):
            problems.append(f"{where}: answer_keys/answer_keys_min inconsistent")
        for key in keys:
            if key.lower() not in corpus_lower(corpus, raw):
                problems.append(f"{where}: answer key {key!r} is written nowhere in the letters")
        evidence = r.get("evidence") or []
        if not evidence:
            problems.append(f"{where}: no evidence")
        for k, ev in enumerate(evidence):
            file = ev.get("file", "")
            if file not in raw:
                if not (corpus / file).is_file():
                    problems.append(f"{where}: unknown file {file}")
                    continue
                raw[file] = (corpus / file).read_text(encoding="utf-8")
            span = quote_lines(raw[file], collapse(ev.get("quote", "")))
            if span is None:
                problems.append(f"{where}: quote not in {file}: {ev.get('quote', '')[:80]!r}")
                continue
            if file == AGREEMENT:
                problems.append(f"{where}: evidence from the agreement, want a letter")
            # The first evidence is the letter the question is about; later ones may be other
            # letters asking the same (dev) and must not be dev letters (tune).
            if dev and k == 0 and not in_dev(file, span):
                problems.append(f"{where}: first evidence is not in a dev letter ({file}:{span[0]})")
            if not dev and in_dev(file, span):
                problems.append(f"{where}: evidence in a dev letter ({file}:{span[0]})")
        tally[(r.get("lang"), r.get("style"))] += 1
        files = {ev.get("file") for ev in evidence}
        tally[("senders", "several" if len(files) > 1 or int(r.get("answer_keys_min", 1)) > 1 else "one")] += 1
    return tally


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    args = ap.parse_args()
    problems: list[str] = []
    raw: dict[str, str] = {}
    agreement = collapse((args.corpus / AGREEMENT).read_text(encoding="utf-8"))
    asks = HERE / "asks_own.jsonl"
    if asks.is_file():
        tally = check_asks(load(asks), agreement, problems)
        print("asks_own.jsonl:", sum(tally.values()), "asks;",
              ", ".join(f"{k[0]}/{k[1]} {v}" for k, v in sorted(tally.items())))
    for name, dev in (("who_asks_dev.jsonl", True), ("who_asks_tune.jsonl", False)):
        path = HERE / name
        if path.is_file():
            tally = check_who(name, load(path), args.corpus, raw, dev, problems)
            print(f"{name}:", ", ".join(f"{k[0]}/{k[1]} {v}" for k, v in sorted(tally.items())))
    for p in problems:
        print("PROBLEM", p)
    print("ok" if not problems else f"{len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
