"""Properties over random clusters and pods.

* a chosen node passes every Filter; a pod stays unscheduled only if no node does;
* the chunked, reordered filter walk stops exactly where a node-by-node walk would;
* identical inputs and seed give identical placements;
* once preemption's victims are gone, the pod fits on the node it was nominated to;
* after placing a random sequence of pods (each assumed), no node is over its allocatable;
* InterPodAffinity and PodTopologySpread, which read the cache's incremental
  aggregates, agree with a brute-force walk over every pod (kube-scheduler's way),
  also after random pod and node-label churn.
"""

from __future__ import annotations

import random
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sched_builders import HOSTNAME, ZONE, cluster, make_node, make_pod

from minik8s.api import selectors
from minik8s.scheduler.cache import ClusterCache
from minik8s.scheduler.framework import Framework, num_feasible_nodes_to_find
from minik8s.scheduler.nodeinfo import NodeInfo
from minik8s.scheduler.plugins import interpodaffinity as ipa
from minik8s.scheduler.plugins import podtopologyspread as pts
from minik8s.scheduler.plugins.tainttoleration import untolerated_taint
from minik8s.scheduler.podinfo import PodInfo
from minik8s.scheduler.preemption import preempt
from minik8s.scheduler.profile import PluginSpec, Profile

SETTINGS = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
APPS = ["a", "b", "c"]
KEYS = [HOSTNAME, ZONE]
TAINTS = [{"key": "dedicated", "value": "gpu", "effect": "NoSchedule"},
          {"key": "spot", "value": "", "effect": "NoExecute"},
          {"key": "slow", "value": "yes", "effect": "PreferNoSchedule"}]
TOLERATIONS = [{"key": "dedicated", "operator": "Equal", "value": "gpu", "effect": "NoSchedule"},
               {"key": "spot", "operator": "Exists"}, {"operator": "Exists"},
               {"key": "slow", "operator": "Exists", "effect": "PreferNoSchedule"}]


@st.composite
def nodes(draw: Any, max_nodes: int = 7) -> list[dict[str, Any]]:
    out = []
    for i in range(draw(st.integers(1, max_nodes))):
        labels = {}
        if draw(st.booleans()) or i == 0:
            labels[ZONE] = draw(st.sampled_from(["z1", "z2", "z3"]))
        if draw(st.booleans()):
            labels["env"] = draw(st.sampled_from(["dev", "prod"]))
        if draw(st.booleans()):
            labels["cores"] = str(draw(st.integers(1, 64)))
        out.append(make_node(f"n{i}", labels=labels,
                             taints=draw(st.lists(st.sampled_from(TAINTS), max_size=2, unique_by=str)),
                             cpu=f"{draw(st.integers(1, 4))}", memory=f"{draw(st.integers(1, 8))}Gi",
                             pods=str(draw(st.integers(1, 6))), unschedulable=draw(st.booleans())
                             and draw(st.booleans())))
    return out


def _node_affinity(draw: Any) -> dict[str, Any]:
    op = draw(st.sampled_from(["In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt"]))
    if op in ("Gt", "Lt"):
        expr = {"key": "cores", "operator": op, "values": [str(draw(st.integers(0, 64)))]}
    elif op in ("In", "NotIn"):
        expr = {"key": "env", "operator": op,
                "values": draw(st.lists(st.sampled_from(["dev", "prod"]), min_size=1, unique=True))}
    else:
        expr = {"key": draw(st.sampled_from(["env", "cores", ZONE])), "operator": op}
    return {"requiredDuringSchedulingIgnoredDuringExecution": {
        "nodeSelectorTerms": [{"matchExpressions": [expr]}]}}


def _term(draw: Any) -> dict[str, Any]:
    term: dict[str, Any] = {"labelSelector": {"matchLabels": {"app": draw(st.sampled_from(APPS))}},
                            "topologyKey": draw(st.sampled_from(KEYS))}
    ns = draw(st.sampled_from([None, ["default"], ["other"], "selector", "all"]))
    if ns == "selector":
        term["namespaceSelector"] = {"matchLabels": {"team": "x"}}
    elif ns == "all":
        term["namespaceSelector"] = {}
    elif ns:
        term["namespaces"] = ns
    return term


@st.composite
def pods(draw: Any, name: str = "p", constraints: bool = True) -> dict[str, Any]:
    spec: dict[str, Any] = {}
    if draw(st.booleans()):
        spec["tolerations"] = draw(st.lists(st.sampled_from(TOLERATIONS), max_size=2, unique_by=str))
    affinity: dict[str, Any] = {}
    if draw(st.integers(0, 3)) == 0:
        spec["nodeSelector"] = {"env": draw(st.sampled_from(["dev", "prod"]))}
    if draw(st.integers(0, 3)) == 0:
        affinity["nodeAffinity"] = _node_affinity(draw)
    if constraints and draw(st.integers(0, 2)) == 0:
        kind = draw(st.sampled_from(["podAffinity", "podAntiAffinity"]))
        affinity[kind] = {"requiredDuringSchedulingIgnoredDuringExecution": [
            _term(draw) for _ in range(draw(st.integers(1, 2)))]}
    if constraints and draw(st.integers(0, 3)) == 0:
        affinity.setdefault("podAffinity", {})["preferredDuringSchedulingIgnoredDuringExecution"] = [
            {"weight": draw(st.integers(1, 100)), "podAffinityTerm": _term(draw)}]
    if affinity:
        spec["affinity"] = affinity
    if constraints and draw(st.integers(0, 2)) == 0:
        spec["topologySpreadConstraints"] = [{
            "maxSkew": draw(st.integers(1, 2)), "topologyKey": draw(st.sampled_from(KEYS)),
            "whenUnsatisfiable": draw(st.sampled_from(["DoNotSchedule", "ScheduleAnyway"])),
            "labelSelector": {"matchLabels": {"app": draw(st.sampled_from(APPS))}},
            **({"minDomains": draw(st.integers(1, 4))} if draw(st.booleans()) else {}),
            **({"nodeAffinityPolicy": "Ignore"} if draw(st.booleans()) else {}),
            **({"nodeTaintsPolicy": "Honor"} if draw(st.booleans()) else {}),
        }]
    namespace = draw(st.sampled_from(["default", "default", "other"]))
    return make_pod(name, namespace=namespace, labels={"app": draw(st.sampled_from(APPS))},
                    cpu=f"{draw(st.integers(0, 20)) * 100}m", memory=f"{draw(st.integers(0, 8)) * 256}Mi",
                    priority=draw(st.integers(0, 3)), **spec)


NS_LABELS = {"other": {"team": "x"}, "default": {}}


def build(node_list: list[dict[str, Any]], seed: int = 0, profile: Profile | None = None) -> Framework:
    kw: dict[str, Any] = {"namespace_labels": NS_LABELS.get}
    if profile is not None:
        kw["profile"] = profile
    return cluster(node_list, seed=seed, **kw)


@SETTINGS
@given(nodes(), st.lists(pods(), min_size=1, max_size=8))
def test_a_chosen_node_passes_every_filter_and_a_pod_waits_only_if_none_does(
        node_list: list[dict[str, Any]], pod_list: list[dict[str, Any]]) -> None:
    fw = build(node_list)
    for i, pod in enumerate(pod_list):
        pod["metadata"]["name"] = pod["metadata"]["uid"] = f"p{i}"
        verdicts = fw.evaluate(pod)
        r = fw.schedule(pod)
        if r.node is not None:
            assert verdicts[r.node] is None
            fw.cache.assume(r.pod_info, r.node)  # type: ignore[arg-type]
        else:
            assert not r.error
            assert all(v is not None for v in verdicts.values())
            assert r.diagnosis == {n: list(v.reasons) for n, v in verdicts.items()}  # type: ignore[union-attr]


@SETTINGS
@given(nodes(), st.lists(pods(), min_size=1, max_size=10), st.integers(0, 2**32))
def test_identical_inputs_and_seed_place_identically(node_list: list[dict[str, Any]],
                                                     pod_list: list[dict[str, Any]], seed: int) -> None:
    def run() -> list[str | None]:
        fw = build(node_list, seed)
        out = []
        for i, pod in enumerate(pod_list):
            pod["metadata"]["uid"] = f"u{i}"
            r = fw.schedule(pod)
            if r.node:
                fw.cache.assume(r.pod_info, r.node)  # type: ignore[arg-type]
            out.append(r.node)
        return out
    assert run() == run()


@SETTINGS
@given(nodes(), st.lists(pods(constraints=False), min_size=1, max_size=25))
def test_placed_pods_never_exceed_any_nodes_allocatable(node_list: list[dict[str, Any]],
                                                        pod_list: list[dict[str, Any]]) -> None:
    fw = build(node_list)
    for i, pod in enumerate(pod_list):
        pod["metadata"]["uid"] = f"u{i}"
        r = fw.schedule(pod)
        if r.node:
            fw.cache.assume(r.pod_info, r.node)  # type: ignore[arg-type]
    for ni in fw.cache.node_list():
        placed = list(ni.pods.values())
        assert len(placed) <= ni.alloc_pods
        assert sum(p.cpu for p in placed) <= ni.alloc_cpu
        assert sum(p.mem for p in placed) <= ni.alloc_mem


# --- brute-force references for the aggregate-based plugins --------------------------------------

def _pods_on(cache: ClusterCache) -> list[tuple[PodInfo, NodeInfo]]:
    return [(p, ni) for ni in cache.node_list() for p in ni.pods.values()]


def reference_inter_pod_affinity(cache: ClusterCache, pod: PodInfo, node: NodeInfo) -> str | None:
    """kube-scheduler's filter, walking every pod of every node."""
    nsl = cache.namespace_labels
    placed = _pods_on(cache)
    labels = node.labels
    terms = pod.required_affinity
    if terms:
        matching = [(q, qn) for q, qn in placed if all(t.matches(q, nsl) for t in terms)]
        exist = True
        for t in terms:
            if t.topology_key not in labels:
                return ipa.ERR_REASON_AFFINITY
            if not any(qn.labels.get(t.topology_key) == labels[t.topology_key] for _, qn in matching):
                exist = False
        if not exist:
            anywhere = any(t.topology_key in qn.labels for _, qn in matching for t in terms)
            if anywhere or not all(t.matches(pod, nsl) for t in terms):
                return ipa.ERR_REASON_AFFINITY
    for t in pod.required_anti_affinity:
        v = labels.get(t.topology_key)
        if v is not None and any(t.matches(q, nsl) and qn.labels.get(t.topology_key) == v
                                 for q, qn in placed):
            return ipa.ERR_REASON_ANTI_AFFINITY
    for q, qn in placed:
        for t in q.required_anti_affinity:
            v = qn.labels.get(t.topology_key)
            if v is not None and labels.get(t.topology_key) == v and t.matches(pod, nsl):
                return ipa.ERR_REASON_EXISTING_ANTI_AFFINITY
    return None


def reference_topology_spread(cache: ClusterCache, pod: PodInfo, node: NodeInfo) -> str | None:
    from minik8s.scheduler.nodeselector import RequiredNodeAffinity
    constraints = pts.constraints_for(pod.spec.get("topologySpreadConstraints"), pod.labels,
                                      pts.DO_NOT_SCHEDULE)
    required = RequiredNodeAffinity(pod.spec)
    keys = [c.topology_key for c in constraints]
    for c in constraints:
        counts: dict[str, int] = {}
        for ni in cache.node_list():
            if not all(k in ni.labels for k in keys):
                continue
            if c.honor_affinity and not required.matches(ni.name, ni.labels):
                continue
            if c.honor_taints and untolerated_taint(ni.hard_taints, pod.tolerations):
                continue
            v = ni.labels[c.topology_key]
            counts[v] = counts.get(v, 0) + sum(
                1 for q in ni.pods.values() if q.namespace == pod.namespace and not q.terminating
                and c.selector.matches(q.labels))
        minimum = min(counts.values()) if counts else pts.MAX_INT32
        if len(counts) < c.min_domains:
            minimum = 0
        v = node.labels.get(c.topology_key)
        if v is None:
            return pts.ERR_REASON_NODE_LABEL_NOT_MATCH
        self_match = 1 if c.selector.matches(pod.labels) else 0
        if counts.get(v, 0) + self_match - minimum > c.max_skew:
            return pts.ERR_REASON_CONSTRAINTS_NOT_MATCH
    return None


ONLY_IPA = Profile(plugins=(PluginSpec("InterPodAffinity", 2),))
ONLY_PTS = Profile(plugins=(PluginSpec("PodTopologySpread", 2),))

churn = st.lists(st.tuples(st.sampled_from(["add", "remove", "relabel", "terminate"]),
                           st.integers(0, 30), st.integers(0, 6)), max_size=25)


def _apply_churn(fw: Framework, node_list: list[dict[str, Any]], existing: list[dict[str, Any]],
                 ops: list[tuple[str, int, int]]) -> None:
    bound: dict[int, dict[str, Any]] = {}
    for i, pod in enumerate(existing):  # start with every pod placed, round robin
        pod["metadata"]["uid"] = f"e{i}"
        pod["spec"]["nodeName"] = node_list[i % len(node_list)]["metadata"]["name"]
        fw.cache.add_pod(pod)
        bound[i] = pod
    for op, i, n in ops:
        node = node_list[n % len(node_list)]
        if op == "add" and i < len(existing):
            pod = existing[i]
            pod["metadata"]["uid"] = f"e{i}"
            pod["spec"]["nodeName"] = node["metadata"]["name"]
            fw.cache.add_pod(pod)
            bound[i] = pod
        elif op == "remove" and i in bound:
            fw.cache.remove_pod(bound.pop(i))
        elif op == "terminate" and i in bound:
            old = bound[i]
            new = {**old, "metadata": {**old["metadata"], "deletionTimestamp": "2024-01-01T00:00:00Z"}}
            fw.cache.update_pod(old, new)
            bound[i] = new
        elif op == "relabel":
            labels = dict(node["metadata"]["labels"])
            if i % 3 == 0:
                labels.pop(ZONE, None)
            else:
                labels[ZONE] = f"z{i % 4}"
            node = {**node, "metadata": {**node["metadata"], "labels": labels}}
            node_list[n % len(node_list)] = node
            fw.cache.update_node(node)


@SETTINGS
@given(nodes(), st.lists(pods(), max_size=30), churn, st.lists(pods(), min_size=1, max_size=4))
def test_inter_pod_affinity_agrees_with_a_walk_over_every_pod(
        node_list: list[dict[str, Any]], existing: list[dict[str, Any]],
        ops: list[tuple[str, int, int]], incoming: list[dict[str, Any]]) -> None:
    fw = build(node_list, profile=ONLY_IPA)
    _apply_churn(fw, node_list, existing, ops)
    for pod in incoming:
        p = PodInfo.of(pod)
        got = {n: (st.reasons[0] if st else None) for n, st in fw.evaluate(pod).items()}
        want = {ni.name: reference_inter_pod_affinity(fw.cache, p, ni) for ni in fw.cache.node_list()}
        assert got == want


@SETTINGS
@given(nodes(), st.lists(pods(), max_size=30), churn, st.lists(pods(), min_size=1, max_size=4))
def test_topology_spread_agrees_with_a_walk_over_every_pod(
        node_list: list[dict[str, Any]], existing: list[dict[str, Any]],
        ops: list[tuple[str, int, int]], incoming: list[dict[str, Any]]) -> None:
    fw = build(node_list, profile=ONLY_PTS)
    _apply_churn(fw, node_list, existing, ops)
    for pod in incoming:
        p = PodInfo.of(pod)
        got = {n: (st.reasons[0] if st else None) for n, st in fw.evaluate(pod).items()}
        want = {ni.name: reference_topology_spread(fw.cache, p, ni) for ni in fw.cache.node_list()}
        assert got == want


@SETTINGS
@given(nodes(), st.lists(pods(), max_size=30), churn)
def test_incremental_counts_equal_a_recount(node_list: list[dict[str, Any]],
                                            existing: list[dict[str, Any]],
                                            ops: list[tuple[str, int, int]]) -> None:
    fw = build(node_list)
    query = ((frozenset({"default"}), selectors.label_selector_from_dict({"matchLabels": {"app": "a"}})),)
    fw.cache.pod_counts(query, ZONE)  # registered before the churn: kept up to date incrementally
    fw.cache.pod_counts(query, None, True)
    _apply_churn(fw, node_list, existing, ops)
    by_zone: dict[str, int] = {}
    by_node: dict[str, int] = {}
    for ni in fw.cache.node_list():
        for q in ni.pods.values():
            if q.namespace == "default" and q.labels.get("app") == "a":
                if ZONE in ni.labels:
                    by_zone[ni.labels[ZONE]] = by_zone.get(ni.labels[ZONE], 0) + 1
                if not q.terminating:
                    by_node[ni.name] = by_node.get(ni.name, 0) + 1
    assert fw.cache.pod_counts(query, ZONE) == by_zone
    assert fw.cache.pod_counts(query, None, True) == by_node
    zones: dict[str, int] = {}
    for ni in fw.cache.node_list():
        if ZONE in ni.labels:
            zones[ni.labels[ZONE]] = zones.get(ni.labels[ZONE], 0) + 1
    assert fw.cache.domains(ZONE) == zones


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(100, 400), st.integers(0, 2**32),
       st.lists(pods(constraints=False), min_size=1, max_size=6))
def test_the_chunked_walk_stops_where_a_node_by_node_walk_would(
        num_nodes: int, seed: int, pod_list: list[dict[str, Any]]) -> None:
    rnd = random.Random(seed)
    node_list = [make_node(f"n{i:03d}", labels={ZONE: f"z{rnd.randrange(3)}",
                                               "env": rnd.choice(["dev", "prod"])},
                           taints=[TAINTS[0]] if rnd.random() < 0.3 else [],
                           cpu=str(rnd.randrange(1, 4)), pods=str(rnd.randrange(1, 6)))
                 for i in range(num_nodes)]
    fw = build(node_list)
    for i, pod in enumerate(pod_list):
        pod["metadata"]["uid"] = f"u{i}"
        verdicts = fw.evaluate(pod)
        walk = [ni.name for ni in fw.cache.node_list()]
        start = fw.next_start_node_index % len(walk)
        walk = walk[start:] + walk[:start]
        to_find = num_feasible_nodes_to_find(0, len(walk))
        fits, walked = [], 0
        for name in walk:
            walked += 1
            if verdicts[name] is None:
                fits.append(name)
                if len(fits) == to_find:
                    break
        r = fw.schedule(pod)
        assert (r.feasible, r.evaluated) == (len(fits), walked)
        assert fw.next_start_node_index == (start + walked) % len(walk)
        assert (r.node is None) == (not fits) and (r.node is None or r.node in fits)
        if r.node:
            fw.cache.assume(r.pod_info, r.node)  # type: ignore[arg-type]


@SETTINGS
@given(nodes(), st.lists(pods(), max_size=30), pods(), st.integers(2, 10))
def test_after_evicting_the_victims_the_pod_fits_on_the_nominated_node(
        node_list: list[dict[str, Any]], existing: list[dict[str, Any]], pod: dict[str, Any],
        priority: int) -> None:
    fw = build(node_list)
    for i, q in enumerate(existing):
        q["metadata"]["uid"] = f"e{i}"
        r = fw.schedule(q)
        if r.node:
            fw.cache.assume(r.pod_info, r.node)  # type: ignore[arg-type]
    pod["spec"]["priority"] = priority
    pod["spec"]["containers"][0]["resources"] = {"requests": {"cpu": "1", "memory": "1Gi"}}
    r = fw.schedule(pod)
    if r.node is not None:
        return
    pre = preempt(fw, r)
    if pre.node is None:
        assert pre.message.startswith("preemption: ")
        return
    assert pre.victims and all(v.priority < priority for v in pre.victims)
    for v in pre.victims:
        fw.cache.remove_pod(v)
    assert fw.evaluate(pod)[pre.node] is None
