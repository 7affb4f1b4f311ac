"""The indexer: incremental catch-up from the change log, deletes, crash recovery, corruption."""

from __future__ import annotations

import json
import shutil
import zlib
from pathlib import Path

import numpy as np
import pytest

from papersift.catalog import Catalog
from papersift.index.embedded.store import EmbeddedStore
from papersift.index.indexer import index_dense, index_lexical, run_indexer
from papersift.paper import make_paper
from papersift.query.syntax import parse
from tests.index.old_lexical import write_old_index


class HashEncoder:
    """Deterministic vectors from a text checksum: these tests check bookkeeping (what gets
    embedded when), not meaning, so they skip the real model's cost. Meaning is tested with
    the bundled encoder in tests/search/test_service.py."""

    name = "hash-test"
    dim = 384

    def encode(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        rows = [np.random.default_rng(zlib.crc32(t.encode())).standard_normal(self.dim) for t in texts]
        m = np.array(rows, dtype=np.float32)
        return m / np.linalg.norm(m, axis=1, keepdims=True)


def paper(n: int, title: str = "Quantum error correction") -> object:
    return make_paper(source="t", title=f"{title} {n}", abstract="Surface codes.", arxiv_id=f"2401.{n:05d}")


@pytest.fixture
def setup(tmp_path: Path) -> tuple[Catalog, EmbeddedStore]:
    catalog = Catalog.open(f"sqlite:///{tmp_path / 'c.db'}")
    return catalog, EmbeddedStore(tmp_path / "index", "hash-test", 384)


def check_incremental_and_deletes(catalog: Catalog, store: object) -> None:
    """Catch-up, no-op re-run, update and delete through `run_indexer`, for any index store
    (the Milvus backend's tests run it too)."""
    catalog.upsert([paper(i) for i in range(1, 51)])
    report = run_indexer(catalog, store, HashEncoder())  # type: ignore[arg-type]
    assert (report.lexical_indexed, report.dense_indexed, report.dense_pending) == (50, 50, 0)
    assert run_indexer(catalog, store, HashEncoder()).lexical_indexed == 0  # type: ignore[arg-type]  # nothing new
    catalog.upsert([paper(51), paper(3, title="Renamed paper")])
    catalog.delete("2401.00007")
    report = run_indexer(catalog, store, HashEncoder())  # type: ignore[arg-type]
    assert (report.lexical_indexed, report.deleted, report.dense_indexed) == (2, 1, 3)
    assert store.lexical.doc_count() == 50 and len(store.vectors) == 50  # type: ignore[attr-defined]
    assert "2401.00007" not in store.vectors and "2401.00003" in store.vectors  # type: ignore[attr-defined]
    assert [pid for pid, _ in store.lexical.search(parse("renamed"), 5)] == ["2401.00003"]  # type: ignore[attr-defined]
    vec = HashEncoder().encode(["Renamed paper 3. Surface codes."])[0]
    assert store.vectors.search(vec, 1)[0][0] == "2401.00003"  # type: ignore[attr-defined]  # re-embedded


def test_incremental_and_deletes(setup: tuple[Catalog, EmbeddedStore], tmp_path: Path) -> None:
    catalog, store = setup
    check_incremental_and_deletes(catalog, store)
    reopened = EmbeddedStore(tmp_path / "index", "hash-test", 384)
    assert reopened.state == store.state and len(reopened.vectors) == 50


def test_lexical_first_dense_later(setup: tuple[Catalog, EmbeddedStore]) -> None:
    catalog, store = setup
    catalog.upsert([paper(i) for i in range(1, 21)])
    report = run_indexer(catalog, store, None)
    assert report.lexical_indexed == 20 and report.dense_pending == 20
    assert index_dense(catalog, store, HashEncoder(), limit=5, batch_size=5) == 5
    assert catalog.count_changes_since(store.state.dense_seq) == 15


def test_interrupted_dense_run_resumes_without_gaps(setup: tuple[Catalog, EmbeddedStore], tmp_path: Path) -> None:
    catalog, store = setup
    catalog.upsert([paper(i) for i in range(1, 41)])
    index_lexical(catalog, store)

    class Crash(Exception):
        pass

    calls = 0

    class Dying(HashEncoder):
        def encode(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
            nonlocal calls
            calls += 1
            if calls == 3:
                raise Crash
            return super().encode(texts)

    with pytest.raises(Crash):
        index_dense(catalog, store, Dying(), batch_size=10)
    # the process "dies": a new store sees only what was saved (nothing or whole batches)
    fresh = EmbeddedStore(tmp_path / "index", "hash-test", 384)
    saved = len(fresh.vectors)
    assert catalog.count_changes_since(fresh.state.dense_seq) == 40 - saved
    index_dense(catalog, fresh, HashEncoder(), batch_size=10)
    assert len(fresh.vectors) == 40 and catalog.count_changes_since(fresh.state.dense_seq) == 0


@pytest.mark.parametrize("damaged", ["manifest.json", "gen-1.usearch", "gen-1.rows.npy", "gen-1.ids.npy"])
def test_corrupt_indexes_are_rebuilt_not_served(
    setup: tuple[Catalog, EmbeddedStore], tmp_path: Path, damaged: str, caplog: pytest.LogCaptureFixture
) -> None:
    catalog, store = setup
    catalog.upsert([paper(i) for i in range(1, 11)])
    run_indexer(catalog, store, HashEncoder())
    store.lexical.close()
    (tmp_path / "index" / "vectors" / damaged).write_bytes(b"garbage")
    (tmp_path / "index" / "lexical" / "meta.json").write_text("{not json")
    repaired = EmbeddedStore(tmp_path / "index", "hash-test", 384)
    assert any("vector" in m for m in caplog.messages) and any("lexical" in m for m in caplog.messages)
    assert repaired.state.lexical_seq == 0 and repaired.state.dense_seq == 0
    run_indexer(catalog, repaired, HashEncoder())
    assert repaired.lexical.doc_count() == 10 and len(repaired.vectors) == 10


def test_an_outdated_keyword_index_is_replaced_and_rebuilt(
    setup: tuple[Catalog, EmbeddedStore], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """An older papersift's index is not damage: no `.corrupt-*` copy is kept, the position is
    saved as 0 before the rebuild (a crash mid-way resumes it), and the rebuild restores every paper."""
    catalog, store = setup
    catalog.upsert([paper(i) for i in range(1, 11)])
    run_indexer(catalog, store, HashEncoder())
    store.close()
    shutil.rmtree(tmp_path / "index" / "lexical")
    write_old_index(tmp_path / "index" / "lexical", catalog.get_many(f"2401.{i:05d}" for i in range(1, 11)).values())
    upgraded = EmbeddedStore(tmp_path / "index", "hash-test", 384)
    assert upgraded.repaired and any("older papersift" in m for m in caplog.messages)
    assert json.loads((tmp_path / "index" / "state.json").read_text())["lexical_seq"] == 0
    assert sorted(p.name for p in (tmp_path / "index").iterdir()) == ["lexical", "state.json", "vectors"]
    assert upgraded.lexical.doc_count() == 0 and len(upgraded.vectors) == 10  # the vectors are kept
    report = run_indexer(catalog, upgraded, HashEncoder())
    assert (report.lexical_indexed, report.dense_indexed) == (10, 0)
    assert upgraded.lexical.doc_count() == 10


def test_a_deleted_keyword_index_is_rebuilt_even_after_a_reader_opened_the_home(
    setup: tuple[Catalog, EmbeddedStore], tmp_path: Path
) -> None:
    """Opening a home whose index/lexical/ is gone creates an empty index: the position must say
    so on disk at once, or the next indexer would trust the old position and never refill it."""
    catalog, store = setup
    catalog.upsert([paper(i) for i in range(1, 6)])
    run_indexer(catalog, store, HashEncoder())
    store.close()
    shutil.rmtree(tmp_path / "index" / "lexical")
    EmbeddedStore(tmp_path / "index", "hash-test", 384).close()  # e.g. a `papersift search`: reads only
    later = EmbeddedStore(tmp_path / "index", "hash-test", 384)
    assert later.state.lexical_seq == 0
    assert run_indexer(catalog, later, HashEncoder()).lexical_indexed == 5 and later.lexical.doc_count() == 5


def test_changing_the_encoder_re_embeds(setup: tuple[Catalog, EmbeddedStore], tmp_path: Path) -> None:
    catalog, store = setup
    catalog.upsert([paper(i) for i in range(1, 6)])
    run_indexer(catalog, store, HashEncoder())
    other = EmbeddedStore(tmp_path / "index", "other-model", 384)
    assert other.state.dense_seq == 0 and len(other.vectors) == 0

    class OtherEncoder(HashEncoder):
        name = "other-model"

        def encode(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
            return super().encode([f"other:{t}" for t in texts])

    report = run_indexer(catalog, other, OtherEncoder())  # type: ignore[arg-type]
    assert (report.lexical_indexed, report.dense_indexed, report.dense_pending) == (0, 5, 0)
    assert len(other.vectors) == 5
    new = OtherEncoder().encode(["Quantum error correction 3. Surface codes."])[0]
    old = HashEncoder().encode(["Quantum error correction 3. Surface codes."])[0]
    [(pid, score)] = other.vectors.search(new, 1)
    assert pid == "2401.00003" and score == pytest.approx(1.0, abs=1e-2)  # the new model's vector, not the old
    assert float(other.vectors.get("2401.00003") @ old) < 0.5


def test_a_lexical_index_of_an_older_schema_is_rebuilt_and_vectors_kept(
    setup: tuple[Catalog, EmbeddedStore], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """An index written before the combined `text` field (docs/DECISIONS.md D25) is moved aside
    and rebuilt from the catalog; the vectors, which did not change, are not re-embedded."""
    import shutil

    import tantivy

    catalog, store = setup
    catalog.upsert([paper(i) for i in range(1, 6)])
    run_indexer(catalog, store, HashEncoder())
    store.lexical.close()
    old = tantivy.SchemaBuilder()  # the pre-D25 layout: no `text` field
    old.add_text_field("id", stored=True, tokenizer_name="raw")
    for name in ("title", "abstract"):
        old.add_text_field(name, stored=True, tokenizer_name="en_stem")
    shutil.rmtree(tmp_path / "index" / "lexical")
    (tmp_path / "index" / "lexical").mkdir()
    tantivy.Index(old.build(), path=str(tmp_path / "index" / "lexical"))
    reopened = EmbeddedStore(tmp_path / "index", "hash-test", 384)
    assert any("another schema" in m for m in caplog.messages)
    assert reopened.state.lexical_seq == 0 and reopened.state.dense_seq > 0 and len(reopened.vectors) == 5
    report = run_indexer(catalog, reopened, HashEncoder())
    assert report.dense_indexed == 0 and reopened.lexical.doc_count() == 5
    assert [pid for pid, _ in reopened.lexical.search(parse("surface codes"), 10)] != []


def test_the_lexical_checkpoint_moves_only_with_a_commit(
    setup: tuple[Catalog, EmbeddedStore], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Papers are read and added in small batches but committed in big ones (fewer segments, D94):
    at every step the checkpoint on disk never claims a paper the committed index lacks, so a crash
    there loses only uncommitted work, which the next run redoes; one segment per commit."""
    catalog, store = setup
    monkeypatch.setattr("papersift.index.indexer.LEXICAL_BATCH", 3)
    monkeypatch.setattr("papersift.index.indexer.LEXICAL_COMMIT_EVERY", 7)
    catalog.upsert([paper(i) for i in range(1, 21)])
    seen: list[tuple[int, int]] = []

    def check(phase: str, done: int, total: int) -> None:
        on_disk = EmbeddedStore(tmp_path / "index", "hash-test", 384)  # what a restart would read
        committed = on_disk.lexical.doc_count()
        claimed = 20 - catalog.count_changes_since(on_disk.state.lexical_seq)  # one change a paper here
        seen.append((claimed, committed))
        assert claimed <= committed and committed <= done
        on_disk.close()

    assert index_lexical(catalog, store, check) == (20, 0)
    assert seen[-1][0] < 20  # the last batch was still uncommitted when reported
    assert store.lexical.doc_count() == 20 and store.state.lexical_seq == catalog.max_seq()
    meta = json.loads((tmp_path / "index" / "lexical" / "meta.json").read_text())
    assert len(meta["segments"]) == 3  # 20 papers added 3 at a time: commits at 9, 18 and the end
