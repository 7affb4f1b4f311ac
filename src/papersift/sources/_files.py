"""Every file a source reads is opened here: plain or gzip, single file or directory, tar members.

Sources must stream multi-GB dumps in constant memory and survive damaged input: one line in the
wrong encoding or a gzip cut short must cost only the records it touches. Keeping the opening,
decoding and decompression-error handling in one module gives every format the same behaviour
and the same `file:line` error locations.

Reading is bounded (`ReadLimits`): one line (one record of a line format) and one tar member
have a size cap for every run, so a damaged or hostile dump costs one record, not the
machine's memory; untrusted uploads (the web library import) also cap the decompressed size
of a whole file, since a 10 MB gzip can expand to 10 GB. The limits are set for a block of
code with `read_limits(...)` (a context variable, so sources need no extra parameter).
"""

from __future__ import annotations

import gzip
import io
import tarfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import BinaryIO

from papersift.paper import InvalidRecord, parse_date
from papersift.sources.base import RecordError, SourceError

_GZIP_MAGIC = b"\x1f\x8b"

DECOMPRESS_ERRORS: tuple[type[Exception], ...] = (EOFError, gzip.BadGzipFile, zlib.error, tarfile.ReadError)
"""What reading a truncated or corrupt gzip/tar raises part-way through."""


@dataclass(frozen=True)
class ReadLimits:
    """Caps on what one input may make us hold in memory (bytes, after decompression)."""

    max_line: int = 16 * 1024 * 1024  # one line: a record of JSONL/CSV/BibTeX
    max_member: int = 16 * 1024 * 1024  # one tar member (an arXiv .abs file is a few KB)
    max_total: int | None = None  # one whole file; None for the operator's own dumps
    max_record: int = 16 * 1024 * 1024  # one multi-line record (a BibTeX entry: the lines up to the next `@`)


_DEFAULT_LIMITS = ReadLimits()
_LIMITS: ContextVar[ReadLimits | None] = ContextVar("read_limits", default=None)


def current_limits() -> ReadLimits:
    """The limits in force (those of the innermost `read_limits` block, else the defaults)."""
    return _LIMITS.get() or _DEFAULT_LIMITS


@contextmanager
def read_limits(limits: ReadLimits) -> Iterator[None]:
    """Apply `limits` to every file opened in this block (and in generators consumed in it)."""
    token = _LIMITS.set(limits)
    try:
        yield
    finally:
        _LIMITS.reset(token)


class _Capped(io.RawIOBase):
    """A stream that refuses to deliver more than `limit` bytes: SourceError instead."""

    def __init__(self, inner: io.BufferedIOBase | BinaryIO, limit: int, path: Path):
        self.inner, self.limit, self.path, self.total = inner, limit, path, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        n = self.inner.readinto(buffer)  # type: ignore[union-attr]
        self.total += n
        if self.total > self.limit:
            raise SourceError(f"{self.path}: more than {self.limit:,} bytes once decompressed; not read further")
        return int(n)


def input_files(location: str, suffixes: tuple[str, ...]) -> list[Path]:
    """The files named by `location`: the file itself, or the matching files under a directory, sorted.

    `suffixes` are matched case-insensitively against the name with a `.gz` ending removed, so
    `a.jsonl` and `a.jsonl.gz` both match `.jsonl`.
    """
    path = Path(location).expanduser()
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise SourceError(f"{location}: no such file or directory")
    found = sorted(p for p in path.rglob("*") if p.is_file() and _base_name(p).endswith(suffixes))
    if not found:
        raise SourceError(f"{location}: no {'/'.join(suffixes)} files in this directory")
    return found


def _base_name(path: Path) -> str:
    name = path.name.lower()
    return name[:-3] if name.endswith(".gz") else name


def file_date(path: Path) -> date | None:
    """The date a `YYYY-MM-DD.<ext>[.gz]` file is named after (daily crawls/captures), else None."""
    name = path.name[:-3] if path.name.lower().endswith(".gz") else path.name
    try:
        return parse_date(name.rsplit(".", 1)[0])
    except InvalidRecord:
        return None


@contextmanager
def open_bytes(path: Path) -> Iterator[BinaryIO]:
    """Open a file for binary reading, transparently gunzipping it when it starts with the gzip magic."""
    try:
        raw = path.open("rb")
    except OSError as exc:
        raise SourceError(f"{path}: cannot open ({exc.strerror or exc})") from exc
    limit = current_limits().max_total
    with raw:
        if raw.read(2) == _GZIP_MAGIC:
            raw.seek(0)
            with gzip.GzipFile(fileobj=raw, mode="rb") as gz:
                yield gz if limit is None else io.BufferedReader(_Capped(gz, limit, path))  # type: ignore[misc]
        else:
            raw.seek(0)
            yield raw if limit is None else io.BufferedReader(_Capped(raw, limit, path))


def truncated(where: str, exc: Exception) -> RecordError:
    """The error reported when a compressed input ends early; everything read before it is kept."""
    return RecordError(where, f"input is truncated or corrupt ({type(exc).__name__}: {exc}); rest lost")


def iter_lines(path: Path) -> Iterator[tuple[int, str] | RecordError]:
    """Yield `(line_number, text)` for each line (1-based, without the newline), decoding UTF-8 per line.

    A line that is not valid UTF-8 or longer than `ReadLimits.max_line` becomes a RecordError
    naming `file:line` and is skipped (an overlong line is read past in bounded pieces, never
    held); a gzip that ends early yields one RecordError after the last good line and stops.
    """
    number = 0
    cap = current_limits().max_line
    with open_bytes(path) as stream:
        try:
            while raw := stream.readline(cap + 1):
                number += 1
                if len(raw) > cap and not raw.endswith(b"\n"):
                    while (rest := stream.readline(1 << 20)) and not rest.endswith(b"\n"):
                        pass
                    yield RecordError(f"{path}:{number}", f"line longer than {cap:,} bytes: skipped")
                    continue
                try:
                    text = raw.decode("utf-8")
                except UnicodeDecodeError as exc:
                    yield RecordError(f"{path}:{number}", f"not valid UTF-8 (byte {exc.start}): line skipped")
                    continue
                if number == 1:
                    text = text.removeprefix("\ufeff")
                yield number, text.rstrip("\r\n")
        except DECOMPRESS_ERRORS as exc:
            yield truncated(f"{path}:{number + 1}", exc)


def read_bytes(path: Path) -> bytes:
    """The whole (decompressed) content of a small file; SourceError if it is truncated (or over
    `ReadLimits.max_total`)."""
    with open_bytes(path) as stream:
        try:
            return stream.read()
        except DECOMPRESS_ERRORS as exc:
            raise SourceError(f"{path}: input is truncated or corrupt ({exc})") from exc


def iter_tar_members(path: Path, suffix: str) -> Iterator[tuple[str, bytes] | RecordError]:
    """Stream `(member_name, content)` of the regular members ending in `suffix` of a (gzipped) tar.

    Streaming mode reads the archive once front to back, so a multi-GB tarball never needs seeking
    or an index in memory. Decompression goes through `open_bytes` (GzipFile) because tarfile's own
    gzip layer treats a cut-off archive as a normal end; a truncated archive yields a RecordError
    after the last complete member.
    """
    last = "start of archive"
    cap = current_limits().max_member
    with open_bytes(path) as stream:
        try:
            with tarfile.open(fileobj=stream, mode="r|") as tar:
                for member in tar:
                    handle = tar.extractfile(member) if member.isfile() else None
                    if handle is None or not member.name.endswith(suffix):
                        continue
                    last = member.name
                    if member.size > cap:  # streaming mode skips its data in blocks, unread
                        yield RecordError(f"{path}:{member.name}", f"member larger than {cap:,} bytes: skipped")
                        continue
                    data = handle.read(member.size)  # not read(cap): that would allocate cap bytes
                    yield member.name, data
            while stream.read(1 << 20):  # the end-of-stream check happens only when read to the end
                pass
        except DECOMPRESS_ERRORS as exc:
            if last == "start of archive" and isinstance(exc, tarfile.ReadError):
                raise SourceError(f"{path}: not a readable tar archive ({exc})") from exc
            yield truncated(f"{path} after {last}", exc)
