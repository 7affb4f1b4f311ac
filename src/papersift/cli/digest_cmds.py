"""Digest and recommendation commands: `papersift digest ...` and `papersift recommend ...`.

Thin wrappers over papersift.deliver / papersift.discover. `digest send` is safe to run as
often as you like (cron every hour is fine): each user gets at most one digest per period.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer

from papersift.cli import app
from papersift.cli.output import err, fail, print_json

# The services are imported inside the commands: `papersift --help` must not load them (issue 12).
if TYPE_CHECKING:
    from papersift.deliver.mail import SmtpConfig
    from papersift.deliver.service import Delivery
    from papersift.deliver.webhooks import WebhookOutcome

digest_app = typer.Typer(help="Email digests: subscribe users, preview and send.", no_args_is_help=True)
recommend_app = typer.Typer(help="Personal recommendations and seed libraries.", no_args_is_help=True)
app.add_typer(digest_app, name="digest")
app.add_typer(recommend_app, name="recommend")

EmailArg = Annotated[str, typer.Argument(metavar="EMAIL", help="The user's email address.")]
NowOpt = Annotated[
    str | None,
    typer.Option(
        "--now", help="Pretend it is this ISO date-time (UTC unless an offset is given); makes runs reproducible."
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON on stdout.")]
SmtpHost = Annotated[str | None, typer.Option("--smtp-host", help="SMTP server (default: smtp_host setting).")]
SmtpPort = Annotated[int | None, typer.Option("--smtp-port", min=1, max=65535, help="SMTP port.")]
SmtpSecurity = Annotated[
    Literal["starttls", "ssl", "none"] | None, typer.Option("--smtp-security", help="starttls (default), ssl, or none.")
]
SmtpUser = Annotated[str | None, typer.Option("--smtp-user", help="SMTP login name.")]
SmtpPasswordStdin = Annotated[
    bool, typer.Option("--smtp-password-stdin", help="Read the SMTP password from stdin's first line.")
]
MailFrom = Annotated[str | None, typer.Option("--mail-from", help="Sender address (default: mail_from).")]
CaFile = Annotated[
    Path | None,
    typer.Option(
        "--smtp-cafile", help="CA bundle to verify the server with (for a private CA or self-signed certificate)."
    ),
]


def _delivery(ctx: typer.Context) -> Delivery:
    from papersift.deliver.service import Delivery

    return Delivery(ctx.obj)


def _now(text: str | None) -> datetime:
    if not text:
        return datetime.now(UTC)
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        fail(f"--now expects an ISO date-time like 2025-06-02T07:00, got {text!r}", code=2)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _smtp(
    ctx: typer.Context,
    host: str | None,
    port: int | None,
    security: str | None,
    user: str | None,
    password_stdin: bool,
    mail_from: str | None,
    cafile: Path | None,
) -> SmtpConfig:
    from papersift.deliver.mail import SmtpConfig

    password = sys.stdin.readline().rstrip("\r\n") if password_stdin else None
    return SmtpConfig.from_settings(
        ctx.obj.settings,
        host=host,
        port=port,
        security=security,
        user=user,
        password=password,
        mail_from=mail_from,
        cafile=str(cafile) if cafile else None,
    )


@digest_app.command("subscribe")
def subscribe(
    ctx: typer.Context,
    email: EmailArg,
    frequency: Annotated[Literal["daily", "weekly"], typer.Option(help="How often.")] = "daily",
    query: Annotated[list[str], typer.Option("--query", help="Save this search for alerts (repeatable).")] = [],  # noqa: B006
    collection: Annotated[
        list[str],
        typer.Option("--collection", help="Recommend from this collection (repeatable; default: all and upvotes)."),
    ] = [],  # noqa: B006
    section: Annotated[
        list[str],
        typer.Option("--section", help="searches, follows, recommended, trending (repeatable; default: all)."),
    ] = [],  # noqa: B006
    follow_author: Annotated[list[str], typer.Option("--follow-author", help="Follow an author.")] = [],  # noqa: B006
    follow_category: Annotated[list[str], typer.Option("--follow-category", help="Follow a category.")] = [],  # noqa: B006
    mode: Annotated[Literal["lexical", "dense", "hybrid"], typer.Option(help="Mode of --query.")] = "hybrid",
    json_out: JsonOpt = False,
) -> None:
    """Subscribe a user to email digests (re-running replaces the settings, keeps saved searches)."""
    from papersift.community import UserError

    delivery = _delivery(ctx)
    try:
        user = delivery.user(email)
        owned = {c.name: c.id for c in delivery.community.collections.owned(user)}
        if unknown := [n for n in collection if n not in owned]:
            raise UserError("unknown_collection", f"{user.email} has no collection named {unknown[0]!r}")
        searches = [delivery.store.save_search(user, q, mode) for q in query]
        for kind, names in (("author", follow_author), ("category", follow_category)):
            for name in names:
                delivery.store.follow(user, kind, name)
        sub = delivery.store.subscribe(user, frequency, section or None, [owned[n] for n in collection])
    except UserError as exc:
        fail(str(exc), code=2)
    summary = {
        "email": user.email,
        "frequency": sub.frequency,
        "sections": list(sub.sections),
        "collections": list(sub.collections),
        "saved_searches": [s.query for s in searches],
        "follows": [f.label for f in delivery.store.follows(user)],
        "address_confirmed": delivery.confirmations.is_confirmed(user),
    }
    if json_out:
        print_json(summary)
    err.print(f"{user.email}: {sub.frequency} digest with {', '.join(sub.sections)}", highlight=False)
    if not summary["address_confirmed"]:
        err.print(
            f"{user.email} is not confirmed yet: `digest send` mails it a confirmation link, and digests "
            "only once the link was followed (double opt-in)",
            highlight=False,
        )


@digest_app.command("unsubscribe")
def unsubscribe(ctx: typer.Context, email: EmailArg) -> None:
    """Stop a user's digests (their saved searches and follows are kept)."""
    from papersift.community import UserError

    delivery = _delivery(ctx)
    try:
        user = delivery.user(email)
    except UserError as exc:
        fail(str(exc), code=2)
    if not delivery.store.set_active(user.id, False):
        fail(f"{user.email} has no digest subscription", code=1)
    err.print(f"{user.email}: digests stopped", highlight=False)


@digest_app.command("send")
def send(
    ctx: typer.Context,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Compose and report, record and send nothing.")] = False,
    user: Annotated[str | None, typer.Option("--user", help="Only this user.")] = None,
    now: NowOpt = None,
    smtp_host: SmtpHost = None,
    smtp_port: SmtpPort = None,
    smtp_security: SmtpSecurity = None,
    smtp_user: SmtpUser = None,
    smtp_password_stdin: SmtpPasswordStdin = False,
    mail_from: MailFrom = None,
    smtp_cafile: CaFile = None,
    attempts: Annotated[
        int | None, typer.Option(min=1, max=10, help="SMTP attempts per digest (default: the mailer's, 3).")
    ] = None,
    backoff: Annotated[
        float | None,
        typer.Option(min=0, max=600, help="Seconds before the first retry, doubled after each (default: 2)."),
    ] = None,
    webhooks: Annotated[
        bool,
        typer.Option(
            "--webhooks/--no-webhooks",
            help="Also deliver recorded digests to the users' webhooks (each once per webhook, as `webhook send`).",
        ),
    ] = True,
    json_out: JsonOpt = False,
) -> None:
    """Send due digests (idempotent: re-running never sends a period twice and never skips one),
    then deliver them to the users' webhooks."""
    from rich.console import Console
    from rich.table import Table

    from papersift.community import UserError
    from papersift.deliver.mail import RETRY_ATTEMPTS, RETRY_BACKOFF_S, Mailer, MailError
    from papersift.deliver.service import SendOptions, send_digests

    config = _smtp(ctx, smtp_host, smtp_port, smtp_security, smtp_user, smtp_password_stdin, mail_from, smtp_cafile)
    delivery = _delivery(ctx)
    if not dry_run:
        try:
            config.validate()
        except MailError as exc:
            fail(f"unusable SMTP settings: {exc}", code=2)
    try:
        report = send_digests(
            delivery,
            None if dry_run else (lambda: Mailer(config)),
            SendOptions(
                now=_now(now),
                user_email=user,
                dry_run=dry_run,
                mail_from=config.mail_from,
                attempts=RETRY_ATTEMPTS if attempts is None else attempts,
                backoff=RETRY_BACKOFF_S if backoff is None else backoff,
            ),
        )
    except UserError as exc:
        fail(str(exc), code=2)
    # Webhooks read what the ledger recorded, so they run even when SMTP failed: a chat channel
    # still gets its digest. The (webhook, digest) rows make this exactly once with `webhook send`.
    hooks = [] if dry_run or not webhooks else _deliver_webhooks(ctx, delivery, user)
    hooks_ok = all(h.status == "sent" for h in hooks)
    if json_out:
        print_json(
            {
                "ok": report.ok and hooks_ok,
                "aborted": report.aborted,
                "skipped_unconfirmed": report.skipped_unconfirmed,
                "digests": [vars(o) for o in report.outcomes],
                "webhooks": [vars(h) for h in hooks],
            }
        )
    else:
        table = Table("user", "period", "status", "papers", "attempts", "subject / error")
        for o in report.outcomes:
            table.add_row(o.email, o.period, o.status, str(o.papers or ""), str(o.attempts or ""), o.error or o.subject)
        Console(stderr=True).print(table)
        for h in hooks:
            err.print(f"webhook {h.webhook_id} digest {h.digest_id}: {h.status} {h.error or ''}".rstrip())
        if report.skipped_unconfirmed:
            err.print(
                f"{report.skipped_unconfirmed} subscriber(s) skipped: address not confirmed yet (double opt-in)",
                highlight=False,
            )
    if report.aborted:
        fail(f"stopped: {report.aborted} (unsent digests stay recorded and go out on the next run)", code=2)
    if not report.ok or not hooks_ok:
        raise typer.Exit(1)


def _deliver_webhooks(ctx: typer.Context, delivery: Delivery, user: str | None) -> list[WebhookOutcome]:
    from papersift.deliver.webhooks import WebhookRun, WebhookStore

    engine = delivery.ctx.catalog.engine
    run = WebhookRun(delivery.ctx.catalog, WebhookStore(engine), ctx.obj.settings.base_url)
    return run.run(delivery.user(user).id if user else None)


@digest_app.command("preview")
def preview(
    ctx: typer.Context,
    email: EmailArg,
    now: NowOpt = None,
    html: Annotated[bool, typer.Option("--html", help="Print the HTML part.")] = False,
) -> None:
    """Print the digest a user would get now (nothing is recorded or sent)."""
    from papersift.community import UserError
    from papersift.deliver.render import render_parts, unsubscribe_links

    delivery = _delivery(ctx)
    try:
        user = delivery.user(email)
    except UserError as exc:
        fail(str(exc), code=2)
    when = _now(now) if now else delivery.preview_time(datetime.now(UTC))
    if not now and when.date() < datetime.now(UTC).date():
        err.print(f"the catalog's newest papers are from {when.date()}: previewing as of that day", highlight=False)
    digest = delivery.preview(user, when)
    settings = delivery.ctx.settings
    _, page = unsubscribe_links(settings.base_url, delivery.community.secret, user.id, user.email)
    text, body = render_parts(digest, settings.base_url, page)
    err.print(f"Subject: {digest.subject}", highlight=False, markup=False)
    sys.stdout.write(body if html else text)


@digest_app.command("check-smtp")
def check_smtp(
    ctx: typer.Context,
    smtp_host: SmtpHost = None,
    smtp_port: SmtpPort = None,
    smtp_security: SmtpSecurity = None,
    smtp_user: SmtpUser = None,
    smtp_password_stdin: SmtpPasswordStdin = False,
    mail_from: MailFrom = None,
    smtp_cafile: CaFile = None,
) -> None:
    """Connect, negotiate TLS and log in with the SMTP settings, then quit (sends nothing)."""
    from papersift.deliver.mail import Mailer, MailError

    config = _smtp(ctx, smtp_host, smtp_port, smtp_security, smtp_user, smtp_password_stdin, mail_from, smtp_cafile)
    try:
        Mailer(config).check()
    except MailError as exc:
        fail(f"SMTP settings do not work: {exc}", code=2)
    err.print(
        f"SMTP OK: {config.host}:{config.port} ({config.security})"
        + (f", logged in as {config.user}" if config.user else ""),
        highlight=False,
    )


@recommend_app.command("show")
def show(
    ctx: typer.Context,
    email: EmailArg,
    collection: Annotated[str | None, typer.Option("--collection", help="Only from this collection.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=100, help="How many.")] = 10,
    json_out: JsonOpt = False,
) -> None:
    """Recommended papers for a user (or one of their collections), each with its reason."""
    from papersift.community import UserError

    delivery = _delivery(ctx)
    try:
        user = delivery.user(email)
        ids = None
        if collection is not None:
            owned = {c.name: c.id for c in delivery.community.collections.owned(user)}
            if collection not in owned:
                raise UserError("unknown_collection", f"{user.email} has no collection named {collection!r}")
            ids = [owned[collection]]
    except UserError as exc:
        fail(str(exc), code=2)
    result = delivery.recommender.recommend(user, collection_ids=ids, limit=limit)
    for notice in result.notices:
        err.print(f"note: {notice}", highlight=False, markup=False)
    if json_out:
        print_json(
            [
                {"id": r.paper.id, "title": r.paper.title, "score": round(r.score, 4), "reason": r.reason}
                for r in result.items
            ]
        )
        return
    for i, r in enumerate(result.items, 1):
        sys.stdout.write(f"{i:2d}. [{r.paper.id}] {r.paper.title}\n    why: {r.reason}\n")


@recommend_app.command("import")
def import_library(
    ctx: typer.Context,
    email: EmailArg,
    path: Annotated[Path, typer.Argument(help="A .bib file (Zotero: File → Export Library → BibTeX).")],
    collection: Annotated[str, typer.Option("--collection", help="Collection to fill.")] = "Imported library",
    json_out: JsonOpt = False,
) -> None:
    """Import a BibTeX library as a collection that seeds recommendations; broken entries are listed."""
    from papersift.community import UserError
    from papersift.discover.library import import_bibtex
    from papersift.sources import SourceError

    delivery = _delivery(ctx)
    try:
        user = delivery.user(email)
        report = import_bibtex(
            delivery.ctx.catalog, delivery.community.collections, user, path, collection, delivery.ctx.indexes.lexical
        )
    except (UserError, SourceError) as exc:
        fail(str(exc), code=2)
    for problem in report.errors:
        err.print(f"skipped {problem}", highlight=False, markup=False)
    if json_out:
        print_json({**vars(report), "summary": report.summary()})
    err.print(report.summary() + " — run `papersift index` to embed new papers", highlight=False)
    if report.error_count:
        raise typer.Exit(1)
