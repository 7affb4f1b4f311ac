"""Helpers shared by the source tests: run a source and split what it yields by kind."""

from __future__ import annotations

import gzip
from dataclasses import dataclass, field
from pathlib import Path

from papersift.paper import Paper
from papersift.sources import get_source
from papersift.sources.base import Checkpoint, RecordError, SourceContext

FIXTURES = Path(__file__).parent / "fixtures"


@dataclass
class Run:
    """Everything one source run yielded, in order and by kind."""

    items: list[object] = field(default_factory=list)

    @property
    def papers(self) -> list[Paper]:
        return [i for i in self.items if isinstance(i, Paper)]

    @property
    def errors(self) -> list[RecordError]:
        return [i for i in self.items if isinstance(i, RecordError)]

    @property
    def checkpoints(self) -> list[Checkpoint]:
        return [i for i in self.items if isinstance(i, Checkpoint)]

    def by_id(self) -> dict[str, Paper]:
        return {p.id: p for p in self.papers}


def run(name: str, location: str | Path, **ctx: object) -> Run:
    """Run the registered source `name` on `location` with SourceContext(**ctx)."""
    return Run(list(get_source(name)(str(location), SourceContext(**ctx))))  # type: ignore[arg-type]


def truncated_gzip(data: bytes, dest: Path, keep: float = 0.6) -> Path:
    """Gzip `data` into `dest`, then cut the compressed file to `keep` of its length."""
    packed = gzip.compress(data)
    dest.write_bytes(packed[: int(len(packed) * keep)])
    return dest
