"""Helpers shared by the backend tests: homes on either backend, a caching encoder, a SciFact subset."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from papersift.config import load_settings
from papersift.context import AppContext
from papersift.encoder.embed import Encoder


class CachingEncoder:
    """Wraps an encoder; each distinct text is embedded once per test session."""

    def __init__(self, inner: Encoder):
        self.inner, self.name, self.dim = inner, inner.name, inner.dim
        self._cache: dict[str, np.ndarray] = {}

    def encode(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if t not in self._cache]
        if missing:
            self._cache.update(zip(missing, self.inner.encode(missing, batch_size=batch_size), strict=True))
        return np.stack([self._cache[t] for t in texts]) if texts else np.zeros((0, self.dim), np.float32)

    def encode_query(self, text: str) -> np.ndarray:
        return self.inner.encode_query(text)


def make_ctx(home: Path, backend: str, encoder: Encoder | None = None) -> AppContext:
    """An AppContext on `home` with `backend` chosen in its config file, as a user would."""
    home.mkdir(parents=True, exist_ok=True)
    (home / "papersift.toml").write_text(f'backend = "{backend}"\n')
    ctx = AppContext(load_settings(home))
    assert ctx.settings.backend == backend
    if encoder is not None:
        ctx.__dict__["encoder"] = encoder  # the cached_property's slot
    return ctx


def scifact_subset(shared: Path, out: Path, extra_docs: int, max_queries: int | None = None) -> Path:
    """A BEIR folder with SciFact's judged queries, every judged document and `extra_docs` others."""
    src = shared / "scifact"
    qrels_lines = (src / "qrels" / "test.tsv").read_text("utf-8").splitlines()
    queries = [json.loads(line) for line in (src / "queries.jsonl").read_text("utf-8").splitlines() if line.strip()]
    judged_q = {row.split("\t")[0] for row in qrels_lines[1:]}
    queries = [q for q in queries if q["_id"] in judged_q][:max_queries]
    keep_q = {q["_id"] for q in queries}
    qrels = [qrels_lines[0]] + [row for row in qrels_lines[1:] if row.split("\t")[0] in keep_q]
    judged_docs = {row.split("\t")[1] for row in qrels[1:]}
    docs, others = [], 0
    for line in (src / "corpus.jsonl").read_text("utf-8").splitlines():
        doc = json.loads(line)
        if doc["_id"] in judged_docs or others < extra_docs:
            others += doc["_id"] not in judged_docs
            docs.append(line)
    (out / "qrels").mkdir(parents=True, exist_ok=True)
    (out / "corpus.jsonl").write_text("\n".join(docs) + "\n", "utf-8")
    (out / "queries.jsonl").write_text("\n".join(json.dumps(q) for q in queries) + "\n", "utf-8")
    (out / "qrels" / "test.tsv").write_text("\n".join(qrels) + "\n", "utf-8")
    return out
