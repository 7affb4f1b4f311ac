from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from papersift.community.accounts import Accounts, User
from papersift.context import AppContext
from papersift.deliver.service import Delivery
from papersift.encoder.embed import Encoder, load_encoder
from papersift.index.indexer import run_indexer
from tests.community.factories import make_context
from tests.deliver.fixtures import SmtpServer, corpus, free_port, run_server, self_signed

PASSWORD = "correct horse battery"


@pytest.fixture(scope="session")
def encoder() -> Encoder:
    return load_encoder("minilm-int8", threads=1)


@pytest.fixture(scope="session")
def indexed_template(tmp_path_factory: pytest.TempPathFactory, encoder: Encoder) -> Path:
    """One indexed home built per session; each test gets a copy (indexing is the slow part)."""
    home = tmp_path_factory.mktemp("deliver-template")
    ctx = make_context(home, corpus())
    run_indexer(ctx.catalog, ctx.indexes, encoder)
    ctx.close()
    return home


@pytest.fixture
def ctx(home: Path, indexed_template: Path, encoder: Encoder) -> Iterator[AppContext]:
    shutil.copytree(indexed_template, home, dirs_exist_ok=True)
    context = make_context(home, [])
    context.__dict__["encoder"] = encoder  # share the loaded model (AppContext caches it here)
    yield context
    context.close()


@pytest.fixture
def delivery(ctx: AppContext) -> Delivery:
    return Delivery(ctx)


def make_user(delivery: Delivery, email: str = "ada@example.org") -> User:
    accounts: Accounts = delivery.community.accounts
    return accounts.create_user(email, PASSWORD)


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    yield from run_server(SmtpServer(free_port()))


@pytest.fixture
def tls_smtp(tmp_path: Path) -> Iterator[tuple[SmtpServer, Path]]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    cert, context = self_signed(tmp_path)
    for server in run_server(SmtpServer(free_port()), tls_context=context, require_starttls=True):
        yield server, cert


def build_app(ctx: AppContext):  # noqa: ANN201 - a FastAPI app
    """The real app plus this package's routers (until web/app.py lists them itself)."""
    from papersift.web import digest_pages, syndication_routes
    from papersift.web.app import create_app

    app = create_app(ctx)
    present = {getattr(r, "path", "") for r in app.routes}
    for module in (syndication_routes, digest_pages):
        if not any(getattr(r, "path", "") in present for r in module.router.routes):
            app.include_router(module.router)
    return app
