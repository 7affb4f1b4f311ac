"""Text analysis shared by every index backend: one definition of what a word is.

The lexical index, the Milvus backend and key-term explanations must agree token for token
(a query word analysed differently from the indexed text silently stops matching), so the
analyzer chains and word lists live here once: English stems for title and abstract
(tantivy's `en_stem`: simple tokenizer, lower-case, Snowball), ASCII-folded unstemmed words
for author names ("Schölkopf" matches "Scholkopf").
"""

from __future__ import annotations

import tantivy
from tantivy import Filter, TextAnalyzerBuilder, Tokenizer


def _analyzer(*filters: Filter) -> tantivy.TextAnalyzer:
    builder = TextAnalyzerBuilder(Tokenizer.simple())
    for f in (Filter.remove_long(40), Filter.lowercase(), *filters):
        builder = builder.filter(f)
    return builder.build()


STEM = _analyzer(Filter.stemmer("english"))  # == tantivy's built-in "en_stem"
NAME = _analyzer(Filter.ascii_fold())

# Weight of the authors field in a word's BM25 sum, in every backend. Author lists are short
# and a surname is rare there, so a common word that is also a name ("Wood", "Gray", "Hill")
# scored at full weight outranked papers about it: at 1.0 CACM hybrid nDCG@10 was 0.552, at 0.5
# 0.576 (docs/DECISIONS.md D41). A query that is only a name ranks the same at any weight.
AUTHOR_WEIGHT = 0.5

# Words every abstract uses: useless as a reason why two papers are alike.
FILLER_WORDS = (
    "about across also among based both can could does each existing experiments further "
    "however into less many may more most new novel our over paper present propose proposed provide "
    "rather results several show shows significantly study studies such than their them then there "
    "these they this those through under using various very well what when where which while with "
    "within without work would"
).split()
SURFACE_WORDS = _analyzer(Filter.stopword("english"), Filter.custom_stopword(FILLER_WORDS))  # for key terms


def utf8(text: str) -> str:
    """Lone surrogates cannot cross into Rust; replace them."""
    return text if text.isascii() else text.encode("utf-8", "replace").decode("utf-8")


def analyze(text: str, field: str = "abstract") -> list[str]:
    """Tokens exactly as the index stores them for `field` (stems for title/abstract)."""
    return (NAME if field == "authors" else STEM).analyze(utf8(text))
