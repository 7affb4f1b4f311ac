"""Slot <-> paper id for the vector index, without a per-process copy when serving.

A served generation keeps its saved id array (`gen-<n>.ids.npy`) memory-mapped, so every worker
shares the same file pages, and answers "which slot holds this id" by binary search in a sorted
UTF-8 copy of the ids plus their slots (~14 bytes a paper, built on open: ~0.5 s at 1M). A Python
list plus a dict of the ids cost each worker ~120 MiB more private heap at 1M papers (opening the
vector index: 215 -> 96 MiB, docs/DECISIONS.md D61). The first change (the indexer) converts to a
list and a dict, which make single inserts and deletes cheap.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np


class SlotIds:
    """slot -> paper id ("" for a deleted slot) and paper id -> slot."""

    def __init__(self, saved: np.ndarray | None = None):
        self._saved = saved  # a read-only (usually memory-mapped) array of ids, or None once mutable
        self._order: np.ndarray | None = None  # sorted position -> slot
        self._sorted: np.ndarray | None = None  # the ids in sorted order, UTF-8 (a quarter of the '<U' width)
        if saved is not None:
            self._order = np.argsort(saved, kind="stable").astype(np.int32)
            self._sorted = np.char.encode(saved[self._order], "utf-8")
        self._live = int(np.count_nonzero(saved != "")) if saved is not None else 0
        self._list: list[str] = []
        self._slot: dict[str, int] = {}

    @property
    def slots(self) -> int:
        """Slots used, deleted ones included."""
        return len(self._saved) if self._saved is not None else len(self._list)

    def __len__(self) -> int:
        """Live ids."""
        return self._live if self._saved is not None else len(self._slot)

    def __iter__(self) -> Iterator[str]:
        """Every slot's id in slot order ("" for deleted slots)."""
        return iter(self._saved.tolist() if self._saved is not None else self._list)

    def alive(self) -> np.ndarray:
        """slot -> holds a live id."""
        saved = self._saved if self._saved is not None else np.array(self._list, dtype=str)
        return np.asarray(saved != "", dtype=bool)

    def at_many(self, slots: np.ndarray) -> list[str]:
        if self._saved is not None:
            return [str(pid) for pid in self._saved[slots.astype(np.int64)].tolist()]
        return [self._list[int(slot)] for slot in slots]

    def slot_of(self, pid: str) -> int | None:
        if self._saved is None:
            return self._slot.get(pid)
        found = self.slots_of([pid])
        return int(found[0]) if found.size else None

    def slots_of(self, ids: Iterable[str]) -> np.ndarray:
        """The slots of those `ids` that are live, as an int64 array (unknown ids left out)."""
        if self._saved is None:
            return np.fromiter((s for p in ids if (s := self._slot.get(p)) is not None), dtype=np.int64)
        wanted = np.array([pid.encode("utf-8") for pid in ids if pid], dtype=bytes)  # own width: never truncated
        if wanted.size == 0 or self._order is None or self._sorted is None or not self._order.size:
            return np.zeros(0, dtype=np.int64)
        pos = np.minimum(np.searchsorted(self._sorted, wanted), len(self._order) - 1)
        found: np.ndarray = self._order[pos[self._sorted[pos] == wanted]]
        return found.astype(np.int64)

    def __contains__(self, pid: str) -> bool:
        return self.slot_of(pid) is not None

    def mutable(self) -> None:
        """Switch to an in-memory list and dict before the first change."""
        if self._saved is not None:
            self._list = self._saved.tolist()
            self._slot = {pid: slot for slot, pid in enumerate(self._list) if pid}
            self._saved = self._order = self._sorted = None

    def append(self, pid: str) -> int:
        self.mutable()
        self._list.append(pid)
        self._slot[pid] = len(self._list) - 1
        return len(self._list) - 1

    def remove(self, pid: str) -> int | None:
        """Free `pid`'s slot ("" from now on); its slot, or None when it had none."""
        if self.slot_of(pid) is None:
            return None
        self.mutable()
        slot = self._slot.pop(pid, None)
        if slot is not None:
            self._list[slot] = ""
        return slot

    def as_array(self) -> np.ndarray:
        return np.array(self._saved if self._saved is not None else self._list, dtype=str)
