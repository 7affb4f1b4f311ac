"""Jinja2 set-up: autoescaping everywhere, plus the few filters templates need.

Everything a user or a paper supplies reaches HTML through autoescaping; the only markup
that is passed through is built here from already-escaped text (`tex`) or comes from the
search service's snippet field, which that service escapes before adding <mark>.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from urllib.parse import urlencode

import jinja2
from fastapi.templating import Jinja2Templates
from markupsafe import Markup, escape
from starlette.requests import Request

from papersift.community.discussion import external_comments
from papersift.community.trending import external_upvotes
from papersift.deliver.render import MAIL_TEMPLATES
from papersift.paper import nice_date, web_link
from papersift.urls import author_url, category_url, comment_url, paper_url

TEMPLATES = Path(__file__).with_name("templates")
STATIC = Path(__file__).with_name("static")
_MATH = re.compile(r"\$[^$]{1,300}\$")


def tex(text: str) -> Markup:
    """Escape, then set inline `$...$` math apart so TeX stays readable as TeX."""
    escaped = str(escape(text))
    return Markup(_MATH.sub(lambda m: f'<span class="tex">{m.group(0)}</span>', escaped))


def with_query(request: Request, **changes: object) -> str:
    """The current URL with some query parameters replaced (None removes one): pagination and
    sort links keep every other piece of state."""
    params = [(k, v) for k, v in request.query_params.multi_items() if k not in changes]
    for key, value in changes.items():
        if isinstance(value, list | tuple):
            params.extend((key, str(v)) for v in value)
        elif value is not None:
            params.append((key, str(value)))
    query = urlencode(params)
    return request.url.path + (f"?{query}" if query else "")


def without_filters(request: Request, drops: list[str]) -> str:
    """The current search URL minus the filters named by `drops` ("category:cs.CL",
    "author:Ada Lovelace": what a filter chip's remove button submits), `drop` itself, the page
    and blank fields. One pass over the parameters, each encoded once."""
    gone = {tuple(d.split(":", 1)) for d in drops if ":" in d}
    params = [
        (k, v)
        for k, v in request.query_params.multi_items()
        if k not in ("drop", "page") and v.strip() and (k, v.strip()) not in gone
    ]
    query = urlencode(params)
    return request.url.path + (f"?{query}" if query else "")


def here(request: Request) -> str:
    """Path and query of the current page (where a form should send the user back to)."""
    return request.url.path + (f"?{request.url.query}" if request.url.query else "")


def _asset_versions() -> dict[str, str]:
    """Content hashes for cache-busting `?v=` on static assets (computed once at start-up)."""
    return {
        str(p.relative_to(STATIC)): hashlib.sha256(p.read_bytes()).hexdigest()[:10]
        for p in STATIC.rglob("*")
        if p.is_file()
    }


def make_templates() -> Jinja2Templates:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([TEMPLATES, MAIL_TEMPLATES]),  # the digest preview shows the mail's sections
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    versions = _asset_versions()
    env.globals.update(
        asset=lambda name: f"/static/{name}?v={versions.get(name, '0')}",
        paper_url=paper_url,
        comment_url=comment_url,
        author_url=author_url,
        category_url=category_url,
        with_query=with_query,
        here=here,
        web_link=web_link,
    )
    env.filters.update(
        tex=tex, nice_date=nice_date, external_upvotes=external_upvotes, external_comments=external_comments
    )
    return Jinja2Templates(env=env)
