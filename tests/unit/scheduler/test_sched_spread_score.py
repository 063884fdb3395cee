"""PodTopologySpread's Score/NormalizeScore over label columns, against a node-by-node reference.

``score`` shares one running sum among the nodes without matching pods in their domain and
reads labels from ``ClusterCache.columns`` (kept while the node list and the nodes stay the
same): these tests compare it, on random clusters and counts, with the plain per-node loop it
replaced, including after node label changes (the columns must be dropped).
"""

from __future__ import annotations

import math
import random
from typing import Any

from minik8s.api import selectors
from minik8s.scheduler.cache import ClusterCache
from minik8s.scheduler.plugins.helper import MAX_NODE_SCORE
from minik8s.scheduler.plugins.podtopologyspread import (
    LABEL_HOSTNAME,
    PRE_SCORE_KEY,
    Constraint,
    PodTopologySpread,
)
from minik8s.scheduler.status import CycleState

ZONE = "topology.kubernetes.io/zone"
RACK = "example.com/rack"


def reference_score(constraints: list[Constraint], ignored: set[str], weights: list[float],
                    counts: list[dict[str, int]], nodes: list[Any]) -> list[int]:
    """The node-by-node Score (kube-scheduler's per-node loop)."""
    out = []
    for ni in nodes:
        if ni.name in ignored:
            out.append(0)
            continue
        total = 0.0
        for c, w, cnt in zip(constraints, weights, counts, strict=True):
            v = ni.labels.get(c.topology_key)
            if v is not None:
                key = ni.name if c.topology_key == LABEL_HOSTNAME else v
                total += cnt.get(key, 0) * w + float(c.max_skew - 1)
        out.append(math.floor(total + 0.5))
    return out


def reference_normalize(ignored: set[str], nodes: list[Any], scores: list[int]) -> list[int]:
    valid = [s for ni, s in zip(nodes, scores, strict=True) if ni.name not in ignored]
    if not valid:
        return [0] * len(scores)
    lo, hi = min(valid), max(0, max(valid))
    return [0 if ni.name in ignored else MAX_NODE_SCORE if hi == 0
            else MAX_NODE_SCORE * (hi + lo - s) // hi for ni, s in zip(nodes, scores, strict=True)]


def node(name: str, labels: dict[str, str]) -> dict[str, Any]:
    return {"metadata": {"name": name, "labels": labels},
            "status": {"allocatable": {"cpu": "4", "memory": "8Gi", "pods": "110"}}}


def random_labels(rng: random.Random, name: str, every_host: bool = False,
                  one_zone: bool = False) -> dict[str, str]:
    labels = {}
    if every_host or rng.random() < 0.9:
        labels[LABEL_HOSTNAME] = name
    if one_zone:
        labels[ZONE] = "z0"
    elif rng.random() < 0.6:
        labels[ZONE] = f"z{rng.randrange(3)}"
    if rng.random() < 0.3:
        labels[RACK] = f"r{rng.randrange(5)}"
    return labels


def random_counts(rng: random.Random, key: str, names: list[str]) -> dict[str, int]:
    domains = names + ["gone"] if key == LABEL_HOSTNAME else \
        ["z0", "z1", "z2", "r0", "r1", "r2", "r3", "r4", "other"]
    many = rng.random() < 0.3
    picked = rng.sample(domains, rng.randrange(0, len(domains) + 1) if many else
                        rng.randrange(0, min(4, len(domains)) + 1))
    return {d: rng.randrange(0, 6) for d in picked}


def check(rng: random.Random, cache: ClusterCache, pl: PodTopologySpread) -> None:
    nodes = list(cache.node_list())
    if rng.random() < 0.5:  # the walk's order turned, as from cycle to cycle
        k = rng.randrange(len(nodes))
        nodes = nodes[k:] + nodes[:k]
    else:
        rng.shuffle(nodes)
        nodes = nodes[: rng.randrange(1, len(nodes) + 1)]
    keys = rng.choices([LABEL_HOSTNAME, ZONE, RACK], k=rng.randrange(1, 4))  # repeats allowed
    constraints = [Constraint(rng.randrange(1, 6), k, selectors.EVERYTHING, 1, True, False)
                   for k in keys]
    names = [ni.name for ni in nodes]
    ignored = set(rng.sample(names, rng.randrange(0, min(3, len(names)) + 1))) \
        if rng.random() < 0.3 else set()
    weights = [math.log(rng.randrange(0, 120) + 2) for _ in keys]
    counts = [random_counts(rng, k, names) for k in keys]
    state = CycleState()
    state.write(PRE_SCORE_KEY, (constraints, ignored, weights, counts))
    got = pl.score(state, None, nodes)  # type: ignore[arg-type]
    want = reference_score(constraints, ignored, weights, counts, nodes)
    assert got == want, (keys, counts, ignored)
    assert pl.normalize_score(state, None, nodes, got) == reference_normalize(  # type: ignore[arg-type]
        ignored, nodes, want)


def test_score_matches_the_node_by_node_loop() -> None:
    rng = random.Random(7)
    for _ in range(100):
        cache = ClusterCache()
        names = [f"n{i}" for i in range(rng.randrange(1, 40))]
        every_host = rng.random() < 0.5  # as kubelets label them: the shared-sum path
        one_zone = every_host and rng.random() < 0.5
        for name in names:
            cache.add_node(node(name, random_labels(rng, name, every_host, one_zone)))
        pl = PodTopologySpread({}, cache)
        for _ in range(20):
            check(rng, cache, pl)
            if rng.random() < 0.3:  # relabel a node: the cached columns must go
                name = rng.choice(names)
                cache.update_node(node(name, random_labels(rng, name, every_host, one_zone)))


def test_columns_follow_node_changes() -> None:
    cache = ClusterCache()
    cache.add_node(node("a", {ZONE: "z1"}))
    cache.add_node(node("b", {}))
    nodes = cache.node_list()
    cols = cache.columns(nodes)
    assert cols.values(ZONE) == ([("z1" if ni.name == "a" else None) for ni in nodes], 1, 2)
    assert cache.columns(list(nodes)) is cols  # same nodes, no change: kept
    cache.update_node(node("b", {ZONE: "z2"}))
    nodes = cache.node_list()
    assert cache.columns(nodes).values(ZONE)[1:] == (0, 2)
    cache.remove_node("a")
    assert cache.columns(cache.node_list()).names == ["b"]


def test_turned_lists_share_the_columns() -> None:
    cache = ClusterCache()
    for i in range(5):
        cache.add_node(node(f"n{i}", {ZONE: f"z{i % 2}"} if i != 3 else {}))
    nodes = cache.node_list()
    base = cache.columns(nodes)
    turned = nodes[2:] + nodes[:2]
    cols = cache.columns(turned)
    assert cols.names == [ni.name for ni in turned]
    assert cols.values(ZONE) == ([ni.labels.get(ZONE) for ni in turned], 1, 3)
    assert [cols.position(ni.name) for ni in turned] == list(range(5))
    assert cache.columns(nodes).names == base.names  # and back
    assert cache.columns(nodes[1:]).names == [ni.name for ni in nodes[1:]]  # not a turn
