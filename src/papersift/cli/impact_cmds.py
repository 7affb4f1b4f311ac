"""`papersift impact train` and `papersift impact score`: the impact prior (docs/impact.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from papersift.cli import app
from papersift.cli.catalog_cmds import _parse_options
from papersift.cli.output import err, fail, print_json

if TYPE_CHECKING:  # imported where used: `papersift --help` must not load the services (issue 12)
    from papersift.context import AppContext

impact_app = typer.Typer(help="Predict which new papers will draw attention (the impact prior).", no_args_is_help=True)
app.add_typer(impact_app, name="impact")


@impact_app.command("train")
def train_cmd(
    ctx: typer.Context,
    json_out: Annotated[bool, typer.Option("--json", help="Print the report (with the evaluation) as JSON.")] = False,
) -> None:
    """Fit the prior on every catalog paper with external upvotes; store it in the home."""
    app_ctx: AppContext = ctx.obj
    with err.status("training the impact prior (evaluation on later days, then the final fit)"):
        try:
            report = app_ctx.impact.train()
        except ValueError as exc:
            fail(str(exc))
    if json_out:
        print_json(report)
        return
    ev = report["evaluation"]
    print(
        f"trained on {report['trained_on']:,} papers with upvotes; held out ({ev['split']}): "
        f"within-day Spearman {ev['within_day_spearman']:.3f}, top-3 precision {ev['top3_precision']:.3f} "
        f"over {ev['days']} days; {report['predictions_stored']:,} recent predictions stored"
    )


@impact_app.command("score")
def score_cmd(
    ctx: typer.Context,
    fmt: Annotated[str, typer.Argument(metavar="FORMAT", help="Source format (see `papersift formats`).")],
    location: Annotated[str, typer.Argument(metavar="PATH", help="A source file or folder; nothing is stored.")],
    option: Annotated[list[str], typer.Option("--option", "-o", help="Source option KEY=VALUE (repeatable).")] = [],  # noqa: B006
    json_out: Annotated[bool, typer.Option("--json", help='Print {"scores": [{"id", "score"}, ...]}.')] = False,
) -> None:
    """Predicted upvotes for the papers of a source file, from what is known at announcement.

    Vote and comment counts in the input are never used."""
    from papersift.paper import Paper
    from papersift.sources import REGISTRY, RecordError, SourceContext, SourceError, get_source

    app_ctx: AppContext = ctx.obj
    if fmt not in REGISTRY:
        fail(f"unknown format {fmt!r}; known formats: {', '.join(sorted(REGISTRY))}", code=2)
    papers: dict[str, Paper] = {}
    rejected = 0
    try:
        for item in get_source(fmt)(location, SourceContext(options=_parse_options(option))):
            if isinstance(item, Paper):
                papers.setdefault(item.id, item)
            elif isinstance(item, RecordError):
                rejected += 1
                err.print(f"  rejected: {item}", style="yellow", highlight=False, markup=False, soft_wrap=True)
    except SourceError as exc:
        fail(str(exc), code=2)
    try:
        scored = app_ctx.impact.score(papers.values())
    except (FileNotFoundError, ValueError) as exc:
        fail(str(exc))
    if json_out:
        print_json({"scores": [{"id": s.id, "score": round(s.votes, 3), "reasons": list(s.reasons)} for s in scored]})
    else:
        for s in sorted(scored, key=lambda s: -s.votes):
            print(f"{s.votes:8.1f}  {s.id}  {papers[s.id].title[:80]}  ({'; '.join(s.reasons)})")
    if rejected:
        err.print(f"{rejected:,} records rejected", style="yellow")
