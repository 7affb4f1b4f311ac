"""The lexical half of the recommender: TF-IDF over words and word pairs, and a class-balanced
linear SVM on it (arxiv-sanity-lite's model).

Measured on real arXiv listings (benchmarks/results/recommend.md), the embedding model is the
better judge of a small library, but once a library has MIN_LIBRARY papers or more its
distinctive vocabulary, word pairs and author names — what arxiv-sanity-lite's TF-IDF + SVM
uses — carry more signal than sentence embeddings, so the recommender ranks with this model.
Features follow arxiv-sanity-lite's recipe (title, abstract and authors; accents stripped,
lower-cased, stop words dropped, 1-2-grams, sublinear tf, smoothed idf, L2-normalised rows,
terms in at least MIN_DF documents and at most MAX_DF of them). The vocabulary is fitted on
the documents at hand (library, negatives, candidates), so nothing is stored or kept in sync.
The SVM replaced a hand-written logistic regression (C = 10): with the recommender's 3,000
negatives it ranks better on whole libraries and fits ~20x faster (docs/DECISIONS.md D68).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

import numpy as np
from scipy import sparse
from sklearn.svm import LinearSVC

MIN_DF = 5
MAX_DF = 0.5
MAX_FEATURES = 20_000
C = 1.0  # the SVM's inverse regularisation strength: measured best of 0.1 / 0.3 / 1 (D68)
MIN_VOCABULARY = 50  # fewer usable terms (a tiny catalog) means no lexical model
MIN_LIBRARY = 20  # measured crossover: embeddings win at 10 papers, TF-IDF from 25 on
_TOKEN = re.compile(r"\b[a-z_][a-z0-9_]+\b")
# a compact English function-word list; terms in over half of the documents are dropped anyway
STOP_WORDS = frozenset(
    """
a about above after again against all almost also although am among an and another any are as at be
because been before being below between both but by can could did do does doing done down during each
either else enough etc even ever every few for from further had has have having he her here hers herself
him himself his how however i if in into is it its itself just least less many may me might more most
much must my myself neither no nor not now of off often on once one only or other others our ours
ourselves out over own per perhaps rather same several she should since so some such than that the their
theirs them themselves then there these they this those though through thus to too under until up upon
us very via was we well were what whatever when where whether which while who whom whose why will with
within without would yet you your yours yourself yourselves
""".split()
)


def terms(title: str, abstract: str, authors: Sequence[str]) -> list[str]:
    """A paper's words and adjacent word pairs (after stop-word removal), as features."""
    text = " ".join([title, abstract, *authors])
    plain = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)).lower()
    words = [w for w in _TOKEN.findall(plain) if w not in STOP_WORDS]
    return words + [f"{a} {b}" for a, b in zip(words, words[1:], strict=False)]


def tfidf(docs: list[list[str]]) -> sparse.csr_matrix | None:
    """TF-IDF rows for these documents (vocabulary and idf fitted on them); None if too few terms."""
    n = len(docs)
    vocabulary: dict[str, int] = {}
    indices = [vocabulary.setdefault(t, len(vocabulary)) for doc in docs for t in doc]
    indptr = np.cumsum([0] + [len(doc) for doc in docs])
    counts = sparse.csr_matrix((np.ones(len(indices)), indices, indptr), shape=(n, len(vocabulary)))
    counts.sum_duplicates()
    df = np.bincount(counts.indices, minlength=counts.shape[1])
    usable = np.flatnonzero((df >= MIN_DF) & (df <= MAX_DF * n))
    if len(usable) < MIN_VOCABULARY:
        return None
    frequency = np.asarray(counts.sum(axis=0)).ravel()[usable]
    kept = usable[np.argsort(-frequency, kind="stable")[:MAX_FEATURES]]
    matrix = counts[:, kept].tocsr()
    matrix.data = 1.0 + np.log(matrix.data)
    matrix = matrix @ sparse.diags(np.log((1 + n) / (1 + df[kept])) + 1.0)
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    return sparse.csr_matrix(sparse.diags(1.0 / np.maximum(norms, 1e-12)) @ matrix)


def classifier(x: sparse.csr_matrix, y: np.ndarray, c: float = C) -> tuple[np.ndarray, float]:
    """Class-balanced linear SVM (hinge loss, L2; scikit-learn's liblinear, as arxiv-sanity-lite's
    serve.py): the weights and intercept of library (1) vs negatives (0). liblinear visits the
    examples in a random order: a fixed seed makes the same library give the same scores."""
    svm = LinearSVC(C=c, class_weight="balanced", max_iter=10_000, tol=1e-6, random_state=0).fit(x, y)
    return np.asarray(svm.coef_, dtype=np.float64).ravel(), float(svm.intercept_[0])


def lexical_scores(library: list[list[str]], negatives: list[list[str]], pool: list[list[str]]) -> np.ndarray | None:
    """Decision values (> 0: belongs with the library) of the pool's documents, from a model
    trained on library vs negatives; None when the documents share too few terms for one."""
    x = tfidf(library + negatives + pool)
    if x is None or not library or not negatives:
        return None
    split = len(library) + len(negatives)
    y = np.concatenate([np.ones(len(library)), np.zeros(len(negatives))])
    w, b = classifier(sparse.csr_matrix(x[:split]), y)
    return np.asarray(x[split:] @ w + b).ravel()
