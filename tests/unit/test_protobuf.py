"""minik8s.api.protobuf: kubectl 1.32+ protobuf bodies decode to the JSON 1.31 sends.

The captured bodies and the commands behind them are in tests/data/protobuf/
(README.md there); the wire details not covered by them are built by hand with
the small encoder below.
"""

from __future__ import annotations

import importlib.util
import json
import pathlib
import sys
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from minik8s.api import errors, protobuf

DATA = pathlib.Path(__file__).resolve().parent.parent / "data" / "protobuf"
REPO = pathlib.Path(__file__).resolve().parent.parent.parent
PROTO_DIR = REPO.parent / "shared" / "k8s-proto"
CAPTURED = sorted(p.stem for p in DATA.glob("*.bin"))
PAIRED = [name for name in CAPTURED if (DATA / f"{name}.json").exists()]

# Documented difference: a "" in a non-pointer field is left out even where Go's
# JSON writes it (fields without omitempty); Go reads both as the same struct.
EMPTY_STRINGS_JSON_KEEPS = {
    "token": ["status.token"],
    "token-duration": ["status.token"],
    "token-bound": ["status.token"],
    "job-from-cronjob": ["spec.template.spec.securityContext.sysctls.0.value"],
}


def body(name: str) -> bytes:
    return (DATA / f"{name}.bin").read_bytes()


def json_body(name: str) -> dict[str, Any]:
    """kubectl 1.31's JSON body with its nulls (``creationTimestamp: null``...) left out."""
    expected: dict[str, Any] = _without_nulls(json.loads((DATA / f"{name}.json").read_text()))
    for path in EMPTY_STRINGS_JSON_KEEPS.get(name, []):
        *parents, last = path.split(".")
        node: Any = expected
        for key in parents:
            node = node[int(key)] if isinstance(node, list) else node[key]
        assert node.pop(last) == ""
    return expected


def _without_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return value


# -- a tiny protobuf encoder for hand-built bodies ---------------------------------------------

def varint(n: int) -> bytes:
    n &= (1 << 64) - 1
    out = bytearray()
    while n >= 0x80:
        out.append(n & 0x7F | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def vfield(num: int, n: int) -> bytes:
    return varint(num << 3) + varint(n)


def lfield(num: int, payload: bytes | str) -> bytes:
    data = payload.encode() if isinstance(payload, str) else payload
    return varint(num << 3 | 2) + varint(len(data)) + data


def envelope(api_version: str, kind: str, raw: bytes, *extra: bytes) -> bytes:
    type_meta = (lfield(1, api_version) if api_version else b"") + (
        lfield(2, kind) if kind else b"")
    return protobuf.MAGIC + lfield(1, type_meta) + lfield(2, raw) + b"".join(extra)


def entry(key: str, value: bytes | str | None) -> bytes:
    return lfield(1, key) + (lfield(2, value) if value is not None else b"")


def meta(name: str) -> bytes:
    return lfield(1, lfield(1, name))


# -- captured bodies ---------------------------------------------------------------------------

@pytest.mark.parametrize("name", [
    pytest.param(n, id=f"{n} decodes to the JSON body of kubectl 1.31") for n in PAIRED])
def test_captured_body_decodes_to_the_json_kubectl_131_sends(name: str) -> None:
    assert protobuf.decode(body(name)) == json_body(name)


def test_autoscale_of_kubectl_133_decodes_to_an_autoscaling_v2_hpa() -> None:
    assert protobuf.decode(body("autoscale-v2")) == {
        "apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": "web"},
        "spec": {
            "scaleTargetRef": {"kind": "Deployment", "name": "web", "apiVersion": "apps/v1"},
            "minReplicas": 1, "maxReplicas": 10,
            "metrics": [{"type": "Resource", "resource": {
                "name": "cpu", "target": {"type": "Utilization", "averageUtilization": 50}}}],
        },
        "status": {"desiredReplicas": 0},
    }


def test_every_captured_body_has_a_known_expectation() -> None:
    assert set(CAPTURED) - set(PAIRED) == {"autoscale-v2"}


@pytest.mark.parametrize(("name", "path", "value"), [
    pytest.param("deployment-zero", ("spec", "replicas"), 0,
                 id="an explicit replicas 0 (a Go pointer) is kept"),
    pytest.param("priorityclass-zero", ("value",), 0,
                 id="a non-omitempty zero (PriorityClass value) is kept"),
    pytest.param("drain-delete-grace0", ("gracePeriodSeconds",), 0,
                 id="DeleteOptions gracePeriodSeconds 0 is kept"),
    pytest.param("job-from-cronjob", ("spec", "template", "spec", "automountServiceAccountToken"),
                 False, id="a pointer false is kept"),
    pytest.param("job-from-cronjob", ("spec", "template", "spec", "securityContext", "runAsUser"),
                 0, id="runAsUser 0 (root) is kept"),
    pytest.param("job-from-cronjob", ("spec", "template", "spec", "volumes", 6, "ephemeral",
                                      "volumeClaimTemplate", "spec", "storageClassName"),
                 "", id="a pointer empty string (storageClassName) is kept"),
    pytest.param("job-from-cronjob", ("spec", "template", "spec", "volumes", 0, "emptyDir"), {},
                 id="an empty pointer struct (emptyDir) is kept"),
    pytest.param("job-from-cronjob", ("spec", "template", "spec", "securityContext",
                                      "supplementalGroups"), [1, 2, -3],
                 id="repeated int64 with a negative value decodes"),
    pytest.param("job-from-cronjob", ("spec", "template", "spec", "volumes", 2, "configMap",
                                      "name"), "cm1",
                 id="an inlined LocalObjectReference lands in its parent"),
    pytest.param("job-from-cronjob", ("spec", "template", "spec", "containers", 0,
                                      "livenessProbe", "httpGet", "port"), "http",
                 id="an inlined probe handler lands in the probe"),
    pytest.param("token-bound", ("spec", "boundObjectRef", "uid"), "u-123",
                 id="proto field uID is the JSON uid"),
    pytest.param("secret", ("data", "pass"), "eA==", id="bytes map values are base64"),
    pytest.param("ingress-tls", ("spec", "rules", 0, "http", "paths", 0, "backend", "service",
                                 "port"), {"name": "http"},
                 id="an inlined IngressRuleValue and a dropped zero port number"),
])
def test_zero_values_and_json_names_follow_go(name: str, path: tuple[Any, ...],
                                               value: Any) -> None:
    node: Any = protobuf.decode(body(name))
    for key in path:
        node = node[key]
    assert node == value


def test_non_pointer_zeros_that_go_json_omits_are_dropped() -> None:
    spec = protobuf.decode(body("deployment"))["spec"]
    assert "minReadySeconds" not in spec and "paused" not in spec
    container = spec["template"]["spec"]["containers"][0]
    assert container == {"name": "nginx", "image": "nginx", "ports": [{"containerPort": 80}],
                         "resources": {}}


# -- hand-built bodies: wire details -----------------------------------------------------------

def test_varints_are_twos_complement_and_int32_truncates() -> None:
    spec = vfield(1, -1) + vfield(6, (1 << 32) + 5)  # replicas, revisionHistoryLimit
    obj = protobuf.decode(envelope("apps/v1", "Deployment", meta("d") + lfield(2, spec)))
    assert obj["spec"] == {"replicas": -1, "revisionHistoryLimit": 5}
    assert len(varint(-1)) == 10


def test_repeated_scalars_decode_packed_and_unpacked() -> None:
    packed = lfield(4, varint(7) + varint(-8))
    unpacked = vfield(4, 9)
    pod_spec = lfield(14, packed + unpacked)
    obj = protobuf.decode(envelope("v1", "Pod", meta("p") + lfield(2, pod_spec)))
    assert obj["spec"]["securityContext"]["supplementalGroups"] == [7, -8, 9]


def test_booleans_keep_pointer_false_and_drop_non_pointer_false() -> None:
    pod_spec = vfield(11, 0) + vfield(21, 0)  # hostNetwork, automountServiceAccountToken
    obj = protobuf.decode(envelope("v1", "Pod", meta("p") + lfield(2, pod_spec)))
    assert obj["spec"] == {"automountServiceAccountToken": False}


def test_times_render_as_rfc3339_and_empty_times_are_omitted() -> None:
    seconds = 1767323045  # 2026-01-02T03:04:05Z
    object_meta = lfield(1, "x") + lfield(8, vfield(1, seconds) + vfield(2, 999)) + lfield(9, b"")
    lease_spec = lfield(3, vfield(1, seconds) + vfield(2, 123_456_789)) + lfield(4, vfield(1, 0))
    obj = protobuf.decode(envelope("coordination.k8s.io/v1", "Lease",
                                   lfield(1, object_meta) + lfield(2, lease_spec)))
    assert obj["metadata"] == {"name": "x", "creationTimestamp": "2026-01-02T03:04:05Z"}
    assert obj["spec"] == {"acquireTime": "2026-01-02T03:04:05.123456Z",
                           "renewTime": "1970-01-01T00:00:00.000000Z"}


def test_fields_v1_and_raw_extension_are_parsed_json() -> None:
    managed = lfield(1, "kubectl") + lfield(6, "FieldsV1") + lfield(7, lfield(1, b'{"f:data":{}}'))
    revision = lfield(1, lfield(1, "r") + lfield(17, managed)) + lfield(2, lfield(1, b'{"a":[1]}'))
    obj = protobuf.decode(envelope("apps/v1", "ControllerRevision", revision + vfield(3, 2)))
    assert obj["metadata"]["managedFields"] == [
        {"manager": "kubectl", "fieldsType": "FieldsV1", "fieldsV1": {"f:data": {}}}]
    assert obj["data"] == {"a": [1]} and obj["revision"] == 2


def test_map_entries_without_a_value_get_the_zero_value() -> None:
    cm = meta("c") + lfield(2, entry("empty", None)) + lfield(2, entry("a", "")) + lfield(
        3, entry("bin", b"\x00\xff"))
    obj = protobuf.decode(envelope("v1", "ConfigMap", cm))
    assert obj["data"] == {"empty": "", "a": ""}
    assert obj["binaryData"] == {"bin": "AP8="}


def test_quantity_maps_and_extra_value_lists() -> None:
    quota = meta("q") + lfield(2, lfield(1, entry("cpu", lfield(1, "500m"))) + lfield(
        1, entry("pods", b"")))
    assert protobuf.decode(envelope("v1", "ResourceQuota", quota))["spec"] == {
        "hard": {"cpu": "500m", "pods": "0"}}
    sar_spec = lfield(3, "alice") + lfield(5, entry("scopes", lfield(1, "a") + lfield(1, "b")))
    sar = protobuf.decode(envelope("authorization.k8s.io/v1", "SubjectAccessReview",
                                   meta("s") + lfield(2, sar_spec)))
    assert sar["spec"] == {"user": "alice", "extra": {"scopes": ["a", "b"]}}


def test_int_or_string_decodes_both_forms() -> None:
    def port(value: bytes) -> Any:
        svc_spec = lfield(1, vfield(3, 80) + lfield(4, value))
        obj = protobuf.decode(envelope("v1", "Service", meta("s") + lfield(2, svc_spec)))
        return obj["spec"]["ports"][0]["targetPort"]

    assert port(vfield(1, 0) + vfield(2, 8080)) == 8080
    assert port(vfield(1, 1) + lfield(3, "http")) == "http"
    assert port(b"") == 0
    with pytest.raises(errors.BadRequest, match="IntOrString"):
        port(vfield(1, 7))


def test_unknown_fields_of_every_wire_type_are_skipped() -> None:
    unknown = (vfield(900, 5) + varint(901 << 3 | 1) + bytes(8) + lfield(902, b"zz")
               + varint(903 << 3 | 5) + bytes(4))
    obj = protobuf.decode(envelope("v1", "Namespace", unknown + meta("ns") + unknown))
    assert obj == {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "ns"}}


@pytest.mark.parametrize("api_version", ["v1", "meta.k8s.io/v1", "apps/v1"])
def test_delete_options_decode_under_any_api_version(api_version: str) -> None:
    raw = vfield(1, 30) + lfield(4, "Foreground") + lfield(5, "All")
    assert protobuf.decode(envelope(api_version, "DeleteOptions", raw)) == {
        "apiVersion": api_version, "kind": "DeleteOptions", "gracePeriodSeconds": 30,
        "propagationPolicy": "Foreground", "dryRun": ["All"]}


def test_the_url_supplies_a_missing_type_meta() -> None:
    obj = protobuf.decode(envelope("", "", meta("cm")), api_version="v1", kind="ConfigMap")
    assert obj == {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm"}}


def test_priority_class_from_the_supplement_decodes() -> None:
    raw = meta("pc") + vfield(2, -5) + lfield(5, "Never")
    assert protobuf.decode(envelope("scheduling.k8s.io/v1", "PriorityClass", raw)) == {
        "apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass",
        "metadata": {"name": "pc"}, "value": -5, "preemptionPolicy": "Never"}


def test_invalid_utf8_is_replaced_like_go_json_does() -> None:
    obj = protobuf.decode(envelope("v1", "Namespace", lfield(1, lfield(1, b"a\xffb"))))
    assert obj["metadata"]["name"] == "a\ufffdb"


@pytest.mark.parametrize(("ns", "text"), [
    (0, "0s"), (999, "999ns"), (1_500, "1.5µs"), (2_000_000, "2ms"), (1_500_000_000, "1.5s"),
    (90 * 10**9, "1m30s"), (3600 * 10**9, "1h0m0s"), (-(3723 * 10**9 + 5), "-1h2m3.000000005s"),
])
def test_go_duration_matches_go_time_duration_string(ns: int, text: str) -> None:
    assert protobuf.go_duration(ns) == text


# -- malformed bodies --------------------------------------------------------------------------

@pytest.mark.parametrize(("data", "message"), [
    pytest.param(b'{"kind":"ConfigMap"}', "magic", id="JSON is not protobuf"),
    pytest.param(b"", "magic", id="an empty body"),
    pytest.param(protobuf.MAGIC + b"\x0a", "truncated varint", id="a truncated length"),
    pytest.param(protobuf.MAGIC + b"\x0a\x05ab", "past the end", id="a length past the end"),
    pytest.param(protobuf.MAGIC + b"\x0b", "wire type 3", id="a group wire type"),
    pytest.param(protobuf.MAGIC + b"\x0f", "wire type 7", id="an invalid wire type"),
    pytest.param(protobuf.MAGIC + b"\x08\x01", "does not match", id="a message sent as varint"),
    pytest.param(protobuf.MAGIC + b"\x00\x01", "field number 0", id="field number zero"),
    pytest.param(protobuf.MAGIC + b"\x78" + b"\xff" * 11, "longer than 10",
                 id="an endless varint"),
    pytest.param(envelope("v1", "NoSuchKind", b""), 'no kind "NoSuchKind"', id="an unknown kind"),
    pytest.param(envelope("nosuch.example.com/v1", "Widget", b""), "no kind",
                 id="an unknown group"),
    pytest.param(envelope("", "", b""), "without apiVersion", id="no type meta at all"),
    pytest.param(envelope("v1", "ConfigMap", b"", lfield(3, "gzip")), "content encoding",
                 id="a compressed raw object"),
    pytest.param(envelope("apps/v1", "ControllerRevision", lfield(2, lfield(1, b"{nope"))),
                 "embedded JSON", id="invalid JSON in a RawExtension"),
    pytest.param(envelope("v1", "Namespace", lfield(1, lfield(8, vfield(1, 10**15)))),
                 "out of range", id="a timestamp beyond year 9999"),
    pytest.param(envelope("v1", "Namespace", lfield(1, vfield(1, 5))), "does not match",
                 id="a string sent as varint"),
])
def test_malformed_bodies_are_bad_requests(data: bytes, message: str) -> None:
    with pytest.raises(errors.BadRequest, match=message):
        protobuf.decode(data)


def test_nesting_deeper_than_the_limit_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    # no built-in message nests itself (schemas are at most 14 deep), so lower the limit
    monkeypatch.setattr(protobuf, "MAX_DEPTH", 3)
    with pytest.raises(errors.BadRequest, match="nesting too deep"):
        protobuf.decode(body("deployment"))


# -- fuzzing -----------------------------------------------------------------------------------

def _decodes_or_bad_request(data: bytes) -> None:
    try:
        result = protobuf.decode(data)
    except errors.BadRequest:
        return
    assert isinstance(result, dict)
    json.dumps(result)  # JSON-shaped all the way down


FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(st.binary(max_size=300))
def test_random_bytes_after_the_magic_give_a_dict_or_bad_request(data: bytes) -> None:
    _decodes_or_bad_request(protobuf.MAGIC + data)


@FUZZ
@given(st.sampled_from([("apps/v1", "Deployment"), ("v1", "Pod"), ("v1", "Secret"),
                        ("batch/v1", "Job"), ("autoscaling/v2", "HorizontalPodAutoscaler"),
                        ("apps/v1", "ControllerRevision"), ("v1", "DeleteOptions")]),
       st.binary(max_size=300))
def test_random_raw_objects_give_a_dict_or_bad_request(gvk: tuple[str, str], raw: bytes) -> None:
    _decodes_or_bad_request(envelope(*gvk, raw))


@FUZZ
@given(st.sampled_from(CAPTURED), st.data())
def test_truncated_captured_bodies_give_a_dict_or_bad_request(name: str, data: st.DataObject,
                                                              ) -> None:
    full = body(name)
    _decodes_or_bad_request(full[:data.draw(st.integers(0, len(full) - 1))])


@FUZZ
@given(st.sampled_from(CAPTURED), st.data())
def test_mutated_captured_bodies_give_a_dict_or_bad_request(name: str, data: st.DataObject,
                                                            ) -> None:
    mutated = bytearray(body(name))
    for _ in range(data.draw(st.integers(1, 4))):
        mutated[data.draw(st.integers(4, len(mutated) - 1))] = data.draw(st.integers(0, 255))
    _decodes_or_bad_request(bytes(mutated))


# -- the table is generated from the proto files -----------------------------------------------

@pytest.mark.skipif(not PROTO_DIR.is_dir(), reason="needs the k8s-proto files")
def test_proto_table_is_up_to_date_with_the_generator() -> None:
    spec = importlib.util.spec_from_file_location("gen_proto_table",
                                                  REPO / "tools" / "gen_proto_table.py")
    assert spec and spec.loader
    gen = importlib.util.module_from_spec(spec)
    sys.modules["gen_proto_table"] = gen
    try:
        spec.loader.exec_module(gen)
        table = gen.build(PROTO_DIR)
    finally:
        del sys.modules["gen_proto_table"]
    committed = json.loads((REPO / "minik8s" / "api" / "proto_table.json").read_text())
    assert table == committed
