"""Security regression tests: each replays an attack of the issue-11 review against the real app.

The indexed test catalog of tests/deliver (real texts, real encoder) serves these tests.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from papersift.context import AppContext
from papersift.web.app import create_app
from tests.deliver.conftest import ctx, delivery, encoder, indexed_template, smtp  # noqa: F401


@pytest.fixture
def client(ctx: AppContext) -> Iterator[TestClient]:  # noqa: F811
    with TestClient(create_app(ctx), follow_redirects=False) as c:
        yield c
