#!/usr/bin/env python3
"""Issue 14, session 4: the levers left after D57/D58, replayed in numpy on all five collections.

Starts from the shipped hybrid ranking (convex fusion of the BM25F top 100 and the exact dense top
100, score smoothing D57, Rocchio from the smoothed top 3, fused and smoothed again), reproduced
from the dump of benchmarks/relevance_dump.py, and measures:
  passages   a paper's dense score = max(whole vector, best passage) (D42's passages, cut and
             embedded by benchmarks/relevance_passages.py), now together with smoothing; also
             the Rocchio step fed from each feedback paper's best passage;
  expand     neighbour expansion: the nearest corpus neighbours of the fused top m that neither
             list retrieved join the candidates with a smoothed score;
  lambdarank LightGBM lambdarank over a few per-query-normalised, monotone features,
             leave-one-collection-out (train on four collections, test on the fifth);
  residual   the same trees as a correction boosted from a multiple of the shipped score;
  full       full-information fusion: a candidate missing from one list gets its real score there;
  lists      the first dense list kept as a third list in the final fusion (CombSUM of q and q');
  manifold   the smoothing step iterated (toward manifold ranking);
  prior      a document-length prior on the re-scored head;
  failures   where SciFact's (and every collection's) first relevant paper lands, and why.

    PYTHONPATH=src:benchmarks nice -n 15 .venv/bin/python benchmarks/relevance_session4.py \
        /tmp/replay14 --passages /tmp/passages-14 passages lambdarank residual
    PYTHONPATH=src:benchmarks nice -n 15 .venv/bin/python benchmarks/relevance_session4.py \
        /tmp/replay14 lists expand full manifold prior failures

Hybrid nDCG@10 per collection and their unweighted mean; figures in
benchmarks/results/relevance.md, "Session 4".
"""
# ruff: noqa: E731, B023

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from relevance_replay import NAMES, SHORT, Coll, convex, ndcg10, rocchio, show, smooth

SMOOTH = (0.15, 2, 0.1)  # the shipped setting (search/smoothing.py)


class Passages:
    """Best-passage cosines of every paper for a query vector (papers without passages: whole only)."""

    def __init__(self, c: Coll, path: Path) -> None:
        z = np.load(path)
        self.vectors, self.owner = z["vectors"].astype(np.float32), z["owner"]
        self.starts = np.flatnonzero(np.r_[True, self.owner[1:] != self.owner[:-1]])
        self.rows = self.owner[self.starts]
        assert self.rows.max() < len(c.ids)

    def scores(self, whole: np.ndarray, q: np.ndarray, mode: str) -> np.ndarray:
        s = whole @ q
        if mode == "whole" or not len(self.rows):
            return s
        best = np.maximum.reduceat(self.vectors @ q, self.starts)
        s[self.rows] = np.maximum(s[self.rows], best) if mode == "max" else (s[self.rows] + best) / 2
        return s

    def best_vector(self, row: int, q: np.ndarray) -> np.ndarray | None:
        i = np.searchsorted(self.rows, row)
        if i >= len(self.rows) or self.rows[i] != row:
            return None
        end = self.starts[i + 1] if i + 1 < len(self.starts) else len(self.owner)
        block = self.vectors[self.starts[i] : end]
        return block[int(np.argmax(block @ q))]


def top(s: np.ndarray, k: int = 100) -> list[tuple[int, float]]:
    t = np.argpartition(-s, k)[:k]
    t = t[np.argsort(-s[t], kind="stable")]
    return [(int(i), float(s[i])) for i in t]


def full_fusion(c, g, lex, den, q, fill, norm):
    """Convex fusion where a candidate missing from one list gets its real score there (its cosine
    to `q` from its stored vector; its BM25F from the 1000-deep dump, 0 beyond) instead of the
    list's floor, normalised by the list's own top-100 statistics (min-max, or z-score)."""
    L, D = dict(lex), dict(den)
    cands = {*L, *D}
    deep = dict(g["lex"])
    stats = lambda v: (
        (0.0, 0.0) if not v else (min(v), max(v) - min(v)) if norm == "minmax" else (np.mean(v), np.std(v))
    )
    (l0, ls), (d0, ds) = stats(list(L.values())), stats(list(D.values()))
    out = []
    for d in cands:
        dv = D.get(d, float(c.whole[d] @ q) if fill in ("dense", "both") else None)
        lv = L.get(d, deep.get(d, 0.0) if fill in ("lexical", "both") else None)
        dn = (dv - d0) / ds if dv is not None and ds > 0 else 0.0
        ln = (lv - l0) / ls if lv is not None and ls > 0 else 0.0
        if norm == "minmax":  # as the product: a missing score is 0 after normalisation
            dn = dn if dv is not None else 0.0
            ln = ln if lv is not None else 0.0
        out.append((d, 0.5 * dn + 0.5 * ln))
    return sorted(out, key=lambda kv: -kv[1])


def ranking(
    c,
    qid,
    mode="whole",
    lam=SMOOTH,
    fb_passage=False,
    third=False,
    expand=None,
    full=None,
    iters=1,
    prior=0.0,
    detail=False,
):
    """The shipped hybrid ranking with the session-4 options; `detail` also returns its parts."""
    g = c.q[qid]
    P = c.passages
    dense = lambda q: top(P.scores(c.whole, q, mode) if P else c.whole @ q)
    lex = g["lex"][:100]
    den1 = dense(g["qvec"])
    fuse = (
        (lambda lx, dn, q: convex(lx, dn)) if full is None else (lambda lx, dn, q: full_fusion(c, g, lx, dn, q, *full))
    )
    sm = lambda f, depth=100: _iterate(lambda x: smooth(c, x, lam[0], lam[1], depth, lam[2]), f, iters)
    f = sm(fuse(lex, den1, g["qvec"]))
    fb = []
    for d, _ in f[:3]:
        v = P.best_vector(d, g["qvec"]) if (fb_passage and P) else None
        fb.append(c.whole[d] if v is None else v)
    q2 = rocchio(g["qvec"], fb)
    den2 = dense(q2)
    fused = fuse(lex, den2, q2)
    if third:  # CombSUM of the normalised lexical, first dense and second dense lists
        from papersift.search.fusion import minmax

        L, D1, D2 = minmax(lex), minmax(den1), minmax(den2)
        fused = sorted(
            ((d, 0.5 * L.get(d, 0.0) + 0.25 * D1.get(d, 0.0) + 0.25 * D2.get(d, 0.0)) for d in {*L, *D1, *D2}),
            key=lambda kv: -kv[1],
        )
    depth = 100
    if expand:
        fused, depth = expanded(c, fused, *expand)
    final = sm(fused, depth)
    if prior:  # a document-length prior (Kraaij et al. 2002; Singhal et al. 1996) on the re-scored head
        head = final[:depth]
        ln = np.log1p(c.length[[d for d, _ in head]])
        ln = ln / max(float(ln.max()), 1e-9)
        head = sorted(((d, s + prior * x) for (d, s), x in zip(head, ln, strict=True)), key=lambda kv: -kv[1])
        final = head + list(final[depth:])
    return (final, lex, den1, den2, q2) if detail else final


def _iterate(step, x, n):
    for _ in range(n):
        x = step(x)
    return x


def expanded(c, fused, seeds, per_seed):
    """Neighbour expansion: each of the top `seeds` fused papers' `per_seed` nearest corpus
    neighbours (stored vectors) that are not candidates join with fused score 0, so only the
    smoothing step can lift them (by their neighbours' scores)."""
    have = {d for d, _ in fused}
    new: list[int] = []
    for d, _ in fused[:seeds]:
        s = c.whole @ c.whole[d]
        s[d] = -np.inf
        added = 0
        for n in np.argsort(-s)[: per_seed + 30]:
            if int(n) not in have and int(n) not in new:
                new.append(int(n))
                added += 1
                if added == per_seed:
                    break
    return list(fused[:100]) + [(n, 0.0) for n in new] + list(fused[100:]), 100 + len(new)


def evaluate(c, fn):
    return float(np.mean([ndcg10(c.qrels[q], [d for d, _ in fn(c, q)], c.ids) for q in c.q]))


def run_row(cs, label, fn):
    r = [evaluate(c, fn) for c in cs.values()]
    show(label, r)
    return np.array(r)


def run_passages(cs):
    have = [n for n, c in cs.items() if c.passages]
    print(f"(passages available for: {', '.join(have)}; the others score by the whole vector)")
    run_row(cs, "max(whole, best passage), smoothing on", lambda c, q: ranking(c, q, "max"))
    run_row(cs, "mean(whole, best passage), smoothing on", lambda c, q: ranking(c, q, "mix"))
    run_row(cs, "max, feedback from best passages", lambda c, q: ranking(c, q, "max", fb_passage=True))
    run_row(cs, "whole, feedback from best passages", lambda c, q: ranking(c, q, "whole", fb_passage=True))
    run_row(cs, "max, smoothing off", lambda c, q: ranking(c, q, "max", lam=(0, 2, 0.1)))


def run_expand(cs):
    for seeds, per in [(5, 2), (10, 2), (5, 5), (10, 5)]:
        run_row(cs, f"expand: {per} neighbours of the top {seeds}", lambda c, q: ranking(c, q, expand=(seeds, per)))
    for w in (0.3, 0.5):
        run_row(
            cs,
            f"expand: 2 neighbours of the top 10, smoothing weight {w}",
            lambda c, q: ranking(c, q, lam=(w, 2, 0.1), expand=(10, 2)),
        )


def run_full(cs):
    for fill in ("dense", "lexical", "both"):
        for norm in ("minmax", "z"):
            run_row(
                cs, f"full-information fusion: {fill} filled in, {norm}", lambda c, q: ranking(c, q, full=(fill, norm))
            )
    run_row(cs, "z-score, nothing filled in", lambda c, q: ranking(c, q, full=("none", "z")))


def run_manifold(cs):
    for w, n in [(0.15, 2), (0.1, 2), (0.1, 3), (0.075, 3)]:
        run_row(cs, f"smoothing iterated {n} times, weight {w}", lambda c, q: ranking(c, q, lam=(w, 2, 0.1), iters=n))


def run_prior(cs):
    for beta in (0.02, 0.05):
        run_row(
            cs, f"document-length prior, {beta} x log(1 + length) / query's max", lambda c, q: ranking(c, q, prior=beta)
        )


def run_failures(cs):
    """Where the first relevant paper lands in the shipped ranking, and who put the paper above it."""
    for n, c in cs.items():
        at = {0: 0, 1: 0, "2-9": 0, "10+ or missing": 0}
        both_first = 0
        for q in c.q:
            final, lex, _, den2, _ = ranking(c, q, detail=True)
            rel = {c.row[d] for d, x in c.qrels[q].items() if x > 0 and d in c.row}
            r = next((i for i, (d, _) in enumerate(final) if d in rel), 10**6)
            at[r if r < 2 else "2-9" if r < 10 else "10+ or missing"] += 1
            if r > 0 and lex and den2 and final[0][0] == lex[0][0] == den2[0][0]:
                both_first += 1
        print(
            f"{SHORT[n]}: first relevant paper at rank 1/2/3-10/beyond: {at[0]}/{at[1]}/{at['2-9']}/"
            f"{at['10+ or missing']} of {len(c.q)}; top paper not relevant and first in both lists: {both_first}"
        )


def run_lists(cs):
    run_row(
        cs, "final fusion over lexical, dense(q), dense(q') (0.5/0.25/0.25)", lambda c, q: ranking(c, q, third=True)
    )


# --- LightGBM lambdarank ------------------------------------------------------------------------
LAMBDARANK_SETS: dict[str, list[str]] | None = None  # the follow-up run's sets (main's "lambdarank2")
RESIDUAL_GRID = [(10.0, 20), (10.0, 50), (3.0, 50), (1.0, 50)]  # (scale of the shipped score, trees)
LTR_FEATS = ["fused", "lexmm", "lexrel", "cos", "cos2", "cos2mm", "pmax", "rlex", "rden", "both"]


def ltr_features(c, qid):
    """Candidates (the final fused list) and per-query-normalised features, all monotone increasing."""
    final, lex, den1, den2, q2 = ranking(c, qid, detail=True)
    g = c.q[qid]
    rows = np.array([d for d, _ in final])
    F = np.zeros((len(rows), len(LTR_FEATS)), np.float32)
    F[:, 0] = [s for _, s in final]
    lx = dict(lex)
    lv = np.array([lx.get(d, 0.0) for d in rows], np.float32)
    lo = min(lx.values()) if lx else 0.0
    hi = max(lx.values()) if lx else 1.0
    F[:, 1] = np.where(lv > 0, (lv - lo) / max(hi - lo, 1e-9), 0.0)
    F[:, 2] = lv / max(hi, 1e-9)
    V = c.whole[rows]
    cos, cos2 = V @ g["qvec"], V @ q2
    F[:, 3] = cos - cos.max()
    F[:, 4] = cos2 - cos2.max()
    F[:, 5] = (cos2 - cos2.min()) / max(cos2.max() - cos2.min(), 1e-9)
    pm = c.passages.scores(c.whole, g["qvec"], "max")[rows] if c.passages else cos
    F[:, 6] = pm - pm.max()
    lr = {d: i for i, (d, _) in enumerate(lex)}
    dr = {d: i for i, (d, _) in enumerate(den2)}
    F[:, 7] = [1.0 / (1 + lr.get(d, 1000)) for d in rows]
    F[:, 8] = [1.0 / (1 + dr.get(d, 1000)) for d in rows]
    F[:, 9] = [float(d in lr and d in dr) for d in rows]
    y = np.array([c.qrels[qid].get(c.ids[d], 0) for d in rows], np.int32)
    return F, y


def run_lambdarank(cs, residual=False):
    """From scratch (default) or, `residual`, as a correction of the shipped score; LOCO either way."""
    import lightgbm as lgb

    data = {n: [ltr_features(c, q) for q in c.q] for n, c in cs.items()}
    params = dict(
        objective="lambdarank",
        metric="ndcg",
        eval_at=[10],
        learning_rate=0.05,
        num_leaves=7,
        min_data_in_leaf=200,
        lambda_l2=10.0,
        feature_fraction=1.0,
        bagging_fraction=0.8,
        bagging_freq=1,
        label_gain=[0, 1, 2, 3, 4],
        lambdarank_truncation_level=20,
        num_threads=1,
        verbose=-1,
        seed=14,
    )

    def fit(names, cols, rounds, base=0.0):
        """base > 0: boost from base * the shipped score (the trees learn only a correction)."""
        X, y, grp, w = [], [], [], []
        for n in names:
            for F, yy in data[n]:
                X.append(F[:, cols])
                y.append(yy)
                grp.append(len(yy))
                w.append(np.full(len(yy), 1.0 / len(data[n])))  # each collection weighs the same
        w = np.concatenate(w)
        X = np.vstack(X)
        init = base * X[:, 0] if base else None
        ds = lgb.Dataset(X, np.concatenate(y), group=grp, weight=w / w.mean(), init_score=init)
        p = dict(params, monotone_constraints=[1] * len(cols), monotone_constraints_method="advanced")
        return lgb.train(p, ds, num_boost_round=rounds)

    def score(n, model, cols, base=0.0):
        out = []
        c = cs[n]
        for (F, yy), q in zip(data[n], c.q, strict=True):
            order = np.argsort(-(model.predict(F[:, cols]) + base * F[:, cols[0]]), kind="stable")[:10]
            rels = c.qrels[q]
            ideal = sorted([x for x in rels.values() if x > 0], reverse=True)[:10]
            idcg = sum(x / np.log2(i + 2) for i, x in enumerate(ideal))
            dcg = sum(yy[i] / np.log2(r + 2) for r, i in enumerate(order) if yy[i] > 0)
            out.append(dcg / idcg if idcg > 0 else 0.0)
        return float(np.mean(out))

    sets = {
        "fused, BM25F, cosines": ["fused", "lexmm", "cos", "cos2"],
        "the same + ranks + agreement": ["fused", "lexmm", "cos", "cos2", "rlex", "rden", "both"],
        "the same + best passage": ["fused", "lexmm", "cos", "cos2", "rlex", "rden", "both", "pmax"],
        "BM25F, cosines, best passage (no fused)": ["lexmm", "lexrel", "cos", "cos2", "cos2mm", "pmax"],
    }
    if not residual:
        for label, fs in sets.items() if LAMBDARANK_SETS is None else LAMBDARANK_SETS.items():
            cols = [LTR_FEATS.index(f) for f in fs]
            for rounds in (50, 200) if LAMBDARANK_SETS is None else (200, 400):
                loco = [score(n, fit([x for x in NAMES if x != n], cols, rounds), cols) for n in NAMES]
                show(f"lambdarank {rounds} trees, {label} (leave-one-collection-out)", loco)
        return
    for fs in (["fused", "lexmm", "cos", "cos2"], ["fused", "lexmm", "cos", "cos2", "pmax"]):
        cols = [LTR_FEATS.index(f) for f in fs]
        for base, rounds in RESIDUAL_GRID:
            loco = [score(n, fit([x for x in NAMES if x != n], cols, rounds, base), cols, base) for n in NAMES]
            show(
                f"lambdarank correction of {base:g} x the shipped score, {rounds} trees over {', '.join(fs)} (LOCO)",
                loco,
            )


def run_lambdarank2(cs):
    """Follow-up of the one from-scratch set that lifted SciFact: is it the passages or the model?"""
    global LAMBDARANK_SETS
    LAMBDARANK_SETS = {
        "BM25F, cosines (no fused, no passage)": ["lexmm", "lexrel", "cos", "cos2", "cos2mm"],
        "BM25F, cosines, best passage (no fused)": ["lexmm", "lexrel", "cos", "cos2", "cos2mm", "pmax"],
    }
    run_lambdarank(cs)


def run_residual(cs):
    run_lambdarank(cs, residual=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("root")
    ap.add_argument("levers", nargs="*")
    ap.add_argument("--passages", default="", help="comma-separated folders of <collection>.npz passage vectors")
    args = ap.parse_intermixed_args()
    cs = {}
    for n in NAMES:
        c = Coll(n, args.root)
        c.passages = None
        for folder in filter(None, args.passages.split(",")):
            if (Path(folder) / f"{n}.npz").exists():
                c.passages = Passages(c, Path(folder) / f"{n}.npz")
        cs[n] = c
    print("| lever | " + " | ".join(SHORT[n] for n in NAMES) + " | mean |")
    print("|---|---|---|---|---|---|---|")
    run_row(cs, "shipped hybrid (D57, replayed)", lambda c, q: ranking(c, q))
    for lever in args.levers:
        globals()[f"run_{lever}"](cs)


if __name__ == "__main__":
    main()
