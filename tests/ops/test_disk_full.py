"""A full disk under `ingest`: one clear line and exit 1, whole batches kept, and a re-run after
freeing space completes (drills/disk_full.py does the same at scale and for `index`)."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.ops.test_backup import cli


@pytest.fixture
def small_volume(tmp_path: Path) -> Iterator[Path]:
    """A 4 MiB tmpfs (root only: mounting needs it; CI runs as root)."""
    if os.geteuid() != 0:
        pytest.skip("mounting a size-limited tmpfs needs root")
    mnt = tmp_path / "volume"
    mnt.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mnt)], check=True)
    yield mnt
    subprocess.run(["umount", str(mnt)], check=False)


def test_ingest_on_a_full_disk(small_volume: Path, shared_data: Path) -> None:
    kaggle = shared_data / "arxiv-kaggle-sample" / "arxiv-metadata-oai-snapshot.sample.json"
    home = small_volume / "home"
    assert cli(home, "init", "--json").returncode == 0  # an empty catalog exists (`init`: issue 12)
    ballast = small_volume / "ballast"
    stat = os.statvfs(small_volume)
    ballast.write_bytes(b"\0" * (stat.f_bavail * stat.f_frsize - 48 * 1024))
    full = cli(home, "ingest", "arxiv-kaggle", str(kaggle))
    assert full.returncode == 1 and "Traceback" not in full.stderr
    assert "error: the disk is full" in full.stderr and "run the same command again" in full.stderr
    assert cli(home, "stats", "--json").returncode == 0
    ballast.unlink()
    again = cli(home, "ingest", "arxiv-kaggle", str(kaggle), "--json")
    assert again.returncode == 0, again.stderr
    assert '"papers": 168' in cli(home, "stats", "--json").stdout


def test_vector_save_on_a_full_disk(small_volume: Path, shared_data: Path) -> None:
    """The dense phase's save fails as one line; the previous vector generation stays current and
    nothing of the failed one is left behind; after freeing space the same command completes."""
    from tests.community.factories import make_context

    kaggle = shared_data / "arxiv-kaggle-sample" / "arxiv-metadata-oai-snapshot.sample.json"
    home = small_volume / "home"
    assert cli(home, "ingest", "arxiv-kaggle", str(kaggle)).returncode == 0
    assert cli(home, "index").returncode == 0  # generation 1: 168 vectors
    make_context(home).close()  # 6 more papers
    assert cli(home, "index", "--lexical-only").returncode == 0  # only the dense phase is left
    vectors = home / "index" / "vectors"
    before = sorted(f.name for f in vectors.iterdir())
    ballast = small_volume / "ballast"
    stat = os.statvfs(small_volume)
    ballast.write_bytes(b"\0" * (stat.f_bavail * stat.f_frsize - 64 * 1024))  # SQLite still opens
    full = cli(home, "index")
    assert full.returncode == 1 and "Traceback" not in full.stderr, full.stderr
    assert "error: the disk is full" in full.stderr
    assert sorted(f.name for f in vectors.iterdir()) == before  # no half-written generation
    assert '"count": 168' in (vectors / "manifest.json").read_text()
    ballast.unlink()
    assert cli(home, "index").returncode == 0
    assert '"count": 174' in (vectors / "manifest.json").read_text()
