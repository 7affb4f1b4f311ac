"""The daily page with stored impact predictions: ranked by the fading prior, shown as "predicted"."""

from __future__ import annotations

from fastapi.testclient import TestClient

from papersift.context import AppContext
from papersift.fsutil import atomic_write_json


def _store(ctx: AppContext, predictions: dict[str, dict[str, object]]) -> None:
    path = ctx.settings.home / "impact" / "predictions.json"
    atomic_write_json(path, {"trained": "2024-05-29", "predictions": predictions})


def test_day_page_ranks_by_prior_and_labels_it_predicted(ctx: AppContext, client: TestClient) -> None:
    before = client.get("/?date=2024-05-29").text
    assert "predicted" not in before
    # the DOI-only record has no votes; the old-style paper has 1 vote: the prior lifts the first above it
    doi_id = next(p.id for p in ctx.catalog.iter_all() if p.doi)
    assert before.index("Strings on old-style ids") < before.index("A DOI-only record")
    _store(ctx, {doi_id: {"votes": 12.4, "reasons": ["↑ a code link: yes", "↑ <b>bold</b> claim"]}})
    page = client.get("/?date=2024-05-29").text
    assert page.index("A DOI-only record") < page.index("Strings on old-style ids")
    assert "predicted ~12" in page and "why: ↑ a code link: yes" in page
    assert "<b>bold</b>" not in page and "&lt;b&gt;bold&lt;/b&gt;" in page  # reasons are escaped
    assert 'class="count">0<' in page  # its vote count is still 0: a prediction is never shown as votes
    # votes order is untouched by predictions
    by_votes = client.get("/?date=2024-05-29&sort=votes").text
    assert by_votes.index("Strings on old-style ids") < by_votes.index("A DOI-only record")


def test_unreadable_predictions_are_ignored(ctx: AppContext, client: TestClient) -> None:
    path = ctx.settings.home / "impact" / "predictions.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("{not json", encoding="utf-8")
    r = client.get("/?date=2024-05-29")
    assert r.status_code == 200 and "predicted" not in r.text
