"""The stored impact predictions, read by the trending listings (no scikit-learn import here).

`papersift impact train` writes `<home>/impact/predictions.json` atomically; this reader
re-reads it when its modification time changes, and treats a missing or unreadable file as
"no predictions" (trending then ranks by real votes only, as before the prior existed).
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Mapping, Sequence
from pathlib import Path

from papersift.community.trending import Prior

log = logging.getLogger(__name__)


class ImpactPriors:
    """The stored predictions as `community.trending.PriorSource` (re-read when the file changes)."""

    def __init__(self, home: Path):
        self.path = home / "impact" / "predictions.json"
        self._stamp: float | None = None
        self._priors: dict[str, Prior] = {}

    def priors(self, paper_ids: Sequence[str]) -> Mapping[str, Prior]:
        self._refresh()
        return {pid: self._priors[pid] for pid in paper_ids if pid in self._priors}

    def _refresh(self) -> None:
        try:
            stamp = self.path.stat().st_mtime
        except FileNotFoundError:
            self._stamp, self._priors = None, {}
            return
        if stamp == self._stamp:
            return
        try:
            data = json.loads(self.path.read_text("utf-8"))
            self._priors = {
                pid: Prior(float(p["votes"]), tuple(str(r) for r in p.get("reasons", ())))
                for pid, p in data["predictions"].items()
                if math.isfinite(float(p["votes"]))
            }
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.warning("ignoring unreadable impact predictions %s: %s", self.path, exc)
            self._priors = {}
        self._stamp = stamp
