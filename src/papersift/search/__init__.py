"""Search: query language, ranking modes (lexical/dense/hybrid), fusion, similar papers."""
