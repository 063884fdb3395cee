"""Every fuzzing finding, pinned: the request that once answered 500 (or no answer at
all), and the answer the real server gives instead.

Table rows are (request, expected code, expected message); ids say what went wrong.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests
from reliability_support import check_answer, healthy

CM = "/api/v1/namespaces/default/configmaps"
PODS = "/api/v1/namespaces/default/pods"
YAML = "application/yaml"
JSONT = "application/json"


def _deep_array(n: int) -> bytes:
    return b"[" * n + b"]" * n


CASES: list[tuple[str, str, str, str, bytes, int, str]] = [
    ("10,000-deep arrays no longer crash the duplicate-field check (400, not 500)",
     "POST", CM, JSONT, _deep_array(10_000), 400, "nested too deeply"),
    ("a deep object inside a valid envelope is refused before anything walks it",
     "POST", CM, JSONT, b'{"metadata":{"name":"d"},"data":' + b'{"a":' * 300 + b'"x"'
     + b"}" * 301, 400, "at most 200 levels"),
    ("a self-referencing YAML alias is refused, not expanded forever",
     "POST", CM, YAML, b"metadata: {name: a}\ndata: &a [*a]", 400, "nested too deeply"),
    ("a YAML alias bomb is refused like go-yaml refuses it",
     "POST", CM, YAML, b"a: &a [x,x,x,x,x,x,x,x,x]\n" + b"".join(
         b"l%d: &%c [%s]\n" % (i, 98 + i, b",".join([b"*" + bytes([97 + i])] * 9))
         for i in range(8)), 400, "document contains excessive aliasing"),
    ("YAML binary, sets and integer keys become JSON instead of failing to encode",
     "POST", CM, YAML, b"metadata: {name: yamlish}\ndata: {1: a, 2020-01-01: b}\n"
     b"binaryData: {k: !!binary aGk=}", 201, ""),
    ("YAML NaN is refused as Go's JSON encoder refuses it",
     "POST", CM, YAML, b"metadata: {name: nan}\nx: .nan", 400, "unsupported value: NaN"),
    ("a string where a list of structs belongs is Go's decode error, not a stored pod",
     "POST", PODS, JSONT, b'{"metadata":{"name":"x"},"spec":{"containers":"a"}}', 400,
     'Pod in version "v1" cannot be handled as a Pod: json: cannot unmarshal string into Go '
     "struct field PodSpec.spec.containers of type []v1.Container"),
    ("a string where an int32 belongs is Go's decode error",
     "POST", "/apis/apps/v1/namespaces/default/deployments", JSONT,
     b'{"metadata":{"name":"x"},"spec":{"replicas":"a","template":5}}', 400,
     "json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of "
     "type int32"),
    ("a number in a label map is Go's decode error",
     "POST", CM, JSONT, b'{"metadata":{"name":"x","labels":{"a":1}}}', 400,
     "json: cannot unmarshal number into Go struct field ObjectMeta.metadata.labels of "
     "type string"),
    ("a null list item becomes the zero struct (then fails validation) instead of crashing",
     "POST", "/apis/networking.k8s.io/v1/namespaces/default/ingresses", JSONT,
     b'{"metadata":{"name":"m"},"spec":{"rules":[{"host":"a.example.com","http":'
     b'{"paths":[null]}}]}}', 422, "spec.rules[0].http.paths[0]"),
    ("mistyped DeleteOptions are the client's error, not a 500",
     "DELETE", CM, JSONT, b'{"preconditions":5}', 400,
     "json: cannot unmarshal number into Go struct field DeleteOptions.preconditions of type "
     "v1.Preconditions"),
    ("a non-list dryRun in DeleteOptions is a decode error",
     "DELETE", CM, JSONT, b'{"dryRun":5}', 400, "DeleteOptions.dryRun of type []string"),
    ("a non-list finalizers in a namespace finalize is a decode error",
     "PUT", "/api/v1/namespaces/default/finalize", JSONT, b'{"spec":{"finalizers":5}}', 400,
     "NamespaceSpec.spec.finalizers of type []string"),
    ("a mistyped eviction is a decode error",
     "POST", PODS + "/x/eviction", JSONT, b'{"deleteOptions":{"gracePeriodSeconds":"a"}}', 400,
     "cannot be handled as a Eviction"),
    ("an unsupported PATCH content type is a 415 listing the accepted types",
     "PATCH", CM + "/kube-root-ca.crt", "application/xml", b"{}", 415,
     "the body of the request was in an unknown format - accepted media types include: "
     "application/json-patch+json, application/merge-patch+json, "
     "application/strategic-merge-patch+json, application/apply-patch+yaml"),
]


@pytest.mark.parametrize("method, path, ct, body, code, message",
                         [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_finding(base: str, method: str, path: str, ct: str, body: bytes, code: int,
                 message: str) -> None:
    resp = requests.request(method, base + path, data=body, headers={"Content-Type": ct},
                            timeout=20)
    check_answer(resp, f"{method} {path}")
    assert resp.status_code == code, resp.text[:500]
    if message:
        assert message in resp.json()["message"]


def test_unknown_fields_with_control_characters_still_get_an_answer(base: str) -> None:
    """The Warning header once carried the raw field name; aiohttp refused to send the
    response and the client saw the connection drop."""
    body = {"metadata": {"generateName": "ctl-"}, "a\x01\x0c\r\nb": 1, 'q"\\': 2}
    resp = requests.post(base + CM, data=json.dumps(body),
                         headers={"Content-Type": JSONT}, timeout=20)
    assert resp.status_code == 201
    warnings = resp.headers["Warning"]
    # control characters sent as spaces, quotes and backslashes escaped (NewWarningHeader)
    assert r'unknown field \"a    b\"' in warnings
    assert r'unknown field \"q\"\\\"' in warnings


def test_warnings_are_cut_short_as_the_real_recorder_cuts_them(base: str) -> None:
    body: dict[str, Any] = {"metadata": {"generateName": "many-"}}
    body.update({f"field{i:03d}" + "x" * 300: 1 for i in range(40)})
    resp = requests.post(base + CM, json=body, timeout=20)
    assert resp.status_code == 201
    values = resp.raw.headers.getlist("Warning")
    # past 4096 runes each warning is cut to 256; adding stops once 4096 are written
    assert 10 <= len(values) < 40
    assert all(len(v) <= len('299 - ""') + 256 + 20 for v in values)


@pytest.mark.parametrize("query", ["timeoutSeconds=" + "9" * 400, "timeoutSeconds=1e9",
                                   "limit=99999999999999999999", "limit=1_0", "limit=%EF%BC%99"],
                         ids=["timeout beyond a float once overflowed (500)",
                              "a float timeout is not an integer",
                              "a limit beyond int64", "Python-only digit separators",
                              "a full-width digit"])
def test_integer_query_values_parse_as_go_parses_them(base: str, query: str) -> None:
    watch = "watch=true&" if "timeout" in query else ""
    resp = requests.get(f"{base}{CM}?{watch}{query}", timeout=20)
    check_answer(resp)
    assert resp.status_code == 400
    assert "must be an integer" in resp.json()["message"]


def test_the_server_answers_normally_afterwards(base: str) -> None:
    healthy(base)


def test_nulls_become_what_go_makes_of_them() -> None:
    """Nulls once reached defaulting and controllers as None (500s); now decoding
    turns them into what a Go decode and re-encode leaves."""
    from minik8s.api import schemas

    slice_ = {"metadata": {"name": "s", "labels": {"a": None}, "creationTimestamp": None},
              "addressType": None, "endpoints": None, "ports": None}
    assert schemas.decode_error(slice_, "discovery.k8s.io", "v1", "EndpointSlice") is None
    # a required string is its zero value, nil slices stay null, map values are zeroed,
    # Time stays null
    assert slice_ == {"metadata": {"name": "s", "labels": {"a": ""}, "creationTimestamp": None},
                      "addressType": "", "endpoints": None, "ports": None}
    pod = {"spec": {"containers": [None, {"name": "c", "args": [None], "resources": None}],
                    "priority": None}}
    assert schemas.decode_error(pod, "", "v1", "Pod") is None
    # list items become zero structs and strings; optional pointers go
    assert pod == {"spec": {"containers": [{}, {"name": "c", "args": [""]}]}}
