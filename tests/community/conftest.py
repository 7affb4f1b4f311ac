from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from papersift.community import Community
from papersift.context import AppContext
from tests.community.factories import make_context


@pytest.fixture
def ctx(home: Path) -> Iterator[AppContext]:
    context = make_context(home)
    yield context
    context.close()


@pytest.fixture
def community(ctx: AppContext) -> Community:
    return Community(ctx.catalog, ctx.settings.home)
