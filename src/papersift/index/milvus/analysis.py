"""Text analysis done in Python, before Milvus sees the text.

Milvus analyzers differ between releases (milvus-lite's standard analyzer has no stemmer), so
papersift analyses text with tantivy's own filters here and stores the resulting tokens as
space-separated words: Milvus's standard tokenizer then splits them back into exactly these
tokens, on milvus-lite and on a cluster alike, and query words are analysed the same way. The
chains are the embedded index's (`papersift.index.analysis`): English stems for title and
abstract, folded unstemmed words for author names ("Schölkopf" matches "scholkopf"). In the one
BM25 field author words carry an `au_` prefix, so a stem can never collide with an author word:
each query word is sent as its stem plus its `au_` author form, which is what the embedded
index's per-field query matches.
"""

from __future__ import annotations

import re

from papersift.index.analysis import NAME, STEM, utf8
from papersift.index.terms import word_stem

_WORD = re.compile(r"[^\W_]+")


AUTHOR_PREFIX = "au_"


def stems(text: str) -> list[str]:
    """Lower-cased English stems in order (title and abstract)."""
    return STEM.analyze(utf8(text)) if text else []


def name_tokens(name: str) -> list[str]:
    """An author name as folded, lower-cased words (no stemming)."""
    return NAME.analyze(utf8(name)) if name else []


def author_terms(text: str) -> list[str]:
    """`name_tokens` as they are stored in (and queried from) the BM25 field."""
    return [AUTHOR_PREFIX + t for t in name_tokens(text)]


def words(text: str) -> list[tuple[int, int, str]]:
    """(start, end, stem) of each word of `text`, character offsets, for highlighting."""
    return [(m.start(), m.end(), word_stem(m.group())) for m in _WORD.finditer(text)]
