"""The docs stay honest: every setting documented, the README's test command is the one CI runs,
links resolve, JSON examples parse, and every `qa-service` command shown exists."""

from __future__ import annotations

import ast
import json
import re
import tomllib
import unicodedata
from pathlib import Path

import click
import pytest

from qa_service.cli import cli
from qa_service.config import PACKAGE_ROOT, Settings

README = (PACKAGE_ROOT / "README.md").read_text(encoding="utf-8")
CONFIGURATION = (PACKAGE_ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
DOCS = [PACKAGE_ROOT / "README.md", *sorted((PACKAGE_ROOT / "docs").glob("*.md"))]

FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.M | re.S)
LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")
JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
# Global options of `qa-service` that take a value (the next word is not a command).
VALUE_OPTIONS = {"--index-dir", "--corpus-dir", "--encoder", "--log-level"}


def rel(path: Path) -> str:
    return str(path.relative_to(PACKAGE_ROOT))


def test_every_setting_is_documented() -> None:
    for name in Settings.model_fields:
        assert f"`QA_{name.upper()}`" in README + CONFIGURATION, name


def test_configuration_lists_every_setting_in_its_table() -> None:
    rows = set(re.findall(r"^\| `(QA_[A-Z_]+)` \|", CONFIGURATION, re.M))
    assert rows == {f"QA_{name.upper()}" for name in Settings.model_fields}


def test_ci_runs_the_readme_test_command() -> None:
    ci = (PACKAGE_ROOT / ".ci" / "run").read_text()
    test_cmd = ci.strip().splitlines()[-1]
    assert test_cmd in README


def test_every_dependency_says_why() -> None:
    """Runtime and extra dependencies in the README's table, the test-only ones in development.md."""
    project = tomllib.loads((PACKAGE_ROOT / "pyproject.toml").read_text())["project"]
    development = (PACKAGE_ROOT / "docs" / "development.md").read_text(encoding="utf-8")
    extras = project["optional-dependencies"]
    runtime = [(spec, README) for spec in project["dependencies"] + extras["st"] + extras["postgres"]]
    for spec, text in runtime + [(spec, development) for spec in extras["dev"]]:
        name = re.split(r"[<>=\[ ]", spec)[0]
        assert f"`{name}" in text, name


def test_the_readme_stays_short() -> None:
    assert len(README.splitlines()) <= 220


# --- links -------------------------------------------------------------------------------------


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[`*_]|\[([^\]]*)\]\([^)]*\)", r"\1", heading.strip()).lower()
    text = "".join(c for c in text if c in " -" or unicodedata.category(c)[0] in "LN")
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    text = FENCE.sub("", path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for heading in re.findall(r"^#{1,6} (.+)$", text, re.M):
        base = slug(heading)
        n = 0
        while (name := base if n == 0 else f"{base}-{n}") in found:
            n += 1
        found.add(name)
    return found


def links() -> list[tuple[Path, str]]:
    return [(doc, target) for doc in DOCS for target in LINK.findall(FENCE.sub("", doc.read_text(encoding="utf-8")))]


def test_the_docs_have_links_to_check() -> None:
    assert len(links()) > 20  # the pattern finds them


@pytest.mark.parametrize(("doc", "target"), links(), ids=lambda v: rel(v) if isinstance(v, Path) else v)
def test_every_relative_link_resolves(doc: Path, target: str) -> None:
    if re.match(r"[a-z]+:", target):  # http(s), mailto: not ours to check offline
        return
    file_part, _, anchor = target.partition("#")
    path = (doc.parent / file_part).resolve() if file_part else doc
    assert path.exists(), f"{rel(doc)}: {target} does not exist"
    assert path.is_relative_to(PACKAGE_ROOT), f"{rel(doc)}: {target} leaves the repository"
    if anchor and path.suffix == ".md":
        assert anchor in anchors(path), f"{rel(doc)}: no heading #{anchor} in {rel(path)}"


def test_slugs_follow_github() -> None:
    assert slug("One database: PostgreSQL + pgvector") == "one-database-postgresql--pgvector"
    assert slug("Answers (`/v1/ask`) and evidence") == "answers-v1ask-and-evidence"


# --- JSON examples -----------------------------------------------------------------------------


def without_elisions(block: str) -> str:
    """JSON with the docs' `...` elisions (an elided member or element) removed.

    `...` inside a string is text and stays; outside strings it is dropped together with the
    comma that joined it, so `{"a": 1, ...}` and `[...]` parse as `{"a": 1}` and `[]`."""
    out, pos = [], 0
    for m in JSON_STRING.finditer(block):
        out.append(_drop(block[pos : m.start()]))
        out.append(m.group())
        pos = m.end()
    out.append(_drop(block[pos:]))
    return "".join(out)


def _drop(between: str) -> str:
    between = re.sub(r",\s*\.\.\.", "", between)  # `[1, ...]`, `{"a": 1, ...}`
    between = re.sub(r"\.\.\.\s*,", "", between)  # `[..., 2]`
    return between.replace("...", "")  # `[...]`, `{...}`


def json_blocks() -> list[tuple[Path, int, str]]:
    found = []
    for doc in DOCS:
        for i, m in enumerate(m for m in FENCE.finditer(doc.read_text(encoding="utf-8")) if m.group(1) == "json"):
            found.append((doc, i, m.group(2)))
    return found


def test_elisions_are_removed_outside_strings_only() -> None:
    text = '{"a": [1, ...], "b": {...}, "c": "x ...", ..., "d": {"e": 1, ...}}'
    assert json.loads(without_elisions(text)) == {"a": [1], "b": {}, "c": "x ...", "d": {"e": 1}}
    assert json.loads(without_elisions('{"a": [..., {"b": 1}, ...]}')) == {"a": [{"b": 1}]}


@pytest.mark.parametrize(
    ("doc", "n", "block"), json_blocks(), ids=lambda v: rel(v) if isinstance(v, Path) else str(v)[:0]
)
def test_every_json_example_parses(doc: Path, n: int, block: str) -> None:
    try:
        json.loads(without_elisions(block))
    except json.JSONDecodeError as e:
        pytest.fail(f"{rel(doc)}, json block {n + 1}: {e}")


def test_every_python_example_parses() -> None:
    python = [
        (doc, m.group(2))
        for doc in DOCS
        for m in FENCE.finditer(doc.read_text(encoding="utf-8"))
        if m.group(1) == "python"
    ]
    assert len(python) >= 3
    for doc, code in python:
        ast.parse(code, filename=rel(doc))


def test_the_readme_has_json_examples() -> None:
    assert sum(1 for doc, _, _ in json_blocks() if doc.name == "README.md") >= 4


# --- commands ----------------------------------------------------------------------------------


def commands_shown() -> list[tuple[Path, tuple[str, ...]]]:
    """Every `qa-service ...` command in a shell block or an inline code span, as its words."""
    shown = []
    for doc in DOCS:
        text = doc.read_text(encoding="utf-8")
        snippets = [m.group(2) for m in FENCE.finditer(text) if m.group(1) in ("sh", "text", "")]
        snippets += re.findall(r"(?<!`)`([^`\n]+)`(?!`)", FENCE.sub("", text))
        for snippet in snippets:
            for line in snippet.splitlines():
                for m in re.finditer(r"(?:^|[\s/])qa-service((?:[ \t]+[^\s#|&;]+)*)", line):
                    words = tuple(m.group(1).split())
                    if words and re.match(r"-|[a-z]", words[0]):
                        shown.append((doc, words))
    return shown


def subcommand(words: tuple[str, ...]) -> list[str]:
    """The command path the words name: global options and their values skipped, then names."""
    path: list[str] = []
    group: click.Group = cli
    it = iter(words)
    for word in it:
        if word.startswith("-"):
            if not path and word in VALUE_OPTIONS:
                next(it, None)
            if path:
                break
            continue
        path.append(word)
        sub = group.commands.get(word)
        if not isinstance(sub, click.Group):
            break
        group = sub
    return path


def test_the_docs_show_commands() -> None:
    names = {subcommand(words)[0] for _, words in commands_shown() if subcommand(words)}
    assert {"index", "serve", "search", "mcp"} <= names, names


@pytest.mark.parametrize(
    ("doc", "words"), commands_shown(), ids=lambda v: rel(v) if isinstance(v, Path) else " ".join(v)[:40]
)
def test_every_command_shown_exists(doc: Path, words: tuple[str, ...]) -> None:
    path = subcommand(words)
    if not path:  # only options (`qa-service --help`, `--version`)
        return
    group: click.Command = cli
    for name in path:
        assert isinstance(group, click.Group), f"{rel(doc)}: `qa-service {' '.join(words)}`"
        cmd = group.commands.get(name)
        if cmd is None and name in PENDING and name not in cli.commands:
            pytest.xfail(f"`qa-service {name}` is on another branch (ask tracing), not merged here yet")
        assert cmd is not None, f"{rel(doc)}: `qa-service {' '.join(words)}`: no command {name!r}"
        group = cmd
    if isinstance(group, click.Group):
        pytest.fail(f"{rel(doc)}: `qa-service {' '.join(words)}` names a group, not a command")


# Commands the docs show before their branch is merged; an entry here has no effect once the
# command exists, and should then be removed.
PENDING = {"asks"}
