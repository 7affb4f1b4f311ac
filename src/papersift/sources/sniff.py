"""Which formats a file's first records fit: for "this does not look like X; did you mean Y?".

Each candidate format reads only the first SNIFF_RECORDS records, and only local paths are
tried (never a live OAI harvest), so guessing costs a few milliseconds per format.
"""

from __future__ import annotations

import itertools
import logging
from pathlib import Path

from papersift.paper import Paper
from papersift.sources import REGISTRY, SourceContext, get_source
from papersift.sources.base import RecordError

log = logging.getLogger(__name__)
SNIFF_RECORDS = 20  # how many leading records decide whether a file is in the format asked for


def fits(fmt: str, location: str) -> bool:
    """True when most of the first SNIFF_RECORDS records of `location` read as papers in `fmt`."""
    papers = errors = 0
    try:
        for item in itertools.islice(get_source(fmt)(location, SourceContext()), SNIFF_RECORDS * 2):
            if isinstance(item, Paper):
                papers += 1
            elif isinstance(item, RecordError):
                errors += 1
            if papers + errors >= SNIFF_RECORDS:
                break
    except Exception as exc:  # noqa: BLE001 - any failure just means "not this format"
        log.debug("%s is not %s: %s", location, fmt, exc)
        return False
    return papers > errors


def guess_formats(location: str, exclude: str) -> list[str]:
    """The registered formats (other than `exclude`) whose reader accepts most of the first records."""
    if not Path(location).expanduser().exists():
        return []
    return [name for name in sorted(REGISTRY) if name != exclude and fits(name, location)]
