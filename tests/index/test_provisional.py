"""Provisional vectors: marked per vector, saved with each generation, written for the backlog
first and replaced by the full model, resumably (real catalog, real index, real encoders)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pytest

from papersift.catalog import Catalog
from papersift.encoder.embed import Encoder, MiniLMEncoder, load_encoder, paper_text
from papersift.encoder.static import StaticMiniLMEncoder
from papersift.index import indexer
from papersift.index.embedded.store import EmbeddedStore
from papersift.index.embedded.vectors import HnswIndex
from papersift.index.indexer import CALIBRATION_FILE, index_lexical, run_indexer, upgrade_provisional
from papersift.paper import Paper, make_paper

N = 60


def unit(rows: int, seed: int) -> np.ndarray:
    m = np.random.default_rng(seed).standard_normal((rows, 384)).astype(np.float32)
    return m / np.linalg.norm(m, axis=1, keepdims=True)


def test_marks_are_counted_saved_and_cleared(tmp_path: Path) -> None:
    index = HnswIndex(tmp_path / "v", 384, "minilm-int8")
    index.upsert(["a", "b", "c"], unit(3, 1), provisional=True)
    index.upsert(["d"], unit(1, 2))
    assert index.provisional_count() == 3 and index.provisional_ids(10) == ["a", "b", "c"]
    index.upsert(["b"], unit(1, 3))  # the full vector replaces the stand-in
    index.delete(["c"])
    assert index.provisional_count() == 1 and index.provisional_ids(10) == ["a"]
    index.save()
    reopened = HnswIndex.open(tmp_path / "v", 384, "minilm-int8")
    assert reopened.provisional_count() == 1 and reopened.provisional_ids(1) == ["a"] and len(reopened) == 3
    reopened.upsert([f"n{i}" for i in range(2000)], unit(2000, 4), provisional=True)  # grows past the mapped rows
    assert reopened.provisional_count() == 2001


def test_a_generation_saved_before_marks_existed_is_all_full(tmp_path: Path) -> None:
    index = HnswIndex(tmp_path / "v", 384, "minilm-int8")
    index.upsert(["a", "b"], unit(2, 1), provisional=True)
    index.save()
    (tmp_path / "v" / "gen-1.prov.npy").unlink()
    old = HnswIndex.open(tmp_path / "v", 384, "minilm-int8")
    assert old.provisional_count() == 0 and len(old) == 2


@pytest.fixture(scope="module")
def papers(shared_data: Path) -> list[Paper]:
    with gzip.open(shared_data / "arxiv-abs" / "corpus.jsonl.gz", "rt", encoding="utf-8") as fh:
        records = [json.loads(line) for line in fh][:N]
    return [make_paper(source="t", title=r["title"], abstract=r["text"], arxiv_id=r["_id"]) for r in records]


@pytest.fixture(scope="module")
def full() -> MiniLMEncoder:
    return MiniLMEncoder("int8")


def fresh_static() -> StaticMiniLMEncoder:
    encoder = load_encoder("minilm-static")
    assert isinstance(encoder, StaticMiniLMEncoder)
    return encoder


def setup_home(tmp_path: Path, papers: list[Paper]) -> tuple[Catalog, EmbeddedStore]:
    catalog = Catalog.open(f"sqlite:///{tmp_path / 'c.db'}")
    catalog.upsert(papers)
    store = EmbeddedStore(tmp_path / "index", "minilm-int8", 384)
    index_lexical(catalog, store)
    return catalog, store


def assert_all_full(catalog: Catalog, store: EmbeddedStore, full: MiniLMEncoder) -> None:
    got = catalog.get_many([p for p in store.vectors._ids if p])
    expected = full.encode([paper_text(p.title, p.abstract) for p in got.values()])
    stored = np.stack([store.vectors.get(pid) for pid in got])  # type: ignore[misc]
    assert len(got) == N and store.vectors.provisional_count() == 0
    # the full model's vectors: int8 batches quantise per batch (cosine ~0.997), a stand-in is ~0.7
    assert np.min((expected * stored).sum(axis=1)) > 0.99


def test_backlog_gets_provisional_vectors_then_full_ones(
    tmp_path: Path, papers: list[Paper], full: MiniLMEncoder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(indexer, "CALIBRATION_PAPERS", 20)
    catalog, store = setup_home(tmp_path, papers)
    seen: list[tuple[str, int, int]] = []
    report = run_indexer(catalog, store, full, lambda *a: seen.append(a), provisional=fresh_static(), upgrade_batch=16)
    assert (report.dense_indexed, report.provisional_indexed, report.upgraded) == (20, N - 20, N - 20)
    assert report.provisional_pending == 0 and report.dense_pending == 0
    phases = [phase for phase, _, _ in seen]
    assert phases.index("provisional") < phases.index("upgrade")  # the whole backlog is searchable first
    assert (tmp_path / "index" / CALIBRATION_FILE).exists()
    assert_all_full(catalog, EmbeddedStore(tmp_path / "index", "minilm-int8", 384), full)


class Crash(Exception):
    pass


class DiesOnCall:
    """The real full encoder, until its `n`-th call: a process killed mid-upgrade."""

    def __init__(self, inner: Encoder, n: int) -> None:
        self.inner, self.n, self.calls = inner, n, 0
        self.name, self.dim = inner.name, inner.dim

    def encode(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        self.calls += 1
        if self.calls == self.n:
            raise Crash
        return self.inner.encode(texts, batch_size)

    def encode_query(self, text: str) -> np.ndarray:
        return self.inner.encode_query(text)


def test_a_crash_mid_upgrade_resumes_without_losing_or_redoing_the_backlog(
    tmp_path: Path, papers: list[Paper], full: MiniLMEncoder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(indexer, "CALIBRATION_PAPERS", 20)
    monkeypatch.setattr(indexer, "DENSE_SAVE_EVERY_S", 0.0)  # publish after every batch
    catalog, store = setup_home(tmp_path, papers)
    static = fresh_static()
    # calls: 1 = calibration batch, 2 = first upgrade batch, 3 = dies in the second upgrade batch
    with pytest.raises(Crash):
        run_indexer(catalog, store, DiesOnCall(full, 3), provisional=static, upgrade_batch=16)
    store.close()
    after = EmbeddedStore(tmp_path / "index", "minilm-int8", 384)
    assert len(after.vectors) == N and catalog.count_changes_since(after.state.dense_seq) == 0
    assert after.vectors.provisional_count() == N - 20 - 16  # saved: calibration, all stand-ins, one upgrade batch
    # the resumed run reuses the saved calibration and only upgrades what is still provisional
    resumed = fresh_static()
    report = run_indexer(catalog, after, full, provisional=resumed, upgrade_batch=16)
    assert (report.dense_indexed, report.provisional_indexed, report.upgraded) == (0, 0, N - 36)
    assert_all_full(catalog, after, full)


def test_upgrade_drops_vectors_of_papers_gone_from_the_catalog(
    tmp_path: Path, papers: list[Paper], full: MiniLMEncoder
) -> None:
    catalog, store = setup_home(tmp_path, papers[:5])
    store.vectors.upsert(["ghost"], unit(1, 9), provisional=True)
    indexer.index_dense(catalog, store, fresh_static(), provisional=True)
    assert store.vectors.provisional_count() == 6
    assert upgrade_provisional(catalog, store, full) == 6
    assert "ghost" not in store.vectors and store.vectors.provisional_count() == 0


def test_nothing_to_calibrate_on_pins_no_map(tmp_path: Path, papers: list[Paper], full: MiniLMEncoder) -> None:
    """`index --provisional` on an up-to-date home must not save the uncalibrated map for later runs."""
    catalog, store = setup_home(tmp_path, papers[:5])
    run_indexer(catalog, store, full)
    report = run_indexer(catalog, store, full, provisional=fresh_static())
    assert (report.dense_indexed, report.provisional_indexed, report.upgraded) == (0, 0, 0)
    assert not (tmp_path / "index" / CALIBRATION_FILE).exists()
