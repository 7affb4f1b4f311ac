"""The catalog through the real command line: ingest, stats, show, export, bad input, kill -9."""

from __future__ import annotations

import gzip
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

import pytest

from tests.conftest import REPO

PAPERSIFT = [sys.executable, "-m", "papersift"]


def cli(home: Path, *args: str, check: bool = True, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [*PAPERSIFT, "--home", str(home), *args], capture_output=True, text=True, input=stdin, timeout=300
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"exit {proc.returncode}\nstdout: {proc.stdout}\nstderr: {proc.stderr}")
    return proc


def test_ingest_show_stats_and_reingest(tmp_path: Path, shared_data: Path) -> None:
    kaggle = shared_data / "arxiv-kaggle-sample" / "arxiv-metadata-oai-snapshot.sample.json"
    out = json.loads(cli(tmp_path, "ingest", "arxiv-kaggle", str(kaggle), "--json").stdout)
    assert out["inserted"] == 168 and out["rejected"] == 0
    again = json.loads(cli(tmp_path, "ingest", "arxiv-kaggle", str(kaggle), "--json").stdout)
    assert again["inserted"] == 0 and again["updated"] == 0 and again["unchanged"] == 168
    stats = json.loads(cli(tmp_path, "stats", "--json").stdout)
    assert stats["papers"] == 168
    paper = json.loads(cli(tmp_path, "show", "0704.0001v2", "--json").stdout)
    assert paper["id"] == "0704.0001" and paper["authors"][0] == "C. Balázs"
    assert [v["version"] for v in paper["versions"]] == [1, 2]
    for key in ("id", "title", "abstract", "authors", "categories", "versions"):
        assert key in paper
    missing = cli(tmp_path, "show", "9999.99999", check=False)
    assert missing.returncode == 1 and "no paper" in missing.stderr


def test_export_round_trips_losslessly(tmp_path: Path, shared_data: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    cli(a, "ingest", "arxiv-abs", str(shared_data / "arxiv-abs" / "raw_abs_files.tar.gz"))
    cli(a, "ingest", "hf-daily", str(shared_data / "hf-daily-papers" / "raw"))
    exported = cli(a, "export", "--format", "jsonl").stdout
    dump = tmp_path / "dump.jsonl"
    dump.write_text(exported, encoding="utf-8")
    cli(b, "ingest", "jsonl", str(dump))
    assert cli(b, "export", "--format", "jsonl").stdout == exported
    assert len(exported.splitlines()) == json.loads(cli(a, "stats", "--json").stdout)["papers"]


def test_bad_records_are_reported_and_good_ones_kept(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(
        b'{"_id": "2401.00001", "title": "Good one", "text": "x"}\n'
        b'{"_id": "2401.00002", "title": \n'
        b'{"_id": "2401.00003", "text": "no title"}\n'
        b'{"_id": "2401.00004", "title": "Caf\xe9 latin-1", "text": "x"}\n'
        b'{"_id": "2401.00005", "title": "Good two", "text": "y"}\n'
    )
    proc = cli(tmp_path / "h", "ingest", "jsonl", str(bad), check=False)
    assert proc.returncode == 1
    assert "bad.jsonl:2" in proc.stderr and "bad.jsonl:3" in proc.stderr and "bad.jsonl:4" in proc.stderr
    stats = json.loads(cli(tmp_path / "h", "stats", "--json").stdout)
    assert stats["papers"] == 2
    assert cli(tmp_path / "h", "ingest", "jsonl", str(bad), "--skip-bad", check=False).returncode == 0


def test_truncated_gzip_keeps_records_before_the_cut(tmp_path: Path, shared_data: Path) -> None:
    data = (shared_data / "scifact" / "corpus.jsonl").read_bytes()[:400_000]
    cut = gzip.compress(data)[:-5000]
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(cut)
    proc = cli(tmp_path / "h", "ingest", "beir", str(path), "--json", check=False)
    assert proc.returncode == 1 and "cut.jsonl.gz" in proc.stderr
    assert json.loads(proc.stdout)["inserted"] > 100


def test_unknown_format_and_bad_options_exit_2(tmp_path: Path) -> None:
    proc = cli(tmp_path, "ingest", "nope", "x", check=False)
    assert proc.returncode == 2 and "known formats" in proc.stderr
    proc = cli(tmp_path, "ingest", "jsonl", "x", "--since", "yesterday", check=False)
    assert proc.returncode == 2 and "--since" in proc.stderr


def test_bad_config_is_named(tmp_path: Path) -> None:
    (tmp_path / "papersift.toml").write_text("ingest_batch_size = 'lots'\n")
    proc = cli(tmp_path, "stats", check=False)
    assert proc.returncode == 2 and "ingest_batch_size" in proc.stderr and "papersift.toml" in proc.stderr
    (tmp_path / "papersift.toml").write_text("colour = 'blue'\n")
    proc = cli(tmp_path, "stats", check=False)
    assert proc.returncode == 2 and "colour" in proc.stderr


def _wait_for_rows(db: Path, rows: int, proc: subprocess.Popen[bytes], timeout: float = 120) -> int:
    """Poll the papers table until it holds at least `rows` committed rows; returns the count seen."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the ingest finished before the kill (raise the corpus or lower `rows`)"
        if db.exists():
            try:
                with closing(sqlite3.connect(db, timeout=5)) as conn:
                    count = conn.execute("SELECT count(*) FROM papers").fetchone()[0]
            except sqlite3.OperationalError:  # the table is not created yet
                count = 0
            if count >= rows:
                return int(count)
        time.sleep(0.02)
    raise AssertionError(f"{db} never reached {rows} rows")


@pytest.mark.slow
def test_kill_9_mid_ingest_then_rerun_equals_clean_run(tmp_path: Path, shared_data: Path) -> None:
    corpus = shared_data / "arxiv-quant-ph" / "corpus.jsonl.gz"
    clean, killed = tmp_path / "clean", tmp_path / "killed"
    (killed).mkdir()
    (killed / "papersift.toml").write_text("ingest_batch_size = 500\n")
    proc = subprocess.Popen(
        [*PAPERSIFT, "--home", str(killed), "ingest", "beir", str(corpus)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    # Kill once 4 batches of 500 are committed (rows counted through SQLite, which sees committed
    # WAL transactions; the file size does not grow until the first checkpoint).
    committed = _wait_for_rows(killed / "catalog.db", 2_000, proc)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    partial = json.loads(cli(killed, "stats", "--json").stdout)["papers"]
    assert 2_000 <= committed <= partial < 31_067, "the kill must land mid-ingest"
    cli(killed, "ingest", "beir", str(corpus))
    cli(clean, "ingest", "beir", str(corpus))
    assert cli(killed, "export").stdout == cli(clean, "export").stdout


# The README's "Ingest formats" section, read from the README itself (not a third copy of the list):
# `papersift formats` must list exactly the format names written there in backticks.
_README_SECTION = (REPO / "README.md").read_text("utf-8").split("### Ingest formats", 1)[1].split("\n## ", 1)[0]
README_FORMATS = set(re.findall(r"`([a-z][a-z-]*)`", _README_SECTION))


def test_formats_lists_every_documented_format(tmp_path: Path) -> None:
    proc = cli(tmp_path, "formats")
    listed = {m for m in re.findall(r"^│ ([a-z][a-z-]+) +│", proc.stdout, re.M)}  # tables go to stdout
    assert listed == README_FORMATS, proc.stdout


def test_option_key_value_reaches_the_source(tmp_path: Path) -> None:
    """`-o map=...` maps CSV columns to fields and `-o delimiter=tab` reads TSV; malformed options fail."""
    table = tmp_path / "papers.tsv"
    table.write_text("Name\tSummary\tWho\nTactile grasping\tRobots learn to grasp.\tAda Lovelace\n", encoding="utf-8")
    args = ("ingest", "csv", str(table), "--json")
    unmapped = cli(tmp_path / "a", *args, "-o", "delimiter=tab", check=False)
    assert unmapped.returncode == 1 and json.loads(unmapped.stdout)["inserted"] == 0  # no `title` column
    mapped = ["-o", "map=title:Name,abstract:Summary,authors:Who", "-o", "delimiter=tab"]
    out = json.loads(cli(tmp_path / "b", *args, *mapped).stdout)
    assert out["inserted"] == 1 and out["rejected"] == 0
    [line] = cli(tmp_path / "b", "export").stdout.splitlines()
    paper = json.loads(line)
    assert (paper["title"], paper["abstract"], paper["authors"]) == (
        "Tactile grasping",
        "Robots learn to grasp.",
        ["Ada Lovelace"],
    )
    bad = cli(tmp_path / "c", "ingest", "csv", str(table), "-o", "delimiter", check=False)
    assert bad.returncode == 2 and "--option expects KEY=VALUE, got 'delimiter'" in bad.stderr
    wrong = cli(tmp_path / "c", "ingest", "csv", str(table), "-o", "map=colour:Name", check=False)
    assert wrong.returncode == 1 and "bad map entry 'colour:Name'" in wrong.stderr  # the location fails
