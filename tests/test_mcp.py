"""`papersift mcp` through the official MCP SDK's own client, over stdio, against a real home.

The server is the real command in a subprocess (`python -m papersift --home H mcp`); the home
holds the bundled demo corpus (with its precomputed vectors) and one user whose API token is
handed to the server in PAPERSIFT_TOKEN, the way a desktop assistant's config does.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path
from typing import Any

import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters
from mcp.types import CallToolResult

from papersift.config import load_settings
from papersift.context import AppContext
from tests.test_cli_catalog import cli


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, list[str]]:
    """A demo home, a user with a collection, and that user's API token."""
    home = tmp_path_factory.mktemp("mcp-home")
    cli(home, "demo", "load")
    ctx = AppContext(load_settings(home))
    accounts = ctx.community.accounts
    ada = accounts.create_user("ada@example.org", "correct horse battery")
    _, token = accounts.create_token(ada, "assistant")
    ids = [p.id for p in list(ctx.catalog.iter_all())[:3]]
    reading = ctx.community.collections.create(ada, "reading")
    ctx.community.collections.add(ada, reading.id, ids[0])
    ctx.close()
    return home, token, ids


def _params(home: Path, token: str | None) -> StdioServerParameters:
    env = {"PYTHONPATH": os.environ.get("PYTHONPATH", ""), "PAPERSIFT_TOKEN": token or ""}
    return StdioServerParameters(command=sys.executable, args=["-m", "papersift", "--home", str(home), "mcp"], env=env)


def _session(home: Path, token: str | None, calls: list[tuple[str, dict[str, Any]]]) -> list[CallToolResult]:
    async def run() -> tuple[list[str], list[CallToolResult]]:
        async with Client(_params(home, token), read_timeout_seconds=240) as client:
            tools = [t.name for t in (await client.list_tools()).tools]
            return tools, [await client.call_tool(name, args) for name, args in calls]

    tools, results = asyncio.run(run())
    assert {"search", "show", "similar", "related", "recommendations", "collections", "add_to_collection"} <= set(tools)
    return results


def _data(result: CallToolResult) -> dict[str, Any]:
    assert not result.is_error, result.content
    assert isinstance(result.structured_content, dict)
    return result.structured_content


def test_public_tools_over_stdio(served: tuple[Path, str, list[str]]) -> None:
    home, _, ids = served
    search, show, similar, related, bad, missing, personal = _session(
        home,
        None,
        [
            ("search", {"query": "language models", "mode": "lexical", "limit": 5}),
            ("show", {"paper_id": ids[1]}),
            ("similar", {"paper_id": ids[1], "limit": 3}),
            ("related", {"text": "placeholder", "limit": 5}),
            ("search", {"query": "(unbalanced"}),
            ("show", {"paper_id": "0000.00000"}),
            ("recommendations", {}),
        ],
    )
    found = _data(search)
    assert found["total"] > 0 and 0 < len(found["results"]) <= 5 and found["results"][0]["url"].startswith("http")
    paper = _data(show)
    assert paper["id"] == ids[1] and paper["abstract"]
    assert len(_data(similar)["results"]) == 3 and all(r["reason"] for r in _data(similar)["results"])
    assert "results" in _data(related)
    assert bad.is_error and "bad query" in str(bad.content)
    assert missing.is_error and "no paper" in str(missing.content)
    assert personal.is_error and "PAPERSIFT_TOKEN" in str(personal.content)  # no token: no user tools


def test_related_finds_the_draft_paper(served: tuple[Path, str, list[str]]) -> None:
    home, _, ids = served
    ctx = AppContext(load_settings(home))
    paper = ctx.catalog.get(ids[2])
    ctx.close()
    assert paper is not None
    (related,) = _session(home, None, [("related", {"text": paper.abstract, "limit": 5})])
    first = _data(related)["results"][0]
    assert first["id"] == paper.id and first["passage"] == 1 and first["reason"]


def test_token_scoped_tools_act_for_that_user_only(served: tuple[Path, str, list[str]]) -> None:
    home, token, ids = served
    listed, added, again, recs, forged = _session(
        home,
        token,
        [
            ("collections", {}),
            ("add_to_collection", {"paper_id": ids[1], "collection": "reading"}),
            ("add_to_collection", {"paper_id": ids[1], "collection": "reading"}),
            ("recommendations", {"limit": 5, "collection": "reading"}),
            ("recommendations", {"collection": "someone else's"}),
        ],
    )
    assert _data(listed)["collections"] == [{"name": "reading", "papers": 1, "public": False}]
    assert _data(added)["added"] is True and _data(again)["already_there"] is True
    assert ids[0] not in {r["id"] for r in _data(recs)["results"]}  # not what the user already has
    assert forged.is_error
    ctx = AppContext(load_settings(home))
    (reading,) = ctx.community.collections.owned(ctx.community.accounts.get_user("ada@example.org"))  # type: ignore[arg-type]
    assert set(ctx.community.collections.paper_ids(reading.id)) == {ids[0], ids[1]}
    ctx.close()
    (bad,) = _session(home, "not-a-token", [("collections", {})])
    assert bad.is_error and "not valid" in str(bad.content)
