"""Atomic writes: `path` is absent, old or complete, whatever happens while it is written."""

from __future__ import annotations

from pathlib import Path

import pytest

from papersift.fsutil import atomic_write_bytes, atomic_write_via


def test_a_write_through_a_path_replaces_the_file_whole(tmp_path: Path) -> None:
    path = tmp_path / "data.bin"
    path.write_bytes(b"old")
    atomic_write_via(path, lambda tmp: tmp.write_bytes(b"new contents"))
    assert path.read_bytes() == b"new contents"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.bin"]


def test_a_failed_write_leaves_the_old_file_and_no_temp(tmp_path: Path) -> None:
    path = tmp_path / "data.bin"
    path.write_bytes(b"old")

    def half_then_fail(tmp: Path) -> None:
        tmp.write_bytes(b"ha")
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space"):
        atomic_write_via(path, half_then_fail)
    assert path.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.bin"]


def test_bytes_are_written_whole_into_a_new_directory(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "x.json"
    atomic_write_bytes(path, b"{}")
    assert path.read_bytes() == b"{}"
