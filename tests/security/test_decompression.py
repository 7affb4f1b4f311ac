"""Findings 5 and 12: gzip bombs through the library upload, and whole tar members in memory."""

from __future__ import annotations

import gzip
import io
import tarfile
import tracemalloc
from pathlib import Path

from fastapi.testclient import TestClient

from papersift.context import AppContext
from papersift.sources import ReadLimits, RecordError, SourceContext, SourceError, read_limits
from papersift.sources.arxiv_abs import iter_papers as iter_abs
from papersift.sources.bibtex import iter_papers as iter_bib
from tests.web.conftest import sign_up


def _bomb(expanded: int) -> bytes:
    """A valid BibTeX entry followed by `expanded` bytes of comment, gzipped (~1000:1)."""
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb") as gz:
        gz.write(b"@misc{a, title={A real entry}}\n")
        line = b"%" + b"x" * 998 + b"\n"
        for _ in range(expanded // len(line)):
            gz.write(line)
    return out.getvalue()


def test_a_gzip_bomb_upload_is_refused_at_the_expanded_cap(client: TestClient, ctx: AppContext) -> None:
    """The review's 30 KB upload was processed as 30 MB; now expansion stops at the cap."""
    ctx.settings.max_upload_expanded = 5 * 1024 * 1024
    bomb = _bomb(30 * 1024 * 1024)
    assert len(bomb) < 100_000
    token = sign_up(client)
    tracemalloc.start()
    r = client.post(
        "/account/digest/import",
        data={"csrf_token": token, "collection": "Bomb"},
        files={"library": ("lib.bib.gz", bomb, "application/gzip")},
    )
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert r.status_code == 400 and "more than 5,242,880 bytes once decompressed" in r.text
    assert peak < 20 * 1024 * 1024


def test_an_overlong_line_costs_one_record_not_memory(tmp_path: Path) -> None:
    path = tmp_path / "long.bib"
    path.write_bytes(b"@misc{a, title={First}}\n%" + b"y" * (3 * 1024 * 1024) + b"\n@misc{b, title={Second}}\n")
    with read_limits(ReadLimits(max_line=1024 * 1024)):
        items = list(iter_bib(str(path), SourceContext()))
    errors = [i for i in items if isinstance(i, RecordError)]
    assert [str(e) for e in errors] == [
        f"{path}:2: line longer than 1,048,576 bytes: skipped; the entry containing it is skipped"
    ]
    assert [i.title for i in items if not isinstance(i, RecordError)] == ["Second"]


def test_operator_ingest_has_a_per_record_cap_but_no_total_cap(tmp_path: Path) -> None:
    path = tmp_path / "big.bib.gz"
    path.write_bytes(_bomb(2 * 1024 * 1024))
    items = list(iter_bib(str(path), SourceContext()))  # default limits: a 2 MB file is fine
    assert [i.title for i in items if not isinstance(i, RecordError)] == ["A real entry"]
    with read_limits(ReadLimits(max_total=1024 * 1024)):
        try:
            list(iter_bib(str(path), SourceContext()))
        except SourceError as exc:
            assert "once decompressed" in str(exc)
        else:
            raise AssertionError("the total cap was not applied")


def test_a_huge_tar_member_is_skipped_with_a_clear_error(tmp_path: Path) -> None:
    """A 200 KB .tar.gz holding a 200 MB .abs member peaked at 767 MB; now it is one skipped record."""
    path = tmp_path / "abs.tar.gz"
    good = b"\\\\\nPaper: 2401.00001\nTitle: A fine paper\nAuthors: Ada Lovelace\n\\\\\n  An abstract.\n\\\\\n"
    with tarfile.open(path, "w:gz") as tar:
        for name, size, data in (("huge.abs", 40 * 1024 * 1024, None), ("good.abs", len(good), good)):
            info = tarfile.TarInfo(name)
            info.size = size
            tar.addfile(info, io.BytesIO(data) if data is not None else _Zeros(size))
    assert path.stat().st_size < 200_000
    tracemalloc.start()
    with read_limits(ReadLimits(max_member=16 * 1024 * 1024)):
        items = list(iter_abs(str(path), SourceContext()))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    errors = [str(i) for i in items if isinstance(i, RecordError)]
    assert errors == [f"{path}:huge.abs: member larger than 16,777,216 bytes: skipped"]
    assert len(items) == 2 and peak < 10 * 1024 * 1024


class _Zeros(io.RawIOBase):
    """`size` bytes of zeros, produced on demand (the test itself must not hold 40 MB)."""

    def __init__(self, size: int):
        self.left = size

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        n = min(len(buffer), self.left)
        buffer[:n] = b"\0" * n
        self.left -= n
        return n


def _endless_entry(lines: int) -> bytes:
    """An entry whose value runs on for `lines` short lines without a line starting with `@`
    (the only place a block ends), then a good entry."""
    return (
        b"@misc{a, title={First}, abstract={"
        + b"word word word word word word word word word word\n" * lines
        + b"}}\n@misc{b, title={Second}}\n"
    )


def test_an_entry_without_an_end_is_cut_at_the_entry_cap(tmp_path: Path) -> None:
    """Lines are capped one by one, but nothing bounded an entry: one without `@` lines grew up to
    the 50 MiB file cap before bibtexparser saw it (and then parsed it whole)."""
    path = tmp_path / "endless.bib"
    path.write_bytes(_endless_entry(100_000))  # 5 MB in short lines
    tracemalloc.start()
    with read_limits(ReadLimits(max_record=1024 * 1024)):
        items = list(iter_bib(str(path), SourceContext()))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert [str(i) for i in items if isinstance(i, RecordError)] == [
        f"{path}:1: entry longer than 1,048,576 characters: skipped"
    ]
    assert [i.title for i in items if not isinstance(i, RecordError)] == ["Second"]
    assert peak < 4 * 1024 * 1024  # the 5 MB entry was never held whole


def test_an_uploaded_endless_entry_is_one_reported_error(client: TestClient) -> None:
    token = sign_up(client)
    r = client.post(
        "/account/digest/import",
        data={"csrf_token": token, "collection": "Endless"},
        files={"library": ("lib.bib", _endless_entry(100_000), "text/x-bibtex")},
    )
    assert r.status_code == 200
    assert "1 paper(s) added" in r.text and "1 broken entry skipped" in r.text
    assert "library.bib:1: entry longer than 1,048,576 characters: skipped" in r.text
