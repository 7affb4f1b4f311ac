"""The Milvus store under the real indexer: incremental catch-up, deletes, resume after a crash,
vectors arriving before text, encoder changes, foreign collections, and the settings."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from papersift.catalog import Catalog
from papersift.config import ConfigError, load_settings
from papersift.index.indexer import index_dense, index_lexical, run_indexer
from papersift.index.milvus import MilvusBackendError, MilvusStore
from papersift.query.syntax import ParsedQuery, parse
from tests.index.test_indexer import HashEncoder, check_incremental_and_deletes, paper


def open_store(directory: Path, encoder: str = "hash-test", collection: str = "papersift") -> MilvusStore:
    return MilvusStore.open(str(directory / "milvus.db"), None, collection, directory, encoder, 384)


@pytest.fixture
def catalog(tmp_path: Path) -> Catalog:
    return Catalog.open(f"sqlite:///{tmp_path / 'c.db'}")


def test_incremental_deletes_and_reopen(catalog: Catalog, tmp_path: Path) -> None:
    store = open_store(tmp_path / "index")
    check_incremental_and_deletes(catalog, store)
    store.close()
    reopened = open_store(tmp_path / "index")
    assert reopened.state == store.state and len(reopened.vectors) == 50


def test_lexical_first_dense_later(catalog: Catalog, tmp_path: Path) -> None:
    store = open_store(tmp_path / "index")
    catalog.upsert([paper(i) for i in range(1, 21)])
    report = run_indexer(catalog, store, None)
    assert report.lexical_indexed == 20 and report.dense_pending == 20 and len(store.vectors) == 0
    assert index_dense(catalog, store, HashEncoder(), limit=5, batch_size=5) == 5
    assert catalog.count_changes_since(store.state.dense_seq) == 15 and len(store.vectors) == 5
    assert store.lexical.doc_count() == 20  # the text rows kept their text


def test_interrupted_dense_run_resumes(catalog: Catalog, tmp_path: Path) -> None:
    store = open_store(tmp_path / "index")
    catalog.upsert([paper(i) for i in range(1, 41)])
    index_lexical(catalog, store)

    class Crash(Exception):
        pass

    class Dying(HashEncoder):
        calls = 0

        def encode(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
            Dying.calls += 1
            if Dying.calls == 3:
                raise Crash
            return super().encode(texts)

    with pytest.raises(Crash):
        index_dense(catalog, store, Dying(), batch_size=10)
    fresh = open_store(tmp_path / "index")  # what a new process sees: the last saved position
    assert catalog.count_changes_since(fresh.state.dense_seq) == 40  # nothing saved: redo (idempotent)
    index_dense(catalog, fresh, HashEncoder(), batch_size=10)
    assert len(fresh.vectors) == 40 and catalog.count_changes_since(fresh.state.dense_seq) == 0


def test_vectors_may_arrive_before_text(catalog: Catalog, tmp_path: Path) -> None:
    """`papersift demo load` stores shipped vectors before the lexical pass has run."""
    store = open_store(tmp_path / "index")
    catalog.upsert([paper(i) for i in range(1, 4)])
    ids = ["2401.00001", "2401.00002", "2401.00003"]
    store.vectors.upsert(ids, HashEncoder().encode(ids))
    assert len(store.vectors) == 3 and store.lexical.doc_count() == 0
    assert store.lexical.search(ParsedQuery(), 10) == [] and store.lexical.count(parse("-quantum")) == 0
    index_lexical(catalog, store)
    assert store.lexical.doc_count() == 3 and len(store.vectors) == 3  # text joined, vectors kept
    store.vectors.delete(["2401.00002"])
    assert len(store.vectors) == 2 and store.lexical.doc_count() == 3


def test_changing_the_encoder_rebuilds_the_collection(
    catalog: Catalog, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = open_store(tmp_path / "index")
    catalog.upsert([paper(i) for i in range(1, 6)])
    run_indexer(catalog, store, HashEncoder())
    store.close()
    other = open_store(tmp_path / "index", encoder="other-model")
    assert any("other-model" in m for m in caplog.messages)
    assert other.state.dense_seq == 0 and other.state.lexical_seq == 0 and len(other.vectors) == 0


def test_positions_of_another_collection_are_not_trusted(catalog: Catalog, tmp_path: Path) -> None:
    store = open_store(tmp_path / "index")
    catalog.upsert([paper(1)])
    run_indexer(catalog, store, HashEncoder())
    state = json.loads((tmp_path / "index" / "milvus-state.json").read_text())
    assert state["collection"] == "papersift" and state["lexical_seq"] > 0
    elsewhere = open_store(tmp_path / "index", collection="papersift_other")
    assert elsewhere.state.lexical_seq == 0 and elsewhere.lexical.doc_count() == 0


def test_a_foreign_collection_is_refused(tmp_path: Path) -> None:
    from pymilvus import MilvusClient

    client = MilvusClient(str(tmp_path / "milvus.db"))
    client.create_collection("papersift", dimension=4)
    with pytest.raises(MilvusBackendError, match="not a papersift collection"):
        open_store(tmp_path)


def test_settings_select_milvus_and_default_to_a_file_in_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAPERSIFT_BACKEND", "milvus")
    settings = load_settings(tmp_path)
    assert settings.backend == "milvus" and settings.resolved_milvus_uri == str(tmp_path / "index" / "milvus.db")
    monkeypatch.setenv("PAPERSIFT_MILVUS_URI", "http://milvus.example:19530")
    monkeypatch.setenv("PAPERSIFT_MILVUS_TOKEN", "root:Milvus")
    settings = load_settings(tmp_path)
    assert settings.resolved_milvus_uri == "http://milvus.example:19530" and settings.milvus_token == "root:Milvus"
    monkeypatch.setenv("PAPERSIFT_MILVUS_COLLECTION", "bad name!")
    with pytest.raises(ConfigError, match="milvus_collection"):
        load_settings(tmp_path)


def test_milvus_without_pymilvus_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "pymilvus" else real(name, *a))
    (tmp_path / "papersift.toml").write_text('backend = "milvus"\n')
    with pytest.raises(ConfigError, match=r"pip install 'papersift\[milvus\]'"):
        load_settings(tmp_path)


def test_ids_with_quotes_and_backslashes(tmp_path: Path) -> None:
    """DOI-derived ids may hold any character; every expression must escape them."""
    from papersift.paper import Paper
    from papersift.query.syntax import IdFilter

    store = open_store(tmp_path)
    ids = ['doi:10.1000/a"b', "h:back\\slash", "doi:10.1/ü'q"]
    store.lexical.upsert([Paper(id=pid, title=f"Paper {n} about quotes", abstract="x") for n, pid in enumerate(ids)])
    store.lexical.commit()
    assert store.lexical.filter_among(None, [*ids, "nope"]) == set(ids)
    for pid in ids:
        assert store.lexical.search(ParsedQuery(None, IdFilter(pid)), 5) == [(pid, 0.0)]
    store.vectors.upsert(ids, HashEncoder().encode(ids))
    assert {pid for pid, _ in store.vectors.search(HashEncoder().encode([ids[0]])[0], 5, set(ids[:2]))} == set(ids[:2])
    many = store.vectors.get_many([*ids, "nope"])
    assert set(many) == set(ids) and all(np.allclose(many[pid], store.vectors.get(pid)) for pid in ids)
    store.vectors.delete(ids[:1])
    store.lexical.delete(ids[1:2])
    assert len(store.vectors) == 1 and store.lexical.doc_count() == 2
