"""Snippets computed in Python from stored text (Milvus has no highlighter).

Snippets follow the embedded index's conventions (papersift.index.embedded.lexical): HTML-escaped, query
words wrapped in <mark>, the fragment running from the first to the last word it shows, "… "
and " …" where text was cut; the start of the text when no query word occurs.
"""

from __future__ import annotations

import html

from papersift.index.milvus.analysis import words


def highlight(text: str, terms: set[str], max_chars: int = 240) -> str:
    """The best `max_chars` window of `text` (most query words), escaped, words in <mark>."""
    max_chars = max(max_chars, 1)
    spans = words(text)
    hits = [i for i, (_, _, stem) in enumerate(spans) if stem and stem in terms]
    if not hits:
        if len(text) <= max_chars:
            return html.escape(text)
        cut = text[:max_chars].rsplit(" ", 1)[0] or text[:max_chars]
        return html.escape(cut) + " …"
    best, best_n = (0, 0), -1
    for i in hits:  # a window starting at each matching word
        start = spans[i][0]
        j = i
        while j + 1 < len(spans) and spans[j + 1][1] - start <= max_chars:
            j += 1
        n = sum(1 for h in hits if i <= h <= j)
        if n > best_n:
            best, best_n = (i, j), n
    first, last = best
    if first == hits[0]:  # show words before the first match when they fit
        while first > 0 and spans[last][1] - spans[first - 1][0] <= max_chars:
            first -= 1
    parts, prev = [], spans[first][0]
    for k in range(first, last + 1):
        s, e, stem = spans[k]
        if stem and stem in terms:
            parts.append(html.escape(text[prev:s]) + "<mark>" + html.escape(text[s:e]) + "</mark>")
            prev = e
    parts.append(html.escape(text[prev : spans[last][1]]))
    before = "… " if first > 0 else ""
    after = " …" if last < len(spans) - 1 else ""
    return before + "".join(parts) + after
