"""Related work for a draft, end to end on a real home: the service, `papersift related`,
`POST /api/related` and the `/related` page.

The home holds 150 real SciFact abstracts and 60 real arXiv listings (arxiv-daily-cs: with
categories and dates), embedded with the bundled encoder once per module.
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from papersift.config import load_settings
from papersift.context import AppContext
from papersift.index.indexer import run_indexer
from papersift.paper import Paper, make_paper
from papersift.query.types import Filters, QueryError
from papersift.search.references import parse_references
from papersift.search.related import MAX_TEXT_CHARS, MIN_PASSAGE_WORDS, PASSAGE_WORDS, split_passages
from papersift.web.app import create_app
from tests.test_cli_catalog import cli

XSS = "<script>alert(1)</script> Spectral clustering of zebrafish retina recordings"


def _papers(shared: Path) -> list[Paper]:
    out = []
    with (shared / "scifact" / "corpus.jsonl").open() as fh:
        for line, _ in zip(fh, range(150), strict=False):
            d = json.loads(line)
            out.append(Paper(id=f"scifact:{d['_id']}", title=d["title"], abstract=d["text"]))
    with gzip.open(shared / "arxiv-daily-cs" / "corpus.jsonl.gz", "rt") as fh:
        for line, _ in zip(fh, range(60), strict=False):
            d = json.loads(line)
            out.append(
                make_paper(
                    source="test",
                    arxiv_id=d["_id"],
                    title=d["title"],
                    abstract=d["text"],
                    authors=d["authors"],
                    categories=d["categories"],
                    announced=date.fromisoformat(d["date"]),
                )
            )
    out.append(
        make_paper(source="test", arxiv_id="2599.00001", title=XSS, abstract="Zebrafish retina spectral clustering.")
    )
    return out


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> Path:
    h = tmp_path_factory.mktemp("related-home")
    ctx = AppContext(load_settings(h))
    ctx.catalog.upsert(_papers(shared_data))
    run_indexer(ctx.catalog, ctx.indexes, ctx.encoder)
    ctx.close()
    return h


@pytest.fixture(scope="module")
def ctx(home: Path) -> Iterator[AppContext]:
    context = AppContext(load_settings(home))
    yield context
    context.close()


@pytest.fixture(scope="module")
def arxiv(ctx: AppContext) -> list[Paper]:
    return [p for p in ctx.catalog.iter_all() if p.categories and p.id != "2599.00001"]


# --- passages ---------------------------------------------------------------------------------


def test_paragraphs_become_passages_and_long_ones_are_cut_at_sentences() -> None:
    sentence = "Graph networks learn molecular properties from atoms and bonds. "
    long_para = sentence * 40  # 400 words
    passages = split_passages(f"A short heading\n\n{long_para}\n\nSecond paragraph. " + "word " * 60)
    assert len(passages) >= 4
    assert passages[0].startswith("A short heading Graph networks")  # a tiny paragraph joins the next
    assert all(p.endswith(".") for p in passages[:-1])  # cut at sentence ends
    assert passages[-1].startswith("Second paragraph.")


@given(st.lists(st.sampled_from(["alpha", "beta.", "gamma!", "\n\n", "delta?", "x"]), max_size=800))
def test_passages_keep_every_word_in_order_and_stay_bounded(tokens: list[str]) -> None:
    text = " ".join(tokens)
    passages = split_passages(text)
    assert " ".join(passages).split() == text.split()
    assert all(len(p.split()) <= PASSAGE_WORDS + MIN_PASSAGE_WORDS for p in passages)


# --- the service --------------------------------------------------------------------------------


def test_a_papers_abstract_finds_the_paper_first_with_its_reason(ctx: AppContext, arxiv: list[Paper]) -> None:
    for paper in arxiv[:5]:
        result = ctx.related.related(paper.abstract, limit=10)
        first = result.hits[0]
        assert first.paper.id == paper.id
        assert first.passage == 0 and first.similarity is not None and first.similarity > 0.8
        assert first.shared_terms and set(first.shared_terms) <= set(result.key_terms)
        assert "similarity" in first.reason and "passage 1" in first.reason


def test_each_hit_names_the_passage_it_matches(ctx: AppContext, arxiv: list[Paper]) -> None:
    a, b = arxiv[10], arxiv[40]
    result = ctx.related.related(f"{a.abstract}\n\n{b.abstract}", limit=20)
    by_id = {h.paper.id: h for h in result.hits}
    assert len(result.passages) >= 2
    for paper in (a, b):  # the passage named is one cut from that paper's own abstract
        index = by_id[paper.id].passage
        assert index is not None and result.passages[index] in " ".join(paper.abstract.split())


def test_bib_entries_are_matched_by_id_and_title_and_marked_cited(ctx: AppContext, arxiv: list[Paper]) -> None:
    by_id, by_title, draft = arxiv[3], arxiv[4], arxiv[5]
    bib = (
        f"@article{{a, title={{Something}}, eprint={{{by_id.id}}}, archivePrefix={{arXiv}}}}\n"
        f"@article{{b, title={{{by_title.title.upper()}}}, year={{2025}}}}\n"
        "@article{c, title={A paper nobody has ingested}, year={1999}}\n"
        "@article{broken, title={no closing brace\n"
    )
    refs = parse_references(bib)
    assert len(refs.papers) == 3
    result = ctx.related.related(draft.abstract, refs.papers, limit=50)
    assert {p.id for p in result.cited} == {by_id.id, by_title.id}
    assert result.unmatched_citations == ["A paper nobody has ingested"]
    marked = {h.paper.id for h in result.hits if h.cited}
    assert marked == {by_id.id, by_title.id} & {h.paper.id for h in result.hits} and marked
    hidden = ctx.related.related(draft.abstract, refs.papers, limit=50, hide_cited=True)
    assert not {h.paper.id for h in hidden.hits} & {by_id.id, by_title.id}


def test_references_alone_find_papers_near_them(ctx: AppContext, arxiv: list[Paper]) -> None:
    seed = arxiv[7]
    refs = parse_references(f"@misc{{s, title={{{seed.title}}}, eprint={{{seed.id}}}}}")
    result = ctx.related.related("", refs.papers, limit=10, hide_cited=True)
    assert result.hits and not result.passages
    nearest = ctx.search.similar(seed.id, limit=3)
    assert nearest[0].paper.id in {h.paper.id for h in result.hits}
    assert any(h.via_citation == seed.id for h in result.hits)


def test_filters_are_exact(ctx: AppContext, arxiv: list[Paper]) -> None:
    paper = arxiv[0]
    cat = paper.categories[0]
    result = ctx.related.related(paper.abstract, filters=Filters(categories=(cat,)), limit=30)
    assert result.hits and all(cat in h.paper.categories for h in result.hits)
    day = paper.work_date
    assert day is not None
    dated = ctx.related.related(paper.abstract, filters=Filters(date_from=day, date_to=day), limit=30)
    assert dated.hits and all(h.paper.work_date == day for h in dated.hits)
    assert not [h for h in dated.hits if h.paper.id.startswith("scifact:")]  # no date: filtered out


def test_input_limits_are_clear_errors(ctx: AppContext) -> None:
    with pytest.raises(QueryError, match="limit is 20,000"):
        ctx.related.related("word " * (MAX_TEXT_CHARS // 4))
    with pytest.raises(QueryError, match="nothing to go on"):
        ctx.related.related("   \n\n ")
    with pytest.raises(QueryError, match="limit"):
        parse_references("x" * 1_000_001)


# --- the surfaces -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def client(ctx: AppContext) -> Iterator[TestClient]:
    with TestClient(create_app(ctx), follow_redirects=False) as c:
        yield c


def test_api_returns_results_with_reasons(client: TestClient, arxiv: list[Paper]) -> None:
    paper, cited = arxiv[20], arxiv[21]
    bib = f"@article{{x, title={{{cited.title}}}, eprint={{{cited.id}}}}}"
    r = client.post("/api/related", json={"text": paper.abstract, "bib": bib, "limit": 60})
    assert r.status_code == 200, r.text
    body = r.json()
    first = body["results"][0]
    assert first["id"] == paper.id and first["passage"] == 1 and first["similarity"] > 0.8
    assert {"title", "score", "reason", "shared_terms", "cited", "url"} <= set(first)
    assert [c["id"] for c in body["cited"]] == [cited.id]
    assert all(res["cited"] == (res["id"] == cited.id) for res in body["results"])


def test_api_rejects_oversized_and_empty_input(client: TestClient) -> None:
    r = client.post("/api/related", json={"text": "a" * (MAX_TEXT_CHARS + 1)})
    assert r.status_code == 422 and "error" in r.json()
    r = client.post("/api/related", json={"text": ""})
    assert r.status_code == 400 and r.json()["error"]["code"] == "bad_input"
    r = client.post("/api/related", json={"text": "x", "limit": 1000})
    assert r.status_code == 422


def test_page_needs_csrf_and_escapes_everything(client: TestClient) -> None:
    form = client.get("/related")
    assert form.status_code == 200 and 'name="csrf_token"' in form.text
    token = re.search(r'name="csrf_token" value="([0-9a-f]{64})"', form.text)
    assert token
    draft = "Zebrafish retina spectral clustering <img src=x onerror=alert(2)>"
    assert client.post("/related", data={"text": draft}).status_code == 403  # no CSRF token
    page = client.post("/related", data={"text": draft, "csrf_token": token.group(1)})
    assert page.status_code == 200
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text and "<script>alert(1)" not in page.text
    assert "<img src=x" not in page.text and "&lt;img src=x onerror=alert(2)&gt;" in page.text
    bad = client.post("/related", data={"text": " ", "csrf_token": token.group(1)})
    assert bad.status_code == 400 and "nothing to go on" in bad.text


def test_cli_reads_stdin_and_a_bib_file(home: Path, arxiv: list[Paper], tmp_path: Path) -> None:
    paper, cited = arxiv[30], arxiv[31]
    bib = tmp_path / "refs.bib"
    bib.write_text(f"@article{{x, title={{{cited.title}}}, eprint={{{cited.id}}}}}\n")
    proc = cli(home, "related", "-", "--bib", str(bib), "--limit", "50", "--json", stdin=paper.abstract)
    out = json.loads(proc.stdout)
    assert out["results"][0]["id"] == paper.id and out["results"][0]["reason"]
    assert [r["id"] for r in out["results"] if r["cited"]] in ([cited.id], [])
    assert out["cited"] == [{"id": cited.id, "title": cited.title}]
    draft = tmp_path / "draft.txt"
    draft.write_text(paper.abstract)
    text = cli(home, "related", str(draft), "--limit", "3").stdout
    assert text.startswith(f"1. [{paper.id}]") and "similarity" in text
    assert cli(home, "related", check=False).returncode == 2
    assert cli(home, "related", str(tmp_path / "missing.txt"), check=False).returncode == 1
