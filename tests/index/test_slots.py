"""SlotIds: the memory-mapped (served) form answers exactly like the list-and-dict (indexer) form."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from papersift.index.embedded.slots import SlotIds

IDS = st.text(alphabet="0123456789.abv/éü", min_size=1, max_size=14)  # non-ASCII: sorted as UTF-8


def _mapped(ids: SlotIds, path: Path) -> SlotIds:
    np.save(path, ids.as_array(), allow_pickle=False)
    return SlotIds(np.load(path, mmap_mode="r", allow_pickle=False))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.booleans(), IDS), max_size=60), st.lists(IDS, max_size=20))
def test_mapped_ids_answer_like_the_dict(
    tmp_path_factory: pytest.TempPathFactory, ops: list[tuple[bool, str]], probes: list[str]
) -> None:
    live = SlotIds()
    for add, pid in ops:
        if add and pid not in live:
            live.append(pid)
        elif not add:
            live.remove(pid)
    path = tmp_path_factory.mktemp("slots") / "ids.npy"
    mapped = _mapped(live, path)
    asked = [*probes, *(pid for _, pid in ops), ""]
    assert (len(mapped), mapped.slots, list(mapped)) == (len(live), live.slots, list(live))
    for pid in asked:
        assert mapped.slot_of(pid) == live.slot_of(pid), pid
        assert (pid in mapped) == (pid in live)
    assert sorted(mapped.slots_of(asked).tolist()) == sorted(live.slots_of(asked).tolist())
    assert np.array_equal(mapped.alive(), live.alive())
    every = np.arange(live.slots)
    assert mapped.at_many(every) == live.at_many(every)
    # again, now from the memo of recent look-ups (at_many remembered deleted slots' "" too: never a slot)
    assert mapped.locate(asked).tolist() == live.locate(asked).tolist()
    assert all(mapped.slot_of(pid) == live.slot_of(pid) for pid in asked)
    assert mapped.slots_of(asked).tolist() == live.slots_of(asked).tolist()


def test_locate_keeps_order_and_marks_unknown_ids_past_the_memo(tmp_path: Path) -> None:
    """Order and -1 for unknown ids, through the memo, the binary search and a batch too big to remember."""
    ids = SlotIds()
    for i in range(3000):
        ids.append(f"2401.{i:05d}")
    ids.remove("2401.00007")
    mapped = _mapped(ids, tmp_path / "ids.npy")
    asked = ["2401.00009", "nope", "2401.00007", "", "2401.00000"]
    assert mapped.locate(asked).tolist() == [9, -1, -1, -1, 0]
    assert mapped.locate(asked).tolist() == [9, -1, -1, -1, 0]  # remembered
    many = [f"2401.{i:05d}" for i in reversed(range(3000))]
    expected = [-1 if i == 7 else i for i in reversed(range(3000))]
    assert mapped.locate(many).tolist() == ids.locate(many).tolist() == expected


def test_a_longer_id_is_not_truncated_to_a_stored_one(tmp_path: Path) -> None:
    """The stored array is as wide as its longest id; a longer id must not match its prefix."""
    ids = SlotIds()
    for pid in ("2401.00001", "2401.00002"):
        ids.append(pid)
    mapped = _mapped(ids, tmp_path / "ids.npy")
    assert mapped.slot_of("2401.000011") is None and mapped.slot_of("2401.00002") == 1
    assert mapped.slots_of(["2401.000011", "2401.00001"]).tolist() == [0]


def test_first_change_makes_the_mapped_ids_mutable(tmp_path: Path) -> None:
    ids = SlotIds()
    for pid in ("a", "b", "c"):
        ids.append(pid)
    mapped = _mapped(ids, tmp_path / "ids.npy")
    assert mapped.remove("nope") is None
    assert mapped.remove("b") == 1 and mapped.append("d") == 3
    assert (list(mapped), len(mapped), mapped.slot_of("d"), "b" in mapped) == (["a", "", "c", "d"], 3, 3, False)


class Colliding(SlotIds):
    """Every id hashes alike: the worst case of the hash table behind the mapped form's look-ups."""

    _hash = staticmethod(lambda ids: np.zeros(len(ids), dtype=np.uint64))


def test_ids_whose_hashes_collide_are_still_told_apart(tmp_path: Path) -> None:
    ids = SlotIds()
    for pid in ("b", "a", "c", "ab"):
        ids.append(pid)
    ids.remove("c")
    np.save(tmp_path / "ids.npy", ids.as_array(), allow_pickle=False)
    mapped = Colliding(np.load(tmp_path / "ids.npy", mmap_mode="r", allow_pickle=False))
    asked = ["ab", "c", "a", "b", "abc", "", "zz"]
    assert mapped.locate(asked).tolist() == [3, -1, 1, 0, -1, -1, -1]
