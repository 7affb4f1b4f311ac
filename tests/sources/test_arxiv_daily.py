"""Daily arXiv listing crawls: the three real raw files."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from papersift.sources.base import SourceError
from tests.sources._util import run


@pytest.fixture(scope="module")
def raw(shared_data: Path) -> Path:
    return shared_data / "arxiv-daily-cs/raw"


def test_counts_per_file_and_listing_dates(raw: Path) -> None:
    result = run("arxiv-daily", raw)
    assert len(result.papers) == 865 and result.errors == []  # 364 + 216 + 285 lines
    assert len(result.by_id()) == 660  # a crawl lists some papers twice (identical lines)
    by_day: dict[date | None, int] = {}
    for paper in result.papers:
        by_day[paper.announced] = by_day.get(paper.announced, 0) + 1
    assert by_day == {date(2025, 3, 18): 364, date(2025, 11, 26): 216, date(2026, 7, 1): 285}


def test_record_fields(raw: Path) -> None:
    paper = run("arxiv-daily", raw / "2025-03-18.jsonl").by_id()["2503.11731"]
    assert paper.title.startswith("Industrial-Grade Sensor Simulation via Gaussian Splatting")
    assert paper.authors[:2] == ["Xianming Zeng", "Sicong Du"] and len(paper.authors) == 16
    assert paper.categories == ["cs.CV", "cs.RO"] and paper.primary_category == "cs.CV"
    assert paper.links == {"abs": "https://arxiv.org/abs/2503.11731", "pdf": "https://arxiv.org/pdf/2503.11731"}
    assert paper.submitted is None and paper.announced == date(2025, 3, 18)
    assert paper.raw_abstract and "\n" in paper.raw_abstract and "\n" not in paper.abstract
    assert paper.sources == ["arxiv-daily"]


def test_date_option_and_since(raw: Path, tmp_path: Path) -> None:
    renamed = tmp_path / "listing.jsonl"
    renamed.write_bytes((raw / "2025-11-26.jsonl").read_bytes())
    assert {p.announced for p in run("arxiv-daily", renamed).papers} == {None}
    dated = run("arxiv-daily", renamed, options={"date": "2025-11-25"})
    assert {p.announced for p in dated.papers} == {date(2025, 11, 25)}
    with pytest.raises(SourceError, match="date="):
        run("arxiv-daily", renamed, options={"date": "yesterday"})
    assert len(run("arxiv-daily", raw, since=date(2026, 1, 1)).papers) == 285
