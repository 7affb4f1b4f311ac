"""The static encoder distilled from MiniLM: deterministic, fast path faithful to the tokenizer,
and in MiniLM's own space on real abstracts it was not fitted on."""

from __future__ import annotations

import gzip
import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from tokenizers import Tokenizer

from papersift.encoder import onnx_build
from papersift.encoder.embed import (
    MiniLMEncoder,
    encoder_dim,
    load_encoder,
    paper_text,
    provisional_partner,
)
from papersift.encoder.onnx_build import source_model_dir, verify
from papersift.encoder.static import SPECIAL_TOKENS, StaticMiniLMEncoder, WordPieceCounter, ensure_static

# Measured on 400 physics/maths abstracts of ../shared/data/arxiv-abs (not the cs fit sample):
# mean cosine to MiniLM 0.49 with the demo-fitted map, 0.69 on the other 200 after calibrating on
# 200 of them (D45). The floors leave room for another CPU's rounding, not for a broken table or
# map (a random map gives ~0).
GENERIC_COSINE_FLOOR = 0.42
CALIBRATED_COSINE_FLOOR = 0.63
CALIBRATED_P5_FLOOR = 0.5


@pytest.fixture(scope="session")
def static() -> StaticMiniLMEncoder:
    encoder = load_encoder("minilm-static")
    assert isinstance(encoder, StaticMiniLMEncoder)
    return encoder


@pytest.fixture(scope="session")
def abstracts(shared_data: Path) -> list[str]:
    with gzip.open(shared_data / "arxiv-abs" / "corpus.jsonl.gz", "rt", encoding="utf-8") as fh:
        records = [json.loads(line) for line in fh]
    texts = [paper_text(r.get("title"), r.get("text")) for r in records if len(r.get("text") or "") > 200]
    return texts[:400]


def test_registered_in_minilm_space() -> None:
    assert encoder_dim("minilm-static") == 384 == encoder_dim("minilm-int8")
    assert provisional_partner("minilm-int8") == "minilm-static"
    assert provisional_partner("minilm-fp32@128") == "minilm-static@128"
    assert provisional_partner("minilm-static") is None


def test_output_contract_and_determinism(static: StaticMiniLMEncoder) -> None:
    texts = ["Surface codes for quantum error correction.", "", "Graph neural networks. " * 200, "ñandú über café"]
    a = static.encode(texts)
    assert a.shape == (4, 384) and a.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-5)
    # the same text gives the same vector again and in another order; alone, up to BLAS rounding
    np.testing.assert_array_equal(static.encode(texts[::-1])[::-1], a)
    np.testing.assert_allclose(static.encode_query(texts[0]), a[0], atol=1e-6)
    with pytest.raises(TypeError):
        static.encode("one string")  # type: ignore[arg-type]


def test_a_rebuild_is_bit_identical(static: StaticMiniLMEncoder, tmp_path: Path) -> None:
    """The table and map come from the bundled model and demo corpus alone: a fresh build in another
    cache directory reproduces the cached file exactly (about a minute on an idle 2-core box)."""
    onnx_build.ensure_model("fp32", tmp_path)
    rebuilt = ensure_static(tmp_path)
    assert verify(rebuilt) and rebuilt.name == static.path.name
    with np.load(rebuilt) as new, np.load(static.path) as old:
        for key in ("table", "weights", "map"):
            np.testing.assert_array_equal(new[key], old[key])


def _tokenizer_counts(tok: Tokenizer, text: str, limit: int) -> Counter[int]:
    return Counter(tok.encode(text, add_special_tokens=False).ids[:limit])


def _counter_counts(counter: WordPieceCounter, text: str) -> Counter[int]:
    row = counter.counts([text]).getrow(0)
    return Counter({int(i): int(v) for i, v in zip(row.indices, row.data, strict=True)})


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=300))
def test_fast_tokenisation_matches_the_tokenizer_on_ascii(text: str) -> None:
    # the tokenizer turns a literal "[CLS]" in the text into the special token; we keep it as text
    assume(not any(special in text for special in SPECIAL_TOKENS))
    model_dir = source_model_dir()
    tok = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    tok.no_truncation()
    tok.no_padding()
    assert _counter_counts(WordPieceCounter(model_dir, max_tokens=254), text) == _tokenizer_counts(tok, text, 254)


def test_fast_tokenisation_matches_the_tokenizer_on_real_abstracts(abstracts: list[str]) -> None:
    model_dir = source_model_dir()
    tok = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    tok.no_truncation()
    tok.no_padding()
    counter = WordPieceCounter(model_dir, max_tokens=254)
    batch = counter.counts(abstracts)
    same = 0
    for i, text in enumerate(abstracts):
        row = batch.getrow(i)
        same += Counter({int(t): int(v) for t, v in zip(row.indices, row.data, strict=True)}) == _tokenizer_counts(
            tok, text, 254
        )
    assert same >= 0.97 * len(abstracts)  # differences: rare Unicode the regex splits unlike BERT


def test_same_space_as_minilm_on_unseen_abstracts(abstracts: list[str]) -> None:
    static = load_encoder("minilm-static")  # a fresh one: calibration changes it
    assert isinstance(static, StaticMiniLMEncoder)
    full = MiniLMEncoder("int8").encode(abstracts)
    assert (static.encode(abstracts) * full).sum(axis=1).mean() >= GENERIC_COSINE_FLOOR
    static.calibrate(abstracts[:200], full[:200])
    provisional, held_out = static.encode(abstracts[200:]), full[200:]
    cosines = (provisional * held_out).sum(axis=1)
    assert cosines.mean() >= CALIBRATED_COSINE_FLOOR and np.percentile(cosines, 5) >= CALIBRATED_P5_FLOOR
    # and it ranks like MiniLM: each abstract's provisional vector is nearest its own full vector
    nearest = (provisional @ held_out.T).argmax(axis=1)
    assert (nearest == np.arange(len(held_out))).mean() >= 0.95


def test_calibration_survives_a_restart(abstracts: list[str], tmp_path: Path) -> None:
    static = load_encoder("minilm-static")
    assert isinstance(static, StaticMiniLMEncoder)
    generic = static.encode(abstracts[:5])
    static.calibrate(abstracts[:50], MiniLMEncoder("int8").encode(abstracts[:50]))
    calibrated = static.encode(abstracts[:5])
    assert not np.allclose(generic, calibrated, atol=1e-3)
    static.save_calibration(tmp_path / "cal.npz")
    again = load_encoder("minilm-static")
    assert isinstance(again, StaticMiniLMEncoder)
    assert again.load_calibration(tmp_path / "cal.npz")
    np.testing.assert_array_equal(again.encode(abstracts[:5]), calibrated)
    assert not again.load_calibration(tmp_path / "missing.npz")
