"""arXiv OAI-PMH: saved responses on disk, or a live incremental harvest of an endpoint.

Location is either a saved `.xml[.gz]` file / directory of them, or an endpoint URL
(`https://oaipmh.arxiv.org/oai`, `http://export.arxiv.org/oai2`). Live options (`--option`):
`metadataPrefix` (default `arXiv`; also `arXivRaw`, which carries dated version histories, and
`oai_dc`), `from`, `until`, `set` (e.g. `cs`). Without `from`, `ctx.since` is sent as `from` so the
server only returns records modified since then.

Harvesting rules, from arXiv's OAI-PMH guidance:
- one request at a time and 3 s between requests (`ctx.sleep`, for tests, else `time.sleep`);
- `503` with `Retry-After`: wait that long and retry the same request (up to 5 times);
- any other non-200 status, or a body that is not OAI-PMH XML, is a SourceError naming the URL
  and status; OAI `noRecordsMatch` is an empty result, other OAI errors are SourceErrors.
- after each page a `Checkpoint(key="arxiv-oai:<url>?<params>", value=<resumptionToken>)` is
  yielded; a later run with that checkpoint in `ctx.resume` continues from the token. The last
  page's checkpoint has an empty value: the harvest is complete and the next run starts afresh.
  A stored token the server rejects (`badResumptionToken`: they expire) restarts the harvest.
A page is held in memory while it is parsed (arXiv pages are a few MB); records stream from it.
"""

from __future__ import annotations

import email.utils
import io
import itertools
import re
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from urllib.parse import urlencode

import httpx

from papersift.sources._common import finish
from papersift.sources._files import DECOMPRESS_ERRORS, input_files, open_bytes, truncated
from papersift.sources._oai_xml import SOURCE, NotOai, OaiError, iter_page
from papersift.sources.base import Checkpoint, Item, RecordError, SourceContext, SourceError

__all__ = ["SOURCE", "iter_papers"]

POLITE_DELAY = 3.0
DEFAULT_RETRY_AFTER = 10.0  # what arXiv announces in its 503 pages
MAX_RETRIES = 5
TIMEOUT = 120.0
_TAG = re.compile(r"<[^>]*>")
USER_AGENT = "papersift/0.1 (OAI-PMH harvester; self-hosted paper discovery)"


def _saved(location: str) -> Iterator[Item]:
    for path in input_files(location, (".xml",)):
        with open_bytes(path) as stream:
            try:
                yield from iter_page(stream, str(path))
            except ET.ParseError as exc:
                yield RecordError(f"{path}:{exc.position[0]}", f"malformed XML ({exc}); rest of file skipped")
            except DECOMPRESS_ERRORS as exc:
                yield truncated(str(path), exc)
            except OaiError as exc:
                if exc.code != "noRecordsMatch":
                    yield RecordError(str(path), str(exc))


def _retry_after(response: httpx.Response) -> float:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP date)."""
    value = response.headers.get("retry-after", "").strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return DEFAULT_RETRY_AFTER
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _snippet(response: httpx.Response) -> str:
    """The start of a body as plain text (tags dropped), for error messages."""
    return " ".join(_TAG.sub(" ", response.text[:500]).split())[:200]


def _fetch(client: httpx.Client, url: str, query: dict[str, str], sleep: Callable[[float], None]) -> httpx.Response:
    retries = 0
    while True:
        try:
            response = client.get(url, params=query)
        except httpx.HTTPError as exc:
            raise SourceError(f"{url}: request failed ({type(exc).__name__}: {exc})") from exc
        if response.status_code == 503 and retries < MAX_RETRIES:
            retries += 1
            sleep(_retry_after(response))
            continue
        if response.status_code != 200:
            raise SourceError(f"{response.url} returned HTTP {response.status_code}: {_snippet(response)}")
        return response


def harvest_key(url: str, params: dict[str, str]) -> str:
    """The checkpoint key of a harvest: endpoint plus the parameters that define the record set."""
    return f"arxiv-oai:{url}?{urlencode(sorted(params.items()))}"


def _harvest(url: str, ctx: SourceContext) -> Iterator[Item]:
    params = {"metadataPrefix": ctx.options.get("metadataPrefix") or "arXiv"}
    params.update({k: ctx.options[k] for k in ("from", "until", "set") if ctx.options.get(k)})
    if "from" not in params and ctx.since:
        params["from"] = ctx.since.isoformat()
    key = harvest_key(url, params)
    token = ctx.resume.get(key) or None
    resumed = token is not None
    sleep = ctx.sleep or time.sleep
    count = 0
    with httpx.Client(timeout=TIMEOUT, headers={"User-Agent": USER_AGENT}, follow_redirects=True) as client:
        for page in itertools.count():
            if page:
                sleep(POLITE_DELAY)
            query = {"resumptionToken": token} if token else params
            response = _fetch(client, url, {"verb": "ListRecords", **query}, sleep)
            try:
                body = io.BytesIO(response.content)
                token, count = yield from iter_page(body, url, count, require_oai=True)
            except (ET.ParseError, NotOai) as exc:
                raise SourceError(
                    f"{response.url} returned HTTP {response.status_code} "
                    f"({response.headers.get('content-type', 'no content type')}) but not OAI-PMH XML "
                    f"({exc}): {_snippet(response)}"
                ) from exc
            except OaiError as exc:
                if exc.code == "badResumptionToken" and resumed:
                    yield RecordError(url, "stored resumption token rejected; restarting the harvest")
                    token, resumed = None, False
                    continue
                if exc.code != "noRecordsMatch":
                    raise SourceError(f"{response.url}: {exc}") from exc
                token = None
            resumed = False
            yield Checkpoint(key, token or "")
            if not token:
                return


def iter_papers(location: str, ctx: SourceContext) -> Iterator[Item]:
    """Harvest an OAI-PMH endpoint (http/https location) or read saved responses."""
    if location.startswith(("http://", "https://")):
        return finish(_harvest(location, ctx), ctx)
    return finish(_saved(location), ctx)
