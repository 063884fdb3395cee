"""The cycle: FailedScheduling text, sampling, tie breaking, nominated pods, profiles (S10, S12)."""

from __future__ import annotations

import random
from typing import Any

import pytest
from sched_builders import CONTROL_PLANE_TAINT, cluster, make_node, make_pod, node_affinity

from minik8s.scheduler import messages
from minik8s.scheduler.framework import Framework, num_feasible_nodes_to_find
from minik8s.scheduler.plugins.queuesort import less, sort_key
from minik8s.scheduler.preemption import preempt
from minik8s.scheduler.profile import DEFAULT_PROFILE, load_profile

CP = "node-role.kubernetes.io/control-plane"


def kind_cluster(**kw: Any) -> Framework:
    """A kind-like cluster: a tainted control-plane node and two workers."""
    return cluster([make_node("minik8s-control-plane", labels={CP: ""}, taints=[CONTROL_PLANE_TAINT]),
                    make_node("minik8s-worker"), make_node("minik8s-worker2")], **kw)


def failed_scheduling(fw: Framework, pod: dict[str, Any]) -> str:
    r = fw.schedule(pod)
    assert r.node is None
    return r.message(preempt(fw, r).message)


def test_s10_a_pod_requiring_a_missing_label_says_why_then_follows_the_label() -> None:
    fw = kind_cluster()
    pod = make_pod("dev-app", affinity=node_affinity([{"key": "env", "operator": "In", "values": ["dev"]}]))
    assert failed_scheduling(fw, pod) == (
        "0/3 nodes are available: 1 node(s) had untolerated taint "
        "{node-role.kubernetes.io/control-plane: }, 2 node(s) didn't match Pod's node "
        "affinity/selector. preemption: 0/3 nodes are available: 3 Preemption is not helpful "
        "for scheduling.")
    worker = make_node("minik8s-worker", labels={"env": "dev"})
    fw.cache.update_node(worker)  # kubectl label node minik8s-worker env=dev
    placed = {fw.schedule(make_pod(f"dev-app-{i}", affinity=pod["spec"]["affinity"])).node
              for i in range(5)}
    assert placed == {"minik8s-worker"}


def test_s12_taints_keep_ordinary_pods_away_and_tolerations_let_them_in() -> None:
    fw = kind_cluster()
    special = make_node("minik8s-worker", taints=[
        {"key": "type", "value": "specialnode", "effect": "NoSchedule"}])
    fw.cache.update_node(special)  # kubectl taint nodes minik8s-worker type=specialnode:NoSchedule
    plain = {fw.schedule(make_pod(f"tolerations-1-{i}")).node for i in range(10)}
    assert plain == {"minik8s-worker2"}
    tolerant = make_pod("tolerations-2", tolerations=[
        {"key": "type", "operator": "Equal", "value": "specialnode", "effect": "NoSchedule"}])
    assert {fw.schedule(tolerant).node for _ in range(20)} == {"minik8s-worker", "minik8s-worker2"}
    fw.cache.update_node(make_node("minik8s-worker"))  # kubectl taint nodes minik8s-worker type-
    assert {fw.schedule(make_pod(f"t-{i}")).node for i in range(20)} == {
        "minik8s-worker", "minik8s-worker2"}


def test_s12_prefer_no_schedule_is_avoided_while_another_node_fits() -> None:
    fw = kind_cluster()
    fw.cache.update_node(make_node("minik8s-worker", taints=[
        {"key": "type", "value": "slow", "effect": "PreferNoSchedule"}]))
    assert {fw.schedule(make_pod(f"p{i}")).node for i in range(10)} == {"minik8s-worker2"}


def test_resource_shortage_on_every_worker_reports_no_victims() -> None:
    fw = kind_cluster()
    assert failed_scheduling(fw, make_pod("big", cpu="64")) == (
        "0/3 nodes are available: 1 node(s) had untolerated taint "
        "{node-role.kubernetes.io/control-plane: }, 2 Insufficient cpu. preemption: 0/3 nodes "
        "are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims "
        "found for incoming pod.")


@pytest.mark.parametrize(("diagnosis", "pre", "post", "want"), [
    ({"a": ["x"], "b": ["x"], "c": ["y"]}, "", "",
     "0/3 nodes are available: 1 y, 2 x."),
    ({f"n{i}": ["node(s) had untolerated taint {k: }"] for i in range(10)}
     | {"m1": ["Insufficient cpu"], "m2": ["Insufficient cpu"]}, "", "",
     "0/12 nodes are available: 10 node(s) had untolerated taint {k: }, 2 Insufficient cpu."),
    ({"a": ["Insufficient cpu", "Insufficient memory"], "b": ["Insufficient memory"]}, "", "",
     "0/2 nodes are available: 1 Insufficient cpu, 2 Insufficient memory."),
    ({"a": ["x"]}, "pod has unbound immediate PersistentVolumeClaims", "preemption: p.",
     "0/1 nodes are available: pod has unbound immediate PersistentVolumeClaims. preemption: p."),
    ({}, "", "", "0/0 nodes are available:"),
], ids=["counts aggregate per reason", "the histogram sorts as strings, so 10 comes before 2",
        "each node contributes each of its reasons", "a PreFilter rejection replaces the histogram",
        "no reasons at all"])
def test_fit_error_message(diagnosis: dict[str, list[str]], pre: str, post: str, want: str) -> None:
    assert messages.fit_error_message(len(diagnosis), diagnosis, post, pre) == want


def test_no_nodes_is_an_error_not_a_fit_error() -> None:
    r = cluster([]).schedule(make_pod("p"))
    assert r.node is None and r.message() == "no nodes available to schedule pods"


@pytest.mark.parametrize(("percentage", "nodes", "want"), [
    (0, 50, 50), (0, 100, 100), (0, 1000, 420), (0, 5000, 500), (0, 6000, 300),
    (0, 20000, 1000), (30, 1000, 300), (1, 500, 100), (100, 5000, 5000),
], ids=lambda v: str(v))
def test_num_feasible_nodes_to_find(percentage: int, nodes: int, want: int) -> None:
    assert num_feasible_nodes_to_find(percentage, nodes) == want


def test_large_clusters_are_sampled_from_a_rotating_start() -> None:
    fw = cluster([make_node(f"n{i:04d}") for i in range(1000)])
    r1 = fw.schedule(make_pod("a"))
    assert (r1.feasible, r1.evaluated) == (420, 420)
    assert fw.next_start_node_index == 420
    fw.schedule(make_pod("b"))
    assert fw.next_start_node_index == 840
    fw.schedule(make_pod("c"))
    assert fw.next_start_node_index == 260


def test_sampling_stops_right_after_the_node_that_completes_the_set() -> None:
    nodes = [make_node(f"n{i:04d}", cpu="1" if i % 2 else "8") for i in range(1000)]
    fw = cluster(nodes)
    r = fw.schedule(make_pod("p", cpu="2"))
    walk = [ni.name for ni in fw.cache.node_list()]
    fits = [n for n in walk if int(n[1:]) % 2 == 0]
    last = walk.index(fits[num_feasible_nodes_to_find(0, 1000) - 1])
    assert r.feasible == num_feasible_nodes_to_find(0, 1000) == 420
    assert r.evaluated == last + 1 == fw.next_start_node_index


def test_identical_inputs_and_seed_give_identical_placements() -> None:
    def run(seed: int) -> list[str | None]:
        fw = cluster([make_node(f"n{i}") for i in range(8)], seed=seed)
        out = []
        for i in range(40):
            r = fw.schedule(make_pod(f"p{i}", cpu="100m"))
            if r.node:
                fw.cache.assume(r.pod_info, r.node)  # type: ignore[arg-type]
            out.append(r.node)
        return out
    assert run(7) == run(7)


def test_ties_are_broken_at_random_among_the_best() -> None:
    fw = cluster([make_node("a"), make_node("b"), make_node("c")], seed=3)
    assert {fw.schedule(make_pod("p")).node for _ in range(60)} == {"a", "b", "c"}


def test_the_nominated_node_is_tried_first() -> None:
    fw = cluster([make_node(f"n{i}") for i in range(5)])
    pod = make_pod("p")
    pod["status"]["nominatedNodeName"] = "n3"
    r = fw.schedule(pod)
    assert (r.node, r.evaluated) == ("n3", 1)


def test_nominated_pods_keep_their_room_from_lower_priority_pods() -> None:
    fw = cluster([make_node("n", cpu="2")])
    fw.cache.nominate(make_pod("vip", cpu="2", priority=100), "n")
    assert fw.schedule(make_pod("low", cpu="1", priority=0)).node is None
    assert fw.schedule(make_pod("high", cpu="1", priority=100)).node is None
    assert fw.schedule(make_pod("vip", cpu="2", priority=100)).node == "n"
    fw.cache.unnominate(make_pod("vip"))
    assert fw.schedule(make_pod("low", cpu="1", priority=0)).node == "n"


def test_assumed_pods_count_until_forgotten() -> None:
    fw = cluster([make_node("n", cpu="1")])
    r = fw.schedule(make_pod("a", cpu="1"))
    fw.cache.assume(r.pod_info, r.node)  # type: ignore[arg-type]
    assert fw.schedule(make_pod("b", cpu="1")).node is None
    fw.cache.forget(make_pod("a"))
    assert fw.schedule(make_pod("b", cpu="1")).node == "n"


def test_priority_sort_puts_higher_priority_then_older_pods_first() -> None:
    old = make_pod("old", priority=5)
    old["metadata"]["creationTimestamp"] = "2024-01-01T00:00:00Z"
    new = make_pod("new", priority=5)
    new["metadata"]["creationTimestamp"] = "2024-01-02T00:00:00Z"
    vip = make_pod("vip", priority=10)
    assert less(vip, old) and less(old, new) and not less(new, old)
    assert [p["metadata"]["name"] for p in sorted([new, old, vip], key=sort_key)] == ["vip", "old", "new"]


# --- profiles -----------------------------------------------------------------------------------

def test_default_profile_weights_match_kube_scheduler() -> None:
    weights = {p.name: p.weight for p in DEFAULT_PROFILE.plugins}
    assert weights == {"NodeUnschedulable": 1, "NodeName": 1, "TaintToleration": 3,
                       "NodeAffinity": 2, "NodePorts": 1, "NodeResourcesFit": 1,
                       "VolumeBinding": 1, "PodTopologySpread": 2, "InterPodAffinity": 2,
                       "NodeResourcesBalancedAllocation": 1}


def test_load_profile_merges_like_kube_scheduler_configuration() -> None:
    prof = load_profile({
        "schedulerName": "custom", "percentageOfNodesToScore": 50,
        "plugins": {"multiPoint": {"enabled": [{"name": "NodeAffinity", "weight": 7}],
                                   "disabled": [{"name": "NodePorts"}]},
                    "score": {"disabled": [{"name": "NodeResourcesBalancedAllocation"}]}},
        "pluginConfig": [{"name": "NodeResourcesFit",
                          "args": {"scoringStrategy": {"type": "MostAllocated"}}}]})
    names = [p.name for p in prof.plugins]
    assert "NodePorts" not in names and names.index("NodeAffinity") == 3
    assert prof.spec("NodeAffinity").weight == 7  # type: ignore[union-attr]
    assert "score" in prof.spec("NodeResourcesBalancedAllocation").disabled  # type: ignore[union-attr]
    assert (prof.scheduler_name, prof.percentage_of_nodes_to_score) == ("custom", 50)
    fw = cluster([make_node("a"), make_node("b")], profile=prof)
    fw.cache.add_pod(make_pod("e", cpu="2", node="a"))
    assert fw.schedule(make_pod("p", cpu="1")).node == "a"  # MostAllocated packs


def test_load_profile_shorthand_and_disabling_everything() -> None:
    prof = load_profile({"weights": {"TaintToleration": 9}, "disabled": ["VolumeBinding"]})
    assert prof.spec("TaintToleration").weight == 9  # type: ignore[union-attr]
    assert prof.spec("VolumeBinding") is None
    none = load_profile({"plugins": {"multiPoint": {"disabled": [{"name": "*"}]}}})
    assert none.plugins == ()
    fw = cluster([make_node("tainted", taints=[CONTROL_PLANE_TAINT])], profile=none)
    assert fw.schedule(make_pod("p")).node == "tainted"


def test_unknown_plugins_are_refused_and_queue_side_ones_ignored() -> None:
    prof = load_profile({"plugins": {"multiPoint": {"enabled": [{"name": "PrioritySort"},
                                                                {"name": "ImageLocality"}]}}})
    assert [p.name for p in prof.plugins] == [p.name for p in DEFAULT_PROFILE.plugins]
    with pytest.raises(ValueError, match="not registered"):
        Framework(load_profile({"plugins": {"multiPoint": {"enabled": [{"name": "Nope"}]}}}))


def test_a_seeded_rng_is_used_for_ties() -> None:
    a = Framework(cache=cluster([make_node("x"), make_node("y")]).cache, rng=random.Random(1))
    b = Framework(cache=cluster([make_node("x"), make_node("y")]).cache, rng=random.Random(1))
    assert [a.schedule(make_pod("p")).node for _ in range(10)] == \
        [b.schedule(make_pod("p")).node for _ in range(10)]
