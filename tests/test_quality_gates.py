"""Static checks run with the tests, so CI and developers see the same: ruff and mypy (strict)."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import PACKAGE_ROOT


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], cwd=PACKAGE_ROOT, capture_output=True, text=True)


def test_ruff_lint_and_format() -> None:
    lint = run("ruff", "check", "qa_service", "tests", "scripts")
    assert lint.returncode == 0, lint.stdout + lint.stderr
    fmt = run("ruff", "format", "--check", "qa_service", "tests", "scripts")
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr


def test_mypy_strict() -> None:
    res = run("mypy", "qa_service")
    assert res.returncode == 0, res.stdout[-3000:]
