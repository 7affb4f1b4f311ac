"""Milvus (milvus-lite) ranks like the embedded default: nDCG@10 per mode within a tolerance and
high top-10 overlap, on SciFact's judged queries over a subset of its corpus.

Both homes index the same papers with the same vectors (embedded once). What may differ
(docs/backends.md): Milvus fuses each field's BM25 list cut at a depth, milvus-lite keeps BM25
statistics per segment, and HNSW is approximate. Run with `-s` to see the figures.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from papersift.context import AppContext
from papersift.evaluate.beir import load_collection, score
from papersift.index.indexer import run_indexer
from papersift.ingest import ingest
from papersift.query.syntax import plain_query
from papersift.sources import SourceContext
from tests.index.milvus.helpers import CachingEncoder, make_ctx, scifact_subset

EXTRA_DOCS = 400  # besides every judged document: ~600 papers (the first 400 are also test_milvus_service's)
NDCG_TOLERANCE = 0.02  # absolute nDCG@10, per mode (measured: 0.005 or less)
MIN_OVERLAP = {"lexical": 0.9, "dense": 0.95, "hybrid": 0.9}  # mean |top10 ∩ top10| / 10 (measured 0.97, 1.0, 0.985)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def homes(
    tmp_path_factory: pytest.TempPathFactory, shared_data: Path, encoder: CachingEncoder
) -> dict[str, AppContext]:
    root = tmp_path_factory.mktemp("agreement")
    beir = scifact_subset(shared_data, root / "scifact", EXTRA_DOCS)
    out = {}
    for backend in ("embedded", "milvus"):
        ctx = make_ctx(root / backend, backend, encoder)
        report = ingest(
            ctx.catalog, "beir", [str(beir / "corpus.jsonl")], SourceContext(options={"collection": "scifact"})
        )
        assert report.ok
        run_indexer(ctx.catalog, ctx.indexes, encoder)
        out[backend] = ctx
    out["collection"] = load_collection(beir)  # type: ignore[assignment]
    yield out
    for backend in ("embedded", "milvus"):
        out[backend].close()


def _runs(ctx: AppContext, collection: object, mode: str) -> tuple[dict[str, dict[str, float]], float]:
    run, start = {}, time.perf_counter()
    for qid, text in collection.queries.items():  # type: ignore[attr-defined]
        ranked = ctx.search.ranked(plain_query(text), mode, depth=100)  # type: ignore[arg-type]
        run[qid] = {pid.removeprefix("scifact:"): s for pid, s in ranked}
    return run, (time.perf_counter() - start) * 1000 / len(run)


@pytest.mark.parametrize("mode", ["lexical", "dense", "hybrid"])
def test_ndcg_and_top10_agree(homes: dict[str, AppContext], mode: str) -> None:
    collection = homes["collection"]
    emb, emb_ms = _runs(homes["embedded"], collection, mode)
    mil, mil_ms = _runs(homes["milvus"], collection, mode)
    ndcg_e = score(collection.qrels, emb)["ndcg@10"]  # type: ignore[attr-defined]
    ndcg_m = score(collection.qrels, mil)["ndcg@10"]  # type: ignore[attr-defined]
    top = lambda run, q: list(run[q])[:10]  # noqa: E731
    overlap = sum(len(set(top(emb, q)) & set(top(mil, q))) / 10 for q in emb) / len(emb)
    print(
        f"\n{mode}: nDCG@10 embedded {ndcg_e:.4f} milvus {ndcg_m:.4f} (delta {ndcg_m - ndcg_e:+.4f}); "
        f"top-10 overlap {overlap:.3f}; {len(emb)} queries; ms/query embedded {emb_ms:.1f} milvus-lite {mil_ms:.1f}"
    )
    assert abs(ndcg_m - ndcg_e) <= NDCG_TOLERANCE
    assert overlap >= MIN_OVERLAP[mode]
