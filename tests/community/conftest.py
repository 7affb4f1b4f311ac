from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from papersift.community import Community, User
from papersift.context import AppContext
from tests.community.factories import make_context


@pytest.fixture
def ctx(home: Path, database_url: str) -> Iterator[AppContext]:
    """A demo home whose catalog is on SQLite, then on PostgreSQL (`database_url` is parametrised)."""
    context = make_context(home)
    yield context
    context.close()


@pytest.fixture
def community(ctx: AppContext) -> Community:
    return Community(ctx.catalog, ctx.settings.home)


@pytest.fixture
def ada(community: Community) -> User:
    return community.accounts.create_user("ada@example.org", "password one")


@pytest.fixture
def bob(community: Community) -> User:
    return community.accounts.create_user("bob@example.org", "password two")
