"""Web commands: `papersift serve` and account administration (`papersift users ...`)."""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from papersift.cli import app
from papersift.cli.output import err, fail, print_json

if TYPE_CHECKING:  # imported where used: `papersift --help` must not load the services
    import uvicorn

    from papersift.community.accounts import Accounts
    from papersift.context import AppContext

# Each serving worker's query encoder runs on one onnxruntime thread unless `encoder_threads` says
# otherwise: a query is one short text, and a second intra-op thread spin-waits in onnxruntime's
# pool beside the request's own work, on the cores the other requests need (docs/DECISIONS.md D79).
SERVING_ENCODER_THREADS = 1

users_app = typer.Typer(help="Manage user accounts.", no_args_is_help=True)
app.add_typer(users_app, name="users")


def _accounts(ctx: typer.Context) -> Accounts:
    from papersift.community.accounts import Accounts

    app_ctx: AppContext = ctx.obj
    return Accounts(app_ctx.catalog.engine)


@app.command("serve")
def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Interface to listen on (0.0.0.0 for all).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Worker processes.")] = 1,
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "info",
) -> None:
    """Serve the web app and JSON API (uvicorn)."""
    import uvicorn

    app_ctx: AppContext = ctx.obj
    app_ctx.catalog  # noqa: B018  (migrate the database once, before workers race to do it)
    if app_ctx.settings.backend == "embedded":
        app_ctx.prepare_indexes()  # an outdated or damaged keyword index is rebuilt here, once, not in each worker
    # workers rebuild the context from the environment, so pass the resolved home and the
    # settings file on (without the file, `--config FILE serve` would serve default settings)
    os.environ["PAPERSIFT_HOME"] = str(app_ctx.settings.home)
    if app_ctx.settings.config_file is not None:
        os.environ["PAPERSIFT_CONFIG"] = str(app_ctx.settings.config_file.resolve())
    if app_ctx.settings.encoder_threads is None:
        os.environ["PAPERSIFT_ENCODER_THREADS"] = str(SERVING_ENCODER_THREADS)
    if "base_url" not in app_ctx.settings.model_fields_set:
        # links in feeds, digests and unsubscribe mails must point where the site is served
        derived = derived_base_url(host, port)
        os.environ["PAPERSIFT_BASE_URL"] = app_ctx.settings.base_url = derived
        err.print(f"papersift: links use {derived} (from --host/--port; set base_url to change it)", highlight=False)
    if workers > 1:
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(_metrics_dir(app_ctx.settings.home))
    err.print(f"papersift: serving {app_ctx.settings.home} on http://{host}:{port}/ ({workers} worker(s))")
    options: dict[str, Any] = {
        "factory": True,
        "host": host,
        "port": port,
        "workers": workers,
        "log_level": log_level,
        "proxy_headers": True,
        "forwarded_allow_ips": app_ctx.settings.trusted_proxies,
        "server_header": False,
    }
    if workers == 1:
        uvicorn.run("papersift.web.app:app_from_env", **options)
        return
    from uvicorn.supervisors import Multiprocess

    config = uvicorn.Config("papersift.web.app:app_from_env", **options)
    try:
        Multiprocess(config, sockets=[listening_socket(config)]).run()
    except KeyboardInterrupt:
        pass


def listening_socket(config: uvicorn.Config) -> socket.socket:
    """The socket uvicorn's workers share, with TCP_NODELAY set on it.

    uvicorn binds it without naming the protocol (proto 0), so asyncio never sets TCP_NODELAY on
    the connections the workers accept, and Nagle's algorithm plus the client's delayed ACK held
    the end of every keep-alive response back by ~40 ms (measured on 1M papers: 68 ms at the
    client for 24 ms in the app). Linux gives a listening socket's TCP_NODELAY to every
    connection it accepts."""
    sock = config.bind_socket()
    if sock.family in (socket.AF_INET, socket.AF_INET6):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def _metrics_dir(home: Path) -> Path:
    """Where the workers' request metrics meet (prometheus-client multiprocess mode): emptied at
    every start, since counters of a previous run's workers would otherwise be summed in."""
    path = home / "run" / "metrics"
    path.mkdir(parents=True, exist_ok=True)
    for old in path.glob("*.db"):
        old.unlink()
    return path


def derived_base_url(host: str, port: int) -> str:
    """The site's URL from the address it listens on; all interfaces means this machine's name."""
    name = socket.getfqdn() if host in ("0.0.0.0", "::", "") else host
    return f"http://[{name}]:{port}" if ":" in name else f"http://{name}:{port}"


@users_app.command("create")
def create_user(
    ctx: typer.Context,
    email: Annotated[str, typer.Argument(help="The new user's email address.")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from the first line of stdin.")
    ] = False,
) -> None:
    """Create an account (prompts for the password unless --password-stdin)."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True, err=True)
    from papersift.community import UserError

    try:
        user = _accounts(ctx).create_user(email, password)
    except UserError as exc:
        fail(str(exc), code=2)
    err.print(f"created user {user.email} (id {user.id})", highlight=False)


@users_app.command("list")
def list_users(
    ctx: typer.Context, json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False
) -> None:
    """List accounts."""
    from rich.console import Console
    from rich.table import Table

    users = _accounts(ctx).list_users()
    if json_out:
        print_json(
            [
                {"id": u.id, "email": u.email, "created_at": u.created_at.isoformat(), "disabled": u.disabled}
                for u in users
            ]
        )
        return
    table = Table("id", "email", "created", "status")
    for u in users:
        table.add_row(
            str(u.id), u.email, u.created_at.strftime("%Y-%m-%d %H:%M"), "disabled" if u.disabled else "active"
        )
    Console().print(table)


@users_app.command("disable")
def disable_user(
    ctx: typer.Context,
    email: Annotated[str, typer.Argument(help="The account to disable.")],
    enable: Annotated[bool, typer.Option("--enable", help="Re-enable instead.")] = False,
) -> None:
    """Disable an account (signs it out everywhere; its tokens stop working). --enable undoes it."""
    if not _accounts(ctx).set_disabled(email, disabled=not enable):
        fail(f"no user with email {email!r}", code=1)
    err.print(f"{'enabled' if enable else 'disabled'} {email}", highlight=False)
