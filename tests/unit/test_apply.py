"""Server-side apply through the in-process client: ownership, conflicts, removal, list types.

A property test drives random applies by two managers and checks, after every step, that
no field either of them still owns has gone missing or changed behind its back.
"""

from __future__ import annotations

import copy
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from minik8s.api import errors
from minik8s.cluster import Cluster
from minik8s.config import ClusterConfig
from minik8s.registry import fieldpath

Obj = dict[str, Any]
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"


@pytest.fixture
async def cluster() -> AsyncIterator[Cluster]:
    async with Cluster(clock="virtual", serve=False) as c:
        yield c


def quiet_cluster() -> Cluster:
    """No controllers, never started: only the test's writes happen."""
    c = Cluster(ClusterConfig(controllers=[]), clock="virtual", serve=False)
    c.client.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "default"}})
    return c


def deployment(name: str = "web", *, replicas: int | None = 1, image: str = "nginx:1.27",
               env: dict[str, str] | None = None, labels: dict[str, str] | None = None) -> Obj:
    c: Obj = {"name": "nginx", "image": image}
    if env is not None:
        c["env"] = [{"name": k, "value": v} for k, v in env.items()]
    spec: Obj = {"selector": {"matchLabels": {"app": name}},
                 "template": {"metadata": {"labels": {"app": name}},
                              "spec": {"containers": [c]}}}
    if replicas is not None:
        spec["replicas"] = replicas
    md: Obj = {"name": name, "namespace": "default"}
    if labels is not None:
        md["labels"] = labels
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": md, "spec": spec}


def entry(obj: Obj, manager: str, operation: str = "Apply") -> Obj:
    found = [e for e in obj["metadata"].get("managedFields", ())
             if e["manager"] == manager and e["operation"] == operation]
    assert len(found) == 1, obj["metadata"].get("managedFields")
    return found[0]


def container(obj: Obj) -> Obj:
    c: Obj = obj["spec"]["template"]["spec"]["containers"][0]
    return c


def conflict(fn: Any, *args: Any, **kw: Any) -> errors.Conflict:
    with pytest.raises(errors.Conflict) as e:
        fn(*args, **kw)
    return e.value


# ------------------------------------------------------------------ create and ownership


async def test_apply_creates_the_object_owned_by_the_applier(cluster: Cluster) -> None:
    d = cluster.client.apply(deployment(labels={"app": "web"}), manager="kubectl")
    e = entry(d, "kubectl")
    assert e["apiVersion"] == "apps/v1" and e["time"] and e["fieldsType"] == "FieldsV1"
    assert e["fieldsV1"]["f:metadata"] == {"f:labels": {"f:app": {}}}
    assert "f:strategy" not in e["fieldsV1"]["f:spec"]  # defaulted later: owned by no one
    assert d["spec"]["strategy"]["type"] == "RollingUpdate"
    assert [m["manager"] for m in d["metadata"]["managedFields"]] == ["kubectl"]


async def test_applying_the_same_configuration_again_changes_nothing(cluster: Cluster) -> None:
    d = cluster.client.apply(deployment(), manager="kubectl")
    again = cluster.client.apply(deployment(), manager="kubectl")
    assert again["metadata"]["resourceVersion"] == d["metadata"]["resourceVersion"]


async def test_a_second_applier_with_the_same_values_shares_ownership(cluster: Cluster) -> None:
    cluster.client.apply(deployment(replicas=2), manager="a")
    d = cluster.client.apply(deployment(replicas=2), manager="b")
    assert "f:replicas" in entry(d, "a")["fieldsV1"]["f:spec"]
    assert "f:replicas" in entry(d, "b")["fieldsV1"]["f:spec"]
    assert "time" not in entry(d, "b")  # no value changed: the real server sets none


async def test_a_different_value_conflicts_then_force_takes_the_field(cluster: Cluster) -> None:
    cluster.client.apply(deployment(replicas=2), manager="a")
    err = conflict(cluster.client.apply, deployment(replicas=3), manager="b")
    assert err.message == 'Apply failed with 1 conflict: conflict with "a": .spec.replicas'
    assert err.to_status()["details"] == {"causes": [
        {"reason": "FieldManagerConflict", "message": 'conflict with "a"',
         "field": ".spec.replicas"}]}
    d = cluster.client.apply(deployment(replicas=3), manager="b", force=True)
    assert d["spec"]["replicas"] == 3
    assert "f:replicas" not in entry(d, "a")["fieldsV1"]["f:spec"]
    assert "f:replicas" in entry(d, "b")["fieldsV1"]["f:spec"]


async def test_every_conflicting_field_is_listed(cluster: Cluster) -> None:
    cluster.client.apply(deployment(replicas=2, image="nginx:1", env={"A": "1"}), manager="a")
    err = conflict(cluster.client.apply, deployment(replicas=3, image="nginx:2", env={"A": "2"}),
                   manager="b")
    assert err.message == (
        'Apply failed with 3 conflicts: conflicts with "a":\n'
        '- .spec.replicas\n'
        '- .spec.template.spec.containers[name="nginx"].image\n'
        '- .spec.template.spec.containers[name="nginx"].env[name="A"].value')
    assert [c["field"] for c in err.to_status()["details"]["causes"]] == [
        ".spec.replicas", '.spec.template.spec.containers[name="nginx"].image',
        '.spec.template.spec.containers[name="nginx"].env[name="A"].value']


async def test_an_update_owner_conflicts_using_its_api_version(cluster: Cluster) -> None:
    cluster.client.apply(deployment(replicas=2), manager="kubectl")
    cluster.client.patch("apps/v1", "Deployment", "web", {"spec": {"replicas": 5}}, "default",
                         manager="hpa-controller")
    err = conflict(cluster.client.apply, deployment(replicas=2), manager="kubectl")
    assert err.message == ('Apply failed with 1 conflict: conflict with "hpa-controller" using '
                           'apps/v1: .spec.replicas')


async def test_dropping_a_field_from_the_configuration_removes_it(cluster: Cluster) -> None:
    cluster.client.apply(deployment(replicas=2, env={"A": "1", "B": "2"},
                                    labels={"app": "web", "tier": "fe"}), manager="kubectl")
    d = cluster.client.apply(deployment(replicas=None, env={"B": "2"}, labels={"app": "web"}),
                             manager="kubectl")
    assert container(d)["env"] == [{"name": "B", "value": "2"}]
    assert d["metadata"]["labels"] == {"app": "web"}
    assert d["spec"]["replicas"] == 1  # removed, then defaulted again
    assert "f:replicas" not in entry(d, "kubectl")["fieldsV1"]["f:spec"]


async def test_a_field_another_manager_still_owns_is_kept(cluster: Cluster) -> None:
    cluster.client.apply(deployment(env={"A": "1"}), manager="a")
    cluster.client.apply(deployment(env={"A": "1"}), manager="b")
    d = cluster.client.apply(deployment(env={}), manager="a")
    assert container(d)["env"] == [{"name": "A", "value": "1"}]


async def test_a_field_an_updater_set_is_not_removed_by_an_applier(cluster: Cluster) -> None:
    cluster.client.apply(deployment(labels={"app": "web"}), manager="kubectl")
    cluster.client.patch("apps/v1", "Deployment", "web",
                         {"metadata": {"labels": {"team": "x"}}}, "default", manager="edit")
    d = cluster.client.apply(deployment(labels={}), manager="kubectl")
    assert d["metadata"]["labels"] == {"team": "x"}


async def test_new_list_items_are_merged_by_key_and_atomic_lists_replaced(
        cluster: Cluster) -> None:
    cluster.client.apply(deployment(env={"A": "1"}), manager="a")
    cfg = deployment(env={"B": "2"})
    container(cfg)["args"] = ["x"]
    cluster.client.apply(cfg, manager="b")
    cfg = deployment(env={"B": "2"})
    container(cfg)["args"] = ["y", "z"]
    d = cluster.client.apply(cfg, manager="b")
    assert [e["name"] for e in container(d)["env"]] == ["A", "B"]
    assert container(d)["args"] == ["y", "z"]
    assert entry(d, "b")["fieldsV1"]["f:spec"]["f:template"]["f:spec"]["f:containers"][
        'k:{"name":"nginx"}']["f:args"] == {}


async def test_a_set_list_is_the_union_of_what_each_manager_applies(cluster: Cluster) -> None:
    cm = {"apiVersion": "v1", "kind": "ConfigMap",
          "metadata": {"name": "c", "namespace": "default", "finalizers": ["a.io/x"]}}
    cluster.client.apply(cm, manager="a")
    cm["metadata"]["finalizers"] = ["b.io/y"]
    c = cluster.client.apply(cm, manager="b")
    assert c["metadata"]["finalizers"] == ["a.io/x", "b.io/y"]
    assert entry(c, "b")["fieldsV1"] == {"f:metadata": {"f:finalizers": {'v:"b.io/y"': {}}}}


async def test_status_is_applied_only_through_the_status_subresource(cluster: Cluster) -> None:
    cfg = deployment()
    cfg["status"] = {"replicas": 7}
    d = cluster.client.apply(cfg, manager="kubectl")
    assert "f:status" not in entry(d, "kubectl")["fieldsV1"]
    status = {"apiVersion": "apps/v1", "kind": "Deployment",
              "metadata": {"name": "web", "namespace": "default"},
              "status": {"observedGeneration": 1}}
    d = cluster.client.patch("apps/v1", "Deployment", "web", status, "default",
                             patch_type="application/apply-patch+yaml", subresource="status",
                             manager="controller")
    e = next(m for m in d["metadata"]["managedFields"] if m["manager"] == "controller")
    assert e["subresource"] == "status"
    assert e["fieldsV1"] == {"f:status": {"f:observedGeneration": {}}}


async def test_a_request_without_field_manager_or_with_managed_fields_is_refused(
        cluster: Cluster) -> None:
    from minik8s.registry.registry import WriteOptions

    res = cluster.client.resource("apps/v1", "Deployment")
    with pytest.raises(errors.Invalid, match="fieldManager: Required value"):
        cluster.registry.patch(res, "default", "web", "application/apply-patch+yaml",
                               deployment(), WriteOptions(version="v1"))
    cfg = deployment()
    cfg["metadata"]["managedFields"] = [{"manager": "x"}]
    with pytest.raises(errors.BadRequest, match="metadata.managedFields must be nil"):
        cluster.client.apply(cfg, manager="kubectl")
    cfg = deployment()
    cfg["kind"] = "StatefulSet"
    with pytest.raises(errors.BadRequest, match="invalid object type: apps/v1, Kind=StatefulSet"):
        cluster.registry.patch(res, "default", "web", "application/apply-patch+yaml", cfg,
                               WriteOptions(version="v1", field_manager="m"))


async def test_kubectl_may_take_fields_that_still_match_its_last_applied_configuration(
        cluster: Cluster) -> None:
    """The CSA → SSA migration: a conflict with the client-side manager is forgiven
    where the live value is what the last-applied annotation says, and the server
    refreshes the annotation."""
    old = deployment(replicas=2)
    old["metadata"]["annotations"] = {LAST_APPLIED: json.dumps(old) + "\n"}
    cluster.client.create(old, manager="kubectl-client-side-apply")
    d = cluster.client.apply(deployment(replicas=3), manager="kubectl")
    assert d["spec"]["replicas"] == 3
    assert json.loads(d["metadata"]["annotations"][LAST_APPLIED]) == deployment(replicas=3)
    csa = entry(d, "kubectl-client-side-apply", "Update")
    assert "f:replicas" not in csa["fieldsV1"]["f:spec"]
    # another manager gets no such pass
    err = conflict(cluster.client.apply, deployment(replicas=3, image="other"), manager="other")
    assert "kubectl-client-side-apply" in err.message


async def test_kubectl_is_refused_where_the_live_value_drifted_from_last_applied(
        cluster: Cluster) -> None:
    old = deployment(replicas=2)
    old["metadata"]["annotations"] = {LAST_APPLIED: json.dumps(old) + "\n"}
    cluster.client.create(old, manager="kubectl-client-side-apply")
    cluster.client.patch("apps/v1", "Deployment", "web", {"spec": {"replicas": 4}}, "default",
                         manager="kubectl-client-side-apply")
    err = conflict(cluster.client.apply, deployment(replicas=3), manager="kubectl")
    assert err.message.endswith(".spec.replicas")


async def test_custom_resources_use_their_schema_list_types(cluster: Cluster) -> None:
    crd = {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
           "metadata": {"name": "widgets.example.com"},
           "spec": {"group": "example.com", "scope": "Namespaced",
                    "names": {"plural": "widgets", "singular": "widget", "kind": "Widget"},
                    "versions": [{"name": "v1", "served": True, "storage": True, "schema": {
                        "openAPIV3Schema": {"type": "object", "properties": {"spec": {
                            "type": "object", "properties": {
                                "parts": {"type": "array", "x-kubernetes-list-type": "map",
                                          "x-kubernetes-list-map-keys": ["id"],
                                          "items": {"type": "object", "required": ["id"],
                                                    "properties": {
                                                        "id": {"type": "string"},
                                                        "size": {"type": "integer"}}}},
                                "tags": {"type": "array", "items": {"type": "string"}}}}}}}}]}}
    cluster.client.create(crd)
    await cluster.settle()

    def widget(parts: list[Obj], tags: list[str]) -> Obj:
        return {"apiVersion": "example.com/v1", "kind": "Widget",
                "metadata": {"name": "w", "namespace": "default"},
                "spec": {"parts": parts, "tags": tags}}

    cluster.client.apply(widget([{"id": "a", "size": 1}], ["x"]), manager="a")
    err = conflict(cluster.client.apply, widget([{"id": "b", "size": 2}], ["y"]), manager="b")
    assert err.message.endswith(": .spec.tags")  # atomic: the whole list is one field
    w = cluster.client.apply(widget([{"id": "b", "size": 2}], ["y"]), manager="b", force=True)
    assert w["spec"]["parts"] == [{"id": "a", "size": 1}, {"id": "b", "size": 2}]
    assert w["spec"]["tags"] == ["y"]
    assert entry(w, "b")["fieldsV1"] == {"f:spec": {
        "f:parts": {'k:{"id":"b"}': {".": {}, "f:id": {}, "f:size": {}}}, "f:tags": {}}}
    assert "f:tags" not in entry(w, "a")["fieldsV1"]["f:spec"]


# ------------------------------------------------------------------ property


LABELS = st.dictionaries(st.sampled_from(["a", "b", "c"]), st.sampled_from(["1", "2"]),
                         min_size=1, max_size=3)
ENVS = st.dictionaries(st.sampled_from(["A", "B", "C"]), st.sampled_from(["x", "y"]),
                       max_size=3)
CONFIGS = st.fixed_dictionaries({
    "replicas": st.one_of(st.none(), st.integers(1, 3)),
    "image": st.sampled_from(["nginx:1", "nginx:2"]),
    "env": st.one_of(st.none(), ENVS),
    "labels": st.one_of(st.none(), LABELS),
})
STEPS = st.lists(st.tuples(st.sampled_from(["a", "b"]), CONFIGS, st.booleans()),
                 min_size=1, max_size=8)


def config_of(cfg: Obj) -> Obj:
    """A configuration: the identity the object needs plus the chosen optional fields."""
    return deployment("p", replicas=cfg["replicas"], image=cfg["image"], env=cfg["env"],
                      labels=cfg["labels"])


def owned_leaves(obj: Obj) -> dict[str, list[tuple[str, ...]]]:
    out = {}
    for e in obj["metadata"].get("managedFields", ()):
        out[e["manager"]] = [p for p in fieldpath.paths(fieldpath.decode(e["fieldsV1"]) or {})]
    return out


def resolve(obj: Any, path: tuple[str, ...]) -> Any:
    """The value at a field path, or a KeyError if it is not there."""
    cur = obj
    for pe in path:
        kind, rest = pe[:2], pe[2:]
        if kind == "f:":
            cur = cur[rest]
        elif kind == "k:":
            want = json.loads(rest)
            matches = [i for i in cur if all(i.get(k) == v for k, v in want.items())]
            if not matches:
                raise KeyError(pe)
            cur = matches[0]
        elif kind == "v:":
            if json.loads(rest) not in cur:
                raise KeyError(pe)
            cur = json.loads(rest)
    return cur


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=STEPS)
def test_two_appliers_never_lose_a_field_either_still_owns(steps: list[Any]) -> None:
    c = quiet_cluster()
    before: Obj = {"metadata": {}}
    for manager, cfg, force in steps:
        try:
            after = c.client.apply(config_of(cfg), manager=manager, force=force)
        except errors.Conflict:
            assert not force
            continue
        owned = owned_leaves(after)
        for paths in owned.values():
            for p in paths:
                resolve(after, p)  # every owned field is there
        other = "b" if manager == "a" else "a"
        for p in owned_leaves(before).get(other, ()):
            if p in owned.get(other, ()):
                if not p[-1].startswith("k:"):  # an item's other fields may be someone else's
                    assert resolve(after, p) == resolve(before, p), p  # untouched
            else:
                assert force, p  # only forcing takes a field away
        before = copy.deepcopy(after)
