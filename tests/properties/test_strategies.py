"""The strategies build valid, mutually consistent objects: the API server and the published
schemas accept them, selectors select what they were built to select, limits cover requests."""

from __future__ import annotations

import asyncio
import copy
import itertools
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from minik8s.api import quantity, selectors
from minik8s.cluster import Cluster
from minik8s.testing import oracles
from minik8s.testing import strategies as k8s

FAST = settings(max_examples=40, deadline=None, database=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


class InProcess:
    """One cluster for the module, driven on its own loop (created objects get unique names)."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.cluster = Cluster(clock="virtual", serve=False)
        self.loop.run_until_complete(self.cluster.start())
        self.n = itertools.count()

    def create(self, obj: dict[str, Any]) -> dict[str, Any]:
        obj = copy.deepcopy(obj)
        md = obj["metadata"]
        md["name"] = f"{md['name'][:40]}-{next(self.n)}"
        if obj["kind"] == "StatefulSet":
            obj["spec"]["serviceName"] = md["name"]
        if obj["kind"] == "HorizontalPodAutoscaler":
            obj["spec"]["scaleTargetRef"]["name"] = md["name"]
        return self.cluster.client.create(obj)  # type: ignore[no-any-return]

    def close(self) -> None:
        self.loop.run_until_complete(self.cluster.stop())
        self.loop.close()


@pytest.fixture(scope="module")
def api() -> Iterator[InProcess]:
    c = InProcess()
    yield c
    c.close()


ANY_OBJECT = st.one_of(k8s.nodes(), k8s.pods(), k8s.deployments(), k8s.statefulsets(), k8s.daemonsets(),
                       k8s.workload_sets())


@FAST
@given(obj=ANY_OBJECT)
def test_every_generated_object_is_accepted_by_the_api_server(api: InProcess, obj: Any) -> None:
    for o in obj if isinstance(obj, list) else [obj]:
        api.create(o)


@settings(FAST, max_examples=20)
@given(obj=ANY_OBJECT)
def test_every_generated_object_validates_against_the_kubernetes_schemas(obj: Any) -> None:
    kubernetes_validate = pytest.importorskip("kubernetes_validate")
    for o in obj if isinstance(obj, list) else [obj]:
        kubernetes_validate.validate(o, "1.33", strict=True)


@FAST
@given(st.data())
def test_a_selector_built_to_match_labels_matches_them_in_both_forms(data: st.DataObject) -> None:
    lbls = data.draw(k8s.labels(min_size=1))
    sel = data.draw(k8s.label_selectors(matching=lbls, non_empty=True))
    assert selectors.label_selector_from_dict(sel).matches(lbls)
    text = k8s.selector_to_string(sel)
    assert selectors.parse_label_selector(text).matches(lbls)


@FAST
@given(sel=k8s.label_selectors(), other=k8s.labels())
def test_dict_and_string_forms_of_any_selector_agree(sel: dict[str, Any], other: dict[str, str]) -> None:
    as_dict = selectors.label_selector_from_dict(sel)
    as_text = selectors.parse_label_selector(k8s.selector_to_string(sel))
    assert as_dict.matches(other) == as_text.matches(other)


@FAST
@given(name=k8s.dns_labels(), sub=k8s.dns_subdomains(), svc=k8s.dns_labels(letter_first=True),
       key=k8s.label_keys(), value=k8s.label_values())
def test_names_keys_and_values_are_valid(name: str, sub: str, svc: str, key: str, value: str) -> None:
    from minik8s.registry import validation

    assert len(name) <= 63 and name[0].isalnum() and name[-1].isalnum() and name == name.lower()
    assert len(sub) <= 253 and all(part for part in sub.split("."))
    assert svc[0].isalpha()
    assert validation.qualified_name_errors(key) == []
    assert validation.validate_labels({key: value}, "metadata.labels") == []


@FAST
@given(cpu=k8s.cpu_quantities(100, 2500), mem=k8s.memory_quantities(2**20, 2**32))
def test_quantities_stay_within_their_bounds(cpu: str, mem: str) -> None:
    assert 100 <= quantity.milli(cpu) <= 2500
    assert 2**20 <= quantity.whole(mem) <= 2**32


@FAST
@given(res=k8s.resource_requirements(requests=True, limits=True))
def test_every_limit_covers_its_request(res: dict[str, Any]) -> None:
    assert quantity.milli(res["limits"]["cpu"]) >= quantity.milli(res["requests"]["cpu"])
    assert quantity.whole(res["limits"]["memory"]) >= quantity.whole(res["requests"]["memory"])


@FAST
@given(st.data())
def test_tolerations_built_for_taints_tolerate_them(data: st.DataObject) -> None:
    taints = data.draw(st.lists(k8s.taints(), max_size=3))
    tols = data.draw(k8s.tolerations(tolerating=taints))
    assert all(oracles.tolerated(t, tols) for t in taints)


@FAST
@given(st.data())
def test_node_affinity_and_node_selector_built_for_a_node_select_it(data: st.DataObject) -> None:
    node = data.draw(k8s.nodes())
    labels = node["metadata"]["labels"]
    spec = data.draw(k8s.pod_specs(node_labels=labels, tolerate=node.get("spec", {}).get("taints", []),
                                   node_selector=True, node_affinity=True))
    assert oracles.node_selected(spec, node)
    assert not oracles.untolerated(node, spec.get("tolerations", []), ("NoSchedule", "NoExecute"))


@settings(FAST, max_examples=20)
@given(objs=k8s.workload_sets(max_deployments=3, max_statefulsets=2, max_daemonsets=2))
def test_a_workload_set_is_consistent(objs: list[dict[str, Any]]) -> None:
    names = [(o["kind"], o["metadata"]["name"]) for o in objs]
    assert len(names) == len(set(names))
    workloads = [o for o in objs if o["kind"] in ("Deployment", "StatefulSet", "DaemonSet")]
    assert len({o["metadata"]["name"] for o in workloads}) == len(workloads)
    for o in workloads:
        sel = selectors.label_selector_from_dict(o["spec"]["selector"])
        assert sel.matches(o["spec"]["template"]["metadata"]["labels"])
        for other in workloads:  # no two workloads select each other's pods
            if other is not o:
                assert not sel.matches(other["spec"]["template"]["metadata"]["labels"])
    deployments = {o["metadata"]["name"]: o for o in objs if o["kind"] == "Deployment"}
    services = {o["metadata"]["name"] for o in objs if o["kind"] == "Service"}
    for o in objs:
        if o["kind"] == "HorizontalPodAutoscaler":
            target = deployments[o["spec"]["scaleTargetRef"]["name"]]
            assert 1 <= o["spec"]["minReplicas"] <= o["spec"]["maxReplicas"]
            assert all("cpu" in c["resources"]["requests"] for c in target["spec"]["template"]["spec"]["containers"])
        if o["kind"] == "StatefulSet":
            assert o["spec"]["serviceName"] in services


@settings(FAST, max_examples=8)
@given(objs=k8s.workload_sets())
def test_a_workload_set_applies_and_its_controllers_act_on_it(objs: list[dict[str, Any]]) -> None:
    async def go() -> None:
        async with Cluster(clock="virtual", serve=False) as c:
            for o in objs:
                c.client.apply(o, manager="test", force=True)
            await c.settle(timeout=120)
            for o in objs:
                if o["kind"] in ("Deployment", "StatefulSet", "DaemonSet"):
                    got = c.client.get("apps/v1", o["kind"], o["metadata"]["name"], "default")
                    assert got["status"].get("observedGeneration") == got["metadata"]["generation"]
    asyncio.run(go())
