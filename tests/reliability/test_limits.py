"""The limits kube-apiserver 1.33 (with etcd's defaults) sets, with its exact answers.

* request body: 3 MiB (``--max-request-bytes``): 413 ``Request entity too large: limit is
  3145728`` (``handlers/rest.go`` ``limitedReadBody``);
* stored object: 1.5 MiB (etcd ``--max-request-bytes``): the real server retries without
  ``managedFields``, then passes etcd's error on as a 500 with no reason,
  ``etcdserver: request is too large`` (``handlers/create.go``, ``isTooLargeError``);
* annotations: 256 KiB in all, counted in bytes: 422 ``metadata.annotations: Too long: may
  not be more than 262144 bytes`` (apimachinery ``ValidateAnnotations``);
* label values: 63 characters;
* list ``limit``: no cap (etcd3's 10,000 is its own page-growth cap), and
  ``resourceVersion=0`` lists ignore it (served from the watch cache);
* nesting: 200 levels (a minik8s limit, below Go's 10,000; see docs/reliability.md).
"""

from __future__ import annotations

import pytest
import requests
from reliability_support import check_answer

CM = "/api/v1/namespaces/default/configmaps"
MIB = 1024 * 1024


def _configmap(name: str, payload: int) -> bytes:
    head = b'{"metadata":{"name":"' + name.encode() + b'"},"data":{"a":"'
    tail = b'"}}'
    return head + b"x" * (payload - len(head) - len(tail)) + tail


def test_a_body_over_3_mib_is_413_with_the_real_message(base: str) -> None:
    resp = requests.post(base + CM, data=_configmap("big", 3 * MIB + 1),
                         headers={"Content-Type": "application/json"}, timeout=60)
    check_answer(resp)
    assert resp.status_code == 413
    status = resp.json()
    assert status["reason"] == "RequestEntityTooLarge"
    assert status["message"] == "Request entity too large: limit is 3145728"


def test_a_body_of_exactly_3_mib_is_read_and_then_too_large_to_store(base: str) -> None:
    resp = requests.post(base + CM, data=_configmap("exact", 3 * MIB),
                         headers={"Content-Type": "application/json"}, timeout=60)
    check_answer(resp)
    assert resp.status_code == 500
    assert resp.json() == {"kind": "Status", "apiVersion": "v1", "metadata": {},
                           "status": "Failure", "message": "etcdserver: request is too large",
                           "code": 500}


@pytest.mark.parametrize("payload, code", [(MIB + MIB // 2 - 4096, 201), (MIB + MIB // 2 + 1, 500)],
                         ids=["just under 1.5 MiB is stored", "just over 1.5 MiB is etcd's 500"])
def test_objects_are_limited_to_what_etcd_stores(base: str, payload: int, code: int) -> None:
    name = f"obj-{code}"
    resp = requests.post(base + CM, data=_configmap(name, payload),
                         headers={"Content-Type": "application/json"}, timeout=60)
    check_answer(resp)
    assert resp.status_code == code
    # nothing half-written: the server answers for the name as it stored it, or not at all
    got = requests.get(f"{base}{CM}/{name}", timeout=10)
    assert got.status_code == (200 if code == 201 else 404)


def test_an_update_over_the_limit_leaves_the_stored_object_alone(base: str) -> None:
    made = requests.post(base + CM, json={"metadata": {"name": "grow"}, "data": {"a": "1"}},
                         timeout=10).json()
    made["data"]["a"] = "x" * (MIB + MIB // 2)
    resp = requests.put(f"{base}{CM}/grow", json=made, timeout=60)
    assert resp.status_code == 500 and resp.json()["message"] == "etcdserver: request is too large"
    got = requests.get(f"{base}{CM}/grow", timeout=10).json()
    assert got["data"] == {"a": "1"}
    assert got["metadata"]["resourceVersion"] == made["metadata"]["resourceVersion"]


def test_managed_fields_are_dropped_when_only_they_make_an_object_too_large(base: str) -> None:
    # many small keys: managedFields (one f:<key> per key) about doubles the object
    data = {f"key-{i:06d}": "" for i in range(60_000)}
    resp = requests.post(base + CM, json={"metadata": {"name": "wide"}, "data": data},
                         timeout=60)
    check_answer(resp)
    assert resp.status_code == 201
    stored = requests.get(f"{base}{CM}/wide", timeout=30).json()
    assert len(stored["data"]) == 60_000
    assert "managedFields" not in stored["metadata"]


def test_annotations_are_limited_to_256_kib_counted_in_bytes(base: str) -> None:
    # 'é' is two bytes: 140,000 characters are 280,000 bytes, over 262,144
    resp = requests.post(base + CM, json={"metadata": {"name": "ann", "annotations": {
        "a": "é" * 140_000}}}, timeout=30)
    check_answer(resp)
    assert resp.status_code == 422
    assert resp.json()["message"] == (
        'ConfigMap "ann" is invalid: metadata.annotations: Too long: may not be more than '
        "262144 bytes")
    ok = requests.post(base + CM, json={"metadata": {"name": "ann", "annotations": {
        "a": "x" * (262_144 - 1)}}}, timeout=30)
    assert ok.status_code == 201


def test_label_values_are_limited_to_63_characters(base: str) -> None:
    resp = requests.post(base + CM, json={"metadata": {"name": "lbl", "labels": {
        "a": "x" * 64}}}, timeout=10)
    assert resp.status_code == 422
    assert "metadata.labels: Invalid value: \"" + "x" * 64 + "\": must be no more than 63 " \
        "characters" in resp.json()["message"]


def test_list_limit_has_no_cap_and_resource_version_0_ignores_it(base: str) -> None:
    for i in range(30):
        requests.post(base + CM, json={"metadata": {"name": f"page-{i:02d}"}}, timeout=10)
    every = requests.get(base + CM, timeout=10).json()["items"]
    assert len(every) >= 30
    big = requests.get(base + CM, params={"limit": "10000000"}, timeout=10).json()
    assert len(big["items"]) == len(every) and "continue" not in big["metadata"]
    page = requests.get(base + CM, params={"limit": "5"}, timeout=10).json()
    assert len(page["items"]) == 5 and page["metadata"]["continue"]
    cached = requests.get(base + CM, params={"limit": "5", "resourceVersion": "0"},
                          timeout=10).json()
    assert len(cached["items"]) == len(every) and "continue" not in cached["metadata"]


def _crd(base: str) -> None:
    crd = {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
           "metadata": {"name": "deeps.example.com"},
           "spec": {"group": "example.com", "scope": "Namespaced",
                    "names": {"plural": "deeps", "singular": "deep", "kind": "Deep"},
                    "versions": [{"name": "v1", "served": True, "storage": True, "schema": {
                        "openAPIV3Schema": {"type": "object",
                                            "x-kubernetes-preserve-unknown-fields": True}}}]}}
    requests.post(base + "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", json=crd,
                  timeout=10)
    for _ in range(50):
        if requests.get(base + "/apis/example.com/v1", timeout=10).status_code == 200:
            return
        import time
        time.sleep(0.1)
    raise AssertionError("CRD not established")


@pytest.mark.parametrize("depth, code", [(200, 201), (201, 400)],
                         ids=["200 levels are stored and served", "201 levels are refused"])
def test_nesting_is_limited_to_200_levels(base: str, depth: int, code: int) -> None:
    _crd(base)
    # the object itself is level 1, "spec" level 2, ... the innermost object level `depth`
    value: object = "leaf"
    for _ in range(depth - 1):
        value = {"a": value}
    path = "/apis/example.com/v1/namespaces/default/deeps"
    resp = requests.post(base + path, json={"apiVersion": "example.com/v1", "kind": "Deep",
                                            "metadata": {"name": f"d{depth}"}, "spec": value},
                         timeout=10)
    check_answer(resp)
    assert resp.status_code == code, resp.text[:300]
    if code == 201:  # and everything that reads it copes: get, list, table, watch
        assert requests.get(f"{base}{path}/d{depth}", timeout=10).status_code == 200
        assert requests.get(base + path, timeout=10).status_code == 200
        table = requests.get(base + path, timeout=10, headers={
            "Accept": "application/json;as=Table;v=v1;g=meta.k8s.io"})
        assert table.status_code == 200
        with requests.get(base + path + "?watch=true&timeoutSeconds=1", stream=True,
                          timeout=10) as w:
            assert b'"ADDED"' in next(w.iter_lines())
        patched = requests.patch(f"{base}{path}/d{depth}", data='{"metadata":{"labels":{"a":"b"}}}',
                                 headers={"Content-Type": "application/merge-patch+json"},
                                 timeout=10)
        assert patched.status_code == 200
    else:
        assert "at most 200 levels" in resp.json()["message"]
