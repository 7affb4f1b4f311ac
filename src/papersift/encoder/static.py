"""A static encoder distilled from the bundled MiniLM: provisional vectors in MiniLM's own space.

Why: the full model embeds ~45-110 abstracts a second on a 2-core box, so the dense half of a
large backlog takes hours. This encoder is a lookup table plus one matrix product per batch
(thousands of papers a second), and its vectors live in the *same* space as MiniLM's, so they
can sit in one index as stand-ins until the full model replaces them (`index.indexer`).

How it is made, deterministically and with nothing downloaded (`build_static`, docs/DECISIONS.md D45):
  1. token table: every vocabulary token run alone through the bundled fp32 MiniLM graph
     ("[CLS] token [SEP]", mean-pooled, normalised): its contextual output embedding;
  2. SIF weights a / (a + p(token)), p counted on the bundled demo corpus (3,417 arXiv
     abstracts), so frequent tokens ("the", ".") count little;
  3. a text's static vector = the weighted mean of its tokens' rows (first `max_length` - 2
     tokens, as MiniLM truncates);
  4. a ridge least-squares map (with bias) from static vectors to the MiniLM vectors shipped
     with the demo corpus (`demo/vectors.npz`, minilm-int8), then L2 normalisation. The
     indexer refits it (`calibrate`) with a thousand of the home's own papers embedded in full,
     because the demo's cs abstracts alone map other fields poorly (D45).
The result is cached in the models cache beside the ONNX graphs (`minilm-static-<key>.npz`
with a checksum); building it takes about a minute once and says so in the log.

Speed: texts are split into words by one regex; each distinct word is WordPiece-tokenised once
(`tokenizers`) and remembered, so the per-paper work is a regex, dict look-ups and one sparse
matrix product.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.resources
import itertools
import json
import logging
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from papersift.encoder.onnx_build import (
    _build_lock,
    _publish,
    _sha256_file,
    _tmp_name,
    cache_dir,
    cache_key,
    ensure_model,
    source_model_dir,
    verify,
)
from papersift.fsutil import atomic_write_via

log = logging.getLogger(__name__)

STATIC_VERSION = "2"  # bump when the recipe below changes: it is part of the cache key
SIF_A = 3e-3  # chosen on held-out demo abstracts (D45): 0.875 mean cosine vs 0.866 at 1e-3
RIDGE = 0.01
TABLE_BATCH = 1024
WORD_CACHE_MAX = 2_000_000  # distinct words remembered before the cache starts over
SPECIAL_TOKENS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")
_SEPARATOR = "\x00"  # joins a batch's texts; matched as a one-character word, then dropped
_WORD = re.compile(r"\w+|[^\w\s]")


def _demo_file(name: str) -> Path:
    """A data file of the bundled demo corpus (the fit sample); read as data, not imported."""
    return Path(str(importlib.resources.files("papersift") / "demo" / name))


def static_path(model_dir: Path, directory: Path) -> Path:
    """Where the distilled table + map of this model and recipe live in the cache."""
    fit = _sha256_file(_demo_file("vectors.npz"))[:16]
    key = hashlib.sha256(f"{cache_key(model_dir)}:{fit}:{STATIC_VERSION}".encode()).hexdigest()[:16]
    return directory / f"minilm-static-{key}.npz"


class WordPieceCounter:
    """Text -> WordPiece token ids, one tokenizer call per distinct word (then remembered)."""

    def __init__(self, model_dir: Path, max_tokens: int) -> None:
        from tokenizers import Tokenizer

        tok = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        tok.no_padding()
        tok.no_truncation()
        self._tokenizer = tok
        self.vocab_size = tok.get_vocab_size()
        self.max_tokens = max_tokens
        self._reset()

    def _reset(self) -> None:
        self._code: dict[str, int] = {}
        self._pieces: list[np.ndarray] = []
        self._flat = np.zeros(0, dtype=np.int64)
        self._start = np.zeros(0, dtype=np.int64)
        self._len = np.zeros(0, dtype=np.int64)

    def _learn(self, words: set[str]) -> None:
        ordered = sorted(words)  # deterministic codes
        encodings = self._tokenizer.encode_batch(ordered, add_special_tokens=False)
        base = len(self._code)
        for offset, (word, enc) in enumerate(zip(ordered, encodings, strict=True)):
            self._code[word] = base + offset
            self._pieces.append(np.asarray(enc.ids, dtype=np.int64))
        lengths = np.fromiter((len(p) for p in self._pieces[base:]), dtype=np.int64, count=len(ordered))
        self._len = np.concatenate([self._len, lengths])
        self._start = np.concatenate([self._start, len(self._flat) + np.cumsum(lengths) - lengths])
        self._flat = np.concatenate([self._flat, *self._pieces[base:]])

    def counts(self, texts: Sequence[str]) -> sp.csr_matrix:
        """[len(texts), vocab] token counts of each text's first `max_tokens` tokens."""
        # One regex pass over the whole batch (texts joined by a separator that is its own "word")
        # and C-level look-ups: per-text Python loops were half the time.
        words = _WORD.findall(_SEPARATOR.join([t.replace(_SEPARATOR, " ") for t in texts]).lower())
        fresh = set(words).difference(self._code)
        fresh.discard(_SEPARATOR)
        if len(self._code) + len(fresh) > WORD_CACHE_MAX:
            self._reset()
            fresh = set(words).difference((_SEPARATOR,))
        if fresh:
            self._learn(fresh)
        codes = np.fromiter(map(self._code.get, words, itertools.repeat(-1)), dtype=np.int64, count=len(words))
        real = codes >= 0
        per_doc_words = np.diff(np.flatnonzero(np.concatenate([[True], ~real, [True]]))) - 1
        codes = codes[real]
        lengths = self._len[codes]
        total = int(lengths.sum())
        ends = np.cumsum(lengths)
        tokens = self._flat[np.repeat(self._start[codes] - ends + lengths, lengths) + np.arange(total)]
        doc = np.repeat(np.repeat(np.arange(len(texts)), per_doc_words), lengths)
        doc_tokens = np.bincount(doc, minlength=len(texts))
        position = np.arange(total) - np.repeat(np.cumsum(doc_tokens) - doc_tokens, doc_tokens)
        keep = position < self.max_tokens
        matrix = sp.csr_matrix(
            (np.ones(int(keep.sum()), dtype=np.float32), (doc[keep], tokens[keep])),
            shape=(len(texts), self.vocab_size),
        )
        matrix.sum_duplicates()
        return matrix


def _token_table(graph: Path, vocab_size: int) -> np.ndarray:
    """Each token's MiniLM output embedding ("[CLS] t [SEP]" through the fp32 graph), [vocab, 384]."""
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = 1  # one thread: the same floating-point order on every machine size
    so.log_severity_level = 3
    session = ort.InferenceSession(str(graph), sess_options=so, providers=["CPUExecutionProvider"])
    cls_id, sep_id = 101, 102
    rows = []
    for start in range(0, vocab_size, TABLE_BATCH):
        ids = np.arange(start, min(start + TABLE_BATCH, vocab_size), dtype=np.int64)
        batch = np.stack([np.full_like(ids, cls_id), ids, np.full_like(ids, sep_id)], axis=1)
        (out,) = session.run(None, {"input_ids": batch, "attention_mask": np.ones_like(batch)})
        rows.append(np.asarray(out, dtype=np.float32))
        if (start // TABLE_BATCH) % 10 == 0:
            log.info(f"static encoder: token table {start:,}/{vocab_size:,}")
    return np.concatenate(rows)


def _fit_sample() -> tuple[list[str], np.ndarray]:
    """The demo abstracts as "title. abstract" texts, and their shipped MiniLM vectors, in one order."""
    from papersift.encoder.embed import paper_text

    with gzip.open(_demo_file("papers.jsonl.gz"), "rt", encoding="utf-8") as fh:
        papers = {rec["id"]: rec for rec in map(json.loads, fh)}
    with np.load(_demo_file("vectors.npz"), allow_pickle=False) as data:
        ids = [str(x) for x in data["ids"]]
        vectors = np.asarray(data["vectors"], dtype=np.float64)
    keep = [i for i, pid in enumerate(ids) if pid in papers]
    texts = [paper_text(papers[ids[i]].get("title"), papers[ids[i]].get("abstract")) for i in keep]
    return texts, vectors[keep]


def sif_weights(counts: sp.csr_matrix, vocab: dict[str, int]) -> np.ndarray:
    """a / (a + p(token)) with add-one smoothed corpus frequencies; 0 for the special tokens."""
    freq = np.asarray(counts.sum(axis=0), dtype=np.float64).ravel()
    p = (freq + 1.0) / (freq.sum() + freq.size)
    weights: np.ndarray = (SIF_A / (SIF_A + p)).astype(np.float32)
    weights[[vocab[t] for t in SPECIAL_TOKENS if t in vocab]] = 0.0
    return weights


def pooled(counts: sp.csr_matrix, table: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Weighted mean of token rows per text; `table` already carries the weights."""
    sums = np.asarray(counts @ table, dtype=np.float32)
    mass = np.asarray(counts @ weights, dtype=np.float32)
    return sums / np.maximum(mass, 1e-9)[:, None]


def _solve(gram: np.ndarray, cross: np.ndarray) -> np.ndarray:
    """Ridge least squares from the normal equations: the [385, 384] map (last row: bias)."""
    solved: np.ndarray = np.linalg.solve(gram + RIDGE * np.eye(gram.shape[0]), cross).astype(np.float32)
    return solved


def build_static(model_dir: Path, graph: Path, target: Path) -> None:
    """Distil the table and fit the map (steps 1-4 of the module docstring); publish to `target`."""
    from tokenizers import Tokenizer

    log.warning("building the static MiniLM encoder (once, about a minute)")
    vocab = Tokenizer.from_file(str(model_dir / "tokenizer.json")).get_vocab()
    counter = WordPieceCounter(model_dir, max_tokens=254)
    texts, targets = _fit_sample()
    counts = counter.counts(texts)
    weights = sif_weights(counts, vocab)
    table = _token_table(graph, counter.vocab_size) * weights[:, None]
    x = np.hstack([pooled(counts, table, weights).astype(np.float64), np.ones((len(texts), 1))])
    gram, cross = x.T @ x, x.T @ targets
    mapping = _solve(gram, cross)
    tmp = _tmp_name(target.parent, ".npz")
    try:
        with open(tmp, "wb") as fh:
            np.savez(fh, table=table.astype(np.float32), weights=weights, map=mapping, gram=gram, cross=cross)
        _publish(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    log.warning(f"static encoder ready: {target}")


def ensure_static(directory: Path | None = None, model_dir: Path | None = None) -> Path:
    """Path of the verified cached static encoder, building it first if needed (see `ensure_model`)."""
    model_dir = model_dir or source_model_dir()
    directory = Path(directory) if directory is not None else cache_dir()
    target = static_path(model_dir, directory)
    if verify(target):
        return target
    graph = ensure_model("fp32", directory, model_dir)  # before our lock: it takes the same one
    with _build_lock(directory):
        if not verify(target):
            build_static(model_dir, graph, target)
    if not verify(target):  # pragma: no cover - would mean the disk lies to us
        raise RuntimeError(f"static encoder build did not produce a verifiable file at {target}")
    return target


class StaticMiniLMEncoder:
    """Provisional MiniLM-space vectors from the distilled table: `encode` at thousands of texts a second."""

    dim = 384

    def __init__(
        self,
        *,
        max_length: int = 256,
        cache_dir: Path | None = None,
        threads: int | None = None,  # accepted for the registry's common options; one thread suffices
        batch_size: int = 4096,
    ) -> None:
        del threads
        model_dir = source_model_dir()
        self.path = ensure_static(cache_dir, model_dir)
        with np.load(self.path, allow_pickle=False) as data:
            self._table = np.ascontiguousarray(data["table"])
            self._weights = np.ascontiguousarray(data["weights"])
            self._gram, self._cross = data["gram"], data["cross"]
            self._set_map(data["map"])
        self.max_length = max_length
        self.batch_size = batch_size
        self.name = "minilm-static" + ("" if max_length == 256 else f"@{max_length}")
        self._counter = WordPieceCounter(model_dir, max_tokens=max_length - 2)

    def _set_map(self, mapping: np.ndarray) -> None:
        self._map, self._bias = np.ascontiguousarray(mapping[:-1], dtype=np.float32), mapping[-1].astype(np.float32)

    def _features(self, texts: Sequence[str]) -> np.ndarray:
        return pooled(self._counter.counts(texts), self._table, self._weights)

    def calibrate(self, texts: Sequence[str], vectors: np.ndarray) -> None:
        """Refit the map on the demo sample plus these texts and their full MiniLM vectors.

        Why: a map fitted on the demo's 3,417 cs abstracts alone reaches cosine 0.87 on other cs
        abstracts but ~0.5 on physics ones; a thousand of the home's own papers lift that (D45).
        """
        x = np.hstack([self._features(texts).astype(np.float64), np.ones((len(texts), 1))])
        self._set_map(_solve(self._gram + x.T @ x, self._cross + x.T @ np.asarray(vectors, dtype=np.float64)))

    def save_calibration(self, path: Path) -> None:
        """Keep the calibrated map beside the index, so a resumed run writes the same vectors."""

        def write(tmp: Path) -> None:
            with open(tmp, "wb") as fh:
                np.savez(fh, map=np.vstack([self._map, self._bias[None, :]]), source=str(self.path.name))

        atomic_write_via(path, write)

    def load_calibration(self, path: Path) -> bool:
        """Use a map saved by `save_calibration` for this same table; False when there is none."""
        try:
            with np.load(path, allow_pickle=False) as data:
                if str(data["source"]) != self.path.name or data["map"].shape != (self.dim + 1, self.dim):
                    return False
                self._set_map(data["map"])
        except (OSError, ValueError, KeyError):
            return False
        return True

    def encode(self, texts: Sequence[str], batch_size: int | None = None) -> np.ndarray:
        """[n, 384] float32, rows L2-normalised, in MiniLM's space (`batch_size` only bounds memory)."""
        if isinstance(texts, str):
            raise TypeError("encode() takes a list of texts; use encode_query() for one string")
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        step = max(batch_size or 0, self.batch_size)
        for start in range(0, len(texts), step):
            chunk = texts[start : start + step]
            out[start : start + len(chunk)] = self._features(chunk) @ self._map + self._bias
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        np.divide(out, np.maximum(norms, 1e-12), out=out)
        return out

    def encode_query(self, text: str) -> np.ndarray:
        vector: np.ndarray = self.encode([text])[0]
        return vector

    def __repr__(self) -> str:
        return f"StaticMiniLMEncoder(name={self.name!r}, path={self.path})"


def main() -> int:  # pragma: no cover - a setup script's entry point
    """Build (or verify) the cached static encoder; prints its path."""
    logging.basicConfig(level=logging.INFO, format="papersift: %(message)s")
    print(ensure_static())
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
