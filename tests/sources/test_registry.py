"""Every registered format resolves to a streaming `iter_papers`."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

from papersift.sources import REGISTRY, get_source
from papersift.sources.base import SourceContext, SourceError


def test_registered_formats() -> None:
    assert set(REGISTRY) == {
        "arxiv-oai",
        "arxiv-kaggle",
        "arxiv-abs",
        "arxiv-daily",
        "hf-daily",
        "beir",
        "jsonl",
        "csv",
        "bibtex",
        "ris",
        "csl-json",
    }
    for name in REGISTRY:
        assert list(inspect.signature(get_source(name)).parameters) == ["location", "ctx"]


def test_unknown_format_lists_known_ones() -> None:
    with pytest.raises(SourceError, match="known formats: arxiv-abs, arxiv-daily"):
        get_source("endnote")


def test_missing_location_is_a_source_error(tmp_path: Path) -> None:
    for name in REGISTRY:
        with pytest.raises(SourceError, match="no such file"):
            list(get_source(name)(str(tmp_path / "missing"), SourceContext()))
