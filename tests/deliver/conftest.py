from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from starlette.routing import Match

from papersift.community.accounts import Accounts, User
from papersift.config import load_settings
from papersift.context import AppContext
from papersift.deliver.service import Delivery
from papersift.encoder.embed import Encoder, load_encoder
from papersift.index.indexer import run_indexer
from papersift.web.app import create_app
from tests.community.factories import make_context
from tests.deliver.fixtures import SmtpServer, corpus, free_port, run_server
from tests.postgres import BACKENDS, PostgresServer

PASSWORD = "correct horse battery"


@pytest.fixture(scope="session")
def encoder() -> Encoder:
    return load_encoder("minilm-int8", threads=1)


@pytest.fixture(scope="session", params=BACKENDS)
def indexed_template(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, encoder: Encoder
) -> tuple[Path, str | None]:
    """One indexed home built per session and catalog backend; each test gets a copy (indexing is
    the slow part). On PostgreSQL the catalog is a template database that each test clones."""
    home = tmp_path_factory.mktemp("deliver-template")
    template = None
    if request.param == "postgresql":
        server: PostgresServer = request.getfixturevalue("postgres")
        template = f"deliver_template_{os.getpid()}_{uuid.uuid4().hex[:8]}"  # conftests re-export this fixture
        settings = load_settings(home).model_copy(update={"database_url": server.create_database(template)})
        ctx = AppContext(settings)
        ctx.catalog.upsert(corpus())
    else:
        ctx = make_context(home, corpus())
    run_indexer(ctx.catalog, ctx.indexes, encoder)
    ctx.close()
    return home, template


@pytest.fixture
def ctx(
    request: pytest.FixtureRequest,
    home: Path,
    indexed_template: tuple[Path, str | None],
    encoder: Encoder,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[AppContext]:
    """A copy of the indexed home; its catalog on SQLite, then on PostgreSQL (a clone of the template)."""
    template_home, template_db = indexed_template
    shutil.copytree(template_home, home, dirs_exist_ok=True)
    if template_db is not None:
        server = request.getfixturevalue("postgres")
        monkeypatch.setenv("PAPERSIFT_DATABASE_URL", server.create_database(template=template_db))
    context = make_context(home, [])
    context.__dict__["encoder"] = encoder  # share the loaded model (AppContext caches it here)
    yield context
    context.close()


@pytest.fixture
def delivery(ctx: AppContext) -> Delivery:
    return Delivery(ctx)


def make_user(delivery: Delivery, email: str = "ada@example.org", confirmed: bool = True) -> User:
    """A user whose address is confirmed (double opt-in is tested in tests/security/test_double_opt_in.py)."""
    accounts: Accounts = delivery.community.accounts
    user = accounts.create_user(email, PASSWORD)
    if confirmed:
        delivery.confirmations.mark_confirmed(user)
    return user


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    yield from run_server(SmtpServer(free_port()))


# Every delivery URL a digest, a feed reader or a mail client reaches (written out by hand, so
# dropping a router from web/app.py fails every test that builds its app with `delivery_app`).
DELIVERY_ROUTES = (
    ("GET", "/feeds/trending.atom"),
    ("GET", "/feeds/search.rss"),
    ("GET", "/feeds/category/cs.RO.atom"),
    ("GET", "/feeds/author/Grace%20Hopper.rss"),
    ("GET", "/feeds/collection/1.atom"),
    ("GET", "/account/digest"),
    ("POST", "/account/digest"),
    ("POST", "/account/digest/searches"),
    ("POST", "/account/digest/searches/1/delete"),
    ("POST", "/account/digest/follows"),
    ("POST", "/account/digest/follows/delete"),
    ("POST", "/account/digest/import"),
    ("GET", "/account/digest/preview"),
    ("GET", "/recommendations"),
    ("POST", "/recommendations/feedback"),
    ("GET", "/digest/unsubscribe"),
    ("POST", "/digest/unsubscribe"),
    ("GET", "/api/digest/unsubscribe"),
    ("POST", "/api/digest/unsubscribe"),
)


def routes(app: FastAPI, method: str, path: str) -> bool:
    """True when a route of `app` fully matches (method and path), as Starlette dispatches."""
    scope = {"type": "http", "method": method, "path": path, "root_path": "", "headers": [], "query_string": b""}
    return any(route.matches(scope)[0] == Match.FULL for route in app.router.routes)


def delivery_app(ctx: AppContext) -> FastAPI:
    """The app `papersift serve` runs (`create_app`, nothing added), checked to route every delivery URL."""
    app = create_app(ctx)
    missing = [(method, path) for method, path in DELIVERY_ROUTES if not routes(app, method, path)]
    assert not missing, f"create_app does not route: {missing}"
    return app
