"""Slot <-> paper id for the vector index, without a per-process copy when serving.

A served generation keeps its saved id array (`gen-<n>.ids.npy`) memory-mapped, so every worker
shares the same file pages, and answers "which slot holds this id" by binary search in the sorted
64-bit hashes of the live ids plus their slots (12 bytes a paper, built on open from the mapped
array without a Python string per id), then a check of the id itself at the slot found. A Python
list plus a dict of the ids cost each worker ~120 MiB more private heap at 1M papers (opening the
vector index: 215 -> 96 MiB, docs/DECISIONS.md D61). Binary search in the sorted ids themselves
(bytes compared through a function pointer, ~10 MB at 1M) cost ~2 us an id; integers ~0.3 us
(D86). The first change (the indexer) converts to a list and a dict, which make single inserts
and deletes cheap.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

import numpy as np

MEMO_SIZE = 16_384  # id -> slot pairs a served generation remembers (~2 MiB; cleared when full)
MEMO_BATCH = 1_000  # larger look-ups (a filter's allowed ids) bypass the memo instead of flushing it
_FNV_OFFSET, _FNV_PRIME = np.uint64(0xCBF29CE484222325), np.uint64(0x100000001B3)


def _hashes(ids: np.ndarray) -> np.ndarray:
    """FNV-1a over the UTF-32 code units of a '<U' array (its own width), one uint64 per id, vectorised
    by column. Equal ids of equal width hash equal; collisions only cost a second look (`_search`)."""
    codes = np.ascontiguousarray(ids).view(np.uint32).reshape(len(ids), ids.dtype.itemsize // 4)
    hashed = np.full(len(ids), _FNV_OFFSET, dtype=np.uint64)
    for column in codes.T:
        hashed ^= column
        hashed *= _FNV_PRIME  # wraps modulo 2**64, as FNV does
    return hashed


class SlotIds:
    """slot -> paper id ("" for a deleted slot) and paper id -> slot."""

    _hash = staticmethod(_hashes)  # the look-up table's hash (a subclass may collide on purpose: tests)

    def __init__(self, saved: np.ndarray | None = None):
        self._saved = saved  # a read-only (usually memory-mapped) array of ids, or None once mutable
        self._order: np.ndarray | None = None  # sorted position -> slot of a live id
        self._sorted: np.ndarray | None = None  # the live ids' hashes (`_hashes`), sorted
        if saved is not None:
            hashed, live = self._hash(saved), np.flatnonzero(saved != "")
            self._order = live[np.argsort(hashed[live], kind="stable")].astype(np.int32)
            self._sorted = hashed[self._order]
        self._live = int(np.count_nonzero(saved != "")) if saved is not None else 0
        self._list: list[str] = []
        self._slot: dict[str, int] = {}
        self._memo: dict[str, int] = {}  # served form only: recently seen id -> slot (-1: none)

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
            ids = [str(pid) for pid in self._saved[slots.astype(np.int64)].tolist()]
            if len(ids) <= MEMO_BATCH:
                self._remember(ids, slots)
            return ids
        return [self._list[int(slot)] for slot in slots]

    def slot_of(self, pid: str) -> int | None:
        if self._saved is None:
            return self._slot.get(pid)
        slot = int(self.locate([pid])[0])
        return None if slot < 0 else slot

    def slots_of(self, ids: Iterable[str]) -> np.ndarray:
        """The slots of those `ids` that are live, as an int64 array (unknown ids left out)."""
        located = self.locate(ids if isinstance(ids, list) else list(ids))
        found: np.ndarray = located[located >= 0]
        return found

    def locate(self, ids: Sequence[str]) -> np.ndarray:
        """The slot of each of `ids` in order, -1 for an id that has none (int64, one per id)."""
        if self._saved is None:
            return np.fromiter((self._slot.get(pid, -1) for pid in ids), dtype=np.int64, count=len(ids))
        if len(ids) > MEMO_BATCH:
            return self._search(ids)
        memo = self._memo
        located = np.fromiter((memo.get(pid, -2) for pid in ids), dtype=np.int64, count=len(ids))
        missed = np.flatnonzero(located == -2)
        if missed.size:
            asked = [ids[i] for i in missed.tolist()]
            slots = self._search(asked)
            located[missed] = slots
            self._remember(asked, slots)
        return located

    def _search(self, ids: Sequence[str]) -> np.ndarray:
        """Each of `ids`' slot by binary search among the sorted hashes, checked against the id stored
        there; -1 for one not there ("" never is: deleted slots are not in the table)."""
        located = np.full(len(ids), -1, dtype=np.int64)
        if not len(ids) or self._saved is None or self._order is None or self._sorted is None or not self._order.size:
            return located
        width = self._saved.dtype.itemsize // 4
        fits = [i for i, pid in enumerate(ids) if 0 < len(pid) <= width]  # a longer id is nobody's
        if not fits:
            return located
        wanted = np.array([ids[i] for i in fits], dtype=self._saved.dtype)
        hashed = self._hash(wanted)
        pos = np.minimum(np.searchsorted(self._sorted, hashed), len(self._order) - 1)
        slots = self._order[pos].astype(np.int64)
        same = self._sorted[pos] == hashed
        hit = same & (self._saved[slots] == wanted)
        located[np.asarray(fits)[hit]] = slots[hit]
        for j in np.flatnonzero(same & ~hit).tolist():  # a hash collision (rare): try the rest of its run
            at = int(pos[j]) + 1
            while at < len(self._order) and self._sorted[at] == hashed[j]:
                if self._saved[self._order[at]] == wanted[j]:
                    located[fits[j]] = int(self._order[at])
                    break
                at += 1
        return located

    def _remember(self, ids: list[str], slots: np.ndarray) -> None:
        memo = self._memo
        if len(memo) + len(ids) > MEMO_SIZE:
            memo.clear()
        memo.update({pid: slot for pid, slot in zip(ids, slots.tolist(), strict=True) if pid})  # "": deleted

    def __contains__(self, pid: str) -> bool:
        return self.slot_of(pid) is not None

    def mutable(self) -> None:
        """Switch to an in-memory list and dict before the first change."""
        if self._saved is not None:
            self._list = self._saved.tolist()
            self._slot = {pid: slot for slot, pid in enumerate(self._list) if pid}
            self._saved = self._order = self._sorted = None
            self._memo = {}

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
