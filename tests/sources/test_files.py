"""The shared file layer: per-line decoding, gzip detection, truncated archives, directories."""

from __future__ import annotations

import gzip
import io
import tarfile
from pathlib import Path

import pytest

from papersift.sources._files import file_date, input_files, iter_lines, iter_tar_members, read_bytes
from papersift.sources.base import RecordError, SourceError
from tests.sources._util import truncated_gzip


def test_lines_are_numbered_and_a_latin1_line_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_bytes("\ufefffirst\r\n".encode() + "caf\xe9\n".encode("latin-1") + b"third\n")
    items = list(iter_lines(path))
    assert items[0] == (1, "first")
    assert isinstance(items[1], RecordError) and items[1].where == f"{path}:2"
    assert "UTF-8" in items[1].message
    assert items[2] == (3, "third")


def test_gzip_is_detected_by_content_not_name(tmp_path: Path) -> None:
    path = tmp_path / "plain-name.jsonl"
    path.write_bytes(gzip.compress(b"one\ntwo\n"))
    assert list(iter_lines(path)) == [(1, "one"), (2, "two")]
    assert read_bytes(path) == b"one\ntwo\n"


def test_truncated_gzip_keeps_lines_before_and_reports_the_file(tmp_path: Path) -> None:
    data = b"".join(b"line %d, padded so it compresses less predictably %d\n" % (i, i * 7919) for i in range(5000))
    path = truncated_gzip(data, tmp_path / "cut.jsonl.gz")
    items = list(iter_lines(path))
    good = [i for i in items if not isinstance(i, RecordError)]
    assert len(good) > 100 and good[:2] == [
        (1, "line 0, padded so it compresses less predictably 0"),
        (2, "line 1, padded so it compresses less predictably 7919"),
    ]
    assert isinstance(items[-1], RecordError) and str(path) in items[-1].where
    assert "truncated" in items[-1].message
    with pytest.raises(SourceError, match="truncated"):
        read_bytes(path)


def test_input_files_walks_directories_and_rejects_missing(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    for name in ("b.jsonl", "sub/a.jsonl.gz", "notes.txt"):
        (tmp_path / name).write_bytes(b"")
    assert [p.name for p in input_files(str(tmp_path), (".jsonl",))] == ["b.jsonl", "a.jsonl.gz"]
    with pytest.raises(SourceError, match="no such file"):
        input_files(str(tmp_path / "missing"), (".jsonl",))
    with pytest.raises(SourceError, match="no .xml files"):
        input_files(str(tmp_path), (".xml",))


def test_file_date_from_daily_names() -> None:
    assert str(file_date(Path("raw/2025-03-18.jsonl.gz"))) == "2025-03-18"
    assert file_date(Path("corpus.jsonl")) is None


def test_tar_members_stream_and_truncation(tmp_path: Path) -> None:
    tar_path = tmp_path / "t.tar.gz"
    with tarfile.open(tar_path, "w:gz") as tar:
        for i in range(30):
            payload = (f"member {i} " * 2000).encode() + bytes(range(256)) * (i + 1)
            info = tarfile.TarInfo(f"dir/{i:02d}.abs")
            info.size = len(payload)
            tar.addfile(info, io.BytesIO(payload))
    names = [m[0] for m in iter_tar_members(tar_path, ".abs") if not isinstance(m, RecordError)]
    assert names == [f"dir/{i:02d}.abs" for i in range(30)]
    cut = tmp_path / "cut.tar.gz"
    cut.write_bytes(tar_path.read_bytes()[: tar_path.stat().st_size // 2])
    items = list(iter_tar_members(cut, ".abs"))
    assert 0 < len(items) - 1 < 30 and isinstance(items[-1], RecordError)
    assert "truncated" in items[-1].message and str(cut) in items[-1].where


def test_gzip_magic_without_gzip_is_reported_not_raised(tmp_path: Path) -> None:
    path = tmp_path / "odd.jsonl"
    path.write_bytes(b"\x1f\x8bnot really gzip\n")
    items = list(iter_lines(path))
    assert len(items) == 1 and isinstance(items[0], RecordError) and items[0].where == f"{path}:1"
