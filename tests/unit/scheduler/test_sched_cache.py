"""The cache: assume/forget/confirm, node churn, zone-interleaved order, incremental aggregates."""

from __future__ import annotations

from sched_builders import HOSTNAME, ZONE, cluster, make_node, make_pod, pod_affinity, pod_term

from minik8s.api import selectors
from minik8s.scheduler.aggregates import ANTI
from minik8s.scheduler.cache import ClusterCache

WEB = ((frozenset({"default"}), selectors.label_selector_from_dict({"matchLabels": {"app": "web"}})),)


def test_assumed_then_bound_pods_are_counted_once() -> None:
    cache = ClusterCache()
    cache.add_node(make_node("n", cpu="4"))
    pod = make_pod("p", cpu="1")
    cache.assume(pod, "n")
    assert cache.is_assumed(pod) and cache.get_node("n").req_cpu == 1000  # type: ignore[union-attr]
    bound = make_pod("p", cpu="1", node="n")
    cache.add_pod(bound)
    assert not cache.is_assumed(pod) and cache.get_node("n").req_cpu == 1000  # type: ignore[union-attr]
    cache.forget(bound)  # only assumed pods can be forgotten
    assert cache.get_node("n").req_cpu == 1000  # type: ignore[union-attr]
    cache.remove_pod(bound)
    assert cache.get_node("n").req_cpu == 0  # type: ignore[union-attr]


def test_a_pod_moving_between_nodes_moves_its_requests() -> None:
    cache = ClusterCache()
    for n in ("a", "b"):
        cache.add_node(make_node(n))
    cache.add_pod(make_pod("p", cpu="1", node="a"))
    cache.update_pod(make_pod("p", cpu="1", node="a"), make_pod("p", cpu="1", node="b"))
    assert [(ni.name, ni.req_cpu) for ni in cache.node_list()] == [("a", 0), ("b", 1000)]


def test_pods_seen_before_their_node_wait_for_it() -> None:
    cache = ClusterCache()
    cache.add_pod(make_pod("early", cpu="1", node="late"))
    assert cache.node_list() == [] and cache.num_nodes == 0
    cache.add_node(make_node("late"))
    assert cache.node_list()[0].req_cpu == 1000
    cache.remove_node("late")
    assert cache.node_list() == [] and "late" in cache.nodes  # kept while it has pods
    cache.remove_pod(make_pod("early", node="late"))
    assert "late" not in cache.nodes


def test_nodes_are_walked_one_zone_at_a_time() -> None:
    cache = ClusterCache()
    for name, zone in [("a1", "z1"), ("a2", "z1"), ("a3", "z1"), ("b1", "z2"), ("c1", "z3"),
                       ("c2", "z3")]:
        cache.add_node(make_node(name, labels={ZONE: zone}))
    assert [ni.name for ni in cache.node_list()] == ["a1", "b1", "c1", "a2", "c2", "a3"]
    cache.remove_node("b1")
    assert [ni.name for ni in cache.node_list()] == ["a1", "c1", "a2", "c2", "a3"]


def test_pod_counts_follow_pods_and_node_labels() -> None:
    cache = ClusterCache()
    cache.add_node(make_node("a", labels={ZONE: "z1"}))
    cache.add_node(make_node("b", labels={ZONE: "z1"}))
    cache.add_pod(make_pod("w1", labels={"app": "web"}, node="a"))
    assert cache.pod_counts(WEB, ZONE) == {"z1": 1}
    cache.add_pod(make_pod("w2", labels={"app": "web"}, node="b"))
    cache.add_pod(make_pod("other", namespace="x", labels={"app": "web"}, node="b"))
    assert cache.pod_counts(WEB, ZONE) == {"z1": 2}
    assert cache.pod_counts(WEB, None) == {"a": 1, "b": 1}
    cache.update_node(make_node("b", labels={ZONE: "z2"}))  # relabel: counts move with the node
    assert cache.pod_counts(WEB, ZONE) == {"z1": 1, "z2": 1}
    assert cache.domains(ZONE) == {"z1": 1, "z2": 1}
    cache.remove_pod(make_pod("w1"))
    assert cache.pod_counts(WEB, ZONE) == {"z2": 1}
    cache.update_node(make_node("b"))  # the zone label removed
    assert cache.pod_counts(WEB, ZONE) == {} and cache.domains(ZONE) == {"z1": 1}


def test_terminating_pods_can_be_left_out_of_counts() -> None:
    cache = ClusterCache()
    cache.add_node(make_node("a"))
    old = make_pod("w", labels={"app": "web"}, node="a")
    cache.add_pod(old)
    dying = make_pod("w", labels={"app": "web"}, node="a")
    dying["metadata"]["deletionTimestamp"] = "2024-01-01T00:00:00Z"
    cache.update_pod(old, dying)
    assert cache.pod_counts(WEB, HOSTNAME) == {"a": 1}
    assert cache.pod_counts(WEB, HOSTNAME, skip_terminating=True) == {}


def test_existing_anti_affinity_terms_are_grouped_per_identical_term() -> None:
    fw = cluster([make_node(f"n{i}") for i in range(3)])
    term = pod_affinity(pod_term({"app": "web"}), anti=True)
    for i in range(3):
        fw.cache.add_pod(make_pod(f"w{i}", labels={"app": "web"}, node=f"n{i}", affinity=term))
    groups = fw.cache.term_groups.groups[ANTI]
    assert len(groups) == 1 and next(iter(groups.values())) == {"n0": 1, "n1": 1, "n2": 1}
    for i in range(3):
        fw.cache.remove_pod(make_pod(f"w{i}"))
    assert fw.cache.term_groups.groups[ANTI] == {}


def test_unused_count_queries_are_dropped_past_the_limit() -> None:
    cache = ClusterCache(max_counters=8)
    cache.add_node(make_node("a"))
    for i in range(20):
        q = ((frozenset({"default"}), selectors.label_selector_from_dict({"matchLabels": {"i": str(i)}})),)
        cache.pod_counts(q, HOSTNAME)
    assert len(cache.counters) <= 8
    cache.add_pod(make_pod("p", labels={"i": "19"}, node="a"))
    q19 = ((frozenset({"default"}), selectors.label_selector_from_dict({"matchLabels": {"i": "19"}})),)
    assert cache.pod_counts(q19, HOSTNAME) == {"a": 1}


def test_a_query_registered_late_counts_the_pods_already_bound() -> None:
    """Registration scans only pods carrying the selector's label pair: it must still see every
    such pod, with removals, relabels and other namespaces accounted for."""
    cache = ClusterCache()
    for name, zone in (("a", "z1"), ("b", "z2")):
        cache.add_node(make_node(name, labels={ZONE: zone}))
    cache.add_pod(make_pod("w1", labels={"app": "web", "tier": "x"}, node="a"))
    cache.add_pod(make_pod("w2", labels={"app": "web"}, node="b"))
    cache.add_pod(make_pod("gone", labels={"app": "web"}, node="b"))
    cache.remove_pod(make_pod("gone"))
    cache.add_pod(make_pod("elsewhere", namespace="x", labels={"app": "web"}, node="a"))
    cache.add_pod(make_pod("db", labels={"app": "db"}, node="a"))
    cache.update_pod(make_pod("db", labels={"app": "db"}, node="a"),
                     make_pod("db", labels={"app": "web"}, node="a"))  # relabelled into the query
    assert cache.pod_counts(WEB, ZONE) == {"z1": 2, "z2": 1}
    both = ((frozenset({"default"}), selectors.label_selector_from_dict(
        {"matchLabels": {"app": "web", "tier": "x"}})),)
    assert cache.pod_counts(both, HOSTNAME) == {"a": 1}


def test_a_status_write_keeps_the_pods_footprint() -> None:
    cache = ClusterCache()
    cache.add_node(make_node("a", cpu="4"))
    pod = make_pod("w", cpu="1", labels={"app": "web"}, node="a")
    cache.add_pod(pod)
    running = {**pod, "status": {"phase": "Running", "startTime": "2024-01-01T00:00:00Z"}}
    cache.update_pod(pod, running)
    ni = cache.get_node("a")
    assert ni is not None and ni.req_cpu == 1000 and len(ni.pods) == 1
    assert next(iter(ni.pods.values())).start_time == "2024-01-01T00:00:00Z"
    assert cache.pod_counts(WEB, HOSTNAME) == {"a": 1}
    relabelled = {**running, "metadata": {**running["metadata"], "labels": {"app": "db"}}}
    cache.update_pod(running, relabelled)
    assert cache.pod_counts(WEB, HOSTNAME) == {} and cache.get_node("a").req_cpu == 1000  # type: ignore[union-attr]


def test_a_status_write_keeps_the_parse_and_a_new_spec_or_allocatable_is_parsed_again() -> None:
    cache = ClusterCache()
    node = make_node("n", cpu="4", taints=[{"key": "k", "effect": "NoSchedule"}])
    cache.add_node(node)
    cache.add_pod(make_pod("p", cpu="1", node="n"))
    # a heartbeat: new Node dict and status, the same stored spec and allocatable objects
    beat = {**node, "status": {**node["status"], "conditions": [{"type": "Ready", "status": "True"}]}}
    cache.update_node(beat)
    ni = cache.get_node("n")
    assert ni is not None and ni.node is beat
    assert (ni.alloc_cpu, ni.free_cpu, [t.key for t in ni.hard_taints]) == (4000, 3000, ["k"])
    cordoned = {**beat, "spec": {**beat["spec"], "unschedulable": True, "taints": []}}
    cache.update_node(cordoned)
    assert ni.unschedulable and ni.hard_taints == () and ni.node is cordoned
    bigger = {**cordoned, "status": {**cordoned["status"], "allocatable": {
        **cordoned["status"]["allocatable"], "cpu": "8"}}}
    cache.update_node(bigger)
    assert (ni.alloc_cpu, ni.free_cpu) == (8000, 7000)
