"""Field sets and managedFields for Update operations (creates, updates, patches, status).

Expected shapes come from real clusters (kube-apiserver 1.27–1.33 responses), e.g. a pod
created by ``kubectl run`` and updated by the kubelet.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest

from minik8s.api import errors
from minik8s.cluster import Cluster
from minik8s.config import ClusterConfig
from minik8s.registry import fieldmanager as fm
from minik8s.registry import fieldpath, fieldschema, fieldvalues

Obj = dict[str, Any]
NOW = "2026-01-01T00:00:00Z"


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    """A cluster whose controllers never run: only the writes a test makes happen."""
    c = Cluster(ClusterConfig(controllers=[]), clock="virtual", serve=False)
    c.client.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "default"}})
    yield c


def make_pod(name: str = "nginx", **labels: str) -> Obj:
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": "default", "labels": labels or {"run": name}},
            "spec": {"containers": [{"name": "nginx", "image": "nginx", "resources": {}}],
                     "restartPolicy": "Never", "dnsPolicy": "ClusterFirst"}}


def make_deployment(name: str = "web", replicas: int = 1) -> Obj:
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": name, "namespace": "default", "labels": {"app": name}},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}},
                                  "spec": {"containers": [{"name": "nginx", "image": "nginx",
                                                           "ports": [{"containerPort": 80}]}]}}}}


def entry(obj: Obj, manager: str, operation: str = "Update",
          subresource: str | None = None) -> Obj:
    found = [e for e in obj["metadata"].get("managedFields", ())
             if e["manager"] == manager and e["operation"] == operation
             and e.get("subresource") == subresource]
    assert len(found) == 1, obj["metadata"].get("managedFields")
    return found[0]


def managers(obj: Obj) -> list[tuple[str, str]]:
    return [(e["manager"], e["operation"]) for e in obj["metadata"].get("managedFields", ())]


# ------------------------------------------------------------------ FieldsV1


def test_fieldsv1_puts_dot_first_then_fields_then_items_with_numbers_in_numeric_order() -> None:
    s = {"k:{\"containerPort\":8080,\"protocol\":\"TCP\"}": {}, "f:b": {}, "f:a": {"f:x": {}},
         "k:{\"containerPort\":80,\"protocol\":\"TCP\"}": {}}
    assert list(fieldpath.encode({"f:ports": {**s, ".": {}}})["f:ports"]) == [
        ".", "f:a", "f:b", 'k:{"containerPort":80,"protocol":"TCP"}',
        'k:{"containerPort":8080,"protocol":"TCP"}']


def test_encoding_an_ordered_set_returns_it_unchanged() -> None:
    s = {"f:a": {}, "f:b": {".": {}, "f:c": {}}}
    assert fieldpath.encode(s) is s


@pytest.mark.parametrize("path,rendered", [
    (("f:spec", "f:replicas"), ".spec.replicas"),
    (("f:spec", "f:template", "f:spec", "f:containers", 'k:{"name":"nginx"}', "f:image"),
     '.spec.template.spec.containers[name="nginx"].image'),
    (("f:spec", "f:ports", 'k:{"port":80,"protocol":"TCP"}'), '.spec.ports[port=80,protocol="TCP"]'),
    (("f:metadata", "f:finalizers", 'v:"a/b"'), '.metadata.finalizers[="a/b"]'),
], ids=["a field", "a keyed list item's field", "an item keyed by two fields", "a set item"])
def test_paths_render_as_the_real_server_prints_them(path: tuple[str, ...], rendered: str) -> None:
    assert fieldpath.render_path(path) == rendered


def test_client_written_item_keys_are_read_in_canonical_form() -> None:
    raw = {"f:spec": {"f:ports": {'k:{"protocol": "TCP", "port": 80}': {".": {}, "f:port": {}}}}}
    assert fieldpath.decode(raw) == {"f:spec": {"f:ports": {
        'k:{"port":80,"protocol":"TCP"}': {".": {}, "f:port": {}}}}}


def test_set_algebra_keeps_members_and_their_children_apart() -> None:
    a = {"f:labels": {".": {}, "f:app": {}}}
    b = {"f:labels": {"f:app": {}}}
    assert fieldpath.difference(a, b) == {"f:labels": {}}
    assert fieldpath.difference(b, a) == {}
    assert fieldpath.intersection(a, b) == {"f:labels": {"f:app": {}}}
    assert fieldpath.union(b, {"f:labels": {}}) == a
    assert fieldpath.difference(a, {}) is a


def test_an_applied_configuration_owns_leaves_and_items_but_not_containers() -> None:
    t = fieldschema.type_for("apps", "v1", "Deployment")
    assert fieldpath.encode(fieldvalues.field_set(t, make_deployment())) == {
        "f:apiVersion": {}, "f:kind": {},
        "f:metadata": {"f:labels": {"f:app": {}}, "f:name": {}, "f:namespace": {}},
        "f:spec": {"f:replicas": {}, "f:selector": {}, "f:template": {
            "f:metadata": {"f:labels": {"f:app": {}}},
            "f:spec": {"f:containers": {'k:{"name":"nginx"}': {
                ".": {}, "f:image": {}, "f:name": {},
                "f:ports": {'k:{"containerPort":80,"protocol":"TCP"}': {
                    ".": {}, "f:containerPort": {}}}}}}}}}


def test_merge_keeps_live_only_items_in_place_and_appends_new_ones() -> None:
    t = fieldschema.type_for("", "v1", "Pod")
    live = {"spec": {"containers": [{"name": "a"}, {"name": "b"}, {"name": "c"}]}}
    config = {"spec": {"containers": [{"name": "b", "image": "x"}, {"name": "d"}]}}
    merged = fieldvalues.merge(t, live, config)
    assert [c["name"] for c in merged["spec"]["containers"]] == ["a", "b", "c", "d"]
    assert merged["spec"]["containers"][1] == {"name": "b", "image": "x"}


# ------------------------------------------------------------------ creates


def test_a_create_owns_everything_it_set_including_defaults(cluster: Cluster) -> None:
    pod = cluster.client.create(make_pod(), manager="kubectl-run")
    e = entry(pod, "kubectl-run")
    assert e["apiVersion"] == "v1" and e["fieldsType"] == "FieldsV1" and e["time"] == NOW
    assert e["fieldsV1"]["f:metadata"] == {"f:labels": {".": {}, "f:run": {}}}
    spec = e["fieldsV1"]["f:spec"]
    assert spec["f:containers"] == {'k:{"name":"nginx"}': {
        ".": {}, "f:image": {}, "f:imagePullPolicy": {}, "f:name": {}, "f:resources": {},
        "f:terminationMessagePath": {}, "f:terminationMessagePolicy": {}}}
    for defaulted in ("f:dnsPolicy", "f:restartPolicy", "f:schedulerName", "f:securityContext",
                      "f:terminationGracePeriodSeconds", "f:enableServiceLinks"):
        assert defaulted in spec
    # admission's additions (service account volume, tolerations) belong to no one
    assert "f:volumes" not in spec and "f:tolerations" not in spec
    assert "f:serviceAccountName" not in spec and "f:status" not in e["fieldsV1"]


def test_value_structs_are_not_owned_as_containers_but_pointer_structs_are(
        cluster: Cluster) -> None:
    d = cluster.client.create(make_deployment(), manager="kubectl-create")
    f = entry(d, "kubectl-create")["fieldsV1"]["f:spec"]
    assert "." not in f and "." not in f["f:template"] and "." not in f["f:strategy"]
    assert f["f:strategy"]["f:rollingUpdate"] == {".": {}, "f:maxSurge": {},
                                                  "f:maxUnavailable": {}}
    assert "." not in f["f:template"]["f:spec"]["f:containers"]  # containers reads as null
    ports = f["f:template"]["f:spec"]["f:containers"]['k:{"name":"nginx"}']["f:ports"]
    assert list(ports) == [".", 'k:{"containerPort":80,"protocol":"TCP"}']
    assert "f:creationTimestamp" not in f["f:template"]["f:metadata"]


def test_identity_and_bookkeeping_fields_are_never_owned(cluster: Cluster) -> None:
    cm = cluster.client.create({"apiVersion": "v1", "kind": "ConfigMap",
                                "metadata": {"name": "c", "namespace": "default"}})
    assert "managedFields" not in cm["metadata"]  # nothing but identity: no entry


def test_the_manager_defaults_to_the_user_agent_product_then_unknown() -> None:
    from minik8s.registry.registry import WriteOptions

    assert fm.manager_name(WriteOptions(field_manager="me")) == "me"
    assert fm.manager_name(WriteOptions(user_agent="OpenAPI-Generator/37.0.2/python")) == \
        "OpenAPI-Generator"
    assert fm.manager_name(WriteOptions(user_agent="kubectl/v1.32.0 (linux/amd64)")) == "kubectl"
    assert fm.manager_name(WriteOptions()) == "unknown"


# ------------------------------------------------------------------ updates


def test_an_update_takes_the_fields_it_changed_from_their_owner(cluster: Cluster) -> None:
    cluster.client.create(make_deployment(), manager="kubectl-create")
    d = cluster.client.patch("apps/v1", "Deployment", "web", {"spec": {"replicas": 3}}, "default",
                             manager="kubectl-scale")
    assert entry(d, "kubectl-scale")["fieldsV1"] == {"f:spec": {"f:replicas": {}}}
    assert "f:replicas" not in entry(d, "kubectl-create")["fieldsV1"]["f:spec"]


def test_an_update_that_removes_a_field_takes_it_from_every_owner(cluster: Cluster) -> None:
    cluster.client.create(make_pod(run="x", tier="fe"), manager="a")
    p = cluster.client.patch("v1", "Pod", "nginx", {"metadata": {"labels": {"tier": None}}},
                             "default", manager="b")
    assert "f:tier" not in entry(p, "a")["fieldsV1"]["f:metadata"]["f:labels"]
    assert managers(p) == [("a", "Update")]  # b changed nothing it could keep


def test_an_unchanged_write_keeps_managed_fields_and_the_resource_version(
        cluster: Cluster) -> None:
    d = cluster.client.create(make_deployment(), manager="kubectl-create")
    again = cluster.client.update(copy.deepcopy(d), manager="someone-else")
    assert again["metadata"]["resourceVersion"] == d["metadata"]["resourceVersion"]
    assert again["metadata"]["managedFields"] == d["metadata"]["managedFields"]


def test_a_status_update_owns_only_status_under_the_status_subresource(
        cluster: Cluster) -> None:
    d = cluster.client.create(make_deployment(), manager="kubectl-create")
    d["status"] = {"replicas": 1, "conditions": [
        {"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable"}]}
    d["spec"]["replicas"] = 9  # ignored through /status
    d = cluster.client.update_status(d, manager="kube-controller-manager")
    e = entry(d, "kube-controller-manager", subresource="status")
    assert e["fieldsV1"] == {"f:status": {
        "f:conditions": {".": {}, 'k:{"type":"Available"}': {
            ".": {}, "f:reason": {}, "f:status": {}, "f:type": {}}},
        "f:replicas": {}}}
    # a second status write only moves what changed, in this manager's entry
    d["status"]["conditions"][0]["status"] = "False"
    d2 = cluster.client.update_status(d, manager="kube-controller-manager")
    assert entry(d2, "kube-controller-manager", subresource="status")["fieldsV1"] == e["fieldsV1"]


def test_the_main_resource_never_owns_status(cluster: Cluster) -> None:
    d = cluster.client.create(make_deployment(), manager="kubectl-create")
    d["status"] = {"replicas": 1}
    d["metadata"]["labels"]["tier"] = "fe"
    d = cluster.client.update(d, manager="kubectl-edit")
    assert entry(d, "kubectl-edit")["fieldsV1"] == {"f:metadata": {"f:labels": {"f:tier": {}}}}


def test_only_the_manager_that_changed_something_gets_a_new_time(cluster: Cluster) -> None:
    clock: Any = cluster.clock
    cluster.client.create(make_pod(), manager="a")
    clock.set(clock.now() + 60)
    p = cluster.client.patch("v1", "Pod", "nginx", {"metadata": {"labels": {"x": "1"}}},
                             "default", manager="b")
    assert entry(p, "a")["time"] == NOW
    assert entry(p, "b")["time"] == "2026-01-01T00:01:00Z"
    assert managers(p) == [("a", "Update"), ("b", "Update")]  # ordered by time


def test_managed_fields_sent_with_an_update_replace_the_stored_ones(cluster: Cluster) -> None:
    """What csaupgrade's JSON patch relies on (kubectl apply --server-side migration)."""
    p = cluster.client.create(make_pod(), manager="kubectl-client-side-apply")
    mf = copy.deepcopy(p["metadata"]["managedFields"])
    mf[0].update(manager="kubectl", operation="Apply")
    mf[0].pop("time")
    p = cluster.client.patch(
        "v1", "Pod", "nginx",
        [{"op": "replace", "path": "/metadata/managedFields", "value": mf}], "default",
        patch_type="application/json-patch+json", manager="kubectl")
    assert managers(p) == [("kubectl", "Apply")]
    assert entry(p, "kubectl", "Apply")["fieldsV1"] == mf[0]["fieldsV1"]


def test_empty_managed_fields_untrack_the_object_until_someone_applies(
        cluster: Cluster) -> None:
    p = cluster.client.create(make_pod(), manager="a")
    p["metadata"]["managedFields"] = []
    p = cluster.client.update(p, manager="a")
    assert "managedFields" not in p["metadata"]
    p["metadata"]["labels"]["x"] = "1"
    p = cluster.client.update(p, manager="b")
    assert "managedFields" not in p["metadata"]
    p = cluster.client.apply({"apiVersion": "v1", "kind": "Pod",
                              "metadata": {"name": "nginx", "namespace": "default",
                                           "labels": {"y": "2"}}}, manager="c")
    assert managers(p) == [("c", "Apply"), ("before-first-apply", "Update")]
    assert "f:x" in entry(p, "before-first-apply")["fieldsV1"]["f:metadata"]["f:labels"]


def test_more_than_ten_updaters_fold_the_oldest_into_ancient_changes(cluster: Cluster) -> None:
    clock: Any = cluster.clock
    cluster.client.create(make_pod(), manager="m0")
    for i in range(1, 12):
        clock.set(clock.now() + 1)
        p = cluster.client.patch("v1", "Pod", "nginx", {"metadata": {"labels": {f"l{i}": "v"}}},
                                 "default", manager=f"m{i}")
    names = [m for m, _ in managers(p)]
    assert len(names) == 10 and names[0] == "ancient-changes"
    assert "m0" not in names and "m1" not in names and "m2" not in names
    ancient = entry(p, "ancient-changes")["fieldsV1"]
    assert "f:spec" in ancient and "f:l2" in ancient["f:metadata"]["f:labels"]


def test_a_scale_subresource_entry_has_no_time_as_the_scale_handler_leaves_it() -> None:
    t = fieldschema.type_for("apps", "v1", "Deployment")
    old = make_deployment()
    old["metadata"]["uid"] = "u"
    fm.update_managed_fields(None, old, manager="kubectl-create", api_version="apps/v1",
                             now=NOW, meta=t)
    new = copy.deepcopy(old)
    new["spec"]["replicas"] = 4
    fm.update_managed_fields(old, new, manager="kubectl", api_version="apps/v1", now=NOW,
                             meta=t, subresource="scale", has_status=True)
    e = entry(new, "kubectl", subresource="scale")
    assert "time" not in e and e["fieldsV1"] == {"f:spec": {"f:replicas": {}}}


def test_update_managed_fields_only_records_updates() -> None:
    with pytest.raises(ValueError):
        fm.update_managed_fields(None, {}, manager="m", api_version="v1", now=NOW,
                                 meta=fieldschema.DEDUCED, operation="Apply")


# ------------------------------------------------------------------ conflicts


def _e(manager: str, operation: str = "Update", subresource: str = "") -> Any:
    return fm.Entry(manager, operation, "apps/v1", None, subresource, {})


@pytest.mark.parametrize("conflicts,message", [
    ([(_e("kubectl-client-side-apply"), [("f:spec", "f:replicas")])],
     ('Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1: '
      '.spec.replicas')),
    ([(_e("kubectl", subresource="scale"), [("f:spec", "f:replicas")])],
     ('Apply failed with 1 conflict: conflict with "kubectl" with subresource "scale" using '
      'apps/v1: .spec.replicas')),
    ([(_e("other", "Apply"), [("f:spec", "f:replicas"), ("f:metadata", "f:labels", "f:a")])],
     ('Apply failed with 2 conflicts: conflicts with "other":\n- .spec.replicas\n'
      '- .metadata.labels.a')),
    ([(_e("z"), [("f:a",)]), (_e("b", "Apply"), [("f:b",)])],
     ('Apply failed with 2 conflicts: conflicts with "b":\n- .b\nconflicts with "z" using '
      'apps/v1:\n- .a')),
], ids=["one field of an updater", "a field set through the scale subresource",
        "two fields of an applier", "two managers, sorted by name"])
def test_conflicts_read_like_the_real_server(conflicts: Any, message: str) -> None:
    err = fm.conflict_error(conflicts)
    assert isinstance(err, errors.Conflict) and err.code == 409
    assert err.message == message
    status = err.to_status()
    assert status["reason"] == "Conflict" and list(status["details"]) == ["causes"]
    assert all(c["reason"] == "FieldManagerConflict" for c in status["details"]["causes"])
    first = status["details"]["causes"][0]
    assert first["message"].startswith("conflict with ") and first["field"].startswith(".")
