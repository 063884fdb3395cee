"""Leaf updates through lists (docs/api-server.md, "Leaf updates").

A body that repeats the stored object but for scalar leaves inside list items (a node's
heartbeat times in ``status.conditions``, a container's restart count) takes
``Registry._leaf_update`` when the managedFields compare of those leaves is provable
(``fieldvalues.leaves_modified``: items of a keyed list paired by key, atomic lists whole,
never a set or a key field). These tests pin that it then writes exactly what the general
path writes (answers, stored objects, resourceVersions, managedFields, events) and that
it declines what it cannot prove.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from leaf_support import both_ways, fresh, stored_state

from minik8s.api import errors, objects, schemas
from minik8s.cluster import Cluster
from minik8s.registry import fieldschema, fieldvalues

Obj = dict[str, Any]
Path = tuple[str | int, ...]

T0 = "2026-01-01T00:00:00Z"
NODE: Obj = {
    "apiVersion": "v1", "kind": "Node", "metadata": {"name": "n1", "labels": {"a": "b"}},
    "spec": {"podCIDRs": ["10.0.0.0/24", "fd00::/64"],
             "taints": [{"key": "k", "value": "v", "effect": "NoSchedule"}]},
    "status": {
        "capacity": {"cpu": "2", "memory": "4Gi"},
        "conditions": [{"type": t, "status": s, "lastHeartbeatTime": T0,
                        "lastTransitionTime": T0, "reason": f"Kubelet{t}", "message": "ok"}
                       for t, s in (("MemoryPressure", "False"), ("DiskPressure", "False"),
                                    ("PIDPressure", "False"), ("Ready", "True"))],
        "addresses": [{"type": "InternalIP", "address": "10.0.0.1"},
                      {"type": "Hostname", "address": "n1"}],
        "images": [{"names": ["nginx:1"], "sizeBytes": 100}],
    },
}
POD: Obj = {
    "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "default"},
    "spec": {"nodeName": "n1", "containers": [{"name": "c", "image": "nginx"}]},
    "status": {
        "phase": "Running",
        "conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": T0},
                       {"type": "PodScheduled", "status": "True", "lastTransitionTime": T0}],
        "podIPs": [{"ip": "10.1.0.1"}],
        "containerStatuses": [{"name": "c", "ready": True, "restartCount": 0, "image": "nginx",
                               "imageID": "", "started": True,
                               "state": {"running": {"startedAt": T0}}}],
    },
}

#: (path, value) edits of the stored object: leaves of keyed lists (conditions, addresses,
#: pod IPs), their keys, atomic lists (taints, images, container statuses), a set
#: (podCIDRs), values that do not fit (an int32 beyond its range, a status validation
#: refuses), a dict leaf, an added key and a longer list
NODE_EDITS: list[tuple[Path, Any]] = [
    *((("status", "conditions", i, "lastHeartbeatTime"), f"2026-01-01T00:00:0{s}Z")
      for i in (0, 3) for s in (1, 2)),
    (("status", "conditions", 3, "status"), "False"),
    (("status", "conditions", 3, "status"), "Unknown"),
    (("status", "conditions", 3, "reason"), "NodeStatusUnknown"),
    (("status", "conditions", 1, "message"), "disk is full"),
    (("status", "conditions", 3, "type"), "NetworkUnavailable"),  # a key
    (("status", "conditions", 3, "type"), "MemoryPressure"),  # a key, now repeated
    (("status", "addresses", 0, "address"), "10.0.0.9"),
    (("status", "addresses", 1, "type"), "InternalIP"),  # a key, now repeated
    (("status", "images", 0, "sizeBytes"), 200),
    (("status", "images", 0, "names", 0), "nginx:2"),
    (("status", "capacity", "cpu"), "4"),
    (("spec", "taints", 0, "effect"), "NoExecute"),
    (("spec", "taints", 0, "effect"), "Sometimes"),  # refused by validation
    (("spec", "podCIDRs", 1), "fd01::/64"),  # a set's item is its own key
    (("spec", "unschedulable"), True),  # added
    (("status", "conditions", 4), {"type": "Extra", "status": "True"}),  # appended
]
POD_EDITS: list[tuple[Path, Any]] = [
    (("status", "conditions", 0, "status"), "False"),
    (("status", "conditions", 1, "lastTransitionTime"), "2026-01-01T00:00:05Z"),
    (("status", "podIPs", 0, "ip"), "10.1.0.2"),  # a key
    (("status", "containerStatuses", 0, "restartCount"), 1),
    (("status", "containerStatuses", 0, "restartCount"), 2 ** 31),  # beyond int32
    (("status", "containerStatuses", 0, "state", "running", "startedAt"),
     "2026-01-01T00:00:07Z"),
    (("status", "phase"), "Failed"),
]
MANAGERS = ["kubelet", "node-controller", "admin"]


def _create(c: Cluster, obj: Obj) -> Obj:
    """``obj`` created and given its status, by the kubelet."""
    c.client.create(obj, manager="kubelet")
    got = c.client.get(obj["apiVersion"], obj["kind"], obj["metadata"]["name"],
                       obj["metadata"].get("namespace"))
    return c.client.update_status({**got, "status": obj["status"]}, manager="kubelet")


def _edited(stored: Obj, edits: list[tuple[Path, Any]]) -> Obj:
    body = objects.deep_copy(stored)
    for path, value in edits:
        d: Any = body
        for k in path[:-1]:
            d = d[k]
        last = path[-1]
        if type(d) is list and last == len(d):
            d.append(copy.deepcopy(value))
        else:
            d[last] = copy.deepcopy(value)
    return body


#: one write: (Node or Pod, through /status, manager, edits, seconds to move the clock first)
Op = tuple[str, bool, str, list[tuple[Path, Any]], int]


def _run(c: Cluster, ops: list[Op]) -> list[bytes]:
    """The answer to each write, then every stored object and event."""
    out = [orjson.dumps(_create(c, NODE)), orjson.dumps(_create(c, POD))]
    cl = c.client
    for kind, status, manager, edits, tick in ops:
        c.clock.set(c.clock.now() + tick)
        stored = c.store.get("nodes", "", "n1") if kind == "Node" else \
            c.store.get("pods", "default", "p")
        assert stored is not None
        body = _edited(stored, edits)
        write: Callable[..., Any] = cl.update_status if status else cl.update
        try:
            out.append(orjson.dumps(write(body, manager=manager)))
        except errors.ApiError as e:
            out.append(f"{type(e).__name__}: {e.message}".encode())
    return out + stored_state(c)


def _both_ways(ops: list[Op]) -> tuple[list[bytes], list[bytes], list[str]]:
    return both_ways(lambda c: _run(c, ops))


def _heartbeat(stamp: str, *conditions: int) -> list[tuple[Path, Any]]:
    return [(("status", "conditions", i, "lastHeartbeatTime"), stamp) for i in conditions]


def test_heartbeats_take_the_leaf_update_and_write_what_the_general_path_writes() -> None:
    ops: list[Op] = [
        ("Node", True, "kubelet", _heartbeat("2026-01-01T00:00:10Z", 0, 1, 2, 3), 10),
        ("Node", True, "kubelet", _heartbeat("2026-01-01T00:00:20Z", 0, 1, 2, 3), 10),
        ("Node", True, "kubelet", _heartbeat("2026-01-01T00:00:21Z", 3), 0),  # same second
        # another manager takes the Ready condition's status from the kubelet...
        ("Node", True, "node-controller", [(("status", "conditions", 3, "status"), "Unknown"),
                                           (("status", "conditions", 3, "reason"), "Lost")], 1),
        # ... and the kubelet takes it back, with a transition
        ("Node", True, "kubelet", [(("status", "conditions", 3, "status"), "True"),
                                   (("status", "conditions", 3, "reason"), "KubeletReady"),
                                   (("status", "conditions", 3, "lastTransitionTime"),
                                    "2026-01-01T00:00:40Z"),
                                   *_heartbeat("2026-01-01T00:00:40Z", 0, 1, 2, 3)], 18),
        ("Node", False, "admin", [(("spec", "taints", 0, "effect"), "NoExecute")], 1),  # atomic
        ("Node", True, "kubelet", [(("status", "images", 0, "names", 0), "nginx:2")], 1),
        ("Pod", True, "kubelet", [(("status", "containerStatuses", 0, "restartCount"), 1),
                                  (("status", "conditions", 0, "status"), "False")], 1),
    ]
    fast, slow, taken = _both_ways(ops)
    assert taken == ["nodes"] * 7 + ["pods"]
    assert fast == slow


@pytest.mark.parametrize("edits", [
    [(("status", "conditions", 3, "type"), "NetworkUnavailable")],  # a key field
    [(("status", "addresses", 1, "type"), "InternalIP")],  # a key, repeated
    [(("status", "conditions", 3, "lastHeartbeatTime"), "2026-01-01T00:00:09Z"),
     (("status", "conditions", 3, "type"), "Extra")],
    [(("spec", "podCIDRs", 1), "fd01::/64")],  # a set
    [(("status", "conditions", 4), {"type": "Extra", "status": "True"})],  # a longer list
], ids=["key", "repeated-key", "leaf-and-key", "set", "longer"])
def test_what_the_leaf_update_cannot_prove_takes_the_general_path(
        edits: list[tuple[Path, Any]]) -> None:
    status = edits[0][0][0] == "status"
    fast, slow, taken = _both_ways([("Node", status, "kubelet", edits, 1)])
    assert taken == []
    assert fast == slow


def test_a_node_with_repeated_condition_types_takes_the_general_path() -> None:
    c = fresh()
    node = objects.deep_copy(NODE)
    node["status"]["conditions"][2]["type"] = "Ready"  # two items with one key
    _create(c, node)
    stored = c.store.get("nodes", "", "n1")
    assert stored is not None
    t = fieldschema.type_for("", "v1", "Node")
    paths: list[Path] = [("status", "conditions", 0, "lastHeartbeatTime")]
    assert fieldvalues.leaves_modified(t, paths, stored) is None


def test_a_value_that_does_not_fit_gets_the_general_paths_error() -> None:
    edits: list[tuple[Path, Any]] = [(("status", "containerStatuses", 0, "restartCount"), 2 ** 31)]
    fast, slow, taken = _both_ways([("Pod", True, "kubelet", edits, 1)])
    assert taken == []
    assert fast == slow
    assert b"cannot unmarshal number 2147483648" in fast[2]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(
    st.tuples(st.just("Node"), st.booleans(), st.sampled_from(MANAGERS),
              st.lists(st.sampled_from(NODE_EDITS), min_size=1, max_size=4),
              st.integers(0, 2)),
    st.tuples(st.just("Pod"), st.booleans(), st.sampled_from(MANAGERS),
              st.lists(st.sampled_from(POD_EDITS), min_size=1, max_size=3),
              st.integers(0, 2))), min_size=1, max_size=10))
def test_any_run_of_writes_is_the_same_with_and_without_leaf_updates(ops: list[Op]) -> None:
    fast, slow, _ = _both_ways(ops)
    assert fast == slow


# ----------------------------------------------------------------- the parts


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(NODE_EDITS[:-2]), min_size=1, max_size=5))
def test_leaves_modified_is_what_compare_finds_or_none(edits: list[tuple[Path, Any]]) -> None:
    t = fieldschema.type_for("", "v1", "Node")
    new = _edited(NODE, edits)
    paths = objects.leaf_changes(new, NODE)
    assert paths is not None
    got = fieldvalues.leaves_modified(t, paths, NODE)
    if got is not None:
        assert ({}, got, {}) == fieldvalues.compare(t, NODE, new)
    else:  # only what it must decline
        assert any(p[1] == "podCIDRs" or p[-1] == "type" for p in paths)


def test_leaves_modified_keys_list_items_and_stops_at_atomic_lists() -> None:
    t = fieldschema.type_for("", "v1", "Node")
    paths: list[Path] = [("status", "conditions", 3, "lastHeartbeatTime"),
                         ("status", "conditions", 0, "lastHeartbeatTime"),
                         ("status", "images", 0, "names", 0), ("spec", "taints", 0, "effect")]
    got = fieldvalues.leaves_modified(t, paths, NODE)
    assert got == {"f:spec": {"f:taints": {}}, "f:status": {
        "f:conditions": {'k:{"type":"MemoryPressure"}': {"f:lastHeartbeatTime": {}},
                         'k:{"type":"Ready"}': {"f:lastHeartbeatTime": {}}},
        "f:images": {}}}
    assert list(got["f:status"]["f:conditions"]) == [
        'k:{"type":"MemoryPressure"}', 'k:{"type":"Ready"}']  # FieldsV1 order
    assert fieldvalues.leaves_modified(t, paths, NODE) is got  # remembered
    other = objects.deep_copy(NODE)
    other["status"]["conditions"][3]["type"] = "NetworkUnavailable"
    again = fieldvalues.leaves_modified(t, paths, other)  # the same paths, other keys
    assert again is not None and 'k:{"type":"NetworkUnavailable"}' in \
        again["f:status"]["f:conditions"]


def test_leaves_fit_follows_list_items() -> None:
    pod = objects.deep_copy(POD)
    path: list[Path] = [("status", "containerStatuses", 0, "restartCount")]
    assert schemas.leaves_fit(pod, path, "", "v1", "Pod")
    pod["status"]["containerStatuses"][0]["restartCount"] = 2 ** 31
    assert not schemas.leaves_fit(pod, path, "", "v1", "Pod")
    assert schemas.field_problems(pod, "", "v1", "Pod")[0] is not None
    # an index where the schema has a map or a struct: the checks decide
    assert not schemas.leaves_fit({"spec": {"nodeSelector": ["x"]}},
                                  [("spec", "nodeSelector", 0)], "", "v1", "Pod")


def test_a_leaf_update_copies_only_the_lists_on_its_paths() -> None:
    c = fresh()
    _create(c, NODE)
    old = c.store.get("nodes", "", "n1")
    assert old is not None
    before = orjson.dumps(old)
    body = _edited(old, _heartbeat("2026-01-01T00:00:10Z", 3))
    c.client.update_status(body, manager="kubelet", copy=False)
    new = c.store.get("nodes", "", "n1")
    assert new is not None and orjson.dumps(old) == before  # the old revision as it was
    conds, old_conds = new["status"]["conditions"], old["status"]["conditions"]
    assert conds is not old_conds and conds is not body["status"]["conditions"]
    assert conds[3] is not old_conds[3] and conds[3]["lastHeartbeatTime"] == "2026-01-01T00:00:10Z"
    assert all(conds[i] is old_conds[i] for i in range(3))  # unchanged items shared
    assert new["status"]["addresses"] is old["status"]["addresses"]
    assert new["spec"] is old["spec"]
