"""Patch application (``minik8s.registry.patch``): JSON patch, merge patch, strategic merge.

Expected results and error answers are those of kube-apiserver (json-patch v4,
apimachinery strategicpatch); see the module docstring for where each comes from.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minik8s.api import errors
from minik8s.registry import patch

Obj = dict[str, Any]

# --------------------------------------------------------------------------- builders

LEAF: Obj = {}


def struct(**fields: Obj) -> Obj:
    return {"f": fields}


def merge_list(key: str, item: Obj | None = None, *, retain: bool = False) -> Obj:
    node: Obj = {"s": "merge,retainKeys" if retain else "merge", "k": key, "t": "map",
                 "mk": [key]}
    if item is not None:
        node["i"] = item
    return node


def union_list() -> Obj:
    return {"s": "merge", "t": "set"}


def atomic(item: Obj | None = None) -> Obj:
    return {"t": "atomic", **({"i": item} if item is not None else {})}


def string_map() -> Obj:
    return {"m": True}


ENV_VAR = struct(name=LEAF, value=LEAF, valueFrom=struct(fieldRef=struct(fieldPath=LEAF)))
CONTAINER = struct(
    name=LEAF, image=LEAF, args=atomic(), command=atomic(),
    env=merge_list("name", ENV_VAR),
    ports=merge_list("containerPort", struct(containerPort=LEAF, protocol=LEAF)),
    volumeMounts=merge_list("mountPath", struct(name=LEAF, mountPath=LEAF)),
    resources=struct(limits=string_map(), requests=string_map()),
)
VOLUME = struct(name=LEAF, emptyDir=struct(medium=LEAF),
                configMap=struct(name=LEAF, items=atomic()), secret=struct(secretName=LEAF))
OBJECT_META = struct(
    name=LEAF, namespace=LEAF, labels=string_map(), annotations=string_map(),
    finalizers=union_list(), ownerReferences=merge_list("uid", struct(uid=LEAF, name=LEAF)),
)
POD_SPEC = struct(
    containers=merge_list("name", CONTAINER), initContainers=merge_list("name", CONTAINER),
    volumes=merge_list("name", VOLUME, retain=True), tolerations=atomic(struct(key=LEAF)),
    nodeSelector=string_map(),
)
POD = struct(metadata=OBJECT_META, spec=POD_SPEC,
             status=struct(conditions=merge_list("type", struct(type=LEAF, status=LEAF))))
DEPLOYMENT = struct(metadata=OBJECT_META, spec=struct(
    replicas=LEAF, selector=struct(matchLabels=string_map()),
    strategy={**struct(type=LEAF, rollingUpdate=struct(maxSurge=LEAF, maxUnavailable=LEAF)),
              "s": "retainKeys"},
    template=struct(metadata=OBJECT_META, spec=POD_SPEC),
))
NODE = struct(metadata=OBJECT_META, spec=struct(
    unschedulable=LEAF, taints=atomic(struct(key=LEAF, value=LEAF, effect=LEAF))))
SERVICE = struct(metadata=OBJECT_META, spec=struct(
    ports=merge_list("port", struct(port=LEAF, targetPort=LEAF, name=LEAF))))


def container(name: str, image: str = "nginx:1.27", **extra: Any) -> Obj:
    return {"name": name, "image": image, **extra}


def make_pod(*containers: Obj, **spec: Any) -> Obj:
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "p1", "namespace": "default", "labels": {"app": "p1"}},
            "spec": {"containers": list(containers) or [container("nginx")], **spec}}


def make_deployment(*containers: Obj, strategy: Obj | None = None, **spec: Any) -> Obj:
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "default"},
            "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "web"}},
                     "strategy": strategy or {"type": "RollingUpdate", "rollingUpdate":
                                              {"maxSurge": "25%", "maxUnavailable": "25%"}},
                     "template": {"metadata": {"labels": {"app": "web"}},
                                  "spec": {"containers": list(containers)
                                           or [container("nginx")], **spec}},
                     }}


def make_node(taints: list[Obj] | None = None, **spec: Any) -> Obj:
    node: Obj = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n1"}, "spec": spec}
    if taints is not None:
        node["spec"]["taints"] = taints
    return node


def pod_containers(obj: Obj) -> list[Obj]:
    spec = obj["spec"]["template"]["spec"] if obj["kind"] == "Deployment" else obj["spec"]
    return spec["containers"]  # type: ignore[no-any-return]


def directive_keys(value: Any, path: str = "") -> list[str]:
    """Paths of every key in ``value`` that is a strategic-merge directive."""
    found: list[str] = []
    if isinstance(value, dict):
        for k, v in value.items():
            if k.startswith(("$patch", "$retainKeys", "$setElementOrder",
                             "$deleteFromPrimitiveList")):
                found.append(f"{path}/{k}")
            found += directive_keys(v, f"{path}/{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            found += directive_keys(v, f"{path}/{i}")
    return found


# --------------------------------------------------------------------------- RFC 6902

DOC: Obj = {
    "metadata": {"name": "web", "annotations": {"a/b": "slash", "m~n": "tilde"}},
    "spec": {"containers": [{"name": "a", "image": "nginx:1.27"}, {"name": "b", "image": "x"}],
             "args": ["one", "two"]},
}


def with_changes(fn: Any) -> Obj:
    doc = copy.deepcopy(DOC)
    fn(doc)
    return doc


JSON_PATCH_CASES = [
    ("add sets a new object member",
     [{"op": "add", "path": "/metadata/labels", "value": {"app": "web"}}],
     with_changes(lambda d: d["metadata"].update(labels={"app": "web"}))),
    ("add replaces an existing object member",
     [{"op": "add", "path": "/metadata/name", "value": "other"}],
     with_changes(lambda d: d["metadata"].update(name="other"))),
    ("add inserts into an array before the given index",
     [{"op": "add", "path": "/spec/args/1", "value": "between"}],
     with_changes(lambda d: d["spec"]["args"].insert(1, "between"))),
    ("add at index equal to the length appends",
     [{"op": "add", "path": "/spec/args/2", "value": "three"}],
     with_changes(lambda d: d["spec"]["args"].append("three"))),
    ("add with - appends to an array",
     [{"op": "add", "path": "/spec/containers/-", "value": {"name": "c", "image": "y"}}],
     with_changes(lambda d: d["spec"]["containers"].append({"name": "c", "image": "y"}))),
    ("remove deletes an object member",
     [{"op": "remove", "path": "/spec/args"}],
     with_changes(lambda d: d["spec"].pop("args"))),
    ("remove deletes an array element and shifts the rest",
     [{"op": "remove", "path": "/spec/containers/0"}],
     with_changes(lambda d: d["spec"]["containers"].pop(0))),
    ("replace changes a container image addressed by index",
     [{"op": "replace", "path": "/spec/containers/1/image", "value": "nginx:1.29"}],
     with_changes(lambda d: d["spec"]["containers"][1].update(image="nginx:1.29"))),
    ("replace of a missing object member adds it like json-patch v4 does",
     [{"op": "replace", "path": "/spec/replicas", "value": 3}],
     with_changes(lambda d: d["spec"].update(replicas=3))),
    ("move relocates a value and removes it from its old place",
     [{"op": "move", "from": "/spec/args", "path": "/spec/command"}],
     with_changes(lambda d: d["spec"].update(command=d["spec"].pop("args")))),
    ("move within an array reorders elements",
     [{"op": "move", "from": "/spec/containers/0", "path": "/spec/containers/-"}],
     with_changes(lambda d: d["spec"]["containers"].append(d["spec"]["containers"].pop(0)))),
    ("copy duplicates a value",
     [{"op": "copy", "from": "/spec/containers/0/image", "path": "/spec/containers/1/image"}],
     with_changes(lambda d: d["spec"]["containers"][1].update(image="nginx:1.27"))),
    ("a passing test lets the following ops apply",
     [{"op": "test", "path": "/spec/containers/0/name", "value": "a"},
      {"op": "replace", "path": "/spec/containers/0/image", "value": "nginx:1.29"}],
     with_changes(lambda d: d["spec"]["containers"][0].update(image="nginx:1.29"))),
    ("test compares whole objects structurally",
     [{"op": "test", "path": "/spec/containers/1", "value": {"image": "x", "name": "b"}}],
     DOC),
    ("test of a missing member against null passes like json-patch v4",
     [{"op": "test", "path": "/spec/missing", "value": None}],
     DOC),
    ("~1 in a token addresses a key containing a slash",
     [{"op": "replace", "path": "/metadata/annotations/a~1b", "value": "changed"}],
     with_changes(lambda d: d["metadata"]["annotations"].update({"a/b": "changed"}))),
    ("~0 in a token addresses a key containing a tilde",
     [{"op": "remove", "path": "/metadata/annotations/m~0n"}],
     with_changes(lambda d: d["metadata"]["annotations"].pop("m~n"))),
    ("a negative index counts from the end like kube-apiserver's json-patch",
     [{"op": "remove", "path": "/spec/args/-1"}],
     with_changes(lambda d: d["spec"]["args"].pop())),
    ("ops apply in sequence, each seeing the previous result",
     [{"op": "add", "path": "/spec/args/-", "value": "three"},
      {"op": "test", "path": "/spec/args/2", "value": "three"},
      {"op": "remove", "path": "/spec/args/0"}],
     with_changes(lambda d: d["spec"].update(args=["two", "three"]))),
    ("replace at the root swaps the whole document",
     [{"op": "replace", "path": "", "value": {"kind": "Other"}}],
     {"kind": "Other"}),
    ("an empty patch returns an unchanged copy", [], DOC),
]


@pytest.mark.parametrize(("ops", "expected"), [c[1:] for c in JSON_PATCH_CASES],
                         ids=[c[0] for c in JSON_PATCH_CASES])
def test_json_patch_applies(ops: list[Obj], expected: Obj) -> None:
    doc = copy.deepcopy(DOC)
    assert patch.apply_json_patch(doc, ops) == expected
    assert doc == DOC


JSON_PATCH_FAILURES = [
    ("remove of a missing member",
     [{"op": "remove", "path": "/spec/nope"}],
     ("error in remove for path: '/spec/nope': Unable to remove nonexistent key: nope: "
     "missing value")),
    ("a test of a different value",
     [{"op": "test", "path": "/spec/containers/0/image", "value": "nginx:1.29"}],
     "testing value /spec/containers/0/image failed: test failed"),
    ("a test where 1 and 1.0 differ",
     [{"op": "add", "path": "/spec/replicas", "value": 1},
      {"op": "test", "path": "/spec/replicas", "value": 1.0}],
     "testing value /spec/replicas failed: test failed"),
    ("an add below a missing parent",
     [{"op": "add", "path": "/status/phase", "value": "Running"}],
     'add operation does not apply: doc is missing path: "/status/phase": missing value'),
    ("an add through a scalar",
     [{"op": "add", "path": "/metadata/name/x", "value": 1}],
     'add operation does not apply: doc is missing path: "/metadata/name/x": missing value'),
    ("an array index past the end",
     [{"op": "add", "path": "/spec/args/3", "value": "x"}],
     ("error in add for path: '/spec/args/3': Unable to access invalid index: 3: "
     "invalid index referenced")),
    ("a replace at a missing array index",
     [{"op": "replace", "path": "/spec/args/5", "value": "x"}],
     "replace operation does not apply: doc is missing key: /spec/args/5: missing value"),
    ("a non-numeric array index",
     [{"op": "add", "path": "/spec/args/first", "value": "x"}],
     ("error in add for path: '/spec/args/first': value was not a proper array index: 'first': "
     'strconv.Atoi: parsing "first": invalid syntax')),
    ("an unknown op",
     [{"op": "increment", "path": "/spec/replicas"}],
     "Unexpected kind: increment"),
    ("an op without op",
     [{"path": "/spec/replicas"}],
     "Unexpected kind: unknown"),
    ("an op without path",
     [{"op": "add", "value": 1}],
     "add operation failed to decode path: operation missing path field: missing value"),
    ("a move from a missing path",
     [{"op": "move", "from": "/nope/x", "path": "/spec/y"}],
     "move operation does not apply: doc is missing from path: /nope/x: missing value"),
    ("a copy to a missing destination",
     [{"op": "copy", "from": "/spec/args", "path": "/nope/x"}],
     "copy operation does not apply: doc is missing destination path: /nope/x: missing value"),
    ("a path without the leading slash addressing nothing",
     [{"op": "remove", "path": "spec"}],
     'remove operation does not apply: doc is missing path: "spec": missing value'),
]


@pytest.mark.parametrize(("ops", "detail"), [c[1:] for c in JSON_PATCH_FAILURES],
                         ids=[f"{c[0]} is rejected with 422" for c in JSON_PATCH_FAILURES])
def test_json_patch_failures_are_422_like_kube_apiserver(ops: list[Obj], detail: str) -> None:
    with pytest.raises(patch.PatchRejected) as info:
        patch.apply_json_patch(copy.deepcopy(DOC), ops)
    assert info.value.detail == detail
    assert info.value.to_status() == {
        "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
        "message": "the server rejected our request due to an error in our request",
        "reason": "Invalid", "code": 422, "details": {}}
    assert isinstance(info.value, errors.Invalid)


JSON_PATCH_BAD_BODIES = [
    ("a JSON object instead of a list", {"op": "add", "path": "/a", "value": 1},
     ("error decoding patch: json: cannot unmarshal object into Go value of type "
     "[]handlers.jsonPatchOp")),
    ("a list element that is not an object", ["add"],
     ("error decoding patch: json: cannot unmarshal string into Go value of type "
     "handlers.jsonPatchOp")),
    ("a path that is not a string", [{"op": "remove", "path": 5}],
     ("error decoding patch: json: cannot unmarshal number into Go struct field "
     "jsonPatchOp.path of type string")),
]


@pytest.mark.parametrize(("body", "message"), [c[1:] for c in JSON_PATCH_BAD_BODIES],
                         ids=[f"{c[0]} is a 400" for c in JSON_PATCH_BAD_BODIES])
def test_json_patch_malformed_bodies_are_400(body: Any, message: str) -> None:
    with pytest.raises(errors.BadRequest) as info:
        patch.apply_json_patch(DOC, body)
    assert info.value.message == message


def test_more_than_ten_thousand_json_patch_ops_is_413() -> None:
    ops = [{"op": "test", "path": "/metadata/name", "value": "web"}] * 10001
    with pytest.raises(errors.RequestEntityTooLarge) as info:
        patch.apply_json_patch(DOC, ops)
    assert info.value.message == ("The allowed maximum operations in a JSON patch is 10000, "
                                  "got 10001")


def test_json_patch_turning_the_object_into_a_list_is_invalid() -> None:
    with pytest.raises(errors.Invalid) as info:
        patch.apply_json_patch(DOC, [{"op": "replace", "path": "", "value": [1]}])
    assert info.value.message.startswith(' "" is invalid: patch: Invalid value: "[1]": '
                                         "couldn't get version/kind; json parse error")


def test_json_patch_values_are_copied_not_shared() -> None:
    value = {"app": "web"}
    out = patch.apply_json_patch({}, [{"op": "add", "path": "/labels", "value": value}])
    out["labels"]["x"] = "y"
    assert value == {"app": "web"}


# --------------------------------------------------------------------------- RFC 7386

RFC7386_APPENDIX = [
    ({"a": "b"}, {"a": "c"}, {"a": "c"}),
    ({"a": "b"}, {"b": "c"}, {"a": "b", "b": "c"}),
    ({"a": "b"}, {"a": None}, {}),
    ({"a": "b", "b": "c"}, {"a": None}, {"b": "c"}),
    ({"a": ["b"]}, {"a": "c"}, {"a": "c"}),
    ({"a": "c"}, {"a": ["b"]}, {"a": ["b"]}),
    ({"a": {"b": "c"}}, {"a": {"b": "d", "c": None}}, {"a": {"b": "d"}}),
    ({"a": [{"b": "c"}]}, {"a": [1]}, {"a": [1]}),
    ({"e": None}, {"a": 1}, {"e": None, "a": 1}),
    ({}, {"a": {"bb": {"ccc": None}}}, {"a": {"bb": {}}}),
]


@pytest.mark.parametrize(("target", "body", "result"), RFC7386_APPENDIX,
                         ids=[f"RFC 7386 appendix: {t} patched with {p} gives {r}"
                              for t, p, r in RFC7386_APPENDIX])
def test_merge_patch_rfc7386_examples(target: Obj, body: Obj, result: Obj) -> None:
    original = copy.deepcopy(target)
    assert patch.apply_merge_patch(target, body) == result
    assert target == original


MERGE_PATCH_CASES = [
    ("kubectl label adds a label and keeps the others",
     {"metadata": {"labels": {"app": "web"}}}, {"metadata": {"labels": {"tier": "fe"}}},
     {"metadata": {"labels": {"app": "web", "tier": "fe"}}}),
    ("kubectl label tier- deletes the label with null",
     {"metadata": {"labels": {"app": "web", "tier": "fe"}}},
     {"metadata": {"labels": {"tier": None}}}, {"metadata": {"labels": {"app": "web"}}}),
    ("lists are replaced, never merged",
     {"spec": {"containers": [{"name": "a"}, {"name": "b"}]}},
     {"spec": {"containers": [{"name": "c"}]}}, {"spec": {"containers": [{"name": "c"}]}}),
    ("nulls inside a new list element are pruned like json-patch v4",
     {}, {"spec": {"items": [{"a": 1, "b": None}, None]}},
     {"spec": {"items": [{"a": 1}, None]}}),
    ("an object replacing a scalar loses its nulls",
     {"a": 1}, {"a": {"b": None, "c": 2}}, {"a": {"c": 2}}),
]


@pytest.mark.parametrize(("target", "body", "result"), [c[1:] for c in MERGE_PATCH_CASES],
                         ids=[c[0] for c in MERGE_PATCH_CASES])
def test_merge_patch(target: Obj, body: Obj, result: Obj) -> None:
    assert patch.apply_merge_patch(target, body) == result


MERGE_PATCH_BAD_BODIES = [
    ("a null merge patch body (RFC row: null) is Invalid JSON Patch", None,
     "Invalid JSON Patch"),
    ("a list merge patch body (RFC row: [\"c\"]) cannot decode into an object", ["c"],
     ("error decoding patch: json: cannot unmarshal array into Go value of type "
     "map[string]interface {}")),
    ("a string merge patch body (RFC row: \"bar\") cannot decode into an object", "bar",
     ("error decoding patch: json: cannot unmarshal string into Go value of type "
     "map[string]interface {}")),
]


@pytest.mark.parametrize(("body", "message"), [c[1:] for c in MERGE_PATCH_BAD_BODIES],
                         ids=[c[0] for c in MERGE_PATCH_BAD_BODIES])
def test_merge_patch_body_must_be_an_object(body: Any, message: str) -> None:
    with pytest.raises(errors.BadRequest) as info:
        patch.apply_merge_patch({"a": "foo"}, body)
    assert info.value.message == message


# --------------------------------------------------------------------------- strategic merge

CSA_PATCH = {  # kubectl apply (client-side) on a changed file, protocol doc §8.2
    "metadata": {"annotations": {
        "kubectl.kubernetes.io/last-applied-configuration": '{"kind":"Deployment"}\n'}},
    "spec": {"replicas": 3, "template": {"spec": {
        "$setElementOrder/containers": [{"name": "nginx"}],
        "containers": [{"$setElementOrder/env": [{"name": "A"}],
                        "env": [{"name": "A", "value": "2"}],
                        "image": "nginx:1.27", "name": "nginx"}]}}}}

SMP_CASES: list[tuple[str, Obj | None, Obj, Any, Any]] = [
    ("containers are merged by name and untouched containers are kept",
     POD, make_pod(container("a", "x:1"), container("b", "y:1")),
     {"spec": {"containers": [{"name": "b", "image": "y:2"}]}},
     [container("a", "x:1"), container("b", "y:2")]),
    ("env entries are merged by name inside the matching container",
     POD, make_pod(container("a", env=[{"name": "A", "value": "1"}, {"name": "B", "value": "1"}])),
     {"spec": {"containers": [{"name": "a", "env": [{"name": "B", "value": "2"}]}]}},
     [container("a", env=[{"name": "A", "value": "1"}, {"name": "B", "value": "2"}])]),
    ("a new container without $setElementOrder goes first, as apimachinery orders it",
     POD, make_pod(container("a")),
     {"spec": {"containers": [{"name": "sidecar", "image": "busybox"}]}},
     [container("sidecar", "busybox"), container("a")]),
    ("$setElementOrder puts a new container where the list says",
     POD, make_pod(container("a")),
     {"spec": {"$setElementOrder/containers": [{"name": "a"}, {"name": "sidecar"}],
               "containers": [{"name": "sidecar", "image": "busybox"}]}},
     [container("a"), container("sidecar", "busybox")]),
    ("$setElementOrder reorders the listed items and a trailing server-only item stays last",
     POD, make_pod(container("a"), container("b"), container("live-only")),
     {"spec": {"$setElementOrder/containers": [{"name": "b"}, {"name": "a"}]}},
     [container("b"), container("a"), container("live-only")]),
    ("a server-only item goes before the listed item it preceded live",
     POD, make_pod(container("a"), container("live-only"), container("b")),
     {"spec": {"$setElementOrder/containers": [{"name": "b"}, {"name": "a"}]}},
     [container("live-only"), container("b"), container("a")]),
    ("$patch: delete removes a container by name",
     POD, make_pod(container("a"), container("b")),
     {"spec": {"containers": [{"$patch": "delete", "name": "a"}]}},
     [container("b")]),
    ("$patch: delete of an absent name changes nothing",
     POD, make_pod(container("a")),
     {"spec": {"containers": [{"$patch": "delete", "name": "zzz"}]}},
     [container("a")]),
    ("$patch: replace as a list element replaces the list with the rest of the patch list",
     POD, make_pod(container("a"), container("b")),
     {"spec": {"containers": [{"$patch": "replace"}, {"name": "c", "image": "z"}]}},
     [container("c", "z")]),
    ("ports: null removes the container ports",
     POD, make_pod(container("a", ports=[{"containerPort": 80}])),
     {"spec": {"containers": [{"name": "a", "ports": None}]}},
     [container("a")]),
    ("container ports are merged by containerPort",
     POD, make_pod(container("a", ports=[{"containerPort": 80}])),
     {"spec": {"containers": [{"name": "a", "ports": [{"containerPort": 80, "protocol": "TCP"},
                                                      {"containerPort": 443}]}]}},
     [container("a", ports=[{"containerPort": 80, "protocol": "TCP"}, {"containerPort": 443}])]),
    ("args are atomic and replaced whole",
     POD, make_pod(container("a", args=["x", "y"])),
     {"spec": {"containers": [{"name": "a", "args": ["z"]}]}},
     [container("a", args=["z"])]),
    ("an empty merge list in the patch leaves the live list as it is",
     POD, make_pod(container("a")), {"spec": {"containers": []}}, [container("a")]),
    ("directives and nulls inside a newly added container are stripped",
     POD, make_pod(container("a")),
     {"spec": {"containers": [{"name": "b", "image": "y", "args": None,
                               "$setElementOrder/env": [{"name": "X"}],
                               "env": [{"name": "X", "value": "1"},
                                       {"$patch": "delete", "name": "Y"}]}]}},
     [container("b", "y", env=[{"name": "X", "value": "1"}]), container("a")]),
]


@pytest.mark.parametrize(("meta", "doc", "body", "containers"),
                         [c[1:] for c in SMP_CASES], ids=[c[0] for c in SMP_CASES])
def test_strategic_merge_of_containers(meta: Obj, doc: Obj, body: Obj,
                                       containers: list[Obj]) -> None:
    original = copy.deepcopy(doc)
    frozen = copy.deepcopy(body)
    out = patch.apply_strategic_merge_patch(doc, body, meta)
    assert pod_containers(out) == containers
    assert directive_keys(out) == []
    assert doc == original and body == frozen


def rolling() -> Obj:
    return {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}}


SMP_OBJECT_CASES: list[tuple[str, Obj | None, Obj, Any, Any]] = [
    ("kubectl edit's patch (protocol §11.13) gives the container its new image",
     DEPLOYMENT, make_deployment(container("nginx", "nginx:1.27", ports=[{"containerPort": 80}])),
     {"spec": {"template": {"spec": {"$setElementOrder/containers": [{"name": "nginx"}],
                                     "containers": [{"image": "nginx:1.29", "name": "nginx"}]}}}},
     lambda d: pod_containers(d)[0].update(image="nginx:1.29")),
    ("the client-side apply patch of §8.2 sets replicas, annotation and env order",
     DEPLOYMENT, make_deployment(container("nginx", "nginx:1.25",
                                           env=[{"name": "A", "value": "1"}])),
     CSA_PATCH,
     lambda d: (d["spec"].update(replicas=3), d["metadata"].update(annotations={
         "kubectl.kubernetes.io/last-applied-configuration": '{"kind":"Deployment"}\n'}),
         pod_containers(d)[0].update(image="nginx:1.27", env=[{"name": "A", "value": "2"}]))),
    ("client-side apply removes env A with a delete directive and keeps B in order",
     DEPLOYMENT, make_deployment(container("nginx", env=[{"name": "A", "value": "1"},
                                                         {"name": "B", "value": "2"}])),
     {"spec": {"template": {"spec": {"$setElementOrder/containers": [{"name": "nginx"}],
                                     "containers": [{
                                         "$setElementOrder/env": [{"name": "B"}],
                                         "env": [{"name": "B", "value": "3"},
                                                 {"$patch": "delete", "name": "A"}],
                                         "name": "nginx"}]}}}},
     lambda d: pod_containers(d)[0].update(env=[{"name": "B", "value": "3"}])),
    ("switching strategy to Recreate with $retainKeys drops rollingUpdate",
     DEPLOYMENT, make_deployment(),
     {"spec": {"strategy": {"$retainKeys": ["type"], "type": "Recreate"}}},
     lambda d: d["spec"].update(strategy={"type": "Recreate"})),
    ("switching strategy without $retainKeys merges and keeps rollingUpdate",
     DEPLOYMENT, make_deployment(),
     {"spec": {"strategy": {"type": "Recreate"}}},
     lambda d: d["spec"]["strategy"].update(type="Recreate")),
    ("$retainKeys on a volume switching emptyDir to configMap drops emptyDir",
     POD, make_pod(volumes=[{"name": "v", "emptyDir": {}}, {"name": "w", "emptyDir": {}}]),
     {"spec": {"volumes": [{"$retainKeys": ["configMap", "name"], "name": "v",
                            "configMap": {"name": "cm"}}]}},
     lambda d: d["spec"].update(volumes=[{"name": "v", "configMap": {"name": "cm"}},
                                         {"name": "w", "emptyDir": {}}])),
    ("$patch: replace on a map replaces it whole",
     POD, make_pod(nodeSelector={"disk": "ssd", "zone": "a"}),
     {"spec": {"nodeSelector": {"$patch": "replace", "zone": "b"}}},
     lambda d: d["spec"].update(nodeSelector={"zone": "b"})),
    ("$patch: delete on a map leaves it empty, as apimachinery does",
     POD, make_pod(nodeSelector={"disk": "ssd"}),
     {"spec": {"nodeSelector": {"$patch": "delete"}}},
     lambda d: d["spec"].update(nodeSelector={})),
    ("a map with a $patch directive for a field the live object lacks is not added",
     POD, make_pod(), {"spec": {"nodeSelector": {"$patch": "replace", "zone": "b"}}},
     lambda d: None),
    ("$deleteFromPrimitiveList/finalizers removes only the listed finalizers",
     POD, {**make_pod(), "metadata": {"name": "p1", "finalizers": ["a", "b", "c"]}},
     {"metadata": {"$deleteFromPrimitiveList/finalizers": ["b", "zzz"]}},
     lambda d: d["metadata"].update(finalizers=["a", "c"])),
    ("a new finalizer goes before the live ones, as apimachinery orders a union",
     POD, {**make_pod(), "metadata": {"name": "p1", "finalizers": ["a"]}},
     {"metadata": {"finalizers": ["b"]}},
     lambda d: d["metadata"].update(finalizers=["b", "a"])),
    ("finalizers are unioned with the live list, without duplicates",
     POD, {**make_pod(), "metadata": {"name": "p1", "finalizers": ["a", "b"]}},
     {"metadata": {"finalizers": ["b", "c"]}},
     lambda d: d["metadata"].update(finalizers=["a", "b", "c"])),
    ("$setElementOrder/finalizers orders a primitive merge list",
     POD, {**make_pod(), "metadata": {"name": "p1", "finalizers": ["a", "b"]}},
     {"metadata": {"$setElementOrder/finalizers": ["c", "b", "a"], "finalizers": ["c"]}},
     lambda d: d["metadata"].update(finalizers=["c", "b", "a"])),
    ("taints are atomic: kubectl taint's full list replaces the live one (§11.10)",
     NODE, make_node(taints=[{"key": "a", "effect": "NoSchedule"}]),
     {"spec": {"taints": [{"effect": "NoSchedule", "key": "key", "value": "value"}]}},
     lambda d: d["spec"].update(taints=[{"effect": "NoSchedule", "key": "key",
                                         "value": "value"}])),
    ("removing the last taint with taints: null deletes the field",
     NODE, make_node(taints=[{"key": "a", "effect": "NoSchedule"}]),
     {"spec": {"taints": None}}, lambda d: d["spec"].pop("taints")),
    ("cordon sets unschedulable and uncordon's null removes it",
     NODE, make_node(unschedulable=True), {"spec": {"unschedulable": None}},
     lambda d: d["spec"].pop("unschedulable")),
    ("a null label value deletes the label and keeps the others",
     POD, make_pod(), {"metadata": {"labels": {"app": None, "tier": "fe"}}},
     lambda d: d["metadata"].update(labels={"tier": "fe"})),
    ("ownerReferences merge by uid",
     POD, {**make_pod(), "metadata": {"name": "p1", "ownerReferences": [
         {"uid": "1", "name": "rs-a"}]}},
     {"metadata": {"ownerReferences": [{"uid": "2", "name": "rs-b"}]}},
     lambda d: d["metadata"].update(ownerReferences=[{"uid": "2", "name": "rs-b"},
                                                     {"uid": "1", "name": "rs-a"}])),
    ("status conditions merge by type",
     POD, {**make_pod(), "status": {"conditions": [{"type": "Ready", "status": "False"},
                                                   {"type": "Scheduled", "status": "True"}]}},
     {"status": {"conditions": [{"type": "Ready", "status": "True"}]}},
     lambda d: d["status"]["conditions"][0].update(status="True")),
    ("service ports merge by port",
     SERVICE, {"kind": "Service", "spec": {"ports": [{"port": 80, "targetPort": 8080}]}},
     {"spec": {"ports": [{"port": 80, "name": "http"}]}},
     lambda d: d["spec"]["ports"][0].update(name="http")),
    ("without metadata lists are replaced and maps merged like a merge patch",
     None, make_pod(container("a"), container("b")),
     {"metadata": {"labels": {"x": "1"}}, "spec": {"containers": [{"name": "c"}]}},
     lambda d: (d["metadata"]["labels"].update(x="1"),
                d["spec"].update(containers=[{"name": "c"}]))),
    ("without metadata the directives still apply and are stripped",
     None, make_pod(nodeSelector={"a": "1"}),
     {"spec": {"nodeSelector": {"$patch": "replace", "b": "2"}}},
     lambda d: d["spec"].update(nodeSelector={"b": "2"})),
    ("a null patch body changes nothing", POD, make_pod(), None, lambda d: None),
]


@pytest.mark.parametrize(("meta", "doc", "body", "change"),
                         [c[1:] for c in SMP_OBJECT_CASES], ids=[c[0] for c in SMP_OBJECT_CASES])
def test_strategic_merge_patch(meta: Obj | None, doc: Obj, body: Any, change: Any) -> None:
    expected = copy.deepcopy(doc)
    change(expected)
    frozen = copy.deepcopy(body)
    out = patch.apply_strategic_merge_patch(doc, body, meta)
    assert out == expected
    assert directive_keys(out) == []
    assert body == frozen


SMP_ERRORS: list[tuple[str, Obj, Any, type[errors.ApiError], str]] = [
    ("a container without its merge key",
     make_pod(), {"spec": {"containers": [{"image": "nginx"}]}}, errors.BadRequest,
     "map: map[image:nginx] does not contain declared merge key: name"),
    ("a delete directive without the merge key",
     make_pod(), {"spec": {"containers": [{"$patch": "delete"}]}}, errors.BadRequest,
     "map: map[$patch:delete] does not contain declared merge key: name"),
    ("an unknown $patch value on a map",
     make_pod(nodeSelector={"a": "b"}), {"spec": {"nodeSelector": {"$patch": "remove"}}},
     errors.BadRequest, "unknown patch type: remove in map: map[$patch:remove]"),
    ("$patch: merge on a map, which apimachinery does not accept",
     make_pod(nodeSelector={"a": "b"}), {"spec": {"nodeSelector": {"$patch": "merge"}}},
     errors.BadRequest, "unknown patch type: merge in map: map[$patch:merge]"),
    ("an unknown $patch value in a list element",
     make_pod(), {"spec": {"containers": [{"$patch": "drop", "name": "nginx"}]}},
     errors.BadRequest, "unknown patch type: drop in map: map[$patch:drop name:nginx]"),
    ("$patch: merge in a list element",
     make_pod(), {"spec": {"containers": [{"$patch": "merge"}]}}, errors.BadRequest,
     "merging lists cannot yet be specified in the patch"),
    ("$retainKeys that omits a key the patch sets",
     make_deployment(), {"spec": {"strategy": {"$retainKeys": ["type"], "type": "Recreate",
                                               "rollingUpdate": {"maxSurge": 1}}}},
     errors.BadRequest, "invalid patch format of retainKeys"),
    ("$retainKeys that is not a list",
     make_deployment(), {"spec": {"strategy": {"$retainKeys": "type"}}},
     errors.BadRequest, "invalid patch format of retainKeys"),
    ("$setElementOrder without a field name",
     make_pod(), {"spec": {"$setElementOrder": [{"name": "a"}]}}, errors.BadRequest,
     "invalid patch format of setElementOrder list"),
    ("$deleteFromPrimitiveList without a field name",
     make_pod(), {"metadata": {"$deleteFromPrimitiveList": ["a"]}}, errors.BadRequest,
     "invalid patch format of primitive list"),
    ("$setElementOrder that contradicts the patch list order",
     make_pod(container("a"), container("b")),
     {"spec": {"$setElementOrder/containers": [{"name": "a"}, {"name": "b"}],
               "containers": [{"name": "b"}, {"name": "a"}]}}, errors.BadRequest,
     ("The order in patch list:\n[map[name:b] map[name:a]]\n doesn't match $setElementOrder "
     "list:\n[map[name:a] map[name:b]]\n")),
    ("a merge list holding lists",
     {"metadata": {"finalizers": [["a"]]}}, {"metadata": {"finalizers": [["b"]]}},
     patch.PatchRejected, "the server rejected our request due to an error in our request"),
    ("a merged primitive list mixing types",
     {"metadata": {"finalizers": ["a"]}}, {"metadata": {"finalizers": [1]}},
     errors.BadRequest, "list element types are not identical: [[a] [1]]"),
    ("a patch body that is a list",
     make_pod(), [{"op": "add"}], errors.BadRequest,
     "json: cannot unmarshal array into Go value of type map[string]interface {}"),
]


@pytest.mark.parametrize(("doc", "body", "error", "message"), [c[1:] for c in SMP_ERRORS],
                         ids=[f"{c[0]} is a {c[3].code}" for c in SMP_ERRORS])
def test_strategic_merge_patch_errors(doc: Obj, body: Any, error: type[errors.ApiError],
                                      message: str) -> None:
    with pytest.raises(error) as info:
        patch.apply_strategic_merge_patch(doc, body, POD)
    assert info.value.message == message
    assert info.value.code < 500


# --------------------------------------------------------------------------- patch types


@pytest.mark.parametrize(("content_type", "kind"), [
    ("application/json-patch+json", "json"),
    ("application/merge-patch+json", "merge"),
    ("application/strategic-merge-patch+json; charset=utf-8", "strategic"),
    ("application/apply-patch+yaml", "apply"),
], ids=["JSON patch", "merge patch", "strategic merge patch with a charset parameter",
        "server-side apply"])
def test_patch_kind_by_content_type(content_type: str, kind: str) -> None:
    assert patch.patch_kind(content_type) == kind


def test_custom_resources_refuse_strategic_merge_patch_with_the_real_415() -> None:
    with pytest.raises(errors.UnsupportedMediaType) as info:
        patch.patch_kind(patch.STRATEGIC_MERGE_PATCH, patch.CUSTOM_PATCH_TYPES)
    assert info.value.code == 415
    assert info.value.message == (
        "the body of the request was in an unknown format - accepted media types include: "
        "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml")


def test_built_in_kinds_list_all_four_patch_types_in_the_415() -> None:
    err = patch.unsupported_patch_type("application/json", patch.BUILTIN_PATCH_TYPES)
    assert err.message.endswith(
        "application/json-patch+json, application/merge-patch+json, "
        "application/strategic-merge-patch+json, application/apply-patch+yaml")


# --------------------------------------------------------------------------- real schemas

schemas = pytest.importorskip("minik8s.api.schemas")


def test_real_deployment_metadata_merges_the_csa_patch() -> None:
    meta = schemas.patch_meta("apps", "v1", "Deployment")
    live = make_deployment(container("nginx", "nginx:1.25", env=[{"name": "A", "value": "1"}]),
                           container("sidecar", "busybox"))
    out = patch.apply_strategic_merge_patch(live, CSA_PATCH, meta)
    assert out["spec"]["replicas"] == 3
    assert pod_containers(out) == [
        container("nginx", "nginx:1.27", env=[{"name": "A", "value": "2"}]),
        container("sidecar", "busybox")]
    assert directive_keys(out) == []


def test_real_deployment_metadata_switches_strategy_with_retain_keys() -> None:
    meta = schemas.patch_meta("apps", "v1", "Deployment")
    out = patch.apply_strategic_merge_patch(
        make_deployment(), {"spec": {"strategy": {"$retainKeys": ["type"], "type": "Recreate"}}},
        meta)
    assert out["spec"]["strategy"] == {"type": "Recreate"}


def test_real_pod_metadata_unions_finalizers_and_merges_volumes() -> None:
    meta = schemas.patch_meta("", "v1", "Pod")
    live = {**make_pod(volumes=[{"name": "v", "emptyDir": {}}]),
            "metadata": {"name": "p1", "finalizers": ["a"]}}
    out = patch.apply_strategic_merge_patch(live, {
        "metadata": {"finalizers": ["b"]},
        "spec": {"volumes": [{"name": "v", "$retainKeys": ["name", "secret"],
                              "secret": {"secretName": "s"}}, {"name": "w", "emptyDir": {}}]},
    }, meta)
    assert out["metadata"]["finalizers"] == ["b", "a"]
    assert out["spec"]["volumes"] == [{"name": "v", "secret": {"secretName": "s"}},
                                      {"name": "w", "emptyDir": {}}]


def test_real_node_metadata_keeps_taints_atomic() -> None:
    meta = schemas.patch_meta("", "v1", "Node")
    live = make_node(taints=[{"key": "a", "effect": "NoSchedule"}])
    out = patch.apply_strategic_merge_patch(
        live, {"spec": {"taints": [{"key": "b", "effect": "NoExecute"}]}}, meta)
    assert out["spec"]["taints"] == [{"key": "b", "effect": "NoExecute"}]


# --------------------------------------------------------------------------- properties

json_scalars = st.one_of(st.booleans(), st.integers(-5, 5), st.text("xyz", max_size=2))
json_values = st.recursive(
    json_scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=3),
                            st.dictionaries(st.text("abc", min_size=1, max_size=2), inner,
                                            max_size=3)),
    max_leaves=12)
json_objects = st.dictionaries(st.text("abc", min_size=1, max_size=2), json_values, max_size=4)


def merge_diff(a: Obj, b: Obj) -> Obj:
    """The RFC 7386 patch that turns ``a`` into ``b``."""
    diff: Obj = {k: None for k in a if k not in b}
    for k, v in b.items():
        if isinstance(v, dict) and isinstance(a.get(k), dict):
            sub = merge_diff(a[k], v)
            if sub:
                diff[k] = sub
        elif k not in a or not patch._json_equal(a[k], v):
            diff[k] = v
    return diff


@settings(max_examples=200, deadline=None)
@given(json_objects, json_objects)
def test_a_merge_diff_applied_as_merge_patch_gives_the_target(a: Obj, b: Obj) -> None:
    assert patch.apply_merge_patch(a, merge_diff(a, b)) == b


@settings(max_examples=200, deadline=None)
@given(json_objects, json_objects)
def test_a_merge_diff_applied_as_metadata_less_strategic_patch_gives_the_target(
        a: Obj, b: Obj) -> None:
    assert patch.apply_strategic_merge_patch(a, merge_diff(a, b), None) == b
