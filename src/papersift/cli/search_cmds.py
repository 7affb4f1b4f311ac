"""Index and search commands: model, index, search, similar, eval."""

from __future__ import annotations

import tempfile
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from papersift.cli import app
from papersift.cli.output import err, fail, out, print_json

# The services are imported inside the commands: `papersift --help` must not load them (issue 12).
if TYPE_CHECKING:
    from papersift.config import Settings
    from papersift.context import AppContext
    from papersift.index.distributed import RayOptions

model_app = typer.Typer(help="The bundled sentence-embedding model.", no_args_is_help=True)
app.add_typer(model_app, name="model")


@model_app.command("build")
def model_build() -> None:
    """Build (once) and verify the int8 ONNX encoder from the bundled safetensors."""
    from papersift.encoder.onnx_build import ModelUnavailableError, ensure_model

    try:
        path = ensure_model("int8")
    except ModelUnavailableError as exc:
        fail(str(exc))
    err.print(f"encoder model ready: {path}", highlight=False)


def run_index(
    app_ctx: AppContext,
    lexical_only: bool = False,
    quiet: bool = False,
    ray: RayOptions | None = None,
    provisional: bool | None = None,
) -> None:
    """Bring both indexes up to date with the catalog, with a progress bar per phase.

    With `ray`, the dense pass runs on a Ray Data worker pool (`papersift index --workers N`).
    `provisional` (local engine only): True gives the backlog static-encoder vectors first, False
    never, None when the backlog is large (`wants_provisional`).
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeRemainingColumn

    from papersift.encoder.embed import load_encoder, provisional_partner
    from papersift.encoder.static import StaticMiniLMEncoder
    from papersift.index.distributed import run_indexer_ray
    from papersift.index.indexer import run_indexer, wants_provisional

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err,
        disable=quiet,
    ) as progress:
        tasks: dict[str, TaskID] = {}

        def on_progress(phase: str, done: int, total: int) -> None:
            if phase not in tasks:
                tasks[phase] = progress.add_task(f"{phase} index", total=total)
            progress.update(tasks[phase], completed=done)

        app_ctx.rebuild_progress = on_progress  # an outdated keyword index is rebuilt on opening: show it
        if ray is not None and not lexical_only:
            report = run_indexer_ray(app_ctx.catalog, app_ctx.indexes, ray, on_progress)
        else:
            encoder = None if lexical_only else app_ctx.encoder
            partner = provisional_partner(app_ctx.encoder_name)
            stand_in = None
            store = app_ctx.indexes
            if provisional is None:
                provisional = wants_provisional(app_ctx.catalog, store)
            if encoder is not None and provisional:
                if partner and store.vectors.supports_provisional:
                    loaded = load_encoder(partner)
                    stand_in = loaded if isinstance(loaded, StaticMiniLMEncoder) else None
                else:
                    err.print("provisional vectors need a MiniLM encoder and the embedded backend; full model only")
            report = run_indexer(app_ctx.catalog, app_ctx.indexes, encoder, on_progress, provisional=stand_in)
    if not quiet:
        rebuilt = (
            f" after rebuilding the keyword index ({app_ctx.lexical_rebuilt:,} papers)"
            if app_ctx.lexical_rebuilt
            else ""
        )
        err.print(
            f"indexed {report.lexical_indexed:,} papers (lexical){rebuilt}, {report.dense_indexed:,} (dense), "
            f"{report.provisional_indexed:,} (provisional), {report.upgraded:,} upgraded to full, "
            f"{report.deleted:,} removed in {report.seconds:.1f}s; "
            f"{report.dense_pending:,} awaiting embeddings, {report.provisional_pending:,} still provisional",
            highlight=False,
        )


@app.command("index")
def index_cmd(
    ctx: typer.Context,
    lexical_only: Annotated[bool, typer.Option("--lexical-only", help="Skip embeddings (fast).")] = False,
    workers: Annotated[int, typer.Option(min=1, help="Embedding workers; more than 1 runs them on Ray.")] = 1,
    engine: Annotated[
        str | None, typer.Option(help="local | ray (default: ray when --workers > 1 or --ray-address is given).")
    ] = None,
    ray_address: Annotated[
        str | None,
        typer.Option(help="Join this Ray cluster ('auto', 'ray://host:10001') instead of starting a local one."),
    ] = None,
    worker_threads: Annotated[int, typer.Option(min=1, help="onnxruntime threads per Ray worker.")] = 1,
    provisional: Annotated[
        bool | None,
        typer.Option(
            "--provisional/--no-provisional",
            help="Fast static-encoder vectors for the backlog first, upgraded by the full model after "
            "(default: only for a backlog of 2,000+ papers).",
        ),
    ] = None,
) -> None:
    """Update the search indexes from the catalog (incremental; safe to interrupt and re-run).

    The dense pass embeds in this process, or with --workers N / --engine ray on a Ray Data
    worker pool (local, or a cluster with --ray-address; see docs/distributed.md). Locally, a
    backlog of 2,000+ papers first gets provisional vectors from the static encoder (thousands
    a second), which the full model then replaces; Ray and Milvus homes use the full model only.
    """
    from papersift.index.distributed import RayOptions, RayUnavailableError, import_ray

    engine = engine or ("ray" if workers > 1 or ray_address else "local")
    if engine not in ("local", "ray"):
        fail(f"unknown engine {engine!r}; use local or ray", code=2)
    if engine == "local" and (workers > 1 or ray_address):
        fail("--workers > 1 and --ray-address need --engine ray", code=2)
    options = None
    if engine == "ray":
        try:
            import_ray()
        except RayUnavailableError as exc:
            fail(str(exc))
        options = RayOptions(workers=workers, threads=worker_threads, address=ray_address)
    run_index(ctx.obj, lexical_only, ray=options, provisional=provisional)


@app.command("search")
def search_cmd(
    ctx: typer.Context,
    query: Annotated[str, typer.Argument(help="Query, e.g. '\"graph neural\" cat:cs.LG year:2024'.")],
    mode: Annotated[str, typer.Option(help="lexical | dense | hybrid")] = "hybrid",
    limit: Annotated[int, typer.Option(min=1, max=100)] = 10,
    sort: Annotated[str, typer.Option(help="relevance | date | trending")] = "relevance",
    json_out: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Search the catalog."""
    from papersift.query.types import QueryError

    try:
        page = ctx.obj.search.search(query, mode=mode, sort=sort, per_page=limit)
    except QueryError as exc:
        fail(f"bad query: {exc}", code=2)
    for notice in page.notices:
        err.print(notice, style="yellow", highlight=False)
    if page.offer_meaning:
        err.print(
            "no paper contains any of these words; --mode dense lists the closest papers by meaning", highlight=False
        )
    coverage = page.coverage
    if json_out:
        print_json(
            {
                "query": query,
                "mode": mode,
                "total": page.total,
                "total_exact": page.total_exact,
                "kind": page.kind,
                "keyword_matches": page.keyword_matches,
                "coverage": coverage
                and {
                    "with_vectors": coverage.with_vectors,
                    "papers": coverage.papers,
                    "percent": round(coverage.percent, 1),
                    "partial": coverage.partial,
                    "provisional": coverage.provisional,
                },
                "notices": page.notices,
                "results": [
                    {
                        "id": h.paper.id,
                        "title": h.paper.title,
                        "score": round(h.score, 6),
                        "authors": h.paper.authors,
                        "categories": h.paper.categories,
                        "date": str(h.paper.work_date or ""),
                        "snippet": h.snippet,
                    }
                    for h in page.hits
                ],
            }
        )
        return
    if page.kind == "nearest":
        title = f"{page.total:,} papers ranked by closeness of meaning"
    else:
        about = "" if page.total_exact else "about "  # an estimate from word frequencies (D71)
        title = f"{about}{page.total:,} results ({mode})"
        if page.keyword_matches is not None and page.keyword_matches < page.total:
            title += (
                f": {about}{page.keyword_matches:,} match the words,"
                f" {page.total - page.keyword_matches:,} close in meaning"
            )
    table = Table("#", "id", "title", "score", title=title)
    for i, hit in enumerate(page.hits, 1):
        table.add_row(str(i), hit.paper.id, hit.paper.title, f"{hit.score:.3f}")
    out.print(table)


@app.command("similar")
def similar_cmd(
    ctx: typer.Context,
    paper_id: Annotated[str, typer.Argument(metavar="ID")],
    limit: Annotated[int, typer.Option(min=1, max=100)] = 10,
    json_out: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Papers similar to ID, each with the reason."""
    try:
        hits = ctx.obj.search.similar(paper_id, limit)
    except KeyError:
        fail(f"no paper with id {paper_id!r}")
    if json_out:
        print_json(
            {
                "id": paper_id,
                "results": [
                    {
                        "id": h.paper.id,
                        "title": h.paper.title,
                        "score": round(h.score, 6),
                        "measure": h.measure,
                        "shared_terms": h.shared_terms,
                        "reason": h.reason,
                    }
                    for h in hits
                ],
            }
        )
        return
    for i, h in enumerate(hits, 1):
        typer.echo(f"{i}. [{h.paper.id}] {h.paper.title}\n   {h.reason}")


def _eval_settings(settings: Settings, home: Path) -> Settings:
    """The user's settings (backend, encoder, ...) on a throwaway home. The catalog goes to the
    home whatever `database_url` says, and on a Milvus server the index goes to a collection of
    its own (dropped afterwards), so an evaluation never touches the user's data."""
    update: dict[str, object] = {"home": home, "database_url": None}
    if settings.backend == "milvus" and settings.milvus_uri:
        update["milvus_collection"] = f"papersift_eval_{uuid.uuid4().hex[:12]}"
    return settings.model_copy(update=update)


@app.command("eval")
def eval_cmd(
    ctx: typer.Context,
    beir_dir: Annotated[Path, typer.Argument(metavar="BEIR_DIR", help="Folder with corpus, queries, qrels/.")],
    queries: Annotated[Path | None, typer.Option(help="Queries JSONL (default BEIR_DIR/queries.jsonl).")] = None,
    qrels: Annotated[Path | None, typer.Option(help="Qrels TSV (default BEIR_DIR/qrels/test.tsv).")] = None,
    mode: Annotated[str, typer.Option(help="lexical | dense | hybrid")] = "hybrid",
    json_out: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Measure nDCG@10, Recall@100 and MRR@10 of a ranking mode on a BEIR collection.

    Uses a throwaway home unless --home / PAPERSIFT_HOME is given (then the corpus is
    ingested and indexed there once, and re-runs reuse it).
    """
    from papersift.context import AppContext
    from papersift.evaluate.beir import CollectionError, evaluate, load_collection
    from papersift.ingest import ingest
    from papersift.query.syntax import plain_query
    from papersift.search.types import MODES
    from papersift.sources import SourceContext

    if mode not in MODES:
        fail(f"unknown mode {mode!r}; use one of {', '.join(MODES)}", code=2)
    try:
        collection = load_collection(beir_dir, queries, qrels)
    except CollectionError as exc:
        fail(str(exc), code=2)
    app_ctx: AppContext = ctx.obj
    with tempfile.TemporaryDirectory(prefix="papersift-eval-") as tmp:
        throwaway = not app_ctx.settings.home_explicit
        if throwaway:
            app_ctx = AppContext(_eval_settings(app_ctx.settings, Path(tmp)))
        try:
            report = ingest(
                app_ctx.catalog,
                "beir",
                [str(collection.corpus)],
                SourceContext(options={"collection": collection.name}),
            )
            # documents with neither title nor text are rejected by ingest as expected; any other
            # rejection means the corpus was not read as it is
            skipped = len(collection.empty_documents)
            if report.failed_locations or report.rejected != skipped:
                fail(f"corpus could not be read cleanly: {report.errors[:3]}")
            if skipped and not json_out:
                err.print(f"skipped {skipped} empty document(s) (no title, no text): {collection.empty_documents[:5]}")
            run_index(app_ctx, lexical_only=mode == "lexical", quiet=json_out)
            service = app_ctx.search
            prefix = f"{collection.name}:"
            result = evaluate(
                collection,
                lambda text: service.ranked(plain_query(text), mode, depth=100),
                lambda pid: pid[len(prefix) :] if pid.startswith(prefix) else pid,
                mode,
                time.perf_counter,
            )
        finally:
            if throwaway and app_ctx.opened("indexes"):
                app_ctx.indexes.drop()  # e.g. the temporary collection on a Milvus server
            app_ctx.close()
    out = {
        **result.to_dict(),
        "empty_documents_skipped": len(collection.empty_documents),
        "backend": app_ctx.settings.backend,
    }
    if json_out:
        print_json(out)
        return
    table = Table("metric", "value", title=f"{collection.name} · {mode} · {result.queries} queries")
    for key, value in out.items():
        table.add_row(key, str(value))
    err.print(table)
