"""The all-MiniLM-L6-v2 forward pass as an ONNX graph, written from the safetensors weights.

Why by hand: the model ships only as safetensors, and exporting through torch would make
torch an install-time dependency of a self-hosted tool. A 6-layer BERT is small enough to
spell out with `onnx.helper`.

Graph: `input_ids`, `attention_mask` (int64 [batch, seq]) -> `sentence_embedding`
(float32 [batch, 384]): embeddings, 6 post-LN encoder layers with the additive attention
mask and exact (erf) GELU, mean pooling over the mask, L2 normalisation - the same
Transformer -> Pooling(mean) -> Normalize pipeline sentence-transformers runs.

int8 (`quantize_int8`): onnxruntime's dynamic quantiser with int8 per-channel MatMul
weights in 7-bit range (reduce_range: no u8*s8 saturation on CPUs without VNNI). Quality
was measured against the torch reference vectors of tests/index/data: quantising all 36
weight MatMuls gave cosine 0.9937 mean on arXiv abstracts but only 0.988 mean / 0.976 min
on the short reference texts (an empty string, one-word queries: few tokens to average the
error away). Per-node sensitivity put three feed-forward MatMuls far ahead of the rest, so
they stay float (`FLOAT_MATMULS`): 0.993 mean / 0.986 min on the short texts, 0.9955 on
abstracts, for ~5% of the int8 speed. SmoothQuant-style rescaling of the activation outlier
channels (hidden dim 99 reaches ~30 where the median is ~0.6) was tried and made things
worse: with per-channel weight scales it moves the error into the weights.

Padding: the int8 graph quantises each activation tensor with one range taken over the
whole batch, padding rows included, so a short text's vector used to depend on what it
was batched with (cosine 0.982 alone vs. in a batch padded to 256 tokens). The graph
therefore multiplies the hidden states by the attention mask before every quantised
MatMul: zero rows never widen the range (0 is always in it), and the float result is
unchanged because padding rows never reach real ones (masked keys, masked pooling).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # onnx is imported lazily at run time: only `model build` needs it
    import onnx

OPSET = 17  # LayerNormalization is a standard op from 17 on
# The most quantisation-sensitive MatMuls (see module docstring); kept in float.
FLOAT_MATMULS = ("l0_ff2_mm", "l3_ff1_mm", "l4_ff1_mm")


def _load(model_dir: Path) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    from safetensors.numpy import load_file

    cfg = json.loads((model_dir / "config.json").read_text())
    pool = json.loads((model_dir / "1_Pooling" / "config.json").read_text())
    if cfg.get("model_type") != "bert" or cfg.get("hidden_act") != "gelu":
        raise ValueError("builder supports BERT with exact (erf) GELU only")
    if not pool.get("pooling_mode_mean_tokens"):
        raise ValueError("builder supports mean pooling only")
    return cfg, load_file(str(model_dir / "model.safetensors"))


def build_graph(model_dir: Path) -> onnx.ModelProto:
    """The float32 graph of the model in `model_dir` (config.json, model.safetensors)."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    cfg, w = _load(model_dir)
    hidden, heads = int(cfg["hidden_size"]), int(cfg["num_attention_heads"])
    head_dim, eps = hidden // heads, float(cfg["layer_norm_eps"])
    f32 = np.float32
    inits: list[onnx.TensorProto] = []
    nodes: list[onnx.NodeProto] = []

    def const(name: str, arr: np.ndarray) -> str:
        inits.append(numpy_helper.from_array(np.ascontiguousarray(arr), name))
        return name

    def node(op: str, inputs: list[str], out: str, **attrs: Any) -> str:
        nodes.append(helper.make_node(op, inputs, [out], name=out, **attrs))
        return out

    def dense(x: str, prefix: str, out: str) -> str:
        # torch Linear stores [out, in]; MatMul wants [in, out]. The MatMul node is named
        # "{out}_mm": FLOAT_MATMULS refers to these names.
        wt = const(f"{prefix}.weight_t", w[f"{prefix}.weight"].T.astype(f32))
        mm = node("MatMul", [x, wt], f"{out}_mm")
        return node("Add", [mm, const(f"{prefix}.bias", w[f"{prefix}.bias"].astype(f32))], out)

    def layer_norm(x: str, prefix: str, out: str) -> str:
        g = const(f"{prefix}.weight", w[f"{prefix}.weight"])
        b = const(f"{prefix}.bias", w[f"{prefix}.bias"])
        return node("LayerNormalization", [x, g, b], out, axis=-1, epsilon=eps)

    def pad0(x: str) -> str:
        # Zero the padding rows (see module docstring: keeps int8 batch-invariant).
        return node("Mul", [x, "mask3"], f"{x}_m")

    def split(x: str, perm: list[int]) -> str:
        return node("Transpose", [node("Reshape", [x, "split_heads"], f"{x}_4d")], f"{x}_heads", perm=perm)

    scalars: dict[str, np.ndarray] = {
        "i64_0": np.array([0], np.int64),
        "i64_1": np.array([1], np.int64),
        "i64_2": np.array([2], np.int64),
        "split_heads": np.array([0, 0, heads, head_dim], np.int64),
        "merge_heads": np.array([0, 0, hidden], np.int64),
        "f_one": np.array(1.0, f32),
        "f_half": np.array(0.5, f32),
        "f_sqrt2": np.array(np.sqrt(2.0), f32),
        "f_scale": np.array(np.sqrt(head_dim), f32),
        "f_mask_min": np.array(np.finfo(f32).min, f32),
        "f_tiny": np.array(1e-9, f32),
        "f_norm_eps": np.array(1e-12, f32),
    }
    for name, arr in scalars.items():
        const(name, arr)

    # Embeddings. token_type_ids are always 0 for single texts: fold that row into positions.
    const("word_emb", w["embeddings.word_embeddings.weight"])
    pos = w["embeddings.position_embeddings.weight"] + w["embeddings.token_type_embeddings.weight"][0]
    const("pos_type_emb", pos.astype(f32))
    node("Shape", ["input_ids"], "seq_len", start=1, end=2)
    node("Slice", ["pos_type_emb", "i64_0", "seq_len", "i64_0"], "pos_rows")
    node("Add", [node("Gather", ["word_emb", "input_ids"], "tok_rows"), "pos_rows"], "emb_sum")

    # Additive mask: 0 where attended, float32 min on padding (as transformers does).
    node("Cast", ["attention_mask"], "mask_f", to=TensorProto.FLOAT)
    node("Unsqueeze", ["mask_f", "i64_2"], "mask3")  # [B, S, 1], multiplicative
    node("Mul", [node("Sub", ["f_one", "mask_f"], "mask_inv"), "f_mask_min"], "mask_add2d")
    node("Unsqueeze", [node("Unsqueeze", ["mask_add2d", "i64_1"], "mask_add3d"), "i64_1"], "mask_add")
    x = pad0(layer_norm("emb_sum", "embeddings.LayerNorm", "emb_out"))

    for i in range(int(cfg["num_hidden_layers"])):
        p, a = f"encoder.layer.{i}", f"encoder.layer.{i}.attention"
        qh = split(dense(x, f"{a}.self.query", f"l{i}_q"), [0, 2, 1, 3])  # [B, H, S, D]
        kh = split(dense(x, f"{a}.self.key", f"l{i}_k"), [0, 2, 3, 1])  # [B, H, D, S]
        vh = split(dense(x, f"{a}.self.value", f"l{i}_v"), [0, 2, 1, 3])
        scores = node("Div", [node("MatMul", [qh, kh], f"l{i}_qk"), "f_scale"], f"l{i}_scores")
        probs = node("Softmax", [node("Add", [scores, "mask_add"], f"l{i}_masked")], f"l{i}_probs", axis=-1)
        ctx = node("Transpose", [node("MatMul", [probs, vh], f"l{i}_ctxh")], f"l{i}_ctxt", perm=[0, 2, 1, 3])
        ctx = pad0(node("Reshape", [ctx, "merge_heads"], f"l{i}_ctx"))
        attn = dense(ctx, f"{a}.output.dense", f"l{i}_attn")
        x = pad0(layer_norm(node("Add", [attn, x], f"l{i}_res1"), f"{a}.output.LayerNorm", f"l{i}_ln1"))
        h = dense(x, f"{p}.intermediate.dense", f"l{i}_ff1")
        # exact GELU 0.5 * h * (1 + erf(h / sqrt 2)); onnxruntime fuses this pattern.
        erf = node("Erf", [node("Div", [h, "f_sqrt2"], f"l{i}_gdiv")], f"l{i}_erf")
        gel = node("Mul", [h, node("Add", [erf, "f_one"], f"l{i}_gadd")], f"l{i}_gmul")
        gel = pad0(node("Mul", [gel, "f_half"], f"l{i}_gelu"))
        ff = dense(gel, f"{p}.output.dense", f"l{i}_ff2")
        x = pad0(layer_norm(node("Add", [ff, x], f"l{i}_res2"), f"{p}.output.LayerNorm", f"l{i}_out"))

    # Mean pooling over real tokens, then L2 normalisation (eps as torch F.normalize).
    node("ReduceSum", [x, "i64_1"], "tok_sum", keepdims=0)  # padding rows are already 0
    node("Max", [node("ReduceSum", ["mask3", "i64_1"], "tok_cnt", keepdims=0), "f_tiny"], "tok_cnt_c")
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
    opsets = [helper.make_opsetid("", OPSET)]
    model = helper.make_model(graph, opset_imports=opsets, producer_name="papersift")
    model.ir_version = 8  # loadable by older runtimes too; opset 17 needs IR >= 8
    onnx.checker.check_model(model)
    return model


def quantize_int8(model_dir: Path, out_path: Path) -> None:
    """Dynamic int8: MatMul weights per channel in 7-bit range, except FLOAT_MATMULS.

    Activations stay float in the file and are quantised per batch at run time
    (DynamicQuantizeLinear), which is why the encoder sorts texts by length.
    """
    import logging

    from onnxruntime.quantization import QuantType, quantize_dynamic

    fp32 = build_graph(model_dir)
    # The quantiser logs a "consider pre-processing" hint (meant for static quantisation)
    # on the root logger; keep it out of setup output.
    root = logging.getLogger()
    level = root.level
    root.setLevel(max(level, logging.ERROR))
    try:
        quantize_dynamic(
            fp32,
            out_path,
            op_types_to_quantize=["MatMul"],
            per_channel=True,
            reduce_range=True,
            weight_type=QuantType.QInt8,
            nodes_to_exclude=list(FLOAT_MATMULS),
        )
    finally:
        root.setLevel(level)
