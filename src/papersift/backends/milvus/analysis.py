"""Text analysis done in Python, before Milvus sees the text.

Milvus analyzers differ between releases (milvus-lite's standard analyzer has no stemmer), so
papersift stems and folds with tantivy's own filters here and stores the resulting tokens as
space-separated words: Milvus's standard tokenizer then splits them back into exactly these
tokens, on milvus-lite and on a cluster alike, and query words are analysed the same way. The
chain is the embedded index's `en_stem` plus ASCII folding, so "Schölkopf" in an author list
and "scholkopf" in a query meet in the BM25 field.
"""

from __future__ import annotations

import re
from functools import lru_cache

import tantivy
from tantivy import Filter, TextAnalyzerBuilder, Tokenizer

_WORD = re.compile(r"[^\W_]+")


def _analyzer(*filters: Filter) -> tantivy.TextAnalyzer:
    builder = TextAnalyzerBuilder(Tokenizer.simple())
    for f in (Filter.remove_long(40), Filter.lowercase(), Filter.ascii_fold(), *filters):
        builder = builder.filter(f)
    return builder.build()


_STEM = _analyzer(Filter.stemmer("english"))
_NAME = _analyzer()


def _utf8(text: str) -> str:
    """Lone surrogates cannot cross into Rust; replace them."""
    return text if text.isascii() else text.encode("utf-8", "replace").decode("utf-8")


def stems(text: str) -> list[str]:
    """Folded, lower-cased English stems in order: what the BM25 and match fields hold."""
    return _STEM.analyze(_utf8(text)) if text else []


def name_tokens(name: str) -> list[str]:
    """An author name as folded, lower-cased words (no stemming), for author filters."""
    return _NAME.analyze(_utf8(name)) if name else []


@lru_cache(maxsize=65_536)
def word_stem(word: str) -> str:
    """The stem of one surface word ("" if it has none), cached: snippets stem every word."""
    out = stems(word)
    return out[0] if len(out) == 1 else ""


def words(text: str) -> list[tuple[int, int, str]]:
    """(start, end, stem) of each word of `text`, character offsets, for highlighting."""
    return [(m.start(), m.end(), word_stem(m.group())) for m in _WORD.finditer(text)]
