"""Pod-to-pod rules: InterPodAffinity and PodTopologySpread, as tables with sentence ids."""

from __future__ import annotations

from typing import Any

import pytest
from sched_builders import (
    HOSTNAME,
    ZONE,
    cluster,
    make_node,
    make_pod,
    pod_affinity,
    pod_term,
    reasons,
)

from minik8s.api import selectors

AFF = "node(s) didn't match pod affinity rules"
ANTI = "node(s) didn't match pod anti-affinity rules"
EXISTING = "node(s) didn't satisfy existing pods anti-affinity rules"
SPREAD = "node(s) didn't match pod topology spread constraints"
SPREAD_LABEL = SPREAD + " (missing required label)"

THREE = [make_node("n1", labels={ZONE: "z1"}), make_node("n2", labels={ZONE: "z1"}),
         make_node("n3", labels={ZONE: "z2"})]
DB_ON_N2 = make_pod("db", labels={"app": "db"}, node="n2")


def _expr_term(key: str, op: str, *values: str, topology: str = HOSTNAME) -> dict[str, Any]:
    e: dict[str, Any] = {"key": key, "operator": op}
    if values:
        e["values"] = list(values)
    return {"labelSelector": {"matchExpressions": [e]}, "topologyKey": topology}


@pytest.mark.parametrize(("existing", "pod", "want"), [
    ([DB_ON_N2], make_pod("p", affinity=pod_affinity(pod_term({"app": "db"}))),
     {"n1": [AFF], "n2": [], "n3": [AFF]}),
    ([DB_ON_N2], make_pod("p", affinity=pod_affinity(pod_term({"app": "db"}, ZONE))),
     {"n1": [], "n2": [], "n3": [AFF]}),
    ([DB_ON_N2], make_pod("p", affinity=pod_affinity(pod_term({"app": "db"}), anti=True)),
     {"n1": [], "n2": [ANTI], "n3": []}),
    ([DB_ON_N2], make_pod("p", affinity=pod_affinity(pod_term({"app": "db"}, ZONE), anti=True)),
     {"n1": [ANTI], "n2": [ANTI], "n3": []}),
    ([make_pod("db", labels={"app": "db"}, node="n2",
               affinity=pod_affinity(pod_term({"app": "web"}), anti=True))],
     make_pod("p", labels={"app": "web"}), {"n1": [], "n2": [EXISTING], "n3": []}),
    ([], make_pod("p", labels={"app": "x"}, affinity=pod_affinity(pod_term({"app": "x"}))),
     {"n1": [], "n2": [], "n3": []}),
    ([], make_pod("p", labels={"app": "y"}, affinity=pod_affinity(pod_term({"app": "x"}))),
     {"n1": [AFF], "n2": [AFF], "n3": [AFF]}),
    ([DB_ON_N2], make_pod("p", labels={"app": "db"},
                          affinity=pod_affinity(pod_term({"app": "db"}))),
     {"n1": [AFF], "n2": [], "n3": [AFF]}),
    ([DB_ON_N2], make_pod("p", affinity=pod_affinity(pod_term({"app": "db"}, "rack"))),
     {"n1": [AFF], "n2": [AFF], "n3": [AFF]}),
    ([DB_ON_N2], make_pod("p", affinity=pod_affinity(_expr_term("app", "In", "db", "cache"))),
     {"n1": [AFF], "n2": [], "n3": [AFF]}),
    ([DB_ON_N2], make_pod("p", affinity=pod_affinity(_expr_term("app", "NotIn", "web"), anti=True)),
     {"n1": [], "n2": [ANTI], "n3": []}),
    ([DB_ON_N2], make_pod("p", affinity=pod_affinity(_expr_term("app", "Exists"), anti=True)),
     {"n1": [], "n2": [ANTI], "n3": []}),
    ([DB_ON_N2], make_pod("p", affinity=pod_affinity(_expr_term("tier", "DoesNotExist", topology=ZONE))),
     {"n1": [], "n2": [], "n3": [AFF]}),
    ([DB_ON_N2], make_pod("p", affinity={
        **pod_affinity(pod_term({"app": "db"}, ZONE)),
        **pod_affinity(pod_term({"app": "db"}), anti=True)}),
     {"n1": [], "n2": [ANTI], "n3": [AFF]}),
    ([DB_ON_N2, make_pod("cache", labels={"app": "cache"}, node="n3")],
     make_pod("p", affinity=pod_affinity(pod_term({"app": "db"}), pod_term({"app": "cache"}, ZONE))),
     {"n1": [AFF], "n2": [AFF], "n3": [AFF]}),
], ids=[
    "affinity by hostname lands on the matching pod's node",
    "affinity by zone allows every node of that zone",
    "anti-affinity by hostname avoids the matching pod's node",
    "anti-affinity by zone avoids the whole zone",
    "an existing pod's anti-affinity repels the pods it selects",
    "the first pod of a self-affine group may go anywhere",
    "affinity to pods that exist nowhere fits nowhere",
    "a self-affine pod follows its group once the group exists",
    "a node without the topology key fails affinity",
    "In matches any of the values",
    "NotIn selects pods without the value",
    "Exists selects pods with the key",
    "DoesNotExist selects pods without the key",
    "affinity and anti-affinity combine",
    "affinity terms must be satisfied by the same pods",
])
def test_inter_pod_affinity_filter(existing: list[dict[str, Any]], pod: dict[str, Any],
                                   want: dict[str, list[str]]) -> None:
    assert reasons(cluster(THREE, existing), pod) == want


def test_affinity_only_sees_the_pods_own_namespace_by_default() -> None:
    other = make_pod("db", namespace="other", labels={"app": "db"}, node="n2")
    fw = cluster(THREE, [other], namespace_labels={"other": {"team": "a"}}.get)
    assert reasons(fw, make_pod("p", affinity=pod_affinity(pod_term({"app": "db"}))))["n2"] == [AFF]
    by_name = pod_term({"app": "db"}, namespaces=["other"])
    assert reasons(fw, make_pod("p", affinity=pod_affinity(by_name)))["n2"] == []
    by_label = pod_term({"app": "db"}, namespaceSelector={"matchLabels": {"team": "a"}})
    assert reasons(fw, make_pod("p", affinity=pod_affinity(by_label)))["n2"] == []
    wrong_label = pod_term({"app": "db"}, namespaceSelector={"matchLabels": {"team": "b"}})
    assert reasons(fw, make_pod("p", affinity=pod_affinity(wrong_label)))["n2"] == [AFF]
    everywhere = pod_term({"app": "db"}, namespaceSelector={})
    assert reasons(fw, make_pod("p", affinity=pod_affinity(everywhere)))["n2"] == []


def test_existing_anti_affinity_uses_the_incoming_pods_namespace_labels() -> None:
    guard = make_pod("guard", namespace="ops", node="n1", affinity=pod_affinity(
        pod_term({"app": "web"}, namespaceSelector={"matchLabels": {"env": "prod"}}), anti=True))
    labels = {"prod-ns": {"env": "prod"}, "dev-ns": {"env": "dev"}}
    fw = cluster(THREE, [guard], namespace_labels=labels.get)
    assert reasons(fw, make_pod("w", namespace="prod-ns", labels={"app": "web"}))["n1"] == [EXISTING]
    assert reasons(fw, make_pod("w", namespace="dev-ns", labels={"app": "web"}))["n1"] == []


def test_anti_affinity_rejections_are_resolvable_by_preemption_but_affinity_ones_are_not() -> None:
    fw = cluster(THREE, [DB_ON_N2])
    anti = fw.evaluate(make_pod("p", affinity=pod_affinity(pod_term({"app": "db"}), anti=True)))
    aff = fw.evaluate(make_pod("p", affinity=pod_affinity(pod_term({"app": "x"}))))
    assert anti["n2"].code.name == "UNSCHEDULABLE"  # type: ignore[union-attr]
    assert aff["n1"].code.name == "UNSCHEDULABLE_AND_UNRESOLVABLE"  # type: ignore[union-attr]


def _scores(fw: Any, pod: dict[str, Any]) -> dict[str, int]:
    return fw.score_nodes(pod, fw.cache.node_list()).get("InterPodAffinity", {})


def test_preferred_affinity_and_anti_affinity_score_by_weight() -> None:
    fw = cluster(THREE, [DB_ON_N2])
    near = {"podAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
        {"weight": 10, "podAffinityTerm": pod_term({"app": "db"}, ZONE)}]}}
    far = {"podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
        {"weight": 10, "podAffinityTerm": pod_term({"app": "db"}, ZONE)}]}}
    assert _scores(fw, make_pod("p", affinity=near)) == {"n1": 100, "n2": 100, "n3": 0}
    assert _scores(fw, make_pod("p", affinity=far)) == {"n1": 0, "n2": 0, "n3": 100}
    assert fw.schedule(make_pod("p", affinity=far)).node == "n3"


def test_existing_pods_terms_score_symmetrically() -> None:
    wants_web = make_pod("db", labels={"app": "db"}, node="n3",
                         affinity=pod_affinity(pod_term({"app": "web"})))
    fw = cluster(THREE, [wants_web])
    assert _scores(fw, make_pod("w", labels={"app": "web"})) == {"n1": 0, "n2": 0, "n3": 100}
    assert _scores(fw, make_pod("x", labels={"app": "other"})) == {}


# --- PodTopologySpread ------------------------------------------------------------------------

def _spread(max_skew: int = 1, key: str = ZONE, when: str = "DoNotSchedule",
            selector: dict[str, str] | None = None, **extra: Any) -> dict[str, Any]:
    return {"maxSkew": max_skew, "topologyKey": key, "whenUnsatisfiable": when,
            "labelSelector": {"matchLabels": selector or {"app": "web"}}, **extra}


def _terminating(pod: dict[str, Any]) -> dict[str, Any]:
    pod["metadata"]["deletionTimestamp"] = "2024-01-01T00:00:00Z"
    return pod


ZONES = [make_node("a", labels={ZONE: "z1", "env": "prod"}),
         make_node("b", labels={ZONE: "z2", "env": "prod"}),
         make_node("c", labels={ZONE: "z3", "env": "dev"})]


def _web(name: str, node: str, **kw: Any) -> dict[str, Any]:
    return make_pod(name, labels={"app": "web", **kw.pop("labels", {})}, node=node, **kw)


@pytest.mark.parametrize(("existing", "spread", "extra", "want"), [
    ([_web("w1", "a"), _web("w2", "a")], [_spread()], {},
     {"a": [SPREAD], "b": [], "c": []}),
    ([_web("w1", "a"), _web("w2", "b")], [_spread()], {},
     {"a": [SPREAD], "b": [SPREAD], "c": []}),
    ([_web("w1", "a")], [_spread(max_skew=2)], {},
     {"a": [], "b": [], "c": []}),
    ([_web("w1", "a"), _web("w2", "b")], [_spread()], {"nodeSelector": {"env": "prod"}},
     {"a": [], "b": [], "c": ["node(s) didn't match Pod's node affinity/selector"]}),
    ([_web("w1", "a"), _web("w2", "b")], [_spread(nodeAffinityPolicy="Ignore")],
     {"nodeSelector": {"env": "prod"}},
     {"a": [SPREAD], "b": [SPREAD], "c": ["node(s) didn't match Pod's node affinity/selector"]}),
    ([_web("w1", "a"), _web("w2", "b")], [_spread(minDomains=4)], {},
     {"a": [SPREAD], "b": [SPREAD], "c": []}),
    ([_web("w1", "a"), _web("w2", "b"), _web("w3", "c")], [_spread(minDomains=4)], {},
     {"a": [SPREAD], "b": [SPREAD], "c": [SPREAD]}),
    ([_web("w1", "a", labels={"v": "1"}), _web("w2", "a", labels={"v": "1"})],
     [_spread(matchLabelKeys=["v"])], {"labels": {"app": "web", "v": "2"}},
     {"a": [], "b": [], "c": []}),
    ([_web("w1", "a", labels={"v": "1"}), _web("w2", "a", labels={"v": "1"})],
     [_spread()], {"labels": {"app": "web", "v": "2"}},
     {"a": [SPREAD], "b": [], "c": []}),
    ([_web("w1", "a"), _web("w2", "a")], [_spread()], {"labels": {"app": "other"}},
     {"a": [SPREAD], "b": [], "c": []}),
    ([_web("w1", "a")], [_spread()], {"labels": {"app": "other"}},
     {"a": [], "b": [], "c": []}),
    ([_web("w1", "a"), _web("w2", "a")], [_spread(key="rack")], {},
     {"a": [SPREAD_LABEL], "b": [SPREAD_LABEL], "c": [SPREAD_LABEL]}),
    ([_web("w1", "a", namespace="other"), _web("w2", "a", namespace="other")], [_spread()], {},
     {"a": [], "b": [], "c": []}),
    ([_terminating(_web("w1", "a")), _terminating(_web("w2", "a"))], [_spread()], {},
     {"a": [], "b": [], "c": []}),
    ([_web("w1", "a"), _web("w2", "a")], [_spread(when="ScheduleAnyway")], {},
     {"a": [], "b": [], "c": []}),
    ([_web("w1", "a"), _web("w2", "b")], [_spread(), _spread(key=HOSTNAME)], {},
     {"a": [SPREAD], "b": [SPREAD], "c": []}),
], ids=[
    "a zone two ahead of the emptiest breaks maxSkew 1",
    "the pod counts itself: one ahead of an empty zone is already too many",
    "maxSkew 2 tolerates it",
    "nodeAffinityPolicy Honor ignores domains the pod cannot use",
    "nodeAffinityPolicy Ignore counts them, so their zero is the minimum",
    "fewer domains than minDomains make the global minimum 0",
    "minDomains rejects everywhere once every domain holds a pod",
    "matchLabelKeys restrict counting to the pod's own label values",
    "without matchLabelKeys every version counts",
    "a pod not matching its own selector does not count itself",
    "so it may go where it leaves the skew at maxSkew",
    "nodes without the topology key fail as missing a required label",
    "only pods in the pod's namespace count",
    "terminating pods do not count",
    "ScheduleAnyway constraints never filter",
    "every constraint must hold",
])
def test_pod_topology_spread_filter(existing: list[dict[str, Any]], spread: list[dict[str, Any]],
                                    extra: dict[str, Any], want: dict[str, list[str]]) -> None:
    labels = extra.pop("labels", {"app": "web"})
    pod = make_pod("p", labels=labels, topologySpreadConstraints=spread, **extra)
    assert reasons(cluster(ZONES, existing), pod) == want


def test_node_taints_policy_honor_leaves_untolerated_nodes_out_of_the_domains() -> None:
    nodes = ZONES[:2] + [make_node("c", labels={ZONE: "z3"},
                                   taints=[{"key": "k", "value": "v", "effect": "NoSchedule"}])]
    existing = [_web("w1", "a"), _web("w2", "b")]
    ignore = make_pod("p", labels={"app": "web"}, topologySpreadConstraints=[_spread()])
    honor = make_pod("p", labels={"app": "web"},
                     topologySpreadConstraints=[_spread(nodeTaintsPolicy="Honor")])
    assert reasons(cluster(nodes, existing), ignore)["a"] == [SPREAD]
    assert reasons(cluster(nodes, existing), honor)["a"] == []


def _spread_scores(fw: Any, pod: dict[str, Any]) -> dict[str, int]:
    return fw.score_nodes(pod, fw.cache.node_list()).get("PodTopologySpread", {})


def test_schedule_anyway_prefers_the_emptier_domain() -> None:
    fw = cluster(ZONES, [_web("w1", "a"), _web("w2", "a"), _web("w3", "b")])
    pod = make_pod("p", labels={"app": "web"}, topologySpreadConstraints=[_spread(when="ScheduleAnyway")])
    scores = _spread_scores(fw, pod)
    assert scores["c"] == 100 and scores["c"] > scores["b"] > scores["a"]
    assert fw.schedule(pod).node == "c"


def test_default_spreading_applies_to_pods_a_controller_selects() -> None:
    web = selectors.label_selector_from_dict({"matchLabels": {"app": "web"}})
    selected = {"web": web}
    fw = cluster(ZONES, [_web("w1", "a"), _web("w2", "a")],
                 spread_selector=lambda pod: selected.get(pod["metadata"]["labels"].get("app", "")))
    scores = _spread_scores(fw, make_pod("p", labels={"app": "web"}))
    assert scores["a"] < scores["b"] == scores["c"] == 100
    assert _spread_scores(fw, make_pod("q", labels={"app": "lonely"})) == {}


def test_default_spreading_still_spreads_by_hostname_on_nodes_without_zones() -> None:
    web = selectors.label_selector_from_dict({"matchLabels": {"app": "web"}})
    nodes = [make_node("x"), make_node("y")]
    fw = cluster(nodes, [_web("w1", "x")], spread_selector=lambda pod: web)
    scores = _spread_scores(fw, make_pod("p", labels={"app": "web"}))
    assert scores["y"] > scores["x"]
