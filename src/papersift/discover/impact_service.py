"""`papersift impact train` / `impact score` and the stored predictions the listings read.

Training reads the catalog: every paper with an external upvote count (Hugging Face daily
papers) is a training example, every paper (voted or not) is author/organisation history. It
first measures the model honestly on a time-ordered split of those papers (earlier days train,
later days test), then fits on all of them, stores the model in the home, and stores the
predictions for the papers of the last `RECENT_DAYS` listing days (what trending pages rank).
Both files are replaced atomically, so a page never reads half a model.

Scoring a source file never stores its papers and never reads their vote or comment counts:
papers become `Announcement`s, which have no such fields.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from papersift.catalog import Catalog
from papersift.discover.impact import ImpactModel, Reason
from papersift.discover.impact_eval import day_scores, time_split
from papersift.discover.impact_features import Announcement, History, announcement
from papersift.fsutil import atomic_write_json
from papersift.paper import Paper

log = logging.getLogger(__name__)

RECENT_DAYS = 60
MIN_PAPERS = 50  # fewer voted papers than this and there is nothing to learn from


def voted(paper: Paper) -> int | None:
    """The paper's external upvotes, or None when no source ever counted them (training target only)."""
    counts = [p.upvotes for p in paper.popularity if p.upvotes is not None]
    return max(counts) if counts else None


@dataclass(frozen=True)
class Scored:
    id: str
    votes: float
    reasons: tuple[str, ...]


def _describe(reasons: Sequence[Reason]) -> tuple[str, ...]:
    return tuple(str(r) for r in reasons)


class ImpactService:
    """Train, store and apply the impact prior of one home."""

    def __init__(self, catalog: Catalog, home: Path):
        self.catalog = catalog
        self.folder = home / "impact"
        self.model_path = self.folder / "model.pkl"
        self.predictions_path = self.folder / "predictions.json"

    def _catalog(self) -> tuple[list[Announcement], list[int | None]]:
        anns: list[Announcement] = []
        votes: list[int | None] = []
        for paper in self.catalog.iter_all():
            anns.append(announcement(paper))
            votes.append(voted(paper))
        return anns, votes

    def train(self, *, today: date | None = None) -> dict[str, Any]:
        """Evaluate on a time split, fit on everything, store model and recent predictions; the report."""
        anns, votes = self._catalog()
        history = History(zip(anns, votes, strict=True))
        rows = [i for i, v in enumerate(votes) if v is not None and anns[i].day is not None]
        if len(rows) < MIN_PAPERS:
            raise ValueError(
                f"the catalog has {len(rows)} dated papers with external upvotes; need at least {MIN_PAPERS} "
                "(ingest Hugging Face daily papers, e.g. `papersift ingest hf-daily DIR`)"
            )
        examples = [anns[i] for i in rows]
        targets = [int(votes[i] or 0) for i in rows]
        train, test, cut = time_split([a.day for a in examples])
        held_out = ImpactModel().fit([examples[i] for i in train], [targets[i] for i in train], history)
        predicted = held_out.predict([examples[i] for i in test], history)
        scores = day_scores([examples[i].day for i in test], list(predicted), [float(targets[i]) for i in test])
        log.info("held-out days from %s: %s", cut, scores)
        model = ImpactModel().fit(examples, targets, history)
        model.save(self.model_path)
        latest = max(a.day for a in anns if a.day is not None)
        recent = [a for a in anns if a.day is not None and a.day > latest - timedelta(days=RECENT_DAYS)]
        stored = self._predict(model, recent, history)
        atomic_write_json(
            self.predictions_path,
            {
                "trained": (today or date.today()).isoformat(),
                "predictions": {s.id: {"votes": round(s.votes, 2), "reasons": list(s.reasons)} for s in stored},
            },
        )
        return {
            "trained_on": len(examples),
            "history_papers": len(anns),
            "evaluation": {
                "split": f"train: days before {cut}, test: days from {cut}",
                "train_papers": len(train),
                "test_papers": len(test),
                **scores.as_dict(),
            },
            "predictions_stored": len(stored),
            "model": str(self.model_path),
        }

    @staticmethod
    def _predict(model: ImpactModel, anns: Sequence[Announcement], history: History) -> list[Scored]:
        relative = model.predict(anns, history)
        reasons = model.explain(anns, history)
        return [
            Scored(a.id, model.expected_votes(float(r)), _describe(why))
            for a, r, why in zip(anns, relative, reasons, strict=True)
        ]

    def score(self, papers: Iterable[Paper]) -> list[Scored]:
        """Predicted upvotes for papers that are not (necessarily) in the catalog; stores nothing.

        Only each paper's `Announcement` is used, so its vote/comment fields are never read."""
        if not self.model_path.exists():
            raise FileNotFoundError("no impact model in this home yet: run `papersift impact train` first")
        model = ImpactModel.load(self.model_path)
        anns = [announcement(p) for p in papers]
        known, votes = self._catalog()
        return self._predict(model, anns, History(zip(known, votes, strict=True)))
