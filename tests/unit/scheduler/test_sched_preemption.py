"""DefaultPreemption: who gets evicted, where, and what the event says when nobody can be."""

from __future__ import annotations

from typing import Any

from sched_builders import HOSTNAME, cluster, make_node, make_pod, pod_affinity, pod_term

from minik8s.api import selectors
from minik8s.scheduler.framework import Framework
from minik8s.scheduler.preemption import PreemptionResult, preempt


def attempt(fw: Framework, pod: dict[str, Any], pdbs: list[dict[str, Any]] | None = None
            ) -> tuple[PreemptionResult, str]:
    r = fw.schedule(pod)
    assert r.node is None
    pr = preempt(fw, r, pdbs or [])
    return pr, r.message(pr.message)


def names(pr: PreemptionResult) -> list[str]:
    return [v.name for v in pr.victims]


def test_the_node_needing_fewer_low_priority_victims_wins() -> None:
    fw = cluster([make_node("two-small", cpu="2"), make_node("one-big", cpu="2")], [
        make_pod("s1", cpu="1", priority=0, node="two-small"),
        make_pod("s2", cpu="1", priority=0, node="two-small"),
        make_pod("b1", cpu="2", priority=0, node="one-big")])
    pr, msg = attempt(fw, make_pod("vip", cpu="2", priority=100))
    assert (pr.node, names(pr), pr.message) == ("one-big", ["b1"], "")
    assert msg == "0/2 nodes are available: 2 Insufficient cpu."


def test_lower_priority_victims_are_preferred_over_fewer_ones() -> None:
    fw = cluster([make_node("a", cpu="2"), make_node("b", cpu="2")], [
        make_pod("a1", cpu="2", priority=50, node="a"),
        make_pod("b1", cpu="1", priority=1, node="b"), make_pod("b2", cpu="1", priority=1, node="b")])
    pr, _ = attempt(fw, make_pod("vip", cpu="2", priority=100))
    assert (pr.node, sorted(names(pr))) == ("b", ["b1", "b2"])


def test_only_as_many_pods_as_needed_are_evicted_lowest_priority_first() -> None:
    fw = cluster([make_node("n", cpu="4")], [
        make_pod("keep", cpu="2", priority=5, node="n"),
        make_pod("go1", cpu="1", priority=1, node="n"),
        make_pod("go2", cpu="1", priority=1, node="n")])
    pr, _ = attempt(fw, make_pod("vip", cpu="2", priority=10))
    assert pr.node == "n" and sorted(names(pr)) == ["go1", "go2"]


def test_equal_or_higher_priority_pods_are_never_victims() -> None:
    fw = cluster([make_node("n", cpu="1")], [make_pod("peer", cpu="1", priority=10, node="n")])
    pr, msg = attempt(fw, make_pod("p", cpu="1", priority=10))
    assert pr.node is None
    assert msg == ("0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are "
                   "available: 1 No preemption victims found for incoming pod.")


def test_preemption_policy_never_does_not_preempt() -> None:
    fw = cluster([make_node("n", cpu="1")], [make_pod("low", cpu="1", priority=0, node="n")])
    pr, msg = attempt(fw, make_pod("p", cpu="1", priority=10, preemptionPolicy="Never"))
    assert pr.node is None
    assert msg.endswith("preemption: not eligible due to preemptionPolicy=Never.")


def test_evicting_cannot_fix_a_node_the_pod_may_not_use() -> None:
    fw = cluster([make_node("n", cpu="1", labels={"env": "prod"})],
                 [make_pod("low", cpu="1", priority=0, node="n")])
    pr, msg = attempt(fw, make_pod("p", cpu="1", priority=10, nodeSelector={"env": "dev"}))
    assert pr.node is None
    assert msg.endswith("preemption: 0/1 nodes are available: 1 Preemption is not helpful for "
                        "scheduling.")


def test_a_pod_blocked_by_anti_affinity_evicts_the_lower_priority_pod_it_avoids() -> None:
    fw = cluster([make_node("n")], [make_pod("db", labels={"app": "db"}, priority=0, node="n")])
    pod = make_pod("p", priority=10, affinity=pod_affinity(pod_term({"app": "db"}), anti=True))
    pr, msg = attempt(fw, pod)
    assert (pr.node, names(pr)) == ("n", ["db"])
    assert msg == "0/1 nodes are available: 1 node(s) didn't match pod anti-affinity rules."


def test_victims_whose_budget_is_exhausted_are_spared_when_possible() -> None:
    fw = cluster([make_node("a", cpu="1"), make_node("b", cpu="1")], [
        make_pod("guarded", cpu="1", priority=0, node="a", labels={"app": "guarded"}),
        make_pod("free", cpu="1", priority=0, node="b", labels={"app": "free"})])
    pdb = {"metadata": {"namespace": "default", "name": "pdb"},
           "spec": {"selector": {"matchLabels": {"app": "guarded"}}},
           "status": {"disruptionsAllowed": 0}}
    pr, _ = attempt(fw, make_pod("vip", cpu="1", priority=10), [pdb])
    assert (pr.node, names(pr)) == ("b", ["free"])


def test_lower_priority_nominations_on_the_chosen_node_are_reported_for_clearing() -> None:
    fw = cluster([make_node("n", cpu="1")], [make_pod("low", cpu="1", priority=0, node="n")])
    fw.cache.nominate(make_pod("waiting", cpu="1", priority=1), "n")
    pr, _ = attempt(fw, make_pod("vip", cpu="1", priority=10))
    assert pr.node == "n" and [q.name for q in pr.nominated_to_clear] == ["waiting"]


def test_a_mixed_cluster_lists_both_preemption_outcomes() -> None:
    fw = cluster([make_node("cp", taints=[{"key": "k", "value": "v", "effect": "NoSchedule"}]),
                  make_node("w1", cpu="1"), make_node("w2", cpu="1")],
                 [make_pod("a", cpu="1", priority=50, node="w1"),
                  make_pod("b", cpu="1", priority=50, node="w2")])
    _, msg = attempt(fw, make_pod("p", cpu="1", priority=10))
    assert msg == ("0/3 nodes are available: 1 node(s) had untolerated taint {k: v}, 2 Insufficient "
                   "cpu. preemption: 0/3 nodes are available: 1 Preemption is not helpful for "
                   "scheduling, 2 No preemption victims found for incoming pod.")


def test_the_dry_run_works_on_copies_and_leaves_the_cache_alone() -> None:
    fw = cluster([make_node("a"), make_node("b")],
                 [make_pod("x", labels={"app": "x"}, priority=0, node="a"),
                  make_pod("y", labels={"app": "x"}, priority=0, node="b")])
    query = ((frozenset({"default"}), selectors.label_selector_from_dict({"matchLabels": {"app": "x"}})),)
    before = dict(fw.cache.pod_counts(query, HOSTNAME))
    pod = make_pod("p", priority=10, affinity=pod_affinity(pod_term({"app": "x"}), anti=True))
    pr, _ = attempt(fw, pod)
    assert pr.node in ("a", "b") and len(pr.victims) == 1
    assert fw.cache.pod_counts(query, HOSTNAME) == before == {"a": 1, "b": 1}
    assert [len(ni.pods) for ni in fw.cache.node_list()] == [1, 1]
