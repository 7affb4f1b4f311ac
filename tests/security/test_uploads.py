"""Finding 1: an uploaded library must never write the shared catalog (and the repair command)."""

from __future__ import annotations

from dataclasses import replace

from fastapi.testclient import TestClient

from papersift.context import AppContext
from papersift.deliver.service import Delivery
from papersift.discover.repair import repair_uploads
from papersift.sources import SourceContext
from papersift.sources.bibtex import iter_papers
from tests.web.conftest import sign_up

# the review's 3-entry attack: retitle a public paper, claim a fake v99 of another, publish spam
ATTACK = """@article{retitle, title = {Buy cheap pills}, author = {Spammer, Sam}, eprint = {2506.00001}}
@article{bump, title = {A fake version}, author = {Mallory, M.}, eprint = {2506.00002v99}}
@misc{spam, title = {Totally real paper about spam}, author = {Spammer, Sam}, year = 2025}
"""


def _upload(client: TestClient, token: str, text: str) -> str:
    r = client.post(
        "/account/digest/import",
        data={"csrf_token": token, "collection": "Mine"},
        files={"library": ("attack.bib", text.encode(), "text/x-bibtex")},
    )
    assert r.status_code == 200, r.text
    return r.text


def test_an_uploaded_library_never_changes_the_shared_catalog(client: TestClient, ctx: AppContext) -> None:
    before = {p.id: p for p in ctx.catalog.iter_all()}
    page = _upload(client, sign_up(client), ATTACK)
    assert "3 paper(s) added" in page and "1 of them not in this site" in page
    after = {p.id: p for p in ctx.catalog.iter_all()}
    assert after == before  # no title, author or version changed, no paper published
    assert client.get("/api/papers/2506.00001").json()["title"] == before["2506.00001"].title
    assert "Totally real paper" not in client.get("/api/search", params={"q": "spam", "mode": "lexical"}).text
    # the matched entries joined the collection as the real papers; the spam stays the uploader's
    delivery = Delivery(ctx)
    ada = delivery.user("ada@example.org")
    [mine] = delivery.community.collections.owned(ada)
    assert sorted(delivery.community.collections.paper_ids(mine.id)) == ["2506.00001", "2506.00002"]
    library = delivery.recommender.library(ada)
    assert [e.title for e in library.private.values()] == ["Totally real paper about spam"]
    bob = delivery.community.accounts.create_user("bob@example.org", "another long passphrase")
    assert delivery.recommender.library(bob).private == {}


def test_entries_match_existing_papers_by_doi_and_normalised_title(client: TestClient, ctx: AppContext) -> None:
    real = ctx.catalog.get("2506.00003")
    assert real is not None
    ctx.catalog.upsert([replace(real, doi="10.5555/robots.3")])
    shouting = real.title.upper().replace(" ", "  \n ")
    bib = (
        "@article{a, title = {Whatever}, doi = {https://doi.org/10.5555/ROBOTS.3}}\n"
        f"@article{{b, title = {{{shouting}}}}}\n"
    )
    page = _upload(client, sign_up(client), bib)
    assert "1 paper(s) added" in page and "1 already there" in page and "not in this site" not in page


def test_titles_match_despite_punctuation_accents_and_tex(client: TestClient, ctx: AppContext) -> None:
    """Reference managers export titles with TeX braces, macros and accents and their own
    punctuation; before, only case and spacing were ignored, so these stayed private copies."""
    bib = r"""@article{p, title = {Sim to Real Transfer of Legged Locomotion Policies.}, year = 2025}
@article{t, title = {{V}ision-{B}ased Robotic Manipulation of \emph{Deformable} Objects}, year = 2025}
@article{a, title = {{'E}fficient Attention for Long-Context Language Models}, year = 2025}
@article{u, title = {Efficient attention for long--context language models: a survey}, year = 2025}
"""
    page = _upload(client, sign_up(client), bib)
    assert "4 paper(s) added" in page and "1 of them not in this site" in page
    delivery = Delivery(ctx)
    ada = delivery.user("ada@example.org")
    [mine] = delivery.community.collections.owned(ada)
    assert sorted(delivery.community.collections.paper_ids(mine.id)) == ["2506.00002", "2506.00003", "2506.00014"]
    private = delivery.recommender.library(ada).private.values()
    assert [e.title for e in private] == ["Efficient attention for long--context language models: a survey"]


def test_repair_reverts_what_old_uploads_wrote(ctx: AppContext, tmp_path) -> None:  # noqa: ANN001
    real_1, real_2 = ctx.catalog.get("2506.00001"), ctx.catalog.get("2506.00002")
    assert real_1 is not None and real_2 is not None
    bib = tmp_path / "old.bib"
    bib.write_text(ATTACK)
    ctx.catalog.upsert([p for p in iter_papers(str(bib), SourceContext()) if not isinstance(p, Exception)])  # old code
    delivery = Delivery(ctx)
    ada = delivery.community.accounts.create_user("ada@example.org", "correct horse battery")
    mine = delivery.community.collections.create(ada, "Mine")
    spam = next(p for p in ctx.catalog.iter_all() if p.title.startswith("Totally real"))
    delivery.community.collections.add(ada, mine.id, spam.id)
    poisoned = ctx.catalog.get("2506.00002")
    assert poisoned is not None and poisoned.latest_version == 99

    dry = repair_uploads(ctx.catalog, dry_run=True)
    assert (dry.removed, dry.reverted) == ([spam.id], ["2506.00001", "2506.00002"])
    assert ctx.catalog.get(spam.id) is not None  # a dry run changes nothing
    report = repair_uploads(ctx.catalog)
    assert report.kept_private == 1 and ctx.catalog.get(spam.id) is None
    assert [e.title for e in delivery.recommender.library(ada).private.values()] == [spam.title]
    fixed = ctx.catalog.get("2506.00002")
    assert fixed is not None and fixed.latest_version == real_2.latest_version and "bibtex" not in fixed.sources
    ctx.catalog.upsert([real_1, real_2])  # the operator re-ingests the real data, as the report says
    assert ctx.catalog.get("2506.00001") == real_1 and ctx.catalog.get("2506.00002") == real_2
    assert repair_uploads(ctx.catalog).to_dict()["removed"] == []  # idempotent
