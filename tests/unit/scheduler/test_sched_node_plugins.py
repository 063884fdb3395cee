"""Node-level rules: NodeName, NodeUnschedulable, NodePorts, NodeResourcesFit, TaintToleration,
NodeAffinity, VolumeBinding — each a table whose ids say what kube-scheduler does."""

from __future__ import annotations

from typing import Any

import pytest
from sched_builders import (
    CONTROL_PLANE_TAINT,
    ZONE,
    cluster,
    make_node,
    make_pod,
    node_affinity,
    reasons,
)

from minik8s.scheduler import quantity
from minik8s.scheduler.podinfo import PodInfo, pod_requests

UNTOLERATED = "node(s) had untolerated taint {%s: %s}"
AFFINITY = "node(s) didn't match Pod's node affinity/selector"


@pytest.mark.parametrize(("text", "milli", "value"), [
    ("100m", 100, 1), ("1.5", 1500, 2), ("2Gi", 2 * 2**30 * 1000, 2 * 2**30),
    ("500M", 500 * 10**9, 500 * 10**6), ("1e3", 10**6, 1000), ("128974848", 128974848000, 128974848),
    ("0.1m", 1, 1), ("1E-3", 1, 1), (".5", 500, 1), ("1Ki", 1024000, 1024), (2, 2000, 2),
    ("12E", 12 * 10**21, 12 * 10**18),
], ids=lambda v: str(v))
def test_quantities_parse_and_round_up_like_apimachinery(text: Any, milli: int, value: int) -> None:
    assert quantity.milli_value(text) == milli
    assert quantity.value(text) == value


def test_a_malformed_quantity_is_an_error() -> None:
    with pytest.raises(quantity.QuantityError):
        quantity.value("12 cores")


@pytest.mark.parametrize(("spec", "want"), [
    ({"containers": [{"resources": {"requests": {"cpu": "1"}}},
                     {"resources": {"requests": {"cpu": "500m"}}}]}, 1500),
    ({"containers": [{"resources": {"requests": {"cpu": "1"}}}],
      "initContainers": [{"resources": {"requests": {"cpu": "3"}}}]}, 3000),
    ({"containers": [{"resources": {"requests": {"cpu": "1500m"}}}],
      "initContainers": [{"restartPolicy": "Always", "resources": {"requests": {"cpu": "1"}}},
                         {"resources": {"requests": {"cpu": "2"}}}]}, 3000),
    ({"containers": [{"resources": {"requests": {"cpu": "1"}}}], "overhead": {"cpu": "250m"}}, 1250),
], ids=["containers add up", "an init container counts by its own size",
        "sidecars run next to later init steps and the app", "overhead is added"])
def test_pod_requests_follow_resourcehelper(spec: dict[str, Any], want: int) -> None:
    assert pod_requests(spec)["cpu"] == want


def test_containers_without_requests_count_as_100m_and_200Mi_for_scoring() -> None:
    p = PodInfo.of(make_pod("p"))
    assert (p.cpu, p.mem) == (0, 0)
    assert (p.nz_cpu, p.nz_mem) == (100, 200 * 2**20)


# --- NodeResourcesFit ---------------------------------------------------------------------------

@pytest.mark.parametrize(("node", "existing", "pod", "want"), [
    (make_node("n", cpu="1"), [make_pod("e", cpu="600m", node="n")], make_pod("p", cpu="500m"),
     ["Insufficient cpu"]),
    (make_node("n", cpu="1", memory="1Gi"), [], make_pod("p", cpu="2", memory="2Gi"),
     ["Insufficient cpu", "Insufficient memory"]),
    (make_node("n", pods="1"), [make_pod("e", node="n")], make_pod("p"), ["Too many pods"]),
    (make_node("n", pods="1", cpu="1"), [make_pod("e", cpu="1", node="n")], make_pod("p", cpu="1"),
     ["Too many pods", "Insufficient cpu"]),
    (make_node("n"), [], make_pod("p", requests={"nvidia.com/gpu": "1"}),
     ["Insufficient nvidia.com/gpu"]),
    (make_node("n", extra={"nvidia.com/gpu": "2"}), [], make_pod("p", requests={"nvidia.com/gpu": "2"}),
     []),
    (make_node("n", extra={"nvidia.com/gpu": "2"}),
     [make_pod("e", requests={"nvidia.com/gpu": "1"}, node="n")],
     make_pod("p", requests={"nvidia.com/gpu": "2"}), ["Insufficient nvidia.com/gpu"]),
    (make_node("n", cpu="1"), [make_pod("e", cpu="2", node="n")], make_pod("p"), []),
    (make_node("n"), [], make_pod("p", requests={"ephemeral-storage": "200Gi"}),
     ["Insufficient ephemeral-storage"]),
    (make_node("n", cpu="2"), [], make_pod("p", cpu="1", initContainers=[
        {"name": "i", "resources": {"requests": {"cpu": "3"}}}]), ["Insufficient cpu"]),
    (make_node("n", cpu="2", memory="1Gi"), [make_pod("e", cpu="1", memory="512Mi", node="n")],
     make_pod("p", cpu="1", memory="512Mi"), []),
], ids=[
    "a pod asking for more cpu than is left is told Insufficient cpu",
    "every shortage is reported",
    "a node at its pod limit reports Too many pods",
    "too many pods comes first, then the resources",
    "an extended resource the node lacks is insufficient",
    "an extended resource the node has fits",
    "extended resources already requested are subtracted",
    "a pod requesting nothing fits on an overcommitted node",
    "ephemeral storage is checked",
    "an init container larger than the node does not fit",
    "a pod that exactly fills the node fits",
])
def test_node_resources_fit(node: dict[str, Any], existing: list[dict[str, Any]],
                            pod: dict[str, Any], want: list[str]) -> None:
    assert reasons(cluster([node], existing), pod)["n"] == want


def test_resource_shortages_are_unschedulable_so_preemption_may_help() -> None:
    fw = cluster([make_node("n", cpu="1")])
    st = fw.evaluate(make_pod("p", cpu="2"))["n"]
    assert st is not None and st.code.name == "UNSCHEDULABLE" and st.plugin == "NodeResourcesFit"


@pytest.mark.parametrize(("pod", "want"), [
    (make_pod("p", cpu="1", memory="2Gi"), 75),
    (make_pod("p"), 97),
    (make_pod("p", cpu="8", memory="16Gi"), 0),
], ids=["least allocated: a quarter used leaves 75",
        "a pod without requests scores as if it asked for 100m and 200Mi",
        "an overfull node scores 0"])
def test_least_allocated_score(pod: dict[str, Any], want: int) -> None:
    fw = cluster([make_node("n", cpu="4", memory="8Gi")])
    assert fw.score_nodes(pod, fw.cache.node_list())["NodeResourcesFit"] == {"n": want}


@pytest.mark.parametrize(("pod", "want"), [
    (make_pod("p", cpu="1", memory="2Gi"), 100),
    (make_pod("p", cpu="2", memory="1Gi"), 81),
    (make_pod("p", cpu="8", memory="2Gi"), 62),
], ids=["equal cpu and memory fractions are perfectly balanced",
        "half the cpu and an eighth of the memory score (1 - 0.1875) * 100",
        "fractions are capped at 1"])
def test_balanced_allocation_score(pod: dict[str, Any], want: int) -> None:
    fw = cluster([make_node("n", cpu="4", memory="8Gi")])
    assert fw.score_nodes(pod, fw.cache.node_list())["NodeResourcesBalancedAllocation"] == {"n": want}


def test_balanced_allocation_skips_best_effort_pods() -> None:
    fw = cluster([make_node("n")])
    assert "NodeResourcesBalancedAllocation" not in fw.score_nodes(make_pod("p"), fw.cache.node_list())


# --- NodeName, NodeUnschedulable, NodePorts -----------------------------------------------------

def test_a_pod_naming_its_node_fits_only_there() -> None:
    fw = cluster([make_node("a"), make_node("b")])
    pod = make_pod("p")
    pod["spec"]["nodeName"] = "a"
    assert reasons(fw, pod) == {"a": [], "b": ["node(s) didn't match the requested node name"]}


@pytest.mark.parametrize(("tolerations", "want"), [
    ([], ["node(s) were unschedulable"]),
    ([{"key": "node.kubernetes.io/unschedulable", "operator": "Exists", "effect": "NoSchedule"}], []),
    ([{"operator": "Exists"}], []),
], ids=["a cordoned node takes no ordinary pod",
        "tolerating the unschedulable taint lets a pod onto a cordoned node",
        "a tolerate-everything pod goes anywhere"])
def test_node_unschedulable(tolerations: list[dict[str, Any]], want: list[str]) -> None:
    fw = cluster([make_node("n", unschedulable=True)])
    assert reasons(fw, make_pod("p", tolerations=tolerations))["n"] == want


def _host_port_pod(name: str, port: int, ip: str = "", node: str | None = None) -> dict[str, Any]:
    pod = make_pod(name, node=node)
    entry: dict[str, Any] = {"containerPort": 80, "hostPort": port}
    if ip:
        entry["hostIP"] = ip
    pod["spec"]["containers"][0]["ports"] = [entry]
    return pod


@pytest.mark.parametrize(("existing", "new", "want"), [
    (_host_port_pod("e", 8080, node="n"), _host_port_pod("p", 8080), True),
    (_host_port_pod("e", 8080, node="n"), _host_port_pod("p", 8081), False),
    (_host_port_pod("e", 8080, "127.0.0.1", node="n"), _host_port_pod("p", 8080, "10.0.0.1"), False),
    (_host_port_pod("e", 8080, "127.0.0.1", node="n"), _host_port_pod("p", 8080), True),
    (_host_port_pod("e", 8080, node="n"), _host_port_pod("p", 8080, "10.0.0.1"), True),
], ids=["the same host port clashes", "another port is free",
        "the same port on another address is free", "0.0.0.0 clashes with any address",
        "any address clashes with 0.0.0.0"])
def test_node_ports(existing: dict[str, Any], new: dict[str, Any], want: bool) -> None:
    got = reasons(cluster([make_node("n")], [existing]), new)["n"]
    assert got == (["node(s) didn't have free ports for the requested pod ports"] if want else [])


# --- TaintToleration ----------------------------------------------------------------------------

DEDICATED = {"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}


@pytest.mark.parametrize(("taint", "tolerations", "want"), [
    (DEDICATED, [], UNTOLERATED % ("dedicated", "gpu")),
    (CONTROL_PLANE_TAINT, [], UNTOLERATED % ("node-role.kubernetes.io/control-plane", "")),
    (DEDICATED, [{"key": "dedicated", "operator": "Equal", "value": "gpu", "effect": "NoSchedule"}],
     None),
    (DEDICATED, [{"key": "dedicated", "value": "gpu"}], None),
    (DEDICATED, [{"key": "dedicated", "operator": "Equal", "value": "cpu"}],
     UNTOLERATED % ("dedicated", "gpu")),
    (DEDICATED, [{"key": "dedicated", "operator": "Exists"}], None),
    (DEDICATED, [{"operator": "Exists"}], None),
    (DEDICATED, [{"key": "dedicated", "operator": "Exists", "effect": "NoExecute"}],
     UNTOLERATED % ("dedicated", "gpu")),
    ({**DEDICATED, "effect": "NoExecute"}, [], UNTOLERATED % ("dedicated", "gpu")),
    ({**DEDICATED, "effect": "PreferNoSchedule"}, [], None),
    (DEDICATED, [{"key": "other", "operator": "Exists"}], UNTOLERATED % ("dedicated", "gpu")),
], ids=[
    "an untolerated NoSchedule taint rejects with its key and value",
    "the control-plane taint prints an empty value",
    "Equal with the same value tolerates",
    "the operator defaults to Equal",
    "Equal with another value does not tolerate",
    "Exists ignores the value",
    "an empty key with Exists tolerates every taint",
    "a toleration for another effect does not tolerate",
    "NoExecute taints reject too",
    "PreferNoSchedule taints never reject",
    "a toleration for another key does not tolerate",
])
def test_taint_toleration_filter(taint: dict[str, Any], tolerations: list[dict[str, Any]],
                                 want: str | None) -> None:
    fw = cluster([make_node("n", taints=[taint])])
    assert reasons(fw, make_pod("p", tolerations=tolerations))["n"] == ([want] if want else [])


def test_untolerated_taints_cannot_be_resolved_by_preemption() -> None:
    st = cluster([make_node("n", taints=[DEDICATED])]).evaluate(make_pod("p"))["n"]
    assert st is not None and st.code.name == "UNSCHEDULABLE_AND_UNRESOLVABLE"


def test_prefer_no_schedule_taints_lower_the_score_in_reverse() -> None:
    soft = {"key": "k%d", "value": "v", "effect": "PreferNoSchedule"}
    nodes = [make_node("clean"), make_node("one", taints=[{**soft, "key": "a"}]),
             make_node("two", taints=[{**soft, "key": "a"}, {**soft, "key": "b"}])]
    fw = cluster(nodes)
    scores = fw.score_nodes(make_pod("p"), fw.cache.node_list())["TaintToleration"]
    assert scores == {"clean": 100, "one": 50, "two": 0}
    tolerant = make_pod("p", tolerations=[{"key": "a", "operator": "Exists",
                                           "effect": "PreferNoSchedule"}])
    assert fw.score_nodes(tolerant, fw.cache.node_list())["TaintToleration"] == {
        "clean": 100, "one": 100, "two": 0}


# --- NodeAffinity -------------------------------------------------------------------------------

def _expr(key: str, op: str, *values: str) -> dict[str, Any]:
    e: dict[str, Any] = {"key": key, "operator": op}
    if values:
        e["values"] = list(values)
    return e


NODES = [make_node("dev", labels={"env": "dev", "cores": "8"}),
         make_node("prod", labels={"env": "prod", "cores": "32"}),
         make_node("bare", labels={})]


@pytest.mark.parametrize(("spec", "fits"), [
    ({"nodeSelector": {"env": "dev"}}, {"dev"}),
    ({"affinity": node_affinity([_expr("env", "In", "dev", "prod")])}, {"dev", "prod"}),
    ({"affinity": node_affinity([_expr("env", "NotIn", "dev")])}, {"prod", "bare"}),
    ({"affinity": node_affinity([_expr("env", "Exists")])}, {"dev", "prod"}),
    ({"affinity": node_affinity([_expr("env", "DoesNotExist")])}, {"bare"}),
    ({"affinity": node_affinity([_expr("cores", "Gt", "16")])}, {"prod"}),
    ({"affinity": node_affinity([_expr("cores", "Lt", "16")])}, {"dev"}),
    ({"affinity": node_affinity([_expr("cores", "Gt", "many")])}, set()),
    ({"affinity": node_affinity([_expr("env", "In", "dev")], [_expr("cores", "Gt", "16")])},
     {"dev", "prod"}),
    ({"affinity": node_affinity([_expr("env", "Exists"), _expr("cores", "Lt", "16")])}, {"dev"}),
    ({"affinity": node_affinity([_expr("env", "Exists")]), "nodeSelector": {"env": "prod"}},
     {"prod"}),
    ({"affinity": node_affinity([])}, set()),
    ({"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
        "nodeSelectorTerms": [{"matchFields": [{"key": "metadata.name", "operator": "NotIn",
                                                "values": ["dev"]}]}]}}}}, {"prod", "bare"}),
], ids=[
    "nodeSelector needs every label", "In matches any listed value", "NotIn also matches nodes without the label",
    "Exists needs the key", "DoesNotExist needs its absence", "Gt compares integers",
    "Lt compares integers", "Gt with a non-integer matches nothing", "terms are ORed",
    "expressions in a term are ANDed", "nodeSelector and affinity must both match",
    "an empty term matches nothing", "matchFields metadata.name NotIn excludes the node",
])
def test_node_affinity_filter(spec: dict[str, Any], fits: set[str]) -> None:
    got = reasons(cluster(NODES), make_pod("p", **spec))
    assert {n for n, r in got.items() if not r} == fits
    assert all(r == [AFFINITY] for n, r in got.items() if n not in fits)


def test_pods_pinned_by_node_name_only_look_at_those_nodes() -> None:
    pinned = {"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
        "nodeSelectorTerms": [{"matchFields": [{"key": "metadata.name", "operator": "In",
                                                "values": ["dev"]}]}]}}}}
    fw = cluster(NODES + [make_node("full", pods="0")])
    r = fw.schedule(make_pod("ds", **pinned))
    assert r.node == "dev" and r.evaluated == 1
    pinned_full = {"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
        "nodeSelectorTerms": [{"matchFields": [{"key": "metadata.name", "operator": "In",
                                                "values": ["full"]}]}]}}}}
    r = fw.schedule(make_pod("ds2", **pinned_full))
    assert r.node is None
    assert r.message() == ("0/4 nodes are available: 1 Too many pods, "
                           "3 node(s) didn't satisfy plugin(s) [NodeAffinity].")


def test_preferred_node_affinity_adds_weights_and_the_best_node_gets_100() -> None:
    pref = {"nodeAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
        {"weight": 20, "preference": {"matchExpressions": [_expr("env", "In", "prod")]}},
        {"weight": 60, "preference": {"matchExpressions": [_expr("cores", "Exists")]}},
    ]}}
    fw = cluster(NODES)
    scores = fw.score_nodes(make_pod("p", affinity=pref), fw.cache.node_list())["NodeAffinity"]
    assert scores == {"dev": 75, "prod": 100, "bare": 0}
    assert fw.schedule(make_pod("p", affinity=pref)).node == "prod"


def test_node_affinity_skips_scoring_without_preferred_terms() -> None:
    fw = cluster(NODES)
    assert "NodeAffinity" not in fw.score_nodes(make_pod("p"), fw.cache.node_list())


def test_zone_labels_work_like_any_other_label() -> None:
    fw = cluster([make_node("a", labels={ZONE: "z1"}), make_node("b", labels={ZONE: "z2"})])
    pod = make_pod("p", affinity=node_affinity([_expr(ZONE, "In", "z2")]))
    assert fw.schedule(pod).node == "b"


# --- VolumeBinding ------------------------------------------------------------------------------

def _pvc_pod() -> dict[str, Any]:
    return make_pod("p", volumes=[{"name": "data", "persistentVolumeClaim": {"claimName": "data"}}])


def test_volume_binding_asks_the_volume_checker_per_node() -> None:
    def checker(pod: Any, node: Any) -> list[str]:
        return ["node(s) didn't find available persistent volumes to bind"] if node.name == "a" else []
    fw = cluster([make_node("a"), make_node("b")], volume_checker=checker)
    assert reasons(fw, _pvc_pod()) == {
        "a": ["node(s) didn't find available persistent volumes to bind"], "b": []}
    assert reasons(fw, make_pod("no-volumes")) == {"a": [], "b": []}


def test_unbound_immediate_claims_fail_the_whole_cycle() -> None:
    fw = cluster([make_node("a"), make_node("b")],
                 claims_checker=lambda pod: "pod has unbound immediate PersistentVolumeClaims")
    from minik8s.scheduler.preemption import preempt
    r = fw.schedule(_pvc_pod())
    assert r.node is None
    assert r.message(preempt(fw, r).message) == (
        "0/2 nodes are available: pod has unbound immediate PersistentVolumeClaims. preemption: "
        "0/2 nodes are available: 2 Preemption is not helpful for scheduling.")


def test_without_checkers_volumes_never_block() -> None:
    assert cluster([make_node("a")]).schedule(_pvc_pod()).node == "a"
