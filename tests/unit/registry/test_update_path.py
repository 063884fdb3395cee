"""An update's cheap paths (docs/api-server.md, "The write path's caches").

Updates skip work where the body repeats the stored object: such subtrees are neither
field-checked nor (where the write discards them) copied, and field sets built from
ordered parts are stored without re-encoding; a body that changes only scalar leaves takes
the leaf update. These tests pin that the skipped work would have found and changed
nothing, and that nothing the caller still holds is stored or changed.
"""

from __future__ import annotations

import copy
import dataclasses
import random
from collections.abc import Callable, Iterator
from typing import Any

import orjson
import pytest
from leaf_support import both_ways, fresh, stored_state

from minik8s.api import errors, objects, schemas
from minik8s.cluster import Cluster
from minik8s.registry import fieldmanager, fieldpath, fieldschema, fieldvalues
from minik8s.registry import registry as registry_mod

Obj = dict[str, Any]


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    yield fresh()


def deployment(name: str) -> Obj:
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": name, "namespace": "default", "labels": {"app": name}},
            "spec": {"replicas": 1, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}},
                                  "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}}


# ----------------------------------------------------------------- field sets keep their order


def _random_set(rng: random.Random, depth: int = 0) -> fieldpath.Node:
    out: fieldpath.Node = {}
    for _ in range(rng.randint(0, 4)):
        kind = rng.choice("fffkv")
        if kind == "f":
            pe = "f:" + rng.choice("abcdxyz")
        elif kind == "k":
            pe = "k:" + fieldpath.json_text({"name": rng.choice("abc"), "port": rng.randint(1, 20)})
        else:
            pe = "v:" + fieldpath.json_text(rng.choice([3, 12, "x", "b", True]))
        out[pe] = _random_set(rng, depth + 1) if depth < 3 and rng.random() < 0.5 else {}
        if out[pe] and rng.random() < 0.3:
            out[pe]["."] = {}
    return fieldpath.encode(out)


def test_union_of_ordered_sets_is_ordered() -> None:
    rng = random.Random(7)
    for _ in range(2000):
        a, b = _random_set(rng), _random_set(rng)
        u = fieldpath.union(a, b)
        assert fieldpath.encode(u) is u  # already in FieldsV1 order at every level
        assert set(fieldpath.paths(u)) == set(fieldpath.paths(a)) | set(fieldpath.paths(b))


def test_is_subset_is_an_empty_difference() -> None:
    rng = random.Random(11)
    seen = set()
    for _ in range(3000):
        a = _random_set(rng)
        b = fieldpath.union(a, _random_set(rng)) if rng.random() < 0.5 else _random_set(rng)
        for x, y in ((a, b), (b, a), (a, a), (a, {}), ({}, a)):
            want = not fieldpath.difference(x, y)
            assert fieldpath.is_subset(x, y) == want
            seen.add(want)
    assert seen == {True, False}


def test_a_node_becoming_a_member_gets_its_dot_first() -> None:
    u = fieldpath.union({"f:x": {"f:y": {}}}, {"f:x": {".": {}, "f:z": {}}})
    assert list(u["f:x"]) == [".", "f:y", "f:z"]


def test_a_status_write_stores_an_ordered_field_set(cluster: Cluster) -> None:
    """A new manager that both adds and modifies status fields (the kubelet's first
    status write): the set is stored as built, and it is the encoded one."""
    cluster.client.create(deployment("d"))
    live = cluster.client.get("apps/v1", "Deployment", "d", "default")
    live["status"] = {"replicas": 1, "conditions": [{"type": "Available", "status": "False"}]}
    cluster.client.update_status(live, manager="first")
    live = cluster.client.get("apps/v1", "Deployment", "d", "default")
    live["status"] = {"replicas": 2, "readyReplicas": 1, "observedGeneration": 1,
                      "conditions": [{"type": "Progressing", "status": "True"},
                                     {"type": "Available", "status": "True"}]}
    cluster.client.update_status(live, manager="second")
    o = cluster.store.get("deployments.apps", "default", "d")
    assert o is not None
    (entry,) = [e for e in o["metadata"]["managedFields"] if e["manager"] == "second"]
    fv = entry["fieldsV1"]
    assert fieldpath.encode(fv) is fv
    assert list(fv["f:status"]) == ["f:conditions", "f:observedGeneration", "f:readyReplicas",
                                    "f:replicas"]
    assert list(fv["f:status"]["f:conditions"]) == ['k:{"type":"Available"}',
                                                    'k:{"type":"Progressing"}']


# ----------------------------------------------------------------- unchanged subtrees


def test_unchanged_keys_are_the_same_json_and_the_same_values() -> None:
    stored = {"apiVersion": "apps/v1", "kind": "Deployment",
              "metadata": {"name": "d", "generation": 1},
              "spec": {"replicas": 1, "paused": False}, "status": {"ratio": 0.5}}

    def same(**changes: Any) -> frozenset[str]:
        body = {**copy.deepcopy(stored), **changes}
        return schemas.unchanged_keys(body, stored, "apps", "v1", "Deployment")

    assert same() == {"apiVersion", "kind", "metadata", "spec", "status"}
    assert "spec" not in same(spec={"replicas": True, "paused": False})  # == 1, not JSON 1
    assert "spec" not in same(spec={"replicas": 1.0, "paused": False})
    assert "spec" not in same(spec={"replicas": 1, "paused": 0})
    assert "metadata" not in same(metadata={"name": "d", "generation": True})
    assert "status" not in same(status={"ratio": float("nan")})
    assert "apiVersion" not in same(apiVersion="apps/v2")
    assert same(spec=stored["spec"]) >= {"spec"}  # the stored subtree itself
    assert schemas.unchanged_keys(stored, None, "apps", "v1", "Deployment") == frozenset()


def test_a_status_write_keeps_nothing_of_the_body_but_its_status(cluster: Cluster) -> None:
    cluster.client.create(deployment("d"))
    body = cluster.client.get("apps/v1", "Deployment", "d", "default")
    body["status"] = {"replicas": 1}
    sent = copy.deepcopy(body)
    cluster.client.update_status(body)
    assert body == sent  # the caller's body is left as it was
    o = cluster.store.get("deployments.apps", "default", "d")
    assert o is not None
    assert o["spec"] is not body["spec"] and o["metadata"] is not body["metadata"]
    assert o["metadata"]["labels"] is not body["metadata"]["labels"]
    assert o["status"] is not body["status"]
    body["spec"]["replicas"] = 7
    body["metadata"]["labels"]["app"] = "changed"
    body["status"]["replicas"] = 9
    assert o["spec"]["replicas"] == 1 and o["metadata"]["labels"] == {"app": "d"}
    assert o["status"] == {"replicas": 1}


def test_a_main_write_does_not_keep_the_repeated_status(cluster: Cluster) -> None:
    cluster.client.create(deployment("d"))
    live = cluster.client.get("apps/v1", "Deployment", "d", "default")
    live["status"] = {"replicas": 1}
    cluster.client.update_status(live)
    body = cluster.client.get("apps/v1", "Deployment", "d", "default")
    body["spec"]["replicas"] = 3
    sent = copy.deepcopy(body)
    cluster.client.update(body)
    assert body == sent
    o = cluster.store.get("deployments.apps", "default", "d")
    assert o is not None
    assert o["spec"]["replicas"] == 3 and o["status"] == {"replicas": 1}
    body["status"]["replicas"] = 5
    assert o["status"] == {"replicas": 1}


def test_a_status_write_still_checks_what_differs_outside_status(cluster: Cluster) -> None:
    cluster.client.create(deployment("d"))
    body = cluster.client.get("apps/v1", "Deployment", "d", "default")
    body["spec"]["replicas"] = True  # == 1 as a Python value
    body["status"] = {"replicas": 1}
    with pytest.raises(errors.BadRequest) as e:
        cluster.client.update_status(body)
    assert "cannot unmarshal bool into Go struct field DeploymentSpec.spec.replicas" \
        in e.value.message
    body = cluster.client.get("apps/v1", "Deployment", "d", "default")
    body["metadata"]["bogus"] = "x"
    with pytest.raises(errors.BadRequest) as e:
        cluster.client.update_status(body)
    assert 'unknown field "metadata.bogus"' in e.value.message


# ----------------------------------------------------------------- owned leaves only


def _writes(c: Cluster) -> list[bytes]:
    """A run of updates, some only modifying what their manager owns alone (the fast
    path), some not (co-owned, added, removed, another manager): managedFields after each."""
    clock = c.clock
    out: list[bytes] = []

    def snap(kind: str, name: str) -> None:
        key = {"Deployment": "deployments.apps", "ConfigMap": "configmaps"}[kind]
        o = c.store.get(key, "default", name)
        assert o is not None
        out.append(orjson.dumps(o["metadata"].get("managedFields")))

    c.client.create(deployment("d"))
    c.client.create({"apiVersion": "v1", "kind": "ConfigMap",
                     "metadata": {"name": "cm", "namespace": "default"}, "data": {"a": "1"}},
                    manager="writer")
    for step in range(12):
        clock.set(clock.now() + (0 if step % 3 == 0 else 1))
        cm = c.client.get("v1", "ConfigMap", "cm", "default")
        cm["data"]["a"] = str(step)  # the owner's own leaf
        if step == 4:
            cm["data"]["b"] = "new"  # added
        if step == 7:
            cm["data"].pop("b", None)  # removed
        c.client.update(cm, manager="other" if step in (5, 9) else "writer")
        snap("ConfigMap", "cm")
        d = c.client.get("apps/v1", "Deployment", "d", "default")
        d["status"] = {"replicas": step, "readyReplicas": step % 2}
        c.client.update_status(d, manager="status-writer")
        snap("Deployment", "d")
        if step == 6:  # a co-owner: the field is then shared, the fast path must not apply
            replicas = c.client.get("apps/v1", "Deployment", "d", "default")["spec"]["replicas"]
            c.client.apply({"apiVersion": "apps/v1", "kind": "Deployment",
                            "metadata": {"name": "d", "namespace": "default"},
                            "spec": {"replicas": replicas}}, manager="applier")
            snap("Deployment", "d")
        d = c.client.get("apps/v1", "Deployment", "d", "default")
        d["spec"]["replicas"] = 1 + step % 2
        c.client.update(d, manager="scaler")
        snap("Deployment", "d")
    return out


def test_owned_leaves_fast_path_matches_the_general_path(
        cluster: Cluster, monkeypatch: pytest.MonkeyPatch) -> None:
    fast = _writes(cluster)
    calls: list[bool] = []
    general = fieldmanager._owned_leaves

    def off(*args: Any) -> bool:
        calls.append(general(dict(args[0]), *args[1:]))  # would it have applied?
        return False

    monkeypatch.setattr(fieldmanager, "_owned_leaves", off)
    slow = _writes(fresh())
    assert fast == slow
    assert any(calls) and not all(calls)  # both paths were exercised


def test_owned_leaves_remembered_lists_match_a_fresh_check(
        cluster: Cluster, monkeypatch: pytest.MonkeyPatch) -> None:
    """The lists ``_owned_leaves`` remembers (the ones it checked and the ones it made)
    get the answer a fresh check gets: the same managedFields after every write."""
    checks: list[int] = []
    entry = fieldmanager._owned_entry

    def counted(*args: Any) -> Any:
        checks.append(1)
        return entry(*args)

    monkeypatch.setattr(fieldmanager, "_owned_entry", counted)
    fieldmanager._OWNED.clear()
    remembered = _writes(cluster)
    walks = len(checks)
    general = fieldmanager._owned_leaves

    def forgetful(*args: Any) -> bool:
        fieldmanager._OWNED.clear()
        return general(*args)

    monkeypatch.setattr(fieldmanager, "_owned_leaves", forgetful)
    checks.clear()
    assert remembered == _writes(fresh())
    assert walks < len(checks)  # the memo answered some


def test_a_renewal_in_the_same_second_keeps_the_stored_list(cluster: Cluster) -> None:
    cluster.client.create({"apiVersion": "v1", "kind": "ConfigMap",
                           "metadata": {"name": "cm", "namespace": "default"},
                           "data": {"a": "1"}}, manager="writer")
    before = cluster.store.get("configmaps", "default", "cm")
    assert before is not None
    cm = cluster.client.get("v1", "ConfigMap", "cm", "default")
    cm["data"]["a"] = "2"
    cluster.client.update(cm, manager="writer")
    after = cluster.store.get("configmaps", "default", "cm")
    assert after is not None and after["data"] == {"a": "2"}
    assert after["metadata"]["managedFields"] is before["metadata"]["managedFields"]


def test_an_empty_entry_is_dropped_as_the_general_path_does(cluster: Cluster) -> None:
    cluster.client.create({"apiVersion": "v1", "kind": "ConfigMap",
                           "metadata": {"name": "cm", "namespace": "default"},
                           "data": {"a": "1"}}, manager="writer")
    cm = cluster.client.get("v1", "ConfigMap", "cm", "default")
    empty = {"manager": "idle", "operation": "Update", "apiVersion": "v1",
             "time": "2026-01-01T00:00:00Z", "fieldsType": "FieldsV1", "fieldsV1": {}}
    cm["metadata"]["managedFields"] = [*cm["metadata"]["managedFields"], empty]
    cluster.client.update(cm, manager="writer")  # changes nothing: the sent list is kept
    cm = cluster.client.get("v1", "ConfigMap", "cm", "default")
    assert [e["manager"] for e in cm["metadata"]["managedFields"]] == ["idle", "writer"]
    cluster.clock.set(cluster.clock.now() + 1)
    cm["data"]["a"] = "2"
    cluster.client.update(cm, manager="writer")
    cm = cluster.client.get("v1", "ConfigMap", "cm", "default")
    assert [e["manager"] for e in cm["metadata"]["managedFields"]] == ["writer"]
    assert cm["metadata"]["managedFields"][0]["time"] == "2026-01-01T00:00:01Z"



def test_a_status_write_does_not_validate_the_kept_spec_again(
        cluster: Cluster, monkeypatch: pytest.MonkeyPatch) -> None:
    from minik8s.registry import validation

    cluster.client.create(deployment("d"))
    seen: list[Obj] = []
    template = validation._template

    def counting(obj: Obj, *args: Any) -> list[Any]:
        seen.append(obj)
        return template(obj, *args)

    monkeypatch.setattr(validation, "_template", counting)
    body = cluster.client.get("apps/v1", "Deployment", "d", "default")
    body["status"] = {"replicas": 1}
    cluster.client.update_status(body)
    assert seen == []  # the stored spec itself is kept, and it was checked when written
    body = cluster.client.get("apps/v1", "Deployment", "d", "default")
    body["spec"]["template"]["spec"]["containers"] = []
    with pytest.raises(errors.Invalid):
        cluster.client.update(body)  # a main write is validated as before
    assert len(seen) == 1


def test_a_status_write_does_not_check_the_kept_labels_again(
        cluster: Cluster, monkeypatch: pytest.MonkeyPatch) -> None:
    from minik8s.registry import validation

    cluster.client.create(deployment("d"))
    seen: list[Obj] = []
    labels = validation.validate_labels

    def counting(val: Obj, path: str) -> list[Any]:
        seen.append(val)
        return labels(val, path)

    monkeypatch.setattr(validation, "validate_labels", counting)
    body = cluster.client.get("apps/v1", "Deployment", "d", "default")
    body["metadata"]["labels"] = {"app": "ignored by a status write"}
    body["status"] = {"replicas": 1}
    cluster.client.update_status(body)
    assert seen == []
    body = cluster.client.get("apps/v1", "Deployment", "d", "default")
    body["metadata"]["labels"] = {"app": "not a valid value!"}
    with pytest.raises(errors.Invalid) as e:
        cluster.client.update(body)
    assert "metadata.labels" in str(e.value.message)
    assert len(seen) == 1


def test_an_update_without_a_copy_writes_the_same(cluster: Cluster) -> None:
    cluster.client.create(deployment("d"))
    body = cluster.client.get("apps/v1", "Deployment", "d", "default")
    body["status"] = {"replicas": 1}
    assert cluster.client.update_status(body, copy=False) is None
    body = cluster.client.get("apps/v1", "Deployment", "d", "default")
    assert body["status"] == {"replicas": 1}
    body["spec"]["replicas"] = 2
    assert cluster.client.update(body, manager="m", copy=False) is None
    got = cluster.client.get("apps/v1", "Deployment", "d", "default")
    assert got["spec"]["replicas"] == 2
    assert got["metadata"]["resourceVersion"] != body["metadata"]["resourceVersion"]
    assert [e["manager"] for e in got["metadata"]["managedFields"]][-1] == "m"


# ----------------------------------------------------------------- leaf updates
# (``Registry._leaf_update``: a body that repeats the stored object but for some scalar
# leaves writes exactly what the general path writes, and falls back to it otherwise)


def _stored(c: Cluster, key: str, name: str) -> Obj:
    o = c.store.get(key, "default", name)
    assert o is not None
    return o


def _lease(c: Cluster) -> Obj:
    return _stored(c, "leases.coordination.k8s.io", "n1")


def _renewal(c: Cluster, stamp: str, **spec: Any) -> Obj:
    """The kubelet's body: the informer's (stored) object with a new spec."""
    lease = _lease(c)
    return {**lease, "spec": {"holderIdentity": "n1", "leaseDurationSeconds": 40,
                              "renewTime": stamp, **spec}}


def _reordered(c: Cluster) -> Obj:
    lease = _lease(c)
    spec = lease["spec"]
    return {**lease, "spec": {"renewTime": "2026-01-01T00:00:09.000000Z",
                              **{k: v for k, v in spec.items() if k != "renewTime"}}}


def _relabelled(c: Cluster) -> Obj:
    lease = _lease(c)
    return {**lease, "metadata": {**lease["metadata"], "labels": {"a": "b"}},
            "spec": {**lease["spec"], "renewTime": "2026-01-01T00:00:10.000000Z"}}


def _stale(c: Cluster) -> Obj:
    lease = _lease(c)
    return {**lease, "metadata": {**lease["metadata"], "resourceVersion": "1"},
            "spec": {**lease["spec"], "renewTime": "2026-01-01T00:00:11.000000Z"}}


def _script(c: Cluster) -> list[bytes]:
    """A run of writes, leaf updates and others, and what each answered."""
    out: list[bytes] = []

    def write(fn: Callable[[], Any]) -> None:
        try:
            got = fn()
            out.append(orjson.dumps(got))
        except errors.ApiError as e:
            out.append(f"{type(e).__name__}: {e.message}".encode())

    def tick(seconds: float = 1) -> None:
        c.clock.set(c.clock.now() + seconds)

    cl = c.client
    write(lambda: cl.create({
        "apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
        "metadata": {"name": "n1", "namespace": "default"},
        "spec": {"holderIdentity": "n1", "leaseDurationSeconds": 40,
                 "renewTime": "2026-01-01T00:00:00.000000Z"}}, manager="kubelet"))
    for stamp in ("2026-01-01T00:00:01.000000Z", "2026-01-01T00:00:02.000000Z"):
        tick()
        body = _renewal(c, stamp)
        write(lambda: cl.update(body, manager="kubelet"))  # noqa: B023 (called at once)
    tick()
    write(lambda: cl.update(_renewal(c, "2026-01-01T00:00:03.000000Z"), manager="kubelet"))
    write(lambda: cl.update(_renewal(c, "2026-01-01T00:00:04.000000Z"), manager="kubelet"))  # same second
    tick()
    write(lambda: cl.update(_renewal(c, "2026-01-01T00:00:05.000000Z"), manager="other"))  # co-owned
    tick()
    write(lambda: cl.update(_renewal(c, "2026-01-01T00:00:06.000000Z", holderIdentity="n2"),
                            manager="kubelet"))
    write(lambda: cl.update(_renewal(c, "x", leaseDurationSeconds=2 ** 40), manager="kubelet"))
    write(lambda: cl.update(_renewal(c, "x", leaseDurationSeconds=True), manager="kubelet"))
    write(lambda: cl.update(_renewal(c, "x", leaseDurationSeconds=40.0), manager="kubelet"))
    write(lambda: cl.update(_renewal(c, "2026-01-01T00:00:06.000000Z", holderIdentity="n2"),
                            manager="kubelet"))  # a no-op
    tick()
    write(lambda: cl.update(_reordered(c), manager="kubelet"))
    write(lambda: cl.update(_relabelled(c), manager="kubelet"))
    write(lambda: cl.update(_stale(c), manager="kubelet"))
    # a ConfigMap's data value; a Deployment's status, through /status and through the
    # main resource (which drops it); a PodDisruptionBudget's atomic selector
    write(lambda: cl.create({"apiVersion": "v1", "kind": "ConfigMap",
                             "metadata": {"name": "cm", "namespace": "default"},
                             "data": {"a": "1", "b": "2"}}, manager="writer"))
    tick()
    cm = _stored(c, "configmaps", "cm")
    write(lambda: cl.update({**cm, "data": {"a": "1", "b": "3"}}, manager="writer"))
    write(lambda: cl.create({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "d", "namespace": "default"},
        "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "d"}},
                 "template": {"metadata": {"labels": {"app": "d"}},
                              "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}}))
    write(lambda: cl.update_status({**_stored(c, "deployments.apps", "d"),
                                    "status": {"observedGeneration": 1, "replicas": 0}}))  # added
    tick()
    write(lambda: cl.update_status({**_stored(c, "deployments.apps", "d"),
                                    "status": {"observedGeneration": 1, "replicas": 1}},
                                   manager="status"))
    d = _stored(c, "deployments.apps", "d")
    write(lambda: cl.update({**d, "status": {"observedGeneration": 1, "replicas": 5}}))
    write(lambda: cl.create({
        "apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
        "metadata": {"name": "p", "namespace": "default"},
        "spec": {"minAvailable": 1, "selector": {"matchLabels": {"app": "d"}}}}))
    tick()
    pdb = _stored(c, "poddisruptionbudgets.policy", "p")
    write(lambda: cl.update({**pdb, "spec": {"minAvailable": 1,
                                             "selector": {"matchLabels": {"app": "e"}}}},
                            manager="other"))
    return out + stored_state(c)


def test_a_leaf_update_writes_what_the_general_path_writes() -> None:
    fast, slow, taken = both_ways(_script)
    assert taken == ["leases.coordination.k8s.io"] * 6 + [
        "configmaps", "deployments.apps", "poddisruptionbudgets.policy"]
    assert fast == slow


def test_a_leaf_update_shares_nothing_with_the_caller_and_keeps_the_old_revision(
        cluster: Cluster) -> None:
    cluster.client.create({"apiVersion": "v1", "kind": "ConfigMap",
                           "metadata": {"name": "cm", "namespace": "default"},
                           "data": {"a": "1"}, "binaryData": {"b": "AA=="}})
    old = cluster.store.get("configmaps", "default", "cm")
    assert old is not None
    before = orjson.dumps(old)
    body = objects.deep_copy(old)
    body["data"]["a"] = "2"
    cluster.client.update(body, copy=False)
    new = cluster.store.get("configmaps", "default", "cm")
    assert new is not None and new["data"] == {"a": "2"}
    assert orjson.dumps(old) == before
    assert new["binaryData"] is old["binaryData"]  # unchanged: shared with the old revision
    assert new["data"] is not body["data"] and new["metadata"] is not old["metadata"]
    body["data"]["a"] = "3"
    assert new["data"] == {"a": "2"}


@pytest.mark.parametrize(("new", "old", "want"), [
    ({"a": 1, "b": {"c": "x"}}, {"a": 1, "b": {"c": "y"}}, [("b", "c")]),
    ({"a": 2, "b": {"c": "x"}}, {"a": 1, "b": {"c": "x"}}, [("a",)]),
    ({"a": 1}, {"a": 1}, []),
    ({"a": 1.5}, {"a": 2.5}, [("a",)]),
    ({"a": [1, {"b": 2}]}, {"a": [1, {"b": 2}]}, []),
    ({"b": 1, "a": 1}, {"a": 1, "b": 1}, None),  # reordered
    ({"a": {"y": 1, "x": 1}}, {"a": {"x": 1, "y": 1}}, None),  # equal, not the same JSON
    ({"a": 1}, {"a": 1, "b": 1}, None),
    ({"a": 1.0}, {"a": 1}, None),
    ({"a": True}, {"a": 1}, None),
    ({"a": -0.0}, {"a": 0.0}, None),
    ({"a": float("nan")}, {"a": 1.0}, None),
    ({"a": 2 ** 70}, {"a": 1}, None),
    ({"a": [2]}, {"a": [1]}, [("a", 0)]),  # a list item: by its index
    ({"a": [[1], {"b": 1, "c": "x"}]}, {"a": [[2], {"b": 1, "c": "y"}]}, [("a", 0, 0), ("a", 1, "c")]),
    ({"a": [1, 2]}, {"a": [1]}, None),
    ({"a": [{"c": 1, "b": 1}]}, {"a": [{"b": 1, "c": 1}]}, None),
    ({"a": [{"b": 1}]}, {"a": [{"b": 1, "c": 1}]}, None),
    ({"a": [1.0]}, {"a": [1]}, None),
    ({"a": [None]}, {"a": [0]}, None),
    ({"a": None}, {"a": "x"}, None),
    ({"a": (1, 2)}, {"a": tuple(range(1, 3))}, None),
])
def test_leaf_changes(new: Obj, old: Obj, want: list[tuple[str | int, ...]] | None) -> None:
    assert objects.leaf_changes(new, old) == want


def test_leaves_modified_is_what_compare_finds() -> None:
    pdb = fieldschema.type_for("policy", "v1", "PodDisruptionBudget")
    old: Obj = {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
           "metadata": {"name": "p", "labels": {"a": "b"}},
           "spec": {"minAvailable": 1, "selector": {"matchLabels": {"app": "d"}},
                    "unhealthyPodEvictionPolicy": "IfHealthyBudget"}}
    new = objects.deep_copy(old)
    new["spec"]["selector"]["matchLabels"]["app"] = "e"  # an atomic map's leaf
    new["spec"]["unhealthyPodEvictionPolicy"] = "AlwaysAllow"
    new["metadata"]["labels"]["a"] = "c"
    paths = objects.leaf_changes(new, old)
    assert paths is not None and len(paths) == 3
    got = fieldvalues.leaves_modified(pdb, paths, old)
    assert ({}, got, {}) == fieldvalues.compare(pdb, old, new)
    assert list(got["f:spec"]) == ["f:selector", "f:unhealthyPodEvictionPolicy"]


def test_leaves_modified_is_remembered_per_type_and_paths() -> None:
    lease = fieldschema.type_for("coordination.k8s.io", "v1", "Lease")
    pdb = fieldschema.type_for("policy", "v1", "PodDisruptionBudget")
    paths = [("spec", "selector", "matchLabels", "app")]
    old = {"spec": {"selector": {"matchLabels": {"app": "d"}}}}
    first = fieldvalues.leaves_modified(pdb, paths, old)
    assert fieldvalues.leaves_modified(pdb, list(paths), old) is first
    assert first == {"f:spec": {"f:selector": {}}}  # an atomic map
    assert fieldvalues.leaves_modified(lease, paths, old) == {
        "f:spec": {"f:selector": {"f:matchLabels": {"f:app": {}}}}}  # untyped: granular


def test_the_client_resolves_kinds_anew_when_the_table_changes(cluster: Cluster) -> None:
    table = cluster.registry.table
    res = cluster.client._res_ver("v1", "ConfigMap")[0]
    assert cluster.client._res_ver("v1", "ConfigMap")[0] is res
    table.remove(res.key)
    with pytest.raises(errors.NotFound):
        cluster.client._res_ver("v1", "ConfigMap")
    other = dataclasses.replace(res, short_names=("cmx",))
    table.add(other)
    assert cluster.client._res_ver("v1", "ConfigMap")[0] is other


def test_with_leaves_copies_each_container_on_a_path_once() -> None:
    """Two leaves under one dict share its copy; a dict the stored object holds at two
    places is copied where a path goes through it, and stays shared elsewhere."""
    shared = {"x": "1", "y": "2"}
    old: Obj = {"metadata": {"name": "o"}, "a": shared, "b": shared,
                "c": {"d": {"e": "1", "f": "2"}, "g": ["h"]}}
    before = orjson.dumps(old)
    body = objects.deep_copy(old)
    body["a"]["x"] = "9"
    body["c"]["d"]["e"] = "8"
    body["c"]["d"]["f"] = "7"
    paths = objects.leaf_changes(body, old)
    assert paths == [("a", "x"), ("c", "d", "e"), ("c", "d", "f")]
    new = registry_mod._with_leaves(old, body, paths)
    assert new == body and orjson.dumps(old) == before
    assert new["a"] is not shared and new["b"] is shared
    assert new["c"] is not old["c"] and new["c"]["g"] is old["c"]["g"]
    assert new["metadata"] is not old["metadata"] and new["a"] is not body["a"]
