"""The README documents every setting, and its commands are the ones CI runs."""

from __future__ import annotations

from qa_service.config import PACKAGE_ROOT, Settings

README = (PACKAGE_ROOT / "README.md").read_text(encoding="utf-8")


def test_every_setting_is_in_the_readme() -> None:
    for name in Settings.model_fields:
        assert f"`QA_{name.upper()}`" in README, name


def test_ci_runs_the_readme_test_command() -> None:
    ci = (PACKAGE_ROOT / ".ci" / "run").read_text()
    test_cmd = ci.strip().splitlines()[-1]
    assert test_cmd in README
