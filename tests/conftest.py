"""Shared fixtures and the one rule for missing prerequisites.

A test that cannot run here (no ../shared/data, no chromium, no Playwright, no pymilvus, no
openssl) calls `require(condition, why)`: locally that is a loud skip, but under CI (`CI=true`)
it is a failure, so a green CI run means every test ran. As a second guard, a CI run that ends
with any skipped test (from `require` or a stray `pytest.skip`) exits non-zero.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CI = os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")

# The collections of ../shared/data the suite reads; all must be there for the data to count as present.
SHARED_COLLECTIONS = (
    "arxiv-abs",
    "arxiv-daily-cs",
    "arxiv-kaggle-sample",
    "arxiv-oai-fixtures",
    "arxiv-quant-ph",
    "cacm",
    "cisi",
    "cranfield",
    "hf-daily-papers",
    "nfcorpus-preprocessed",
    "scifact",
)

# a real PostgreSQL server (`postgres`) and the SQLite/PostgreSQL-parametrised `database_url` fixture
pytest_plugins = ["tests.postgres"]


def require(condition: bool, why: str, *, module: bool = False) -> None:
    """Stop this test (or, with `module=True`, the whole module at import) unless `condition` holds.

    Locally a skip that says `NOT RUN: <why>`; under CI a failure saying `CI PREREQUISITE MISSING`.
    """
    if condition:
        return
    if CI:
        pytest.fail(f"CI PREREQUISITE MISSING: {why}", pytrace=False)
    pytest.skip(f"NOT RUN: {why}", allow_module_level=module)


def shared_data_dir() -> Path:
    """`$PAPERSIFT_SHARED_DATA` or `<repo>/../shared/data` (which may not exist)."""
    env = os.environ.get("PAPERSIFT_SHARED_DATA")
    return Path(env) if env else REPO.parent / "shared" / "data"


def missing_collections(path: Path) -> list[str]:
    return [name for name in SHARED_COLLECTIONS if not (path / name).is_dir()]


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real data collections (../shared/data); see `require` for what happens when absent."""
    path = shared_data_dir()
    missing = missing_collections(path)
    require(
        not missing,
        f"../shared/data is incomplete at {path} (missing: {', '.join(missing)}); "
        "set PAPERSIFT_SHARED_DATA to the shared data folder",
    )
    return path


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An isolated papersift home directory, also exported as PAPERSIFT_HOME."""
    h = tmp_path / "home"
    h.mkdir()
    monkeypatch.setenv("PAPERSIFT_HOME", str(h))
    return h


_skipped: list[str] = []


def pytest_collectreport(report: pytest.CollectReport) -> None:
    if report.skipped:
        _skipped.append(report.nodeid)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.skipped:
        _skipped.append(report.nodeid)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Under CI a skip is a failure: the run's exit status turns non-zero and says which tests."""
    if CI and _skipped and exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line(f"CI=true: {len(_skipped)} test(s) skipped, which CI counts as failures:", red=True)
            for nodeid in _skipped:
                reporter.write_line(f"  {nodeid}", red=True)
