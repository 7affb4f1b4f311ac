"""The query language (`papersift.query.syntax`) compiled into tantivy queries over the lexical schema.

Bare words are scored by BM25 over `text` plus `authors`; a word that analyses to several tokens
("state-of-the-art", "3:1") becomes a phrase. One BM25F-style field (the title counted
TITLE_WEIGHT times, then the abstract) instead of a title score plus an abstract score: summing
two per-field BM25s saturates a word's weight twice and normalises by two lengths, which cost
0.028 nDCG@10 on SciFact against one field (docs/DECISIONS.md D25). `ti:`/`abs:` words and
snippets use their own fields. Filters are compiled with exact boolean logic into zero-scoring
clauses, so they never change BM25 scores. Query text is analysed by `analysis.analyze()`,
identical to the index analysers.
"""

from __future__ import annotations

import tantivy
from tantivy import Occur, Query

from papersift.index.analysis import AUTHOR_WEIGHT, analyze
from papersift.index.embedded.lexical_schema import RANKED_FIELDS, SCHEMA, TEXT_FIELDS, TITLE_BOOST
from papersift.index.embedded.pruning import Clause, clause
from papersift.query import normalize
from papersift.query import syntax as q

_OCCUR = {"must": Occur.Must, "should": Occur.Should, "must_not": Occur.MustNot}


class QueryCompiler:
    """Parsed query -> tantivy query. `ranked_fields` and `author_weight` are the two ranking
    settings benchmarks/relevance.py varies for its ablation rows; the product keeps the defaults."""

    def __init__(self) -> None:
        self.ranked_fields = RANKED_FIELDS  # where bare words are scored
        self.author_weight = AUTHOR_WEIGHT

    def field_specs(
        self, node: q.Term | q.Phrase, boost: float, shown: bool = False
    ) -> list[tuple[str, list[str], float]]:
        """(field, tokens, BM25 boost) per field the word is searched in (their scores add up).

        A bare word is scored in `text` and `authors` (plus `title` again, weighted `boost - 1`,
        when `boost` > 1: `text` already scores the title once); `shown` compiles it over title,
        abstract and authors instead, the fields snippets are cut from."""
        names: tuple[str, ...] = (node.field,) if node.field else TEXT_FIELDS if shown else self.ranked_fields
        extra_title = not node.field and not shown and boost > 1.0 and "text" in names
        if extra_title:
            names = (*names, "title")
        specs = []
        for name in names:
            tokens = analyze(node.text, name)
            if not tokens:
                continue
            weight = (boost - 1.0 if extra_title else boost) if name == "title" else 1.0
            if name == "authors" and not shown:
                weight = self.author_weight
            specs.append((name, tokens, weight))
        return specs

    def fields(self, node: q.Term | q.Phrase, boost: float, shown: bool = False) -> list[Query]:
        """One term/phrase query per field the word is searched in (see `field_specs`)."""
        return [field_query(name, tokens, weight) for name, tokens, weight in self.field_specs(node, boost, shown)]

    def leaf(self, node: q.Term | q.Phrase, boost: float, shown: bool = False) -> Query | None:
        parts = self.fields(node, boost, shown)
        if len(parts) < 2:
            return parts[0] if parts else None
        return Query.boolean_query([(Occur.Should, p) for p in parts])

    def text(self, node: q.Node, boost: float, shown: bool = False) -> Query | None:
        """Scored part: required/optional/excluded as `query.normalize.clauses` decides.

        An optional word's per-field queries join the group's clause list directly instead of
        a nested union: the same matches and the same score sums, but tantivy then walks one
        flat disjunction, half the time at 1M papers (docs/DECISIONS.md D18)."""
        if isinstance(node, (q.Term, q.Phrase)):
            return self.leaf(node, boost, shown)
        if isinstance(node, q.Required):
            return self.text(node.item, boost, shown)
        clauses = []
        for occurrence, child in normalize.clauses(node):
            if occurrence == "should" and isinstance(child, (q.Term, q.Phrase)):
                clauses += [(Occur.Should, part) for part in self.fields(child, boost, shown)]
                continue
            sub = self.text(child, boost, shown)
            if sub is not None:
                clauses.append((_OCCUR[occurrence], sub))
        if not clauses:
            return None
        if all(occur == Occur.MustNot for occur, _ in clauses):
            clauses.append((Occur.Must, Query.all_query()))
        return Query.boolean_query(clauses)

    def or_words(self, searcher: tantivy.Searcher, parsed: q.ParsedQuery, boost: float) -> list[list[Clause]] | None:
        """The query's words (and phrases, such as a hyphenated "multi-agent") as scored clauses when
        its text is a plain OR of them (the shape MaxScore prunes, see `pruning`, without filters);
        None for anything else (+word, -word, nesting, filters: their totals stay exact)."""
        text = parsed.text
        if parsed.filters is not None:
            return None
        if isinstance(text, (q.Term, q.Phrase)):
            items: list[q.Term | q.Phrase] = [text]
        elif isinstance(text, (q.Seq, q.Or)):
            pairs = normalize.clauses(text)
            if any(occ != "should" or not isinstance(child, (q.Term, q.Phrase)) for occ, child in pairs):
                return None
            items = [child for _, child in pairs if isinstance(child, (q.Term, q.Phrase))]
        else:
            return None
        specs = [self.field_specs(item, boost) for item in items]
        return [[clause(searcher, field_query(n, t, w), n, t, w) for n, t, w in word] for word in specs]

    def filter(self, node: q.Node) -> Query:
        """Exact boolean logic (Or is a real OR, Not a real complement); scores are irrelevant."""
        if isinstance(node, q.CategoryFilter):
            value = node.value.lower()
            if node.prefix:
                return Query.regex_query(SCHEMA, "cat", value.replace(".", "\\.") + ".*")
            return Query.term_query(SCHEMA, "cat", value)
        if isinstance(node, q.DateRange):
            return Query.range_query(
                SCHEMA,
                "day",
                tantivy.FieldType.Integer,
                node.start.toordinal() if node.start else None,
                node.end.toordinal() if node.end else None,
            )
        if isinstance(node, q.AuthorFilter):
            tokens = analyze(node.name, "authors")
            if len(tokens) < 2:  # slop 1 lets "Geoffrey Hinton" match "Geoffrey E. Hinton"
                return Query.term_query(SCHEMA, "authors", tokens[0]) if tokens else Query.empty_query()
            return Query.phrase_query(SCHEMA, "authors", list[str | tuple[int, str]](tokens), slop=1)
        if isinstance(node, q.IdFilter):
            return Query.term_query(SCHEMA, "id", node.id)
        if isinstance(node, (q.Term, q.Phrase)):
            return self.leaf(node, 1.0) or Query.empty_query()
        if isinstance(node, q.Required):
            return self.filter(node.item)
        if isinstance(node, q.Or):
            return Query.boolean_query([(Occur.Should, self.filter(c)) for c in node.items])
        items = (node,) if isinstance(node, q.Not) else node.items
        clauses = [
            (Occur.MustNot, self.filter(c.item)) if isinstance(c, q.Not) else (Occur.Must, self.filter(c))
            for c in items
        ]
        return Query.boolean_query([(Occur.Must, Query.all_query()), *clauses])

    def query(self, parsed: q.ParsedQuery, boost: float = TITLE_BOOST) -> Query:
        text = self.text(parsed.text, boost) if parsed.text is not None else None
        filt = self.filter(parsed.filters) if parsed.filters is not None else None
        if filt is None:
            return text or (Query.all_query() if parsed.is_empty else Query.empty_query())
        filt = Query.const_score_query(filt, 0.0)
        return filt if text is None else Query.boolean_query([(Occur.Must, text), (Occur.Must, filt)])


def field_query(name: str, tokens: list[str], weight: float) -> Query:
    sub = (
        Query.term_query(SCHEMA, name, tokens[0])
        if len(tokens) == 1
        else Query.phrase_query(SCHEMA, name, list[str | tuple[int, str]](tokens))
    )
    return Query.boost_query(sub, weight) if weight != 1.0 else sub
