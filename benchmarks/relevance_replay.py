#!/usr/bin/env python3
"""Numpy replay of the hybrid ranking (issue 14, session 3) and the levers measured on it.

Reads the dump of benchmarks/relevance_dump.py; reproduces the product's hybrid nDCG@10 exactly
(convex fusion of the BM25F top 100 and the exact dense top 100, Rocchio from the fused top 3,
fused again) and measures, on all five collections:
  smoothing  score regularisation over the candidates (weight, neighbours, softmax temperature,
             before feedback too or only at the end) and its leave-one-collection-out choice;
  sdm        sequential dependence: ordered (slop 0) / unordered (slop 8) query-word pairs added
             to BM25F with small weights;
  tmm        theoretical-min-max normalisation (lower bound 0 for BM25 and/or a fixed cosine);
  ltr        logistic-regression fusion over per-query features, leave-one-collection-out.

    PYTHONPATH=src nice -n 15 .venv/bin/python benchmarks/relevance_dump.py \
        --homes /tmp/bench-homes-14 --out /tmp/replay14
    nice -n 15 .venv/bin/python benchmarks/relevance_replay.py /tmp/replay14 {smoothing,sdm,tmm,ltr}
"""
# ruff: noqa: E731, B023

import itertools
import pickle
import sys

import numpy as np

from papersift.search.fusion import minmax  # the product's own normalisation, replayed

ROOT = sys.argv[1] if len(sys.argv) > 1 else "/tmp/replay14"
NAMES = ["scifact", "nfcorpus-preprocessed", "cacm", "cisi", "cranfield"]
SHORT = {
    "scifact": "scifact",
    "nfcorpus-preprocessed": "nfcorpus",
    "cacm": "cacm",
    "cisi": "cisi",
    "cranfield": "cranfield",
}


class Coll:
    def __init__(self, name, root=ROOT):
        d = pickle.load(open(f"{root}/{name}.pkl", "rb"))
        z = np.load(f"{root}/{name}.npz")
        self.name = name
        self.ids = d["ids"]
        self.row = {p: i for i, p in enumerate(self.ids)}
        self.whole = z["whole"]
        self.length = z["length"]
        self.qrels = d["qrels"]
        strip = len(d["prefix"])
        self.q = {}
        for qid, f in d["queries"].items():
            g = {}
            for k in ("lex", "ti", "ab", "od", "uw"):
                g[k] = [(self.row[p[strip:]], s) for p, s in f[k] if p[strip:] in self.row]
            g["qvec"] = f["qvec"].astype(np.float32)
            g["ntok"] = f["ntok"]
            self.q[qid] = g

    def dense(self, qv, k=100):
        s = self.whole @ qv
        top = np.argpartition(-s, k)[:k]
        top = top[np.argsort(-s[top], kind="stable")]
        return [(int(i), float(s[i])) for i in top]


def convex(lex, den, a=0.5):
    L, D = minmax(lex), minmax(den)
    f = {d: a * D.get(d, 0.0) + (1 - a) * L.get(d, 0.0) for d in {*L, *D}}
    return sorted(f.items(), key=lambda kv: -kv[1])


def rocchio(q, fb, w=1.0):
    m = q + w * np.mean(np.stack(fb), axis=0)
    return m / np.linalg.norm(m)


def ndcg10(rels, ranked_rows, ids):
    gains = [rels.get(ids[r], 0) for r in ranked_rows[:10]]
    dcg = sum(g / np.log2(i + 2) for i, g in enumerate(gains) if g > 0)
    ideal = sorted([g for g in rels.values() if g > 0], reverse=True)[:10]
    idcg = sum(g / np.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg > 0 else 0.0


def product(c, qid, lexkey="lex", lex=None, alpha=0.5, fb=3):
    g = c.q[qid]
    lex = (lex if lex is not None else g[lexkey])[:100]
    den = c.dense(g["qvec"])
    fused = convex(lex, den, alpha)
    if fb and fused:
        q2 = rocchio(g["qvec"], [c.whole[d] for d, _ in fused[:fb]])
        den2 = c.dense(q2)
    else:
        q2, den2 = g["qvec"], den
    return convex(lex, den2, alpha), lex, den, den2, q2


def evaluate(c, rank_fn):
    vals = []
    for qid in c.q:
        ranked = rank_fn(c, qid)
        vals.append(ndcg10(c.qrels[qid], [d for d, _ in ranked], c.ids))
    return float(np.mean(vals)), np.array(vals)


def load_all():
    return {n: Coll(n) for n in NAMES}


def show(label, r):
    print(f"| {label} | " + " | ".join(f"{x:.4f}" for x in r) + f" | {np.mean(r):.4f} |", flush=True)


# --- smoothing --------------------------------------------------------------------------------
def smooth(c, fused, lam, k, n=100, temp=None):
    if lam == 0 or len(fused) < 2:
        return fused
    rows = np.array([d for d, _ in fused[:n]])
    s = np.array([x for _, x in fused[:n]], np.float32)
    V = c.whole[rows]
    S = V @ V.T
    np.fill_diagonal(S, -np.inf)
    kk = min(k, len(rows) - 1)
    nb = np.argpartition(-S, kk - 1, axis=1)[:, :kk]
    w = np.take_along_axis(S, nb, 1)
    w = np.exp((w - w.max(1, keepdims=True)) / temp) if temp else np.maximum(w, 0)
    w = w / np.maximum(w.sum(1, keepdims=True), 1e-9)
    s2 = (1 - lam) * s + lam * (w * s[nb]).sum(1)
    o = np.argsort(-s2, kind="stable")
    return [(int(rows[i]), float(s2[i])) for i in o] + list(fused[n:])


def smoothed(c, qid, lam, k, temp, both):
    g = c.q[qid]
    lex = g["lex"][:100]
    f = convex(lex, c.dense(g["qvec"]))
    if both:
        f = smooth(c, f, lam, k, 100, temp)
    q2 = rocchio(g["qvec"], [c.whole[d] for d, _ in f[:3]])
    return smooth(c, convex(lex, c.dense(q2)), lam, k, 100, temp)


def run_smoothing(cs):
    grid = itertools.product([0.05, 0.1, 0.15, 0.2, 0.3], [2, 3, 5, 10], [None, 0.05, 0.1], [False, True])
    rows = []
    for cfg in grid:
        r = [evaluate(c, lambda c, q: smoothed(c, q, *cfg))[0] for c in cs.values()]
        rows.append((cfg, np.array(r)))
        show(f"weight {cfg[0]}, {cfg[1]} neighbours, temperature {cfg[2]}, before feedback too {cfg[3]}", r)
    base = np.array([evaluate(c, lambda c, q: product(c, q)[0])[0] for c in cs.values()])
    loco = []
    for i in range(5):
        others = [j for j in range(5) if j != i]
        best = max(rows, key=lambda r: (r[1][others] - base[others]).mean())
        loco.append(best[1][i])
        print(f"held out {NAMES[i]}: chosen {best[0]} on the other four")
    show("leave-one-collection-out choice", loco)


# --- sequential dependence ----------------------------------------------------------------------
def sdm(g, wo, wu, n=1000):
    s = {}
    for key, w in (("lex", 1.0), ("od", wo), ("uw", wu)):
        for d, x in g[key]:
            s[d] = s.get(d, 0.0) + w * x
    # only docs matching the bag of words (lex) are kept: SDM adds to a BM25 match
    lexset = {d for d, _ in g["lex"]}
    out = sorted(((d, x) for d, x in s.items() if d in lexset), key=lambda kv: -kv[1])
    return out[:100]


def run_sdm(cs):
    for wo, wu in [(0.05, 0.05), (0.1, 0.1), (0.2, 0.1), (0.1, 0.2), (0.2, 0.2), (0.3, 0.3), (0, 0.2), (0.2, 0)]:
        show(
            f"lexical, ordered {wo} unordered {wu}",
            [evaluate(c, lambda c, q: sdm(c.q[q], wo, wu))[0] for c in cs.values()],
        )
        show(
            f"hybrid, ordered {wo} unordered {wu}",
            [evaluate(c, lambda c, q: product(c, q, lex=sdm(c.q[q], wo, wu))[0])[0] for c in cs.values()],
        )


# --- theoretical min-max ------------------------------------------------------------------------
def tmm(ranked, lo):
    if not ranked:
        return {}
    hi = max(s for _, s in ranked)
    return {d: (s - lo) / (hi - lo) if hi > lo else 1.0 for d, s in ranked}


def make(lexlo, denlo):
    def conv(lex, den, a=0.5):
        L = tmm(lex, lexlo) if lexlo is not None else minmax(lex)
        D = tmm(den, denlo) if denlo is not None else minmax(den)
        f = {d: a * D.get(d, 0.0) + (1 - a) * L.get(d, 0.0) for d in {*L, *D}}
        return sorted(f.items(), key=lambda kv: -kv[1])

    return conv


def run_tmm(cs):
    global convex
    plain = convex
    for lexlo, denlo in [(0.0, None), (None, 0.0), (0.0, 0.0), (0.0, 0.1), (0.0, 0.2), (None, 0.1), (None, 0.2)]:
        for a in (0.5, 0.6, 0.7):
            convex = make(lexlo, denlo)
            show(
                f"BM25 floor {lexlo}, cosine floor {denlo}, alpha {a}",
                [evaluate(c, lambda c, q: product(c, q, alpha=a)[0])[0] for c in cs.values()],
            )
    convex = plain


# --- learned fusion -----------------------------------------------------------------------------
FEATS = [
    "fused",
    "lex",
    "ti",
    "ab",
    "od",
    "uw",
    "cos",
    "cos2",
    "cosmm",
    "cos2mm",
    "rlex",
    "rden",
    "both",
    "loglen",
    "nbr",
]


def mm(x):
    lo, hi = x.min(), x.max()
    return (x - lo) / (hi - lo) if hi > lo else np.ones_like(x)


def query_features(c, qid):
    g = c.q[qid]
    fused, lex, den, den2, q2 = product(c, qid)
    cand = list(dict.fromkeys([d for d, _ in fused] + [d for d, _ in lex] + [d for d, _ in den]))
    rows = np.array(cand)
    F = np.zeros((len(cand), len(FEATS)), np.float32)
    fz = dict(fused)
    F[:, 0] = [fz.get(d, 0.0) for d in cand]
    for j, key in enumerate(["lex", "ti", "ab", "od", "uw"], start=1):
        dd = dict(g[key])
        v = np.array([dd.get(d, 0.0) for d in cand], np.float32)
        F[:, j] = v / v.max() if v.max() > 0 else v
    V = c.whole[rows]
    cos, cos2 = V @ g["qvec"], V @ q2
    F[:, 6], F[:, 7], F[:, 8], F[:, 9] = cos, cos2, mm(cos), mm(cos2)
    lr = {d: i for i, (d, _) in enumerate(g["lex"][:100])}
    dr = {d: i for i, (d, _) in enumerate(den2)}
    F[:, 10] = [1.0 / (60 + lr.get(d, 1000)) * 60 for d in cand]
    F[:, 11] = [1.0 / (60 + dr.get(d, 1000)) * 60 for d in cand]
    F[:, 12] = [float(d in lr and d in dr) for d in cand]
    F[:, 13] = np.log1p(c.length[rows])
    # neighbourhood: similarity-weighted mean fused score of the 5 nearest candidates
    S = V @ V.T
    np.fill_diagonal(S, -np.inf)
    k = min(5, len(cand) - 1)
    nb = np.argpartition(-S, k - 1, axis=1)[:, :k]
    F[:, 14] = F[nb, 0].mean(1)
    y = np.array([c.qrels[qid].get(c.ids[d], 0) for d in cand], np.float32)
    return rows, F, y


def run_ltr(cs):
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    D = {n: {q: query_features(c, q) for q in c.q} for n, c in cs.items()}
    idcg = {}
    for n, c in cs.items():
        for q, rels in c.qrels.items():
            ideal = sorted([g for g in rels.values() if g > 0], reverse=True)[:10]
            idcg[n, q] = sum(g / np.log2(i + 2) for i, g in enumerate(ideal))

    def coll_score(n, f):
        out = []
        for q, (_, F, y) in D[n].items():
            order = np.argsort(-f(F), kind="stable")[:10]
            dcg = sum(y[i] / np.log2(r + 2) for r, i in enumerate(order) if y[i] > 0)
            out.append(dcg / idcg[n, q] if idcg[n, q] > 0 else 0.0)
        return float(np.mean(out))

    def train(names, cols):
        X, Y, W = [], [], []
        for n in names:
            for _, F, y in D[n].values():
                X.append(F[:, cols])
                Y.append(y > 0)
                W.append(np.full(len(y), 1.0 / (len(D[n]) * len(y))))
        X, Y, W = np.vstack(X), np.concatenate(Y), np.concatenate(W)
        sc = StandardScaler().fit(X)
        return sc, LogisticRegression(C=1.0, max_iter=2000).fit(sc.transform(X), Y, sample_weight=W * len(W))

    sets = {
        "dense + feedback cosines + BM25F": ["lex", "cos", "cos2"],
        "the same + their per-query min-max": ["lex", "cosmm", "cos2mm", "cos", "cos2"],
        "fused score + neighbours' score": ["fused", "nbr"],
        "all features": FEATS,
        "all but neighbours": [f for f in FEATS if f != "nbr"],
    }
    for label, fs in sets.items():
        cols = [FEATS.index(f) for f in fs]
        loco = []
        for n in NAMES:
            sc, m = train([x for x in NAMES if x != n], cols)
            loco.append(coll_score(n, lambda F: m.decision_function(sc.transform(F[:, cols]))))
        show(f"logistic fusion, {label} (leave-one-collection-out)", loco)


if __name__ == "__main__":
    cs = load_all()
    print("| lever | " + " | ".join(SHORT[n] for n in NAMES) + " | mean |")
    show("product hybrid (replayed)", [evaluate(c, lambda c, q: product(c, q)[0])[0] for c in cs.values()])
    for what in sys.argv[2:]:
        globals()[f"run_{what}"](cs)
