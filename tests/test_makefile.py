"""`make run` installs what running needs, visibly; the test extras come with `make test` (issue 12 §4)."""

from __future__ import annotations

import re
import subprocess

from tests.conftest import REPO


def _recipe(target: str) -> str:
    text = (REPO / "Makefile").read_text()
    match = re.search(rf"^{re.escape(target)}:.*\n((?:\t.*\n)+)", text, re.MULTILINE)
    assert match, f"no {target} rule"
    return match.group(0)


def test_run_installs_run_dependencies_only_with_progress() -> None:
    install = _recipe("$(BIN)/.installed")
    assert "pip install --progress-bar on -e ." in install and "[test]" not in install and " -q" not in install
    assert "[test]" in _recipe("$(BIN)/.installed-test")
    assert "$(BIN)/.installed-test" in _recipe("test").splitlines()[0]
    plan = subprocess.run(["make", "-n", "run"], cwd=REPO, capture_output=True, text=True, check=True).stdout
    assert ".installed-test" not in plan and "[test]" not in plan
    assert "papersift --home .papersift-demo search" in plan  # it tells the user how to use the CLI on that home
