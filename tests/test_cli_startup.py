"""`papersift --help` starts fast because it imports no service (issue 12 §3): the web server,
scipy, the encoder runtime and the index libraries load only inside the commands that use them.
Timing lives in benchmarks/cli_startup.py; this guards the cause (what gets imported)."""

from __future__ import annotations

import subprocess
import sys

import pytest

HEAVY = ("fastapi", "scipy", "onnxruntime", "tantivy", "sqlalchemy", "numpy")
PROBE = """
import sys, runpy
sys.argv = ["papersift", *sys.argv[1:]]
try:
    runpy.run_module("papersift", run_name="__main__")
except SystemExit:
    pass
print("LOADED=" + ",".join(m for m in {heavy!r} if m in sys.modules), file=sys.stderr)
"""


@pytest.mark.parametrize("args", [["--help"], ["search", "--help"], ["digest", "--help"], ["serve", "--help"]])
def test_help_imports_no_heavy_library(args: list[str]) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", PROBE.format(heavy=HEAVY), *args], capture_output=True, text=True, timeout=120
    )
    assert "Usage:" in proc.stdout, proc.stderr
    loaded = proc.stderr.strip().rpartition("LOADED=")[2]
    assert loaded == "", f"`papersift {' '.join(args)}` imported {loaded}"
