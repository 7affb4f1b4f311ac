"""One copy of the vectors (D75): reads through the usearch file's block and the slot -> row map
answer exactly what the slot-ordered matrix answered, old generations still open, damage is caught."""

from __future__ import annotations

import logging
import shutil
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from papersift.index.embedded import vector_block
from papersift.index.embedded.vector_files import VectorIndexCorrupt
from papersift.index.embedded.vectors import HnswIndex
from papersift.index.payload import meta_of
from papersift.paper import make_paper
from papersift.query.syntax import parse

DIM = 32
CATS = ["cs.CL", "cs.LG", "math.PR"]


def unit(rng: np.random.Generator, n: int) -> np.ndarray:
    m = rng.standard_normal((n, DIM)).astype(np.float32)
    return m / np.linalg.norm(m, axis=1, keepdims=True)


def papers(start: int, n: int) -> list:
    return [
        make_paper(
            source="t",
            title=f"paper {i}",
            abstract="x",
            arxiv_id=f"2401.{i:05d}",
            categories=[CATS[i % 3]],
            submitted=date(2020 + i % 4, 1 + i % 12, 1),
        )
        for i in range(start, start + n)
    ]


def churned(directory: Path) -> tuple[HnswIndex, dict[str, np.ndarray]]:
    """A saved index whose usearch slots differ from ours: threaded adds, deletes, re-adds, a
    reopen (copy-on-write) and more churn; returns it (unsaved state == saved) and the truth."""
    rng = np.random.default_rng(11)
    index = HnswIndex(directory, DIM, "m", exact_below=0)
    truth: dict[str, np.ndarray] = {}

    def put(batch: list, threads: int) -> None:
        vectors = unit(rng, len(batch))
        index.upsert([p.id for p in batch], vectors, meta=[meta_of(p) for p in batch], threads=threads)
        truth.update({p.id: v.astype(np.float16) for p, v in zip(batch, vectors, strict=True)})

    put(papers(0, 600), threads=2)
    gone = [p.id for p in papers(0, 600)[::5]]
    index.delete(gone)
    for pid in gone:
        del truth[pid]
    put(papers(600, 100), threads=2)  # reuses usearch's freed slots
    put(papers(10, 50), threads=1)  # re-adds: live ids move to new slots
    index.save()
    index = HnswIndex.open(directory, DIM, "m", exact_below=0)
    index.delete([p.id for p in papers(300, 40)])
    for p in papers(300, 40):
        truth.pop(p.id, None)
    put(papers(700, 80), threads=2)
    index.save()
    return index, truth


def as_old_layout(directory: Path, target: Path) -> Path:
    """The same generation as a pre-D75 writer stored it: a slot-ordered .npy, no rows map."""
    shutil.copytree(directory, target)
    rows_path = next(target.glob("gen-*.rows.npy"))
    prefix = rows_path.name.removesuffix(".rows.npy")
    rows = np.load(rows_path)
    block = vector_block.map_block(target / f"{prefix}.usearch", DIM)
    assert block is not None
    matrix = np.zeros((rows.size, DIM), dtype=np.float16)
    matrix[rows >= 0] = block[rows[rows >= 0]]
    np.save(target / f"{prefix}.npy", matrix)
    rows_path.unlink()
    return target


def test_block_order_is_not_slot_order(tmp_path: Path) -> None:
    """The premise: without the map, reading the block by slot would return wrong vectors."""
    churned(tmp_path / "v")
    rows = np.load(next((tmp_path / "v").glob("gen-*.rows.npy")))
    live = np.flatnonzero(rows >= 0)
    assert not np.array_equal(rows[live], live)
    assert not list((tmp_path / "v").glob("gen-*[0-9].npy"))  # no second copy of the vectors


def test_mapped_reads_equal_slot_ordered_reads(tmp_path: Path) -> None:
    writer, truth = churned(tmp_path / "v")  # in RAM, slot-ordered: the reference
    mapped = HnswIndex.open(tmp_path / "v", DIM, "m", exact_below=0)
    old = HnswIndex.open(as_old_layout(tmp_path / "v", tmp_path / "old"), DIM, "m", exact_below=0)
    assert mapped._rows is not None and old._rows is None and writer._rows is None
    ids = sorted(truth)
    for index in (writer, mapped, old):
        assert len(index) == len(truth)
        got = index.get_many([*ids, "absent"])
        assert set(got) == set(truth)
        for pid in ids[::7]:
            vector = index.get(pid)
            assert vector is not None and np.array_equal(vector, truth[pid].astype(np.float32))
            assert np.array_equal(got[pid], truth[pid].astype(np.float32))
    rng = np.random.default_rng(5)
    allowed = set(ids[::3])
    for q in unit(rng, 5):
        for filters in ("cat:cs.CL", "year:2021 OR cat:math.PR"):
            node = parse(filters).filters
            assert mapped.search_filtered(q, 15, node) == writer.search_filtered(q, 15, node)
            assert old.search_filtered(q, 15, node) == writer.search_filtered(q, 15, node)
        assert mapped.search(q, 10, allowed) == writer.search(q, 10, allowed) == old.search(q, 10, allowed)
        assert mapped.search(q, 10) == old.search(q, 10)  # the graph walk reads the same file
        expected = sorted(allowed, key=lambda pid: -float(truth[pid].astype(np.float32) @ q))[:10]
        assert [pid for pid, _ in mapped.search(q, 10, allowed)][:3] == expected[:3]


def test_writing_after_a_mapped_open_rebuilds_slot_order(tmp_path: Path) -> None:
    _, truth = churned(tmp_path / "v")
    index = HnswIndex.open(tmp_path / "v", DIM, "m")
    index.delete(["2401.00001"])
    truth.pop("2401.00001", None)
    assert index._rows is None  # copied into RAM in slot order
    for pid, vector in truth.items():
        got = index.get(pid)
        assert got is not None and np.array_equal(got, vector.astype(np.float32))
    index.save()
    reopened = HnswIndex.open(tmp_path / "v", DIM, "m")
    assert reopened._rows is not None
    assert all(np.array_equal(reopened.get_many(list(truth))[pid], v.astype(np.float32)) for pid, v in truth.items())


def test_an_old_layout_generation_upgrades_on_its_next_save(tmp_path: Path) -> None:
    churned(tmp_path / "v")
    old = as_old_layout(tmp_path / "v", tmp_path / "old")
    index = HnswIndex.open(old, DIM, "m")
    index.upsert(["new"], unit(np.random.default_rng(1), 1))
    index.save()
    names = sorted(f.name for f in old.glob("gen-*"))
    assert f"gen-{index.generation}.rows.npy" in names and f"gen-{index.generation}.npy" not in names


def test_republish_rewrites_an_old_generation_without_changing_it(tmp_path: Path) -> None:
    _, truth = churned(tmp_path / "v")
    old = HnswIndex.open(as_old_layout(tmp_path / "v", tmp_path / "old"), DIM, "m")
    before = old.generation
    queries = unit(np.random.default_rng(9), 3)
    hits = [old.search_filtered(q, 10, parse("cat:cs.LG").filters) for q in queries]
    old.republish()
    upgraded = HnswIndex.open(tmp_path / "old", DIM, "m")
    assert upgraded.generation == before + 1 and upgraded._rows is not None
    assert sorted(f.name for f in (tmp_path / "old").glob("gen-*"))[-1] == f"gen-{before + 1}.usearch"
    assert not (tmp_path / "old" / f"gen-{before + 1}.npy").exists()
    assert [upgraded.search_filtered(q, 10, parse("cat:cs.LG").filters) for q in queries] == hits
    got = upgraded.get_many(list(truth))
    assert all(np.array_equal(got[pid], v.astype(np.float32)) for pid, v in truth.items())


def test_a_generation_with_every_vector_deleted_reopens_and_takes_new_ones(tmp_path: Path) -> None:
    """usearch 2.25 segfaults adding to a restored graph whose every node was removed: a fresh
    graph replaces it (found while testing D75; the pre-D75 code crashed the same way)."""
    rng = np.random.default_rng(4)
    index = HnswIndex(tmp_path / "v", DIM, "m")
    index.upsert(["a", "b"], unit(rng, 2))
    index.delete(["a", "b"])
    index.save()
    reopened = HnswIndex.open(tmp_path / "v", DIM, "m")
    assert len(reopened) == 0
    vector = unit(rng, 1)
    reopened.upsert(["c"], vector)
    reopened.save()
    again = HnswIndex.open(tmp_path / "v", DIM, "m")
    got = again.get("c")
    assert len(again) == 1 and got is not None and np.array_equal(got, vector[0].astype(np.float16).astype(np.float32))
    assert [pid for pid, _ in again.search(vector[0], 5)] == ["c"]


def damage_rows(rows: np.ndarray) -> dict[str, np.ndarray]:
    live = int(np.flatnonzero(rows >= 0)[0])
    dead = int(np.flatnonzero(rows < 0)[0])
    out_of_range, live_gone, dead_alive = rows.copy(), rows.copy(), rows.copy()
    out_of_range[live] = 10**6
    live_gone[live] = -1
    dead_alive[dead] = 0
    return {
        "short": rows[:-1],
        "int64": rows.astype(np.int64),
        "out_of_range": out_of_range,
        "live_gone": live_gone,
        "dead_alive": dead_alive,
    }


@pytest.mark.parametrize("damage", ["short", "int64", "out_of_range", "live_gone", "dead_alive", "garbage"])
def test_a_damaged_rows_file_is_corrupt(tmp_path: Path, damage: str) -> None:
    writer, _ = churned(tmp_path / "v")
    rows_path = tmp_path / "v" / f"gen-{writer.generation}.rows.npy"
    if damage == "garbage":
        rows_path.write_bytes(b"garbage")
    else:
        np.save(rows_path, damage_rows(np.load(rows_path))[damage])
    with pytest.raises(VectorIndexCorrupt):
        HnswIndex.open(tmp_path / "v", DIM, "m")


@pytest.mark.parametrize("damage", ["truncated", "width", "rows"])
def test_a_damaged_usearch_file_is_corrupt(tmp_path: Path, damage: str) -> None:
    writer, _ = churned(tmp_path / "v")
    path = tmp_path / "v" / f"gen-{writer.generation}.usearch"
    data = bytearray(path.read_bytes())
    if damage == "truncated":
        del data[len(data) // 2 :]
    else:  # the header no longer describes the block
        header = np.frombuffer(bytes(data[:8]), dtype="<u4").copy()
        header[1 if damage == "width" else 0] += 1
        data[:8] = header.tobytes()
    path.write_bytes(bytes(data))
    with pytest.raises(VectorIndexCorrupt):
        HnswIndex.open(tmp_path / "v", DIM, "m")


def test_an_unrecognised_block_falls_back_to_the_matrix(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    rng = np.random.default_rng(3)
    matrix = unit(rng, 20).astype(np.float16)
    alive = np.ones(20, dtype=bool)
    foreign = tmp_path / "foreign.usearch"
    foreign.write_bytes(np.array([20, 7], dtype="<u4").tobytes() + b"\0" * 200)
    with caplog.at_level(logging.WARNING):
        assert vector_block.rows_for(foreign, matrix, alive) is None
    assert any("not matched" in m for m in caplog.messages)
    block = matrix[::-1].copy()
    block[3] += np.float16(0.5)  # one live vector missing from the block
    assert vector_block.locate(block, matrix, alive) is None
    rows = vector_block.locate(matrix[::-1].copy(), matrix, alive)
    assert rows is not None and np.array_equal(rows, np.arange(20)[::-1])


# Two-thread adds: random churn with them aborted usearch 2.25.3 (heap corruption in 2-3
# of 8 runs of this test) until `upsert` added on one thread while freed slots exist (D81).
OPS = st.lists(
    st.one_of(
        st.tuples(st.just("upsert"), st.lists(st.integers(0, 30), min_size=1, max_size=12), st.just(2)),
        st.tuples(st.just("delete"), st.lists(st.integers(0, 30), min_size=1, max_size=8), st.just(0)),
        st.tuples(st.just("save"), st.just([]), st.just(0)),
        st.tuples(st.just("reopen"), st.just([]), st.just(0)),
    ),
    max_size=14,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=OPS, seed=st.integers(0, 2**16))
def test_every_live_id_reads_its_last_upserted_vector(
    tmp_path_factory: pytest.TempPathFactory, ops: list[tuple[str, list[int], int]], seed: int
) -> None:
    directory = tmp_path_factory.mktemp("prop")
    rng = np.random.default_rng(seed)
    index = HnswIndex(directory, DIM, "m")
    saved: dict[str, np.ndarray] = {}
    current: dict[str, np.ndarray] = {}
    for op, keys, threads in ops:
        if op == "upsert":
            vectors = unit(rng, len(keys))
            index.upsert([f"k{k}" for k in keys], vectors, threads=threads)
            current.update({f"k{k}": v.astype(np.float16) for k, v in zip(keys, vectors, strict=True)})
        elif op == "delete":
            index.delete(f"k{k}" for k in keys)
            for k in keys:
                current.pop(f"k{k}", None)
        elif op == "save":
            index.save()
            saved = dict(current)
        else:  # a reopen sees the last save only
            index = HnswIndex.open(directory, DIM, "m")
            current = dict(saved)
        assert len(index) == len(current)
        for pid, vector in current.items():
            got = index.get(pid)
            assert got is not None and np.array_equal(got, vector.astype(np.float32))
    index.save()
    reopened = HnswIndex.open(directory, DIM, "m")
    assert reopened.get_many(list(current)).keys() == current.keys()
    for pid, vector in reopened.get_many(list(current)).items():
        assert np.array_equal(vector, current[pid].astype(np.float32))
