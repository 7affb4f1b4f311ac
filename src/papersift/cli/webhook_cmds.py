"""`papersift webhook ...`: digests to Slack, Discord or a signed JSON endpoint."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from papersift.cli import app
from papersift.cli.digest_cmds import JsonOpt
from papersift.cli.output import err, fail, print_json

# The services are imported inside the commands: `papersift --help` must not load them (issue 12).
if TYPE_CHECKING:
    from papersift.deliver.webhooks import WebhookStore

webhook_app = typer.Typer(help="Digest webhooks: Slack, Discord, signed JSON POST.", no_args_is_help=True)
app.add_typer(webhook_app, name="webhook")


def _store(ctx: typer.Context) -> WebhookStore:
    from papersift.deliver.webhooks import WebhookStore

    return WebhookStore(ctx.obj.catalog.engine)


def _user_id(ctx: typer.Context, email: str) -> int:
    from papersift.community.accounts import UserError
    from papersift.deliver.service import Delivery

    try:
        return Delivery(ctx.obj).user(email).id
    except UserError as exc:
        fail(str(exc), code=2)


@webhook_app.command("add")
def add(
    ctx: typer.Context,
    email: Annotated[str, typer.Argument(metavar="EMAIL")],
    url: Annotated[str, typer.Argument(metavar="URL", help="https URL (http only to a loopback receiver).")],
    kind: Annotated[str, typer.Option(help="slack | discord | json (signed with HMAC)")] = "json",
    json_out: JsonOpt = False,
) -> None:
    """Send EMAIL's digests to URL too; for `json` prints the HMAC secret (shown once)."""
    from papersift.deliver.webhooks import WebhookError

    try:
        hook = _store(ctx).add(_user_id(ctx, email), kind, url)
    except WebhookError as exc:
        fail(str(exc), code=2)
    secret = hook.secret if hook.kind == "json" else None
    if json_out:
        print_json({"id": hook.id, "kind": hook.kind, "url": hook.url, "secret": secret})
        return
    typer.echo(f"webhook {hook.id} ({hook.kind}) added")
    if secret:
        typer.echo(f"signing secret (verify X-Papersift-Signature with it; shown once): {secret}")


@webhook_app.command("list")
def list_hooks(
    ctx: typer.Context, email: Annotated[str, typer.Argument(metavar="EMAIL")], json_out: JsonOpt = False
) -> None:
    """EMAIL's webhooks (secrets are not shown)."""
    hooks = _store(ctx).of_user(_user_id(ctx, email))
    rows = [{"id": h.id, "kind": h.kind, "url": h.url, "created_at": h.created_at.isoformat()} for h in hooks]
    if json_out:
        print_json(rows)
        return
    for r in rows:
        typer.echo(f"{r['id']}\t{r['kind']}\t{r['url']}")


@webhook_app.command("remove")
def remove(
    ctx: typer.Context,
    email: Annotated[str, typer.Argument(metavar="EMAIL")],
    webhook_id: Annotated[int, typer.Argument(metavar="ID")],
) -> None:
    """Stop sending EMAIL's digests to webhook ID."""
    if not _store(ctx).remove(_user_id(ctx, email), webhook_id):
        fail(f"{email} has no webhook {webhook_id}")
    err.print(f"webhook {webhook_id} removed", highlight=False)


@webhook_app.command("send")
def send(
    ctx: typer.Context,
    user: Annotated[str | None, typer.Option("--user", help="Only this user's webhooks.")] = None,
    attempts: Annotated[int | None, typer.Option(min=1, max=10, help="POST attempts per digest [default: 3].")] = None,
    backoff: Annotated[
        float | None, typer.Option(min=0, max=600, help="Seconds before the first retry, doubled [default: 5].")
    ] = None,
    json_out: JsonOpt = False,
) -> None:
    """Deliver recorded digests to webhooks (each digest once per webhook; failures retried next run)."""
    from papersift.deliver.webhooks import RETRY_ATTEMPTS, RETRY_BACKOFF_S, WebhookRun

    app_ctx = ctx.obj
    run = WebhookRun(
        app_ctx.catalog,
        _store(ctx),
        app_ctx.settings.base_url,
        attempts=RETRY_ATTEMPTS if attempts is None else attempts,
        backoff=RETRY_BACKOFF_S if backoff is None else backoff,
    )
    outcomes = run.run(_user_id(ctx, user) if user else None)
    if json_out:
        print_json({"ok": all(o.status == "sent" for o in outcomes), "deliveries": [vars(o) for o in outcomes]})
    else:
        for o in outcomes:
            typer.echo(f"webhook {o.webhook_id} digest {o.digest_id}: {o.status} {o.error or ''}".rstrip())
    if any(o.status in ("failed", "rejected") for o in outcomes):
        raise typer.Exit(1)
