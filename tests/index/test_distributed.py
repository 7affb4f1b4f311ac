"""The Ray Data dense pass, in Ray local mode on real demo papers: same vectors as the in-process
indexer, checkpointed, idempotent, deletions, resume after a crash, and `papersift index --workers 2`.

One local Ray instance is shared by the whole session (starting Ray costs several seconds). The
encoder is the bundled int8 model truncated to 64 tokens: the code path is identical to the
default's, at a quarter of the embedding cost.
"""

from __future__ import annotations

import gzip
import itertools
import json
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import ray

from papersift.catalog import Catalog
from papersift.demo import PAPERS
from papersift.encoder.embed import Encoder, load_encoder, paper_text
from papersift.index.distributed import RayOptions, RayUnavailableError, import_ray, index_dense_ray, start_local_ray
from papersift.index.embedded.store import EmbeddedStore
from papersift.index.indexer import index_dense
from papersift.ingest import ingest
from papersift.paper import make_paper
from papersift.query.syntax import parse
from papersift.sources import SourceContext
from tests.test_cli_catalog import cli

ENCODER = "minilm-int8@64"
N_PAPERS = 96
WINDOW = 8  # index_dense's batch_size here, so several windows (and, with one worker, two chunks)

pytestmark = pytest.mark.filterwarnings(r"ignore::DeprecationWarning:ray\..*")  # Ray's own, about its own config


@pytest.fixture(scope="session")
def ray_local() -> Iterator[None]:
    start_local_ray(ray, num_cpus=2)
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The first N_PAPERS papers of the bundled demo corpus as a JSONL file."""
    path = tmp_path_factory.mktemp("corpus") / "papers.jsonl"
    with gzip.open(PAPERS, "rt", encoding="utf-8") as src:
        path.write_text("".join(itertools.islice(src, N_PAPERS)), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def encoder() -> Encoder:
    return load_encoder(ENCODER, threads=1)


def open_catalog(directory: Path, corpus: Path) -> Catalog:
    catalog = Catalog.open(f"sqlite:///{directory / 'catalog.db'}")
    assert ingest(catalog, "jsonl", [str(corpus)], SourceContext()).ok
    return catalog


def open_store(directory: Path) -> EmbeddedStore:
    return EmbeddedStore(directory / "index", ENCODER, 384)


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory, corpus: Path, encoder: Encoder) -> dict[str, np.ndarray]:
    """Vectors from the in-process indexer, the path the Ray pass must reproduce."""
    directory = tmp_path_factory.mktemp("reference")
    catalog, store = open_catalog(directory, corpus), open_store(directory)
    assert index_dense(catalog, store, encoder, batch_size=WINDOW) == N_PAPERS
    return {pid: store.vectors.get(pid) for pid in catalog.get_many(c.id for c in catalog.changes_since(0, 10_000))}


def assert_matches(store: EmbeddedStore, reference: dict[str, np.ndarray]) -> None:
    assert len(store.vectors) == len(reference)
    for pid, vector in reference.items():
        assert np.allclose(store.vectors.get(pid), vector, atol=1e-6), pid


def test_same_vectors_as_in_process_checkpointed_and_idempotent(
    ray_local: None,
    tmp_path: Path,
    corpus: Path,
    reference: dict[str, np.ndarray],
    encoder: Encoder,
) -> None:
    catalog, store = open_catalog(tmp_path, corpus), open_store(tmp_path)
    seen: list[tuple[str, int, int]] = []
    assert (
        index_dense_ray(catalog, store, RayOptions(workers=2, batch_size=WINDOW), lambda *p: seen.append(p)) == N_PAPERS
    )
    assert seen[-1] == ("dense", N_PAPERS, N_PAPERS)
    assert_matches(store, reference)
    # Not a near-copy by accident: the vectors are the encoder's (windowing moves int8 vectors
    # by well under 1% in cosine).
    papers = catalog.get_many(reference)
    whole = encoder.encode([paper_text(p.title, p.abstract) for p in papers.values()])
    cosines = [float(store.vectors.get(pid) @ whole[i]) for i, pid in enumerate(papers)]
    assert min(cosines) > 0.99

    reopened = open_store(tmp_path)
    assert reopened.state.dense_seq == catalog.max_seq() and reopened.state.encoder == ENCODER
    assert_matches(reopened, reference)
    # The filter columns came along: filtered semantic search answers from the vector index.
    node = parse("cat:cs.CV").filters
    cv = {pid for pid, p in papers.items() if "cs.CV" in p.categories or p.primary_category == "cs.CV"}
    hits = reopened.vectors.search_filtered(whole[0], N_PAPERS, node)
    assert cv and hits is not None and {pid for pid, _ in hits} == cv
    mtime = reopened.vectors_path.stat().st_mtime_ns
    assert index_dense_ray(catalog, reopened, RayOptions(workers=2, batch_size=WINDOW)) == 0
    assert reopened.vectors_path.stat().st_mtime_ns == mtime  # nothing rewritten


def test_deletions_and_new_papers(
    ray_local: None,
    tmp_path: Path,
    corpus: Path,
    reference: dict[str, np.ndarray],
    encoder: Encoder,
) -> None:
    """On an index the in-process indexer built: either engine can continue the other's work."""
    catalog, store = open_catalog(tmp_path, corpus), open_store(tmp_path)
    assert index_dense(catalog, store, encoder, batch_size=WINDOW) == N_PAPERS
    gone = sorted(reference)[:2]
    for pid in gone:
        assert catalog.delete(pid)
    new = make_paper(
        source="t",
        title="Sparse autoencoders for protein language models",
        abstract="We train sparse dictionaries on residue embeddings.",
        arxiv_id="2611.00001",
    )
    catalog.upsert([new])
    assert index_dense_ray(catalog, store, RayOptions(workers=2, batch_size=WINDOW)) == 3
    assert len(store.vectors) == N_PAPERS - 1 and all(pid not in store.vectors for pid in gone)
    # A window holding one live paper is one encode call of one text; atol covers float16 storage.
    assert np.allclose(store.vectors.get(new.id), encoder.encode([paper_text(new.title, new.abstract)])[0], atol=1e-3)
    assert open_store(tmp_path).state.dense_seq == catalog.max_seq()


def test_resumes_after_a_crash_without_gaps(
    ray_local: None,
    tmp_path: Path,
    corpus: Path,
    reference: dict[str, np.ndarray],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """One worker and WINDOW-sized windows make two chunks; the run dies saving the second."""
    options = RayOptions(workers=1, batch_size=WINDOW)
    assert options.chunk_size < N_PAPERS < 2 * options.chunk_size
    catalog, store = open_catalog(tmp_path, corpus), open_store(tmp_path)
    real_save, saves = store.vectors.save, 0

    def dying_save() -> None:
        nonlocal saves
        saves += 1
        if saves == 2:
            raise KeyboardInterrupt
        real_save()

    monkeypatch.setattr(store.vectors, "save", dying_save)
    with pytest.raises(KeyboardInterrupt):
        index_dense_ray(catalog, store, options)
    resumed = open_store(tmp_path)
    assert resumed.state.dense_seq == catalog.changes_since(0, 10_000)[options.chunk_size - 1].seq
    assert len(resumed.vectors) == options.chunk_size
    assert index_dense_ray(catalog, resumed, options) == N_PAPERS - options.chunk_size
    assert_matches(resumed, reference)


def test_missing_ray_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)
    with pytest.raises(RayUnavailableError, match=r"pip install 'papersift\[distributed\]'"):
        import_ray()


def test_cli_index_with_two_workers(tmp_path: Path, corpus: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """End to end in a fresh process: starts its own local Ray, passes the model dir, stops Ray."""
    monkeypatch.setenv("PAPERSIFT_ENCODER_MAX_LENGTH", "64")
    few = tmp_path / "few.jsonl"
    few.write_text("".join(corpus.read_text("utf-8").splitlines(keepends=True)[:24]), encoding="utf-8")
    cli(tmp_path, "ingest", "jsonl", str(few))
    proc = cli(tmp_path, "index", "--workers", "2")
    assert "24 (dense)" in proc.stderr and "0 awaiting" in proc.stderr
    state = json.loads((tmp_path / "index" / "state.json").read_text("utf-8"))
    assert state["dense_seq"] == 24 and state["encoder"] == ENCODER
    out = json.loads(cli(tmp_path, "search", "vision language model", "--mode", "dense", "--json").stdout)
    assert out["results"]
    bad = cli(tmp_path, "index", "--engine", "local", "--workers", "2", check=False)
    assert bad.returncode == 2 and "--engine ray" in bad.stderr
