"""Shared fixtures: the real third-party data in ../shared/data and isolated papersift homes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def shared_data_dir() -> Path | None:
    """`$PAPERSIFT_SHARED_DATA` or `<repo>/../shared/data`; None when neither exists."""
    env = os.environ.get("PAPERSIFT_SHARED_DATA")
    path = Path(env) if env else REPO.parent / "shared" / "data"
    return path if path.is_dir() else None


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real data collections; tests needing them skip (loudly) for outside contributors."""
    path = shared_data_dir()
    if path is None:
        pytest.skip("../shared/data is absent (set PAPERSIFT_SHARED_DATA to the shared data folder)")
    return path


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An isolated papersift home directory, also exported as PAPERSIFT_HOME."""
    h = tmp_path / "home"
    h.mkdir()
    monkeypatch.setenv("PAPERSIFT_HOME", str(h))
    return h
