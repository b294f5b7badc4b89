"""Progress of long builds, and no library DEBUG chatter at the default log level."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from qa_service.cli import cli
from qa_service.log import configure_logging
from qa_service.progress import Progress
from qa_service.store.folder.bm25 import KeywordIndex
from tests.conftest import CORPUS


class Clock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def test_without_a_terminal_a_line_every_interval_with_an_eta() -> None:
    lines: list[str] = []
    clock = Clock()
    p = Progress("embedding", log=lines.append, interval=10, terminal=False, clock=clock)
    p(600, 1000)  # the cache answered 600 at once: not part of the rate
    for done in range(610, 1001, 10):
        clock.t += 1.0  # 10 texts a second
        p(done, 1000)
    p.close()
    assert len(lines) == 5  # at 10, 20, 30 s, then 40 s (done), then the closing line
    assert lines[0] == "embedding: 700/1000 texts (70%), 10.0 texts/s, about 30 s left"
    assert lines[-1] == "embedding: 1000/1000 texts in 40 s"


def test_short_work_logs_nothing() -> None:
    lines: list[str] = []
    clock = Clock()
    p = Progress(log=lines.append, terminal=False, clock=clock)
    p(0, 10)
    clock.t += 3
    p(10, 10)
    p.close()
    assert lines == []


def test_on_a_terminal_a_bar_with_the_total_and_an_eta() -> None:
    out = io.StringIO()
    clock = Clock()
    p = Progress("embedding", stream=out, terminal=True, clock=clock)
    p(100, 1000)
    p(400, 1000)
    p.close()
    text = out.getvalue()
    assert "embedding" in text and "400/1000" in text and "<" in text  # tqdm's "elapsed<remaining"


def test_cli_build_off_a_terminal_prints_its_stages(tmp_path: Path) -> None:
    res = CliRunner().invoke(
        cli,
        ["--encoder", "hashing", "--index-dir", str(tmp_path / "idx"), "--corpus-dir", str(CORPUS), "index", "build"],
        env={"QA_CACHE_DIR": str(tmp_path / "cache"), "QA_VECTORS_DIR": str(tmp_path / "none")},
    )
    assert res.exit_code == 0, res.output
    assert "seconds: parse" in res.output and "encode_sentences" in res.output and "bm25" in res.output
    assert "0 cached, 0 shipped" in res.output


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def test_no_library_debug_output_at_info(restore_logging: None, capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("INFO")
    assert logging.getLogger("bm25s").level == logging.DEBUG  # bm25s sets this itself on import
    KeywordIndex.build(["de zorg en het kabinet", "het onderwijs"])
    logging.getLogger("qa_service.test").info("still shown")
    err = capsys.readouterr().err
    assert "DEBUG" not in err and "Building index" not in err
    assert "still shown" in err


def test_each_stage_gets_its_own_rate_and_eta() -> None:
    lines: list[str] = []
    clock = Clock()
    p = Progress("embedding passages", log=lines.append, interval=10, terminal=False, clock=clock)
    p(0, 100)
    clock.t += 50
    p(100, 100)  # 2 a second
    p.start("embedding sentences")
    p(0, 1000)
    clock.t += 10
    p(200, 1000)  # 20 a second: the passages' rate plays no part
    assert lines == [
        "embedding passages: 100/100 texts (100%), 2.0 texts/s",
        "embedding passages: 100/100 texts in 50 s",
        "embedding sentences: 200/1000 texts (20%), 20.0 texts/s, about 40 s left",
    ]
