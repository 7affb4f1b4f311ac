"""Warm a serving process up before it takes requests.

The first search after a restart used to pay for everything opened or built lazily: the catalog
engine, both indexes, the ONNX encoder session, the Jinja templates, the app's middleware stack
and route dependencies, and the hot pages of the index files (~2.9 s on the demo home).
`papersift serve` runs this in every worker before it listens: a few real requests through the
whole app, in process, so the first visitor gets an ordinary response. They are then taken out
of the request metrics (nobody asked for them). Failures are logged, never fatal: an empty or
damaged home still serves, and its pages say what is missing.
"""

from __future__ import annotations

import logging
import time

from fastapi import FastAPI
from starlette.testclient import TestClient

log = logging.getLogger(__name__)

# common arXiv words in each ranking mode, one filtered: every index path and a snippet are exercised
WARM_PATHS = (
    "/search?q=learning+model",
    "/api/search?q=neural+network&mode=lexical",
    "/api/search?q=graph+cat%3Acs.LG&mode=dense",
    "/",
)


def warm_up(app: FastAPI) -> float:
    """Send WARM_PATHS through `app` in process, then forget them in the metrics; returns seconds."""
    started = time.perf_counter()
    try:
        client = TestClient(app, base_url="http://127.0.0.1", raise_server_exceptions=False)
        for path in WARM_PATHS:
            status = client.get(path).status_code
            if status >= 500:
                log.warning("warm-up request %s answered %d", path, status)
    except Exception:  # the home may be empty or half-built: serving must start anyway
        log.warning("warm-up failed; the first requests will open what they need", exc_info=True)
    metrics = app.state.metrics
    metrics.requests.clear()
    metrics.latency.clear()
    seconds = time.perf_counter() - started
    log.info("warmed up in %.2f s", seconds)
    return seconds
