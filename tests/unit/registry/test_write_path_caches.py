"""The write path's caches and shared structures (docs/api-server.md, "The write path's caches").

Creates memoize field sets and field checks by object shape and share what is the same
between objects; these tests pin that a cache hit gives exactly what the walk gives, that a
changed object gets its own result, and that shared structures are never changed in place.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest

from minik8s.api import errors, schemas
from minik8s.cluster import Cluster
from minik8s.config import ClusterConfig
from minik8s.registry import fieldmanager, validation
from minik8s.registry.registry import Context, WriteOptions

Obj = dict[str, Any]


@pytest.fixture(autouse=True)
def _cold_caches() -> Iterator[None]:
    fieldmanager._CREATED.clear()
    fieldmanager._SHARED_LISTS.clear()
    schemas._CLEAN.clear()
    validation._VALID_RESOURCES.clear()
    validation._VALID_LABELS.clear()
    yield


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    c = Cluster(ClusterConfig(controllers=[]), clock="virtual", serve=False)
    c.client.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "default"}})
    yield c


def pod(name: str, *, image: str = "nginx:1.27", labels: Obj | None = None, **extra: Any) -> Obj:
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": "default",
                         "labels": labels if labels is not None else {"app": "web"}},
            "spec": {"containers": [{"name": "c", "image": image, "ports": [{"containerPort": 80}],
                                     "resources": {"requests": {"cpu": "100m"},
                                                   "limits": {"cpu": "200m"}}}], **extra}}


def stored(c: Cluster, name: str) -> Obj:
    o = c.store.get("pods", "default", name)
    assert o is not None
    return o


def fields_v1(o: Obj) -> Obj:
    (entry,) = o["metadata"]["managedFields"]
    fv: Obj = entry["fieldsV1"]
    return fv


def uncached_create(c: Cluster, body: Obj) -> Obj:
    """The managedFields a create gets with every cache cold."""
    fieldmanager._CREATED.clear()
    fieldmanager._SHARED_LISTS.clear()
    return c.client.create(body)["metadata"]["managedFields"]


# ----------------------------------------------------------------- managedFields


def test_same_shape_shares_the_field_set_and_matches_the_walk(cluster: Cluster) -> None:
    first = uncached_create(cluster, pod("a"))
    cluster.client.create(pod("b"))
    a, b = stored(cluster, "a"), stored(cluster, "b")
    assert b["metadata"]["managedFields"] == first
    assert fields_v1(a) is fields_v1(b)  # one dict for both
    assert a["metadata"]["managedFields"] is b["metadata"]["managedFields"]


def test_a_changed_shape_gets_its_own_field_set(cluster: Cluster) -> None:
    cluster.client.create(pod("a"))
    cluster.client.create(pod("b", labels={"app": "web", "tier": "db"}))
    cluster.client.create(pod("c", restartPolicy="Never"))
    a, b, c = (fields_v1(stored(cluster, n)) for n in "abc")
    assert "f:tier" not in a["f:metadata"]["f:labels"]
    assert "f:tier" in b["f:metadata"]["f:labels"]
    assert "f:restartPolicy" in c["f:spec"]
    # and each is what a cold create computes
    for name, body in (("b2", pod("b2", labels={"app": "web", "tier": "db"})),
                       ("c2", pod("c2", restartPolicy="Never"))):
        assert uncached_create(cluster, body) == stored(cluster, name[0])["metadata"]["managedFields"]


def test_values_that_are_not_keys_do_not_change_the_field_set(cluster: Cluster) -> None:
    cluster.client.create(pod("a", image="nginx:1"))
    cluster.client.create(pod("b", image="nginx:2"))
    assert fields_v1(stored(cluster, "a")) == fields_v1(stored(cluster, "b"))


def test_list_keys_are_part_of_the_shape(cluster: Cluster) -> None:
    cluster.client.create(pod("a"))
    other = pod("b")
    other["spec"]["containers"][0]["name"] = "other"
    cluster.client.create(other)
    containers = fields_v1(stored(cluster, "b"))["f:spec"]["f:containers"]
    assert 'k:{"name":"other"}' in containers and 'k:{"name":"c"}' not in containers


def test_updating_one_pod_leaves_the_shared_field_set_alone(cluster: Cluster) -> None:
    cluster.client.create(pod("a"))
    cluster.client.create(pod("b"))
    before = copy.deepcopy(stored(cluster, "b")["metadata"]["managedFields"])
    shared = fields_v1(stored(cluster, "b"))
    a = cluster.client.get("v1", "Pod", "a", "default")
    a["metadata"]["labels"]["extra"] = "x"
    cluster.client.update(a, manager="labeller")
    cluster.client.patch("v1", "Pod", "a", {"metadata": {"labels": {"app": None}}}, "default",
                         manager="remover")
    after_a = stored(cluster, "a")["metadata"]["managedFields"]
    assert {e["manager"] for e in after_a} == {"kube-controller-manager", "labeller"}
    labeller = next(e for e in after_a if e["manager"] == "labeller")
    assert labeller["fieldsV1"] == {"f:metadata": {"f:labels": {"f:extra": {}}}}
    mine = next(e for e in after_a if e["manager"] == "kube-controller-manager")
    assert "f:app" not in mine["fieldsV1"]["f:metadata"]["f:labels"]  # removed: lost
    assert stored(cluster, "b")["metadata"]["managedFields"] == before
    assert fields_v1(stored(cluster, "b")) is shared
    assert "f:app" in shared["f:metadata"]["f:labels"]


def test_status_update_and_apply_leave_the_shared_field_set_alone(cluster: Cluster) -> None:
    cluster.client.create(pod("a"))
    cluster.client.create(pod("b"))
    before = copy.deepcopy(stored(cluster, "b"))
    a = cluster.client.get("v1", "Pod", "a", "default")
    a["status"] = {"phase": "Running"}
    cluster.client.update_status(a, manager="kubelet")
    cluster.client.apply({"apiVersion": "v1", "kind": "Pod",
                          "metadata": {"name": "a", "namespace": "default",
                                       "labels": {"app": "web", "applied": "yes"}}},
                         manager="applier")
    cluster.client.bind("default", "a", "node-1")
    assert stored(cluster, "b") == before
    managers = {e["manager"] for e in stored(cluster, "a")["metadata"]["managedFields"]}
    assert managers == {"kube-controller-manager", "kubelet", "applier"}


def test_a_null_is_part_of_the_shape(cluster: Cluster) -> None:
    cluster.client.create(pod("a"))
    body = pod("b")
    body["spec"]["containers"][0]["args"] = None  # a nil slice: stays null, and is owned
    cluster.client.create(body)
    assert stored(cluster, "b")["spec"]["containers"][0]["args"] is None
    a, b = (fields_v1(stored(cluster, n))["f:spec"]["f:containers"]['k:{"name":"c"}']
            for n in "ab")
    assert "f:args" in b and "f:args" not in a
    assert uncached_create(cluster, {**body, "metadata": {**body["metadata"], "name": "b2"}}) == \
        stored(cluster, "b")["metadata"]["managedFields"]


def test_the_memo_is_bounded(cluster: Cluster, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fieldmanager, "CREATED_MEMO_SIZE", 3)
    for i in range(6):
        cluster.client.create(pod(f"p{i}", labels={f"l{i}": "v"}))
    assert len(fieldmanager._CREATED) == 3
    assert "f:l5" in fields_v1(stored(cluster, "p5"))["f:metadata"]["f:labels"]


def test_sent_managed_fields_on_create_still_count(cluster: Cluster) -> None:
    cluster.client.create(pod("a"))
    body = pod("b")
    body["metadata"]["managedFields"] = [{
        "manager": "other", "operation": "Update", "apiVersion": "v1", "fieldsType": "FieldsV1",
        "fieldsV1": {"f:metadata": {"f:labels": {"f:app": {}}}, "f:spec": {"f:hostname": {}}}}]
    cluster.client.create(body)
    entries = {e["manager"]: e for e in stored(cluster, "b")["metadata"]["managedFields"]}
    assert entries["other"]["fieldsV1"] == {"f:spec": {"f:hostname": {}}}  # lost f:app
    assert entries["kube-controller-manager"]["fieldsV1"] == fields_v1(stored(cluster, "a"))


# ----------------------------------------------------------------- field validation


def http_create(c: Cluster, body: Obj, validation_mode: str = "Strict") -> tuple[Obj, Context]:
    res = c.registry.table.by_key("pods")
    assert res is not None
    ctx = Context()
    out = c.registry.create(res, "default", copy.deepcopy(body),
                            WriteOptions(field_validation=validation_mode), ctx)
    return out, ctx


def test_unknown_fields_are_found_after_a_clean_spec_was_remembered(cluster: Cluster) -> None:
    http_create(cluster, pod("a"))
    http_create(cluster, pod("b"))  # a hit
    assert schemas._CLEAN
    bad = pod("c")
    bad["spec"]["containers"][0]["bogus"] = 1
    with pytest.raises(errors.BadRequest) as e:
        http_create(cluster, bad)
    assert e.value.message == ('Pod in version "v1" cannot be handled as a Pod: strict decoding '
                               'error: unknown field "spec.containers[0].bogus"')
    bad["metadata"]["name"] = "d"
    _, ctx = http_create(cluster, bad, "Warn")
    assert ctx.warnings == ['unknown field "spec.containers[0].bogus"']
    assert "bogus" not in stored(cluster, "d")["spec"]["containers"][0]


def test_document_order_of_unknown_fields_is_kept(cluster: Cluster) -> None:
    http_create(cluster, pod("a"))
    bad = pod("b")
    bad["bogusTop"] = 1
    bad["spec"]["bogusSpec"] = 1
    bad["metadata"]["bogusMeta"] = 1
    assert schemas.unknown_fields(bad, "", "v1", "Pod") == ["metadata.bogusMeta", "spec.bogusSpec",
                                                            "bogusTop"]


def test_wrong_types_are_found_after_a_clean_spec_was_remembered(cluster: Cluster) -> None:
    http_create(cluster, pod("a"))
    bad = pod("b")
    bad["spec"]["containers"][0]["ports"][0]["containerPort"] = "80"
    with pytest.raises(errors.BadRequest) as e:
        http_create(cluster, bad)
    assert "json: cannot unmarshal string into Go struct field ContainerPort.spec.containers.ports." \
           "containerPort of type int32" in e.value.message


def test_nulls_are_rewritten_every_time(cluster: Cluster) -> None:
    for name in ("a", "b"):
        body = pod(name, activeDeadlineSeconds=None)
        http_create(cluster, body)
        assert "activeDeadlineSeconds" not in stored(cluster, name)["spec"]
    assert schemas.decode_error({"spec": None, "metadata": {"name": "x"}}, "", "v1", "Pod") is None


# ----------------------------------------------------------------- resources


def test_resource_checks_are_remembered_only_when_valid(cluster: Cluster) -> None:
    http_create(cluster, pod("a"))
    bad = pod("b")
    bad["spec"]["containers"][0]["resources"] = {"requests": {"cpu": "300m"},
                                                 "limits": {"cpu": "200m"}}
    with pytest.raises(errors.Invalid) as e:
        http_create(cluster, bad)
    assert "must be less than or equal to cpu limit of 200m" in e.value.message
    with pytest.raises(errors.Invalid):  # not remembered as valid
        http_create(cluster, bad)
    spec = {"requests": {"cpu": 1}}
    assert validation._quantities(spec, "r") == []
    assert validation._quantities({"requests": {"cpu": True}}, "r") != []  # True == 1, not valid


# ----------------------------------------------------------------- shared admission values


def test_admission_values_shared_between_pods_are_never_changed(cluster: Cluster) -> None:
    cluster.client.create(pod("a"))
    cluster.client.create(pod("b"))
    before = copy.deepcopy(stored(cluster, "b"))
    patch = [{"op": "replace", "path": "/spec/tolerations/0/tolerationSeconds", "value": 10},
             {"op": "add", "path": "/spec/volumes/0/projected/defaultMode", "value": 256}]
    with pytest.raises(errors.ApiError):  # volumes are immutable on a pod
        cluster.client.patch("v1", "Pod", "a", patch, "default",
                             patch_type="application/json-patch+json")
    cluster.client.patch("v1", "Pod", "a", patch[:1], "default",
                         patch_type="application/json-patch+json")
    assert stored(cluster, "a")["spec"]["tolerations"][0]["tolerationSeconds"] == 10
    assert stored(cluster, "b") == before
    cluster.client.create(pod("c"))
    assert stored(cluster, "c")["spec"]["tolerations"] == before["spec"]["tolerations"]
    assert stored(cluster, "c")["spec"]["volumes"][0]["projected"] == \
        before["spec"]["volumes"][0]["projected"]


# ----------------------------------------------------------------- labels, names


def test_label_checks_are_remembered_only_when_valid() -> None:
    assert validation.validate_labels({"app": "web"}, "metadata.labels") == []
    assert ("app", "web") in validation._VALID_LABELS
    bad = validation.validate_labels({"app": "-bad-"}, "metadata.labels")
    assert [e.field for e in bad] == ["metadata.labels"]
    assert ("app", "-bad-") not in validation._VALID_LABELS
    assert [str(e) for e in validation.validate_labels({"app": "-bad-"}, "metadata.labels")] == \
        [str(e) for e in bad]
    assert validation.validate_labels({"app": 1}, "metadata.labels") != []


def test_generated_suffixes_are_drawn_as_random_choice_draws() -> None:
    import random

    from minik8s.registry import names

    gen, rng = names.NameGenerator(7), random.Random(7)
    assert [gen.suffix() for _ in range(500)] == [
        "".join(rng.choice(names.ALPHANUMS) for _ in range(names.GENERATE_SUFFIX))
        for _ in range(500)]



def test_uids_are_the_uuid4_text_of_the_same_draws() -> None:
    import random
    import uuid

    from minik8s.registry import names

    gen, ref = names.NameGenerator(11), random.Random(11)
    for _ in range(2000):
        assert gen.uid() == str(uuid.UUID(int=ref.getrandbits(128), version=4))

# ----------------------------------------------------------------- updates: unchanged subtrees


def http_update(c: Cluster, body: Obj, subresource: str | None = None) -> Obj:
    res = c.registry.table.by_key("pods")
    assert res is not None
    return c.registry.update(res, "default", body["metadata"]["name"], copy.deepcopy(body),
                             WriteOptions(field_validation="Strict"), Context(), subresource)


def test_an_update_is_checked_where_it_differs_from_the_stored_object(cluster: Cluster) -> None:
    cluster.client.create(pod("a"))
    live = cluster.client.get("v1", "Pod", "a", "default")
    live["status"]["bogus"] = 1
    with pytest.raises(errors.BadRequest) as e:
        http_update(cluster, live, "status")
    assert e.value.message.endswith('strict decoding error: unknown field "status.bogus"')
    # equal as Python values, not as JSON: 80.0 is not an int32 (Go's decoder says so)
    live = cluster.client.get("v1", "Pod", "a", "default")
    live["spec"]["containers"][0]["ports"][0]["containerPort"] = 80.0
    assert live["spec"] == stored(cluster, "a")["spec"]
    with pytest.raises(errors.BadRequest) as e:
        http_update(cluster, live, "status")
    assert "cannot unmarshal number 80.0 into Go struct field" in e.value.message
    live["spec"]["containers"][0]["ports"][0]["containerPort"] = 80
    live["status"] = {"phase": "Running"}
    assert http_update(cluster, live, "status")["status"]["phase"] == "Running"
    assert not schemas._CLEAN.get((id(schemas._kind_node("", "v1", "Pod").fields["status"]),  # type: ignore[union-attr]
                                   b'{"phase":"Running"}'))  # updates are not remembered


def test_a_status_write_shares_the_stored_spec_and_leaves_the_old_object_alone(
        cluster: Cluster) -> None:
    cluster.client.create(pod("a"))
    old = stored(cluster, "a")
    before = copy.deepcopy(old)
    live = cluster.client.get("v1", "Pod", "a", "default")
    live["status"] = {"phase": "Running"}
    cluster.client.update_status(live)
    new = stored(cluster, "a")
    assert new["spec"] is old["spec"]
    assert old == before
    assert new["metadata"]["resourceVersion"] != old["metadata"]["resourceVersion"]


def test_a_deployment_status_write_with_nulls_in_its_spec(cluster: Cluster) -> None:
    dep = {"apiVersion": "apps/v1", "kind": "Deployment",
           "metadata": {"name": "d", "namespace": "default"},
           "spec": {"selector": {"matchLabels": {"app": "d"}},
                    "template": {"metadata": {"labels": {"app": "d"}},
                                 "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}}
    cluster.client.create(dep)
    live = cluster.client.get("apps/v1", "Deployment", "d", "default")
    assert live["spec"]["template"]["metadata"]["creationTimestamp"] is None  # as stored
    live["status"] = {"replicas": 1}
    assert cluster.client.update_status(live)["status"] == {"replicas": 1}
    live = cluster.client.get("apps/v1", "Deployment", "d", "default")
    live["spec"]["template"]["spec"]["bogus"] = True
    with pytest.raises(errors.BadRequest) as e:
        cluster.client.update_status(live)
    assert 'unknown field "spec.template.spec.bogus"' in e.value.message
