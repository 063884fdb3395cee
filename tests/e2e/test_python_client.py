"""The official Python client (``kubernetes``) against a served cluster: typed CRUD, dict
patches (strategic merge), watch, errors as ApiException with a Status body, and paging."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from e2e_support import NO_SCHEDULER, make_deployment, make_pod

kubernetes = pytest.importorskip("kubernetes")
from kubernetes import client as k8s
from kubernetes import config, watch

POD_BODY = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p1", "labels": {"app": "a"}},
            "spec": {"containers": [{"name": "c", "image": "nginx:1.25"}]}}


@pytest.fixture
def api(served: Any) -> Iterator[Any]:
    client = config.new_client_from_config(served.cluster.kubeconfig_path)
    try:
        yield client
    finally:
        client.close()


@pytest.fixture
def core(api: Any) -> Any:
    return k8s.CoreV1Api(api)


@pytest.fixture
def apps(api: Any) -> Any:
    return k8s.AppsV1Api(api)


def status_of(e: Any) -> Any:
    body = json.loads(e.body)
    assert body["kind"] == "Status" and body["apiVersion"] == "v1"
    assert body["status"] == "Failure"
    return body


# ------------------------------------------------------------------ CRUD

def test_pod_create_list_read_patch_delete(served: Any, core: Any) -> None:
    created = core.create_namespaced_pod("default", POD_BODY)
    assert isinstance(created, k8s.V1Pod)
    assert created.metadata.name == "p1" and created.metadata.uid
    assert created.spec.containers[0].image_pull_policy == "IfNotPresent"  # server defaulting

    assert [p.metadata.name for p in core.list_namespaced_pod("default").items] == ["p1"]
    assert [p.metadata.name for p in core.list_pod_for_all_namespaces(
        label_selector="app=a").items] == ["p1"]
    assert core.read_namespaced_pod("p1", "default").spec.containers[0].image == "nginx:1.25"

    # a dict body is sent as a strategic merge patch: containers merge by name
    patched = core.patch_namespaced_pod("p1", "default", {
        "metadata": {"labels": {"tier": "fe"}},
        "spec": {"containers": [{"name": "c", "image": "nginx:1.27"}]}})
    assert patched.metadata.labels == {"app": "a", "tier": "fe"}
    assert [c.image for c in patched.spec.containers] == ["nginx:1.27"]
    assert int(patched.metadata.resource_version) > int(created.metadata.resource_version)

    deleted = core.delete_namespaced_pod("p1", "default", grace_period_seconds=0)
    assert deleted.metadata.name == "p1"  # pods answer with the deleted object
    assert core.list_namespaced_pod("default").items == []


def test_deployment_create_patch_scale_delete(served: Any, apps: Any) -> None:
    created = apps.create_namespaced_deployment("default", make_deployment("web", replicas=1))
    assert isinstance(created, k8s.V1Deployment)
    assert created.metadata.generation == 1
    assert created.spec.strategy.type == "RollingUpdate"
    assert created.spec.template.spec.containers[0].name == "nginx"

    patched = apps.patch_namespaced_deployment("web", "default", {"spec": {"replicas": 3}})
    assert patched.spec.replicas == 3 and patched.metadata.generation == 2

    scale = apps.read_namespaced_deployment_scale("web", "default")
    assert scale.spec.replicas == 3 and scale.status.selector == "app=web"
    apps.patch_namespaced_deployment_scale("web", "default", {"spec": {"replicas": 4}})
    assert apps.read_namespaced_deployment("web", "default").spec.replicas == 4

    body = k8s.V1DeleteOptions(propagation_policy="Foreground")
    apps.delete_namespaced_deployment("web", "default", body=body)
    served.settle()
    assert apps.list_namespaced_deployment("default").items == []


def test_typed_model_body_round_trips(served: Any, core: Any) -> None:
    cm = k8s.V1ConfigMap(metadata=k8s.V1ObjectMeta(name="cfg", labels={"a": "b"}),
                         data={"key": "value"})
    created = core.create_namespaced_config_map("default", cm)
    assert created.data == {"key": "value"}
    created.data["key"] = "other"
    replaced = core.replace_namespaced_config_map("cfg", "default", created)
    assert replaced.data == {"key": "other"}
    assert replaced.metadata.resource_version != created.metadata.resource_version


def test_immediate_delete_answers_a_success_status(served: Any, core: Any, apps: Any) -> None:
    """Like kube-apiserver: a Status naming the deleted object, except for the kinds whose
    storage returns the deleted object (pods, services, ...)."""
    cm = core.create_namespaced_config_map("default", {"metadata": {"name": "cfg"}})
    st = core.delete_namespaced_config_map("cfg", "default")
    assert st["kind"] == "Status" and st["status"] == "Success"
    assert st["details"] == {"name": "cfg", "group": "", "kind": "configmaps",
                             "uid": cm.metadata.uid}
    apps.create_namespaced_deployment("default", make_deployment("web"))
    out = apps.delete_namespaced_deployment("web", "default")
    assert out["kind"] == "Status" and out["status"] == "Success"
    assert out["details"]["group"] == "apps" and out["details"]["kind"] == "deployments"
    svc = core.create_namespaced_service("default", {
        "metadata": {"name": "svc"}, "spec": {"ports": [{"port": 80}]}})
    out = core.delete_namespaced_service("svc", "default")
    assert isinstance(out, k8s.V1Service) and out.metadata.uid == svc.metadata.uid


# ------------------------------------------------------------------ watch

def quiet_pod(name: str, **kw: Any) -> Any:
    """Unscheduled pods change only when the test changes them."""
    return make_pod(name, scheduler=NO_SCHEDULER, **kw)


def test_watch_sees_added_modified_deleted(served: Any, core: Any) -> None:
    c = served.client
    served.run(c.create, quiet_pod("p0"))
    seen: list[tuple[str, str]] = []
    w = watch.Watch()
    for ev in w.stream(core.list_namespaced_pod, "default", timeout_seconds=2):
        name = ev["object"].metadata.name
        seen.append((ev["type"], name))
        assert isinstance(ev["object"], k8s.V1Pod)
        if (ev["type"], name) == ("ADDED", "p0"):
            served.run(c.create, quiet_pod("w"))
            served.run(lambda: c.patch("v1", "Pod", "w", {"metadata": {"labels": {"m": "1"}}},
                                       "default"))
            served.run(lambda: c.delete("v1", "Pod", "w", "default", grace_period_seconds=0))
        if (ev["type"], name) == ("DELETED", "w"):
            w.stop()
    w_events = [t for t, n in seen if n == "w"]
    assert seen[0] == ("ADDED", "p0")
    assert w_events[0] == "ADDED" and w_events[-1] == "DELETED" and "MODIFIED" in w_events


def test_watch_from_a_resource_version_replays_only_newer_events(served: Any,
                                                                   core: Any) -> None:
    c = served.client
    served.run(c.create, quiet_pod("old"))
    rv = core.list_namespaced_pod("default").metadata.resource_version
    served.run(c.create, quiet_pod("new"))
    events = [(e["type"], e["object"].metadata.name) for e in watch.Watch().stream(
        core.list_namespaced_pod, "default", resource_version=rv, timeout_seconds=1)]
    assert events == [("ADDED", "new")]


def test_watch_with_label_selector(served: Any, core: Any) -> None:
    c = served.client
    served.run(c.create, quiet_pod("a", labels={"app": "x"}))
    served.run(c.create, quiet_pod("b", labels={"app": "y"}))
    events = [(e["type"], e["object"].metadata.name) for e in watch.Watch().stream(
        core.list_namespaced_pod, "default", label_selector="app=x", timeout_seconds=1)]
    assert events == [("ADDED", "a")]


def test_watch_from_a_too_old_resource_version_raises_410() -> None:
    from served import ServedCluster

    from minik8s.config import ClusterConfig

    served = ServedCluster(config=ClusterConfig(watch_history=5))
    api = config.new_client_from_config(served.cluster.kubeconfig_path)
    try:
        core = k8s.CoreV1Api(api)
        for i in range(10):
            served.run(served.client.create, make_pod(f"p{i}"))
        with pytest.raises(k8s.ApiException) as e:
            list(watch.Watch().stream(core.list_namespaced_pod, "default", resource_version="2",
                                      timeout_seconds=1))
        assert e.value.status == 410
        assert "too old resource version" in e.value.reason
    finally:
        api.close()
        served.close()


# ------------------------------------------------------------------ errors

def test_not_found_is_a_404_status(core: Any) -> None:
    with pytest.raises(k8s.ApiException) as e:
        core.read_namespaced_pod("nope", "default")
    assert e.value.status == 404
    body = status_of(e.value)
    assert body["reason"] == "NotFound" and body["code"] == 404
    assert body["message"] == 'pods "nope" not found'
    assert body["details"] == {"name": "nope", "group": "", "kind": "pods"}


def test_already_exists_is_a_409_status(core: Any, apps: Any) -> None:
    core.create_namespaced_pod("default", POD_BODY)
    with pytest.raises(k8s.ApiException) as e:
        core.create_namespaced_pod("default", POD_BODY)
    assert e.value.status == 409
    body = status_of(e.value)
    assert body["reason"] == "AlreadyExists"
    assert body["message"] == 'pods "p1" already exists'
    apps.create_namespaced_deployment("default", make_deployment("web"))
    with pytest.raises(k8s.ApiException) as e:
        apps.create_namespaced_deployment("default", make_deployment("web"))
    assert status_of(e.value)["details"] == {"name": "web", "group": "apps",
                                             "kind": "deployments"}


def test_stale_update_is_a_409_conflict(core: Any) -> None:
    created = core.create_namespaced_pod("default", POD_BODY)
    core.patch_namespaced_pod("p1", "default", {"metadata": {"labels": {"x": "1"}}})
    created.metadata.labels = {"x": "2"}
    with pytest.raises(k8s.ApiException) as e:
        core.replace_namespaced_pod("p1", "default", created)
    assert e.value.status == 409
    body = status_of(e.value)
    assert body["reason"] == "Conflict"
    assert body["message"].startswith('Operation cannot be fulfilled on pods "p1": '
                                      "the object has been modified")


def test_invalid_object_is_a_422_with_causes(apps: Any) -> None:
    d = make_deployment("web")
    d["spec"]["replicas"] = -1
    d["spec"]["template"]["metadata"]["labels"] = {"app": "other"}
    with pytest.raises(k8s.ApiException) as e:
        apps.create_namespaced_deployment("default", d)
    assert e.value.status == 422
    body = status_of(e.value)
    assert body["reason"] == "Invalid"
    assert body["message"].startswith('Deployment.apps "web" is invalid: ')
    assert body["details"]["kind"] == "Deployment" and body["details"]["group"] == "apps"
    fields = {c["field"] for c in body["details"]["causes"]}
    assert {"spec.replicas", "spec.template.metadata.labels"} <= fields


def test_missing_namespace_is_a_404(core: Any) -> None:
    with pytest.raises(k8s.ApiException) as e:
        core.create_namespaced_pod("nowhere", POD_BODY)
    assert e.value.status == 404
    assert status_of(e.value)["message"] == 'namespaces "nowhere" not found'


# ------------------------------------------------------------------ paging

def test_list_with_limit_pages_through_continue_tokens(served: Any, core: Any) -> None:
    for i in range(5):
        served.run(served.client.create, make_pod(f"p{i}"))
    names: list[str] = []
    remaining: list[int | None] = []
    token = None
    pages = 0
    while True:
        page = core.list_namespaced_pod("default", limit=2, _continue=token)
        pages += 1
        names += [p.metadata.name for p in page.items]
        remaining.append(page.metadata.remaining_item_count)
        token = page.metadata._continue
        if not token:
            break
    assert names == [f"p{i}" for i in range(5)]
    assert pages == 3
    assert remaining == [3, 1, None]


def test_limit_one_walks_every_item_exactly_once(served: Any, core: Any) -> None:
    for i in range(3):
        served.run(served.client.create, make_pod(f"p{i}"))
    first = core.list_namespaced_pod("default", limit=1)
    assert [p.metadata.name for p in first.items] == ["p0"] and first.metadata._continue
    # objects created after the first page still show up (live paging)
    served.run(served.client.create, make_pod("p9"))
    names = ["p0"]
    token = first.metadata._continue
    while token:
        page = core.list_namespaced_pod("default", limit=1, _continue=token)
        names += [p.metadata.name for p in page.items]
        token = page.metadata._continue
    assert names == ["p0", "p1", "p2", "p9"]


def test_bad_continue_token_is_a_400(core: Any) -> None:
    with pytest.raises(k8s.ApiException) as e:
        core.list_namespaced_pod("default", limit=1, _continue="!!notatoken")
    assert e.value.status == 400
    assert status_of(e.value)["reason"] == "BadRequest"
