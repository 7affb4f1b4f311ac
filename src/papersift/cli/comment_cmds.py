"""`papersift comments ...`: the operator's moderation of paper discussions.

Moderation is an operator's job, so it lives on the command line (shell access to the home),
not in the web app: list what users reported, hide a comment (gone from pages, the API and
feeds; `--undo` restores it), ban a user from commenting (`--undo` lifts it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from papersift.cli import app
from papersift.cli.digest_cmds import JsonOpt
from papersift.cli.output import fail, print_json

if TYPE_CHECKING:  # imported where used: `papersift --help` must not load the services
    from papersift.community.discussion import Discussion

comments_app = typer.Typer(help="Moderate paper discussions: reported comments, hide, ban.", no_args_is_help=True)
app.add_typer(comments_app, name="comments")
UndoOpt = Annotated[bool, typer.Option("--undo", help="Reverse it.")]


def _discussion(ctx: typer.Context) -> Discussion:
    discussion: Discussion = ctx.obj.community.discussion
    return discussion


@comments_app.command("reported")
def reported(
    ctx: typer.Context,
    include_hidden: Annotated[bool, typer.Option("--all", help="Also reports on comments already hidden.")] = False,
    json_out: JsonOpt = False,
) -> None:
    """Reported comments, most reported first, with the reporters' reasons."""
    reports = _discussion(ctx).reported(include_hidden)
    if json_out:
        print_json(
            [
                {
                    "id": r.comment.id,
                    "paper_id": r.comment.paper_id,
                    "author": r.comment.author,
                    "author_id": r.comment.author_id,
                    "reports": r.reports,
                    "reasons": r.reasons,
                    "hidden": r.hidden,
                    "text": r.comment.body,
                }
                for r in reports
            ]
        )
        return
    if not reports:
        typer.echo("no reported comments")
    for r in reports:
        state = " (hidden)" if r.hidden else ""
        typer.echo(f"{r.comment.id}\t{r.comment.paper_id}\t{r.comment.author}\t{r.reports} report(s){state}")
        typer.echo(f"\t{r.comment.body[:200]!r}")
        for reason in r.reasons:
            typer.echo(f"\t- {reason}")


@comments_app.command("hide")
def hide(
    ctx: typer.Context, comment_id: Annotated[int, typer.Argument(metavar="ID", min=1)], undo: UndoOpt = False
) -> None:
    """Hide comment ID from pages, the API and feeds (its replies go with it)."""
    if not _discussion(ctx).set_hidden(comment_id, not undo):
        fail(f"no comment {comment_id}", code=2)
    typer.echo(f"comment {comment_id} {'shown again' if undo else 'hidden'}")


@comments_app.command("ban")
def ban(ctx: typer.Context, email: Annotated[str, typer.Argument(metavar="USER")], undo: UndoOpt = False) -> None:
    """Stop USER (an account's email) from posting or editing comments."""
    user = ctx.obj.community.accounts.get_user(email)
    if user is None:
        fail(f"no user {email.strip()!r}", code=2)
    _discussion(ctx).set_banned(user.id, not undo)
    typer.echo(f"{user.email} {'may comment again' if undo else 'can no longer comment'}")
