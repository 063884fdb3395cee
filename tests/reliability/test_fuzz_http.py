"""Hypothesis over raw HTTP: what no schema describes.

Malformed JSON, YAML and protobuf bodies, wrong content types, huge and deeply
nested bodies, invalid UTF-8, bad label and field selectors, bad
resourceVersions, bad paths and query values, oversized headers, and valid
objects with one part replaced by anything at all. Every answer is a success or
a well-formed ``Status`` with a 4xx code (``check_answer``), and the server
answers normally afterwards. Findings are pinned in ``test_fuzz_regressions.py``.
"""

from __future__ import annotations

import json
import socket
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
import requests
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from reliability_support import PROTOCOL_CODES, check_answer, healthy

#: no explain phase: it imports libcst, whose mypy_extensions import warns (warnings are errors)
PHASES = (Phase.explicit, Phase.generate, Phase.shrink)
EXAMPLES = 300
FAST = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                suppress_health_check=list(HealthCheck), phases=PHASES)
HEAVY = settings(max_examples=3000, deadline=None, database=None,
                 suppress_health_check=list(HealthCheck), phases=PHASES)

COLLECTIONS = [
    "/api/v1/namespaces/default/configmaps", "/api/v1/namespaces/default/pods",
    "/api/v1/namespaces/default/services", "/api/v1/namespaces/default/secrets",
    "/api/v1/namespaces", "/api/v1/nodes", "/api/v1/namespaces/default/events",
    "/apis/apps/v1/namespaces/default/deployments", "/apis/apps/v1/namespaces/default/statefulsets",
    "/apis/apps/v1/namespaces/default/daemonsets", "/apis/batch/v1/namespaces/default/jobs",
    "/apis/batch/v1/namespaces/default/cronjobs",
    "/apis/networking.k8s.io/v1/namespaces/default/ingresses",
    "/apis/policy/v1/namespaces/default/poddisruptionbudgets",
    "/apis/rbac.authorization.k8s.io/v1/clusterroles",
    "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
    "/apis/autoscaling/v1/namespaces/default/horizontalpodautoscalers",
    "/apis/coordination.k8s.io/v1/namespaces/default/leases",
]
OBJECTS = [c + "/fuzz" for c in COLLECTIONS] + [
    "/api/v1/namespaces/default/pods/fuzz/status", "/api/v1/namespaces/default/pods/fuzz/log",
    "/api/v1/namespaces/default/pods/fuzz/binding", "/api/v1/namespaces/default/pods/fuzz/eviction",
    "/apis/apps/v1/namespaces/default/deployments/fuzz/scale",
    "/api/v1/namespaces/default/serviceaccounts/default/token",
    "/api/v1/namespaces/fuzz/finalize", "/api/v1/namespaces/default/configmaps/kube-root-ca.crt",
]
CONTENT_TYPES = [
    "application/json", "application/yaml", "application/vnd.kubernetes.protobuf",
    "application/json-patch+json", "application/merge-patch+json",
    "application/strategic-merge-patch+json", "application/apply-patch+yaml", "text/plain",
    "application/octet-stream", "text/html", "multipart/form-data", "", "application/json; charset=utf-16",
    "application/x-www-form-urlencoded", "*/*", ";;;", "application/json;as=Table;g=meta.k8s.io;v=v1",
]
ACCEPTS = [
    "", "*/*", "application/json", "application/yaml", "application/vnd.kubernetes.protobuf",
    "application/json;as=Table;g=meta.k8s.io;v=v1", "application/json;as=Table;v=v9;g=x",
    "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1",
    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList", "text/html", ";,;=",
    "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1beta1", "image/png",
]
METHODS = st.sampled_from(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"])

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2 ** 70), 2 ** 70) | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=10), kids, max_size=4),
    max_leaves=12)


def _deep(n: int, array: bool) -> bytes:
    return (b"[" * n + b"]" * n) if array else (b'{"a":' * n + b"1" + b"}" * n)


raw_bodies = st.one_of(
    st.binary(max_size=200),
    st.text(max_size=200).map(str.encode),
    json_values.map(lambda v: json.dumps(v).encode()),
    st.builds(_deep, st.sampled_from([50, 199, 200, 201, 300, 1000, 10_000]), st.booleans()),
    st.sampled_from([
        b"\xff\xfe\xfd", b'{"metadata":{"name":"\xc3\x28"}}', b"\xef\xbb\xbf{}", b"{" * 3,
        b"a: &a [*a]", b"a: !!binary aGVsbG8=", b"a: !!set {x, y}", b"a: .nan", b"? [a]\n: b",
        b"metadata: {name: x}\nlist: &l [1,2]\nmore: *l", b"- - - - - - - - x",
        b"k8s\x00\x0a\x0f\x0a\x02v1\x12\x09ConfigMap\x12\x00", b"k8s\x00", b"k8s\x00\xff\xff\xff\xff\x0f",
        b'{"a":1e999}', b'{"a":123456789012345678901234567890}', b'{"a":NaN}', b"null", b"[]",
        b'"str"', b"0", b'{"apiVersion":"v1","kind":"Status"}', b"---\n---\n", b"\x00" * 64,
        b"lol: &a [x,x,x,x,x,x,x,x,x]\nlol2: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
        b"lol3: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nlol4: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
        b"lol5: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nlol6: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
        b"lol7: [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n",
    ]),
)

selector_text = st.one_of(
    st.text(max_size=30),
    st.text(alphabet="abc=!,()<>inotx ,.-_/", max_size=30),
    st.sampled_from(["a in (", "a notin ()", "==", "!", "a,,b", "a=b=c", "a>x", "a<1.5", "x/y/z=1",
                     "metadata.name=", "spec.nodeName==x", "status.phase!=Running",
                     "involvedObject.kind=Pod", "metadata.namespace=default,metadata.name=x",
                     "a" * 400, "a=" + "b" * 100, "\x00", "é=ü"]),
)
query_values = st.one_of(
    st.text(max_size=20), st.integers(-(2 ** 70), 2 ** 70).map(str),
    st.sampled_from(["", "true", "false", "0", "-1", "1e9", "1.5", "0x10", "1_000", "９",
                     "99999999999999999999999", "All", "Strict", "None", "x" * 300]),
)
PARAMS = ["labelSelector", "fieldSelector", "resourceVersion", "resourceVersionMatch", "limit",
          "continue", "timeoutSeconds", "watch", "allowWatchBookmarks", "sendInitialEvents",
          "dryRun", "fieldManager", "fieldValidation", "force", "gracePeriodSeconds",
          "propagationPolicy", "orphanDependents", "pretty", "includeObject", "tailLines",
          "limitBytes", "sinceSeconds", "container", "previous", "timestamps", "follow", "hash"]


@st.composite
def queries(draw: Any) -> dict[str, str]:
    q: dict[str, str] = {}
    for name in draw(st.lists(st.sampled_from(PARAMS), max_size=4, unique=True)):
        q[name] = draw(selector_text if "Selector" in name else query_values)
    if q.get("watch") or q.get("follow"):
        q["timeoutSeconds"] = "-1"  # the stream is set up and answered, then ends (0 means the default)
    return q


def _call(base: str, method: str, path: str, *, query: dict[str, str] | None = None,
          body: bytes | None = None, headers: dict[str, str] | None = None) -> None:
    resp = requests.request(method, base + path, params=query, data=body, headers=headers,
                            timeout=20)
    check_answer(resp, f"{method} {path} {query} {headers} {(body or b'')[:200]!r}")


def _body_request(base: str, data: Any) -> None:
    method = data.draw(st.sampled_from(["POST", "PUT", "PATCH", "DELETE"]))
    path = data.draw(st.sampled_from(COLLECTIONS if method == "POST" else OBJECTS))
    body = data.draw(raw_bodies)
    ct = data.draw(st.sampled_from(CONTENT_TYPES))
    _call(base, method, path, body=body, headers={"Content-Type": ct} if ct else {})


def _query_request(base: str, data: Any) -> None:
    method = data.draw(METHODS)
    path = data.draw(st.sampled_from(COLLECTIONS + OBJECTS + ["/api", "/apis", "/version",
                                                                "/openapi/v3", "/healthz"]))
    accept = data.draw(st.sampled_from(ACCEPTS))
    _call(base, method, path, query=data.draw(queries()),
          headers={"Accept": accept} if accept else {})


path_segments = st.one_of(
    st.sampled_from(["api", "apis", "v1", "apps", "namespaces", "default", "pods", "watch",
                     "status", "scale", "log", "proxy", "..", ".", "%2F", "%00", "%ff", "",
                     "openapi", "v3", "version", "healthz", "a" * 300, "ñ", "%C3%28"]),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12).map(
        lambda t: quote(t, safe="")),
)


def _path_request(base: str, data: Any) -> None:
    segs = data.draw(st.lists(path_segments, min_size=1, max_size=9))
    method = data.draw(METHODS)
    q = {"timeoutSeconds": "-1"}
    _call(base, method, "/" + "/".join(segs), query=q)


class _Mutate:
    """A valid object with one part replaced by any JSON value."""

    OBJECTS: list[tuple[str, dict[str, Any]]] = [
        ("/api/v1/namespaces/default/pods", {
            "metadata": {"name": "m", "labels": {"app": "a"}},
            "spec": {"containers": [{"name": "c", "image": "nginx", "ports": [{"containerPort": 80}],
                                     "env": [{"name": "E", "value": "v"}],
                                     "resources": {"requests": {"cpu": "100m"}}}],
                     "tolerations": [{"key": "k", "operator": "Exists"}],
                     "affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
                         "nodeSelectorTerms": [{"matchExpressions": [
                             {"key": "k", "operator": "In", "values": ["v"]}]}]}}}}}),
        ("/apis/apps/v1/namespaces/default/deployments", {
            "metadata": {"name": "m"},
            "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "m"}},
                     "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%"}},
                     "template": {"metadata": {"labels": {"app": "m"}},
                                  "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}}),
        ("/api/v1/namespaces/default/services", {
            "metadata": {"name": "m"},
            "spec": {"selector": {"app": "m"}, "type": "NodePort",
                     "ports": [{"port": 80, "targetPort": "http", "protocol": "TCP"}]}}),
        ("/apis/batch/v1/namespaces/default/cronjobs", {
            "metadata": {"name": "m"},
            "spec": {"schedule": "*/5 * * * *", "jobTemplate": {"spec": {"template": {"spec": {
                "restartPolicy": "Never", "containers": [{"name": "c", "image": "busybox"}]}}}}}}),
        ("/apis/networking.k8s.io/v1/namespaces/default/ingresses", {
            "metadata": {"name": "m"},
            "spec": {"rules": [{"host": "a.example.com", "http": {"paths": [{
                "path": "/", "pathType": "Prefix",
                "backend": {"service": {"name": "m", "port": {"number": 80}}}}]}}]}}),
        ("/apis/policy/v1/namespaces/default/poddisruptionbudgets", {
            "metadata": {"name": "m"},
            "spec": {"minAvailable": 1, "selector": {"matchExpressions": [
                {"key": "app", "operator": "In", "values": ["m"]}]}}}),
        ("/apis/apps/v1/namespaces/default/statefulsets", {
            "metadata": {"name": "m"},
            "spec": {"serviceName": "m", "replicas": 1, "selector": {"matchLabels": {"app": "s"}},
                     "template": {"metadata": {"labels": {"app": "s"}},
                                  "spec": {"containers": [{"name": "c", "image": "nginx"}]}},
                     "volumeClaimTemplates": [{"metadata": {"name": "d"}, "spec": {
                         "accessModes": ["ReadWriteOnce"],
                         "resources": {"requests": {"storage": "1Gi"}}}}]}}),
        ("/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers", {
            "metadata": {"name": "m"},
            "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "m"},
                     "minReplicas": 1, "maxReplicas": 3, "metrics": [{"type": "Resource", "resource": {
                         "name": "cpu", "target": {"type": "Utilization", "averageUtilization": 50}}}]}}),
    ]

    @staticmethod
    def paths(v: Any, here: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        out = [here]
        if isinstance(v, dict):
            for k, x in v.items():
                out += _Mutate.paths(x, (*here, k))
        elif isinstance(v, list):
            for i, x in enumerate(v):
                out += _Mutate.paths(x, (*here, i))
        return out


def _mutated_request(base: str, data: Any) -> None:
    collection, obj = data.draw(st.sampled_from(_Mutate.OBJECTS))
    obj = json.loads(json.dumps(obj))
    for _ in range(data.draw(st.integers(1, 3))):
        path = data.draw(st.sampled_from(_Mutate.paths(obj)[1:]))
        parent = obj
        for p in path[:-1]:
            parent = parent[p]
        if path in (("metadata",), ("metadata", "name")):
            continue  # the name is how the object is found again
        parent[path[-1]] = data.draw(json_values)
    name = obj["metadata"]["name"]
    verb = data.draw(st.sampled_from(["create", "replace", "merge", "apply", "strategic"]))
    s = requests.Session()
    if verb == "create":
        resp = s.post(base + collection, json=obj, timeout=20)
    else:
        # the object exists (from a create that may just have succeeded); write over it
        s.post(base + collection, json=obj, timeout=20)
        url = f"{base}{collection}/{name}"
        if verb == "replace":
            resp = s.put(url, json=obj, timeout=20)
        else:
            ct = {"merge": "application/merge-patch+json", "apply": "application/apply-patch+yaml",
                  "strategic": "application/strategic-merge-patch+json"}[verb]
            body = dict(obj)
            if verb == "apply":
                parts = collection.strip("/").split("/")
                body["apiVersion"] = parts[1] if parts[0] == "api" else f"{parts[1]}/{parts[2]}"
                body["kind"] = {"pods": "Pod", "deployments": "Deployment", "services": "Service",
                                "cronjobs": "CronJob", "ingresses": "Ingress",
                                "poddisruptionbudgets": "PodDisruptionBudget",
                                "statefulsets": "StatefulSet",
                                "horizontalpodautoscalers": "HorizontalPodAutoscaler"}[parts[-1]]
            resp = s.patch(url + ("?fieldManager=fuzz&force=true" if verb == "apply" else ""),
                           data=json.dumps(body), headers={"Content-Type": ct}, timeout=20)
    check_answer(resp, f"{verb} {collection} {json.dumps(obj)[:600]}")
    s.delete(f"{base}{collection}/{name}?gracePeriodSeconds=0", timeout=20)


@FAST
@given(data=st.data())
def test_malformed_bodies_and_content_types(base: str, data: Any) -> None:
    _body_request(base, data)


@FAST
@given(data=st.data())
def test_bad_selectors_versions_and_query_values(base: str, data: Any) -> None:
    _query_request(base, data)


@FAST
@given(data=st.data())
def test_bad_paths(base: str, data: Any) -> None:
    _path_request(base, data)


@FAST
@given(data=st.data())
def test_valid_objects_with_one_part_replaced_by_anything(base: str, data: Any) -> None:
    _mutated_request(base, data)


@pytest.mark.parametrize("size", [3 * 1024 * 1024 - 100, 3 * 1024 * 1024 + 1, 10 * 1024 * 1024],
                         ids=["just-under-the-limit", "one-byte-over", "ten-mib"])
def test_huge_bodies_get_413_or_an_answer(base: str, size: int) -> None:
    body = b'{"metadata":{"name":"huge"},"data":{"a":"' + b"x" * (size - 40) + b'"}}'
    for ct in ("application/json", "application/yaml"):
        resp = requests.post(base + "/api/v1/namespaces/default/configmaps", data=body,
                             headers={"Content-Type": ct}, timeout=60)
        check_answer(resp, f"{size} bytes")
        if len(body) > 3 * 1024 * 1024:
            assert resp.status_code == 413


def test_oversized_headers_are_refused_and_the_server_goes_on(base: str) -> None:
    for size in (8 * 1024, 60 * 1024, 64 * 1024, 1024 * 1024):
        host, port = urlsplit(base).hostname, urlsplit(base).port
        with socket.create_connection((host, port), timeout=10) as sock:
            sock.sendall(b"GET /api/v1/namespaces HTTP/1.1\r\nHost: x\r\nX-Big: "
                         + b"a" * size + b"\r\n\r\n")
            head = sock.recv(4096)
        code = int(head.split(b" ", 2)[1])
        assert code in PROTOCOL_CODES or code == 200, head[:200]
        assert b"Traceback" not in head
    many = {f"X-H{i}": "v" * 1000 for i in range(400)}
    check_answer(requests.get(base + "/api/v1/namespaces", headers=many, timeout=10))
    healthy(base)


@pytest.mark.fuzz_heavy
@HEAVY
@given(data=st.data())
def test_raw_http_heavy(base: str, data: Any) -> None:
    kind = data.draw(st.sampled_from([_body_request, _query_request, _path_request,
                                      _mutated_request]))
    kind(base, data)


def test_the_server_answers_normally_after_the_fuzzing(base: str) -> None:
    healthy(base)
