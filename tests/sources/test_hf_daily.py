"""Hugging Face daily-papers captures: the real files and the archived quirk shapes."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from papersift.paper import Popularity
from tests.sources._util import run


@pytest.fixture(scope="module")
def raw(shared_data: Path) -> Path:
    return shared_data / "hf-daily-papers/raw"


def test_counts(raw: Path) -> None:
    result = run("hf-daily", raw)
    assert len(result.papers) == 51 and result.errors == []  # 20 + 16 + 15 entries
    assert len(result.by_id()) == 51


def test_2024_capture_without_submitted_on_daily_at(raw: Path) -> None:
    paper = run("hf-daily", raw / "2024-06-24.json").by_id()["2406.15319"]
    assert paper.title == "LongRAG: Enhancing Retrieval-Augmented Generation with Long-context LLMs"
    assert paper.authors == ["Ziyan Jiang", "Xueguang Ma", "Wenhu Chen"]
    assert paper.submitted == date(2024, 6, 21)  # arXiv publication
    assert paper.announced == date(2024, 6, 24)  # featured day: the entry's publishedAt
    assert paper.popularity == [Popularity("hf-daily", date(2024, 6, 24), upvotes=16, comments=1)]
    assert paper.links["hf"] == "https://huggingface.co/papers/2406.15319"
    assert paper.sources == ["hf-daily"]


def test_2025_capture_with_code_link_and_stars(raw: Path) -> None:
    entries = json.loads((raw / "2025-07-09.json").read_text())
    with_repo = next(e for e in entries if e["paper"].get("githubRepo"))
    paper = run("hf-daily", raw / "2025-07-09.json").by_id()[with_repo["paper"]["id"]]
    assert paper.links["code"] == with_repo["paper"]["githubRepo"]
    assert paper.popularity[0].github_stars == with_repo["paper"]["githubStars"]
    assert paper.popularity[0].upvotes == with_repo["paper"]["upvotes"]
    omni = run("hf-daily", raw / "2025-07-09.json").by_id()["2507.06165"]
    assert omni.title == "OmniPart: Part-Aware 3D Generation with Semantic Decoupling and Structural Cohesion"
    assert (omni.submitted, omni.announced) == (date(2025, 7, 8), date(2025, 7, 9))
    assert omni.popularity == [Popularity("hf-daily", date(2025, 7, 9), upvotes=28, comments=1)]


def test_project_page_link(raw: Path) -> None:
    entries = json.loads((raw / "2026-08-21.json").read_text())
    with_page = next(e for e in entries if e["paper"].get("projectPage"))
    paper = run("hf-daily", raw / "2026-08-21.json").by_id()[with_page["paper"]["id"]]
    assert paper.links["project"] == with_page["paper"]["projectPage"]


def test_python_repr_strings_and_dict_wrapper(raw: Path, tmp_path: Path) -> None:
    entries = json.loads((raw / "2024-06-24.json").read_text())
    (tmp_path / "2024-06-24.json").write_text(json.dumps([repr(e) for e in entries]))
    reprs = run("hf-daily", tmp_path / "2024-06-24.json")
    assert reprs.errors == []
    plain = run("hf-daily", raw / "2024-06-24.json")
    assert [p.to_dict() for p in reprs.papers] == [p.to_dict() for p in plain.papers]
    wrapped = tmp_path / "wrapped.json"
    wrapped.write_text(json.dumps({"status": "ok", "date": "2024-06-24", "count": 20, "data": entries}))
    result = run("hf-daily", wrapped)
    assert len(result.papers) == 20
    # no date in the file name: the popularity is observed on the featured day
    assert {p.popularity[0].observed for p in result.papers} == {date(2024, 6, 24)}


def test_bad_entries_and_files(raw: Path, tmp_path: Path) -> None:
    entries = json.loads((raw / "2024-06-24.json").read_text())[:2]
    bad = [
        entries[0],
        "{'paper': ",
        {"nopaper": 1},
        {"paper": {"id": "2406.00001", "title": ""}},
        {"paper": {"id": "2406.00002", "title": "T", "upvotes": "many"}},
        entries[1],
    ]
    path = tmp_path / "2024-06-24.json"
    path.write_text(json.dumps(bad))
    (tmp_path / "2024-06-25.json").write_text("<html>not json</html>")
    result = run("hf-daily", tmp_path)
    assert len(result.papers) == 2
    assert [(e.where.rsplit("/", 1)[1], e.message.split(" (")[0]) for e in result.errors] == [
        ("2024-06-24.json entry 2", "malformed record"),
        ("2024-06-24.json entry 3", "malformed record"),
        ("2024-06-24.json entry 4", "missing title"),
        ("2024-06-24.json entry 5", "malformed record"),
        ("2024-06-25.json", "not a JSON document"),
    ]
