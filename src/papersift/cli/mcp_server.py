"""`papersift mcp`: the catalog as a local Model Context Protocol server (stdio transport).

A desktop assistant (Claude Desktop, an IDE agent, ...) starts this command and talks MCP over
its stdin/stdout, through the official `mcp` SDK. Tools: `search` (the query language),
`show`, `similar`, `related` (a draft and/or BibTeX), and, for a user named by an API token,
`recommendations`, `collections` and `add_to_collection`. The agent thus sees this instance's
whole corpus, private collections included, which hosted MCP servers cannot.

The token comes from the environment (PAPERSIFT_TOKEN, set in the assistant's config), never
from a tool argument, so the model cannot switch users; it is checked on every call, so a
revoked token stops working at once. Without it the public tools still work. stdout belongs
to the protocol: logs go to stderr. Errors the caller can fix come back as tool errors.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError

from papersift.community import User
from papersift.community.accounts import UserError
from papersift.context import AppContext
from papersift.deliver.service import Delivery
from papersift.paper import Paper
from papersift.query.types import Filters, QueryError
from papersift.search.references import parse_references
from papersift.search.types import MODES
from papersift.urls import paper_url

TOKEN_ENV = "PAPERSIFT_TOKEN"
INSTRUCTIONS = (
    "papersift: a self-hosted research-paper catalog. Use `search` (query language: words, "
    '"phrases", ti: abs: au: cat:cs.CL year:2024 date:2024-01..2024-03, AND/OR/NOT), `show` for one '
    "paper, `similar` for neighbours of a paper, `related` for related work of a draft or a BibTeX "
    "list. `recommendations`, `collections` and `add_to_collection` act for the user whose API token "
    "the server was started with."
)


def _paper(ctx: AppContext, paper: Paper, **extra: Any) -> dict[str, Any]:
    return {
        "id": paper.id,
        "title": paper.title,
        "authors": paper.authors[:20],
        "categories": paper.categories,
        "date": str(paper.work_date or ""),
        "url": ctx.settings.base_url.rstrip("/") + paper_url(paper.id),
        **extra,
    }


def _filters(categories: list[str] | None, date_from: str | None, date_to: str | None) -> Filters:
    try:
        start = date.fromisoformat(date_from) if date_from else None
        end = date.fromisoformat(date_to) if date_to else None
    except ValueError as exc:
        raise ToolError(f"dates must look like 2024-05-27: {exc}") from None
    return Filters(categories=tuple(categories or ()), date_from=start, date_to=end)


def build_server(ctx: AppContext, token: str | None) -> MCPServer:
    """The MCP server over one app context; `token` (an API token) scopes the per-user tools."""
    server = MCPServer("papersift", instructions=INSTRUCTIONS, log_level="WARNING")

    def user() -> User:
        if not token:
            raise ToolError(f"this tool acts for a user: start the server with {TOKEN_ENV} set to an API token")
        found = ctx.community.accounts.token_user(token)
        if found is None:
            raise ToolError(f"the API token in {TOKEN_ENV} is not valid (revoked, or the account is disabled)")
        return found

    @server.tool()
    def search(
        query: str,
        mode: str = "hybrid",
        limit: int = 10,
        categories: list[str] | None = None,
        date_from: str | None = None,
        date_to: str | None = None,
    ) -> dict[str, Any]:
        """Search the catalog with the query language; returns ranked papers and the match count."""
        if mode not in MODES:
            raise ToolError(f"mode must be one of {', '.join(MODES)}")
        try:
            page = ctx.search.search(query, mode=mode, per_page=limit, filters=_filters(categories, date_from, date_to))
        except QueryError as exc:
            raise ToolError(f"bad query: {exc}") from None
        results = [_paper(ctx, h.paper, score=round(h.score, 4), abstract=h.paper.abstract) for h in page.hits]
        # total_exact false: the total is an estimate from word frequencies ("about N")
        return {"total": page.total, "total_exact": page.total_exact, "results": results, "notices": page.notices}

    @server.tool()
    def show(paper_id: str) -> dict[str, Any]:
        """One paper: title, authors, abstract, categories, dates, links (arXiv id, DOI or id)."""
        paper = ctx.catalog.get(paper_id)
        if paper is None:
            raise ToolError(f"no paper with id {paper_id!r}")
        return _paper(ctx, paper, abstract=paper.abstract, doi=paper.doi, journal_ref=paper.journal_ref)

    @server.tool()
    def similar(paper_id: str, limit: int = 10) -> dict[str, Any]:
        """Papers similar to one paper, each with the reason (similarity and shared terms)."""
        if not 1 <= limit <= 100:
            raise ToolError("limit must be between 1 and 100")
        try:
            hits = ctx.search.similar(paper_id, limit)
        except KeyError:
            raise ToolError(f"no paper with id {paper_id!r}") from None
        return {
            "results": [_paper(ctx, h.paper, score=round(h.score, 4), measure=h.measure, reason=h.reason) for h in hits]
        }

    @server.tool()
    def related(
        text: str = "",
        bib: str = "",
        categories: list[str] | None = None,
        date_from: str | None = None,
        date_to: str | None = None,
        limit: int = 20,
        hide_cited: bool = False,
    ) -> dict[str, Any]:
        """Related work for a draft (up to 20,000 characters) and/or its references as BibTeX:
        ranked papers with the reason (closest passage, similarity, shared terms), cited ones marked."""
        try:
            refs = parse_references(bib)
            result = ctx.related.related(
                text, refs.papers, _filters(categories, date_from, date_to), limit=limit, hide_cited=hide_cited
            )
        except QueryError as exc:
            raise ToolError(str(exc)) from None
        return result.to_dict()

    @server.tool()
    def recommendations(limit: int = 10, collection: str | None = None) -> dict[str, Any]:
        """Personal recommendations for the token's user (from their collections and upvotes)."""
        who = user()
        if not 1 <= limit <= 100:
            raise ToolError("limit must be between 1 and 100")
        ids = None
        if collection is not None:
            owned = {c.name: c.id for c in ctx.community.collections.owned(who)}
            if collection not in owned:
                raise ToolError(f"you have no collection named {collection!r}")
            ids = [owned[collection]]
        result = Delivery(ctx).recommender.recommend(who, collection_ids=ids, limit=limit)
        items = [_paper(ctx, r.paper, score=round(r.score, 4), reason=r.reason) for r in result.items]
        return {"results": items, "notices": result.notices}

    @server.tool()
    def collections() -> dict[str, Any]:
        """The token user's collections (name, size, visibility)."""
        return {
            "collections": [
                {"name": c.name, "papers": len(ctx.community.collections.paper_ids(c.id)), "public": c.public}
                for c in ctx.community.collections.owned(user())
            ]
        }

    @server.tool()
    def add_to_collection(paper_id: str, collection: str) -> dict[str, Any]:
        """Save a paper to one of the token user's collections (created, private, when new)."""
        who = user()
        paper = ctx.catalog.get(paper_id)
        if paper is None:
            raise ToolError(f"no paper with id {paper_id!r}")
        store = ctx.community.collections
        name = " ".join(collection.split())
        target = next((c for c in store.owned(who) if c.name == name), None)
        try:
            target = target or store.create(who, name, "Created by an assistant (papersift mcp)")
        except UserError as exc:
            raise ToolError(str(exc)) from None
        added = store.add(who, target.id, paper.id)
        return {"collection": target.name, "paper": paper.id, "added": bool(added), "already_there": added is False}

    return server
