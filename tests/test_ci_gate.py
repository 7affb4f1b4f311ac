"""Under CI (`CI=true`) a skipped test fails the run, also when `make test` spreads the suite over
several processes (pytest-xdist): the workers' skip reports reach the controlling process, whose
`pytest_sessionfinish` (tests/conftest.py) turns the exit status non-zero."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

A_PASS_AND_A_SKIP = 'import pytest\n\n\ndef test_ok():\n    pass\n\n\ndef test_stray():\n    pytest.skip("stray")\n'


def _run(tmp_path: Path, *, ci: bool, workers: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "test_sample.py").write_text(A_PASS_AND_A_SKIP)
    env = {**os.environ, "CI": "true" if ci else "", "PYTHONPATH": str(REPO)}
    command = [sys.executable, "-m", "pytest", "-q", "-n", workers, "-p", "tests.conftest", "-p", "no:cacheprovider"]
    return subprocess.run(
        [*command, str(tmp_path / "test_sample.py")], cwd=REPO, env=env, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize("workers", ["0", "2"])
def test_a_skip_fails_the_run_under_ci(tmp_path: Path, workers: str) -> None:
    run = _run(tmp_path, ci=True, workers=workers)
    assert run.returncode == pytest.ExitCode.TESTS_FAILED, run.stdout + run.stderr
    assert "CI=true: 1 test(s) skipped, which CI counts as failures" in run.stdout
    assert "test_sample.py::test_stray" in run.stdout


def test_a_skip_is_only_reported_outside_ci(tmp_path: Path) -> None:
    run = _run(tmp_path, ci=False, workers="2")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "1 passed, 1 skipped" in run.stdout
