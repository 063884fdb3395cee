"""minik8s.api.schemas: lookups, patch metadata and the field checks."""

from __future__ import annotations

import copy
import importlib.util
import json
from typing import Any

import orjson
import pytest

from minik8s.api import schemas


def make_deployment(**container_extra: Any) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "labels": {"app": "web"},
                     "annotations": {"anything/goes": "here"}},
        "spec": {
            "replicas": 3,
            "selector": {"matchLabels": {"app": "web"}},
            "strategy": {"type": "RollingUpdate",
                         "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 1}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {
                    "containers": [{
                        "name": "nginx", "image": "nginx:1.25",
                        "ports": [{"containerPort": 80}],
                        "resources": {"requests": {"cpu": "100m"}, "limits": {"cpu": 1}},
                        **container_extra,
                    }],
                    "volumes": [{"name": "data", "emptyDir": {}}],
                },
            },
        },
        "status": {"replicas": 0},
    }


# --------------------------------------------------------------------------- lookups


@pytest.mark.parametrize("gvk, name", [
    (("", "v1", "Pod"), "io.k8s.api.core.v1.Pod"),
    (("apps", "v1", "DeploymentList"), "io.k8s.api.apps.v1.DeploymentList"),
    (("autoscaling", "v1", "HorizontalPodAutoscaler"),
     "io.k8s.api.autoscaling.v1.HorizontalPodAutoscaler"),
    (("autoscaling", "v2", "HorizontalPodAutoscaler"),
     "io.k8s.api.autoscaling.v2.HorizontalPodAutoscaler"),
    (("autoscaling", "v1", "Scale"), "io.k8s.api.autoscaling.v1.Scale"),
    (("policy", "v1", "Eviction"), "io.k8s.api.policy.v1.Eviction"),
    (("", "v1", "Binding"), "io.k8s.api.core.v1.Binding"),
    (("", "v1", "DeleteOptions"), "io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions"),
    (("", "v1", "Status"), "io.k8s.apimachinery.pkg.apis.meta.v1.Status"),
    (("meta.k8s.io", "v1", "Table"), "io.k8s.apimachinery.pkg.apis.meta.v1.Table"),
    (("settings.k8s.io", "v1alpha1", "PodPreset"), "io.k8s.api.settings.v1alpha1.PodPreset"),
    (("stable.example.com", "v1", "CronTab"), None),
], ids=lambda x: "/".join(x) if isinstance(x, tuple) else str(x))
def test_definition_name_maps_group_version_kind_to_a_definition(gvk, name):
    assert schemas.definition_name(*gvk) == name


def test_definitions_keep_the_field_descriptions_kubectl_explain_prints():
    pod = schemas.definition("io.k8s.api.core.v1.Pod")
    assert "description" in pod["properties"]["spec"]
    assert pod["x-kubernetes-group-version-kind"] == [
        {"group": "", "kind": "Pod", "version": "v1"}]


def test_type_meta_carries_no_one_value_enum():
    pod = schemas.definition("io.k8s.api.core.v1.Pod")
    assert "enum" not in pod["properties"]["kind"]
    assert "enum" not in pod["properties"]["apiVersion"]


def test_every_ref_in_the_shipped_definitions_resolves():
    names = set(schemas.definition_names())
    dangling = set()
    for name in names:
        stack: list[Any] = [schemas.definition(name)]
        while stack:
            x = stack.pop()
            if isinstance(x, dict):
                ref = x.get("$ref")
                if isinstance(ref, str) and ref.removeprefix("#/$defs/") not in names:
                    dangling.add(ref)
                stack.extend(x.values())
            elif isinstance(x, list):
                stack.extend(x)
    assert not dangling


def test_every_indexed_definition_exists():
    names = set(schemas.definition_names())
    assert set(schemas.kinds().values()) <= names


def test_pod_preset_schema_is_hand_written_like_the_rest():
    spec = schemas.definition("io.k8s.api.settings.v1alpha1.PodPresetSpec")
    assert set(spec["properties"]) == {"selector", "env", "envFrom", "volumes", "volumeMounts"}
    preset = schemas.definition("io.k8s.api.settings.v1alpha1.PodPreset")
    assert preset["properties"]["metadata"]["$ref"].endswith("meta.v1.ObjectMeta")


@pytest.mark.skipif(importlib.util.find_spec("kubernetes_validate") is None,
                    reason="the generator's source package is installed on dev machines only")
def test_checked_in_schemas_match_a_fresh_generator_run(tmp_path):
    import runpy

    gen = runpy.run_path(str(schemas.SCHEMA_DIRS[1].parent / "tools" / "gen_schemas.py"))
    assert gen["main"](["--out", str(tmp_path)]) == 0
    for f in ("definitions.json", "index.json"):
        assert (tmp_path / f).read_bytes() == (schemas.schema_dir() / f).read_bytes()


# --------------------------------------------------------------------------- patch meta


def test_patch_meta_of_pod_containers_merges_by_name():
    spec = schemas.patch_meta("", "v1", "Pod")["f"]["spec"]["f"]
    containers = spec["containers"]
    assert (containers["k"], containers["s"]) == ("name", "merge")
    assert containers["t"] == "map" and containers["mk"] == ["name"]
    assert containers["i"]["f"]["env"]["k"] == "name"
    assert containers["i"]["f"]["ports"]["k"] == "containerPort"
    assert containers["i"]["f"]["volumeMounts"]["k"] == "mountPath"


def test_patch_meta_of_pod_volumes_retains_keys():
    volumes = schemas.patch_meta("", "v1", "Pod")["f"]["spec"]["f"]["volumes"]
    assert (volumes["k"], volumes["s"]) == ("name", "merge,retainKeys")


def test_patch_meta_of_tolerations_is_atomic_without_a_strategy():
    tolerations = schemas.patch_meta("", "v1", "Pod")["f"]["spec"]["f"]["tolerations"]
    assert tolerations["t"] == "atomic"
    assert "s" not in tolerations and "k" not in tolerations


def test_patch_meta_of_finalizers_is_a_merged_primitive_list():
    finalizers = schemas.patch_meta("", "v1", "Pod")["f"]["metadata"]["f"]["finalizers"]
    assert finalizers == {"s": "merge", "t": "set"}


def test_patch_meta_marks_labels_as_a_map_and_leaves_as_empty():
    meta = schemas.patch_meta("", "v1", "Pod")["f"]["metadata"]["f"]
    assert meta["labels"] == {"m": True}
    assert meta["name"] == {}


def test_patch_meta_keeps_a_field_strategy_on_a_referenced_struct():
    strategy = schemas.patch_meta("apps", "v1", "Deployment")["f"]["spec"]["f"]["strategy"]
    assert strategy["s"] == "retainKeys"
    assert set(strategy["f"]) == {"type", "rollingUpdate"}


def test_patch_meta_of_map_values_is_under_i():
    limits = (schemas.patch_meta("", "v1", "Pod")["f"]["spec"]["f"]["containers"]["i"]
              ["f"]["resources"]["f"]["limits"])
    assert limits == {"m": True}  # Quantity values carry nothing
    props = (schemas.patch_meta("apiextensions.k8s.io", "v1", "CustomResourceDefinition")
             ["f"]["spec"]["f"]["versions"]["i"]["f"]["schema"]["f"]["openAPIV3Schema"])
    assert props["f"]["properties"]["m"] is True
    assert props["f"]["properties"]["i"] is props  # JSONSchemaProps is recursive


def test_patch_meta_of_pod_preset_reuses_core_extensions():
    spec = schemas.patch_meta("settings.k8s.io", "v1alpha1", "PodPreset")["f"]["spec"]["f"]
    assert (spec["env"]["k"], spec["env"]["s"]) == ("name", "merge")
    assert (spec["volumes"]["k"], spec["volumes"]["s"]) == ("name", "merge,retainKeys")
    assert spec["volumeMounts"]["k"] == "mountPath"
    assert spec["env"]["i"]["f"]["valueFrom"]["f"]  # EnvVar reached through the ref


def test_patch_meta_is_none_for_kinds_without_a_schema():
    assert schemas.patch_meta("stable.example.com", "v1", "CronTab") is None


def test_patch_meta_is_memoized():
    assert schemas.patch_meta("", "v1", "Pod") is schemas.patch_meta("", "v1", "Pod")


# --------------------------------------------------------------------------- unknown fields


def test_a_valid_deployment_has_no_unknown_fields():
    assert schemas.unknown_fields(make_deployment(), "apps", "v1", "Deployment") == []


def test_unknown_field_in_a_container_is_reported_with_its_index():
    obj = make_deployment(foo="bar")
    assert schemas.unknown_fields(obj, "apps", "v1", "Deployment") == [
        "spec.template.spec.containers[0].foo"]


@pytest.mark.parametrize("path, expected", [
    (("bogusTopLevel",), "bogusTopLevel"),
    (("metadata", "foo"), "metadata.foo"),
    (("spec", "foo"), "spec.foo"),
    (("spec", "strategy", "rollingUpdate", "foo"), "spec.strategy.rollingUpdate.foo"),
    (("status", "foo"), "status.foo"),
], ids=lambda x: ".".join(x) if isinstance(x, tuple) else x)
def test_unknown_fields_are_reported_at_any_depth(path, expected):
    obj = make_deployment()
    target = obj
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = 1
    assert schemas.unknown_fields(obj, "apps", "v1", "Deployment") == [expected]


def test_unknown_fields_come_in_document_order():
    obj = {"apiVersion": "v1", "kind": "ConfigMap", "zzz": 1,
           "metadata": {"name": "x", "bad": 2}, "aaa": 3}
    assert schemas.unknown_fields(obj, "", "v1", "ConfigMap") == ["zzz", "metadata.bad", "aaa"]


def test_maps_accept_any_key():
    obj = {"apiVersion": "v1", "kind": "ConfigMap",
           "metadata": {"name": "x", "labels": {"any": "thing"},
                        "annotations": {"a/b": "c"}},
           "data": {"whatever": "value"}, "binaryData": {"k": "dg=="}}
    assert schemas.unknown_fields(obj, "", "v1", "ConfigMap") == []


def test_opaque_values_accept_anything():
    obj = {"metadata": {"name": "x", "managedFields": [
        {"manager": "kubectl", "fieldsV1": {"f:metadata": {"f:labels": {".": {}}}}}]}}
    assert schemas.unknown_fields(obj, "", "v1", "ConfigMap") == []


def test_map_of_structs_reports_keys_as_path_segments():
    crd = {"spec": {"versions": [{"name": "v1", "schema": {"openAPIV3Schema": {
        "type": "object",
        "properties": {"spec": {"type": "object", "bogus": True}},
    }}}]}}
    assert schemas.unknown_fields(crd, "apiextensions.k8s.io", "v1",
                                  "CustomResourceDefinition") == [
        "spec.versions[0].schema.openAPIV3Schema.properties.spec.bogus"]


def test_mistyped_values_are_not_descended_into():
    obj = {"spec": {"containers": {"name": "not-a-list", "foo": 1}, "nodeName": 5}}
    assert schemas.unknown_fields(obj, "", "v1", "Pod") == []


def test_unknown_fields_are_empty_for_kinds_without_a_schema():
    assert schemas.unknown_fields({"spec": {"x": 1}}, "stable.example.com", "v1", "X") == []


def test_drop_unknown_fields_removes_only_unknown_fields():
    obj = make_deployment(foo="bar")
    obj["bogusTopLevel"] = 1
    obj["metadata"]["foo"] = 2
    schemas.drop_unknown_fields(obj, "apps", "v1", "Deployment")
    assert obj == make_deployment()


# --------------------------------------------------------------------------- duplicates


def test_a_body_without_duplicates_has_none():
    raw = orjson.dumps(make_deployment())
    assert schemas.duplicate_fields(raw) == []
    assert schemas.duplicate_fields(raw, orjson.loads(raw)) == []


def test_duplicate_key_is_reported_with_its_path():
    raw = b'{"kind":"Pod","metadata":{"name":"a","name":"b"}}'
    assert schemas.duplicate_fields(raw) == ["metadata.name"]


def test_duplicates_in_lists_and_at_the_top_are_reported():
    raw = (b'{"kind":"Pod","kind":"Pod","spec":{"containers":'
           b'[{"name":"a"},{"name":"b","image":"x","image":"y"}]}}')
    assert schemas.duplicate_fields(raw) == ["kind", "spec.containers[1].image"]


def test_escaped_json_inside_strings_is_not_mistaken_for_keys():
    inner = json.dumps({"a": 1, "b": {"c": "d"}})
    raw = json.dumps({"metadata": {"annotations": {"last-applied": inner}}}).encode()
    assert schemas.duplicate_fields(raw) == []


def test_spaced_colons_still_find_duplicates():
    raw = b'{"a" : 1, "a" : 2}'
    assert schemas.duplicate_fields(raw) == ["a"]


def test_invalid_json_has_no_duplicates_to_report():
    assert schemas.duplicate_fields(b'{"a": ') == []


# --------------------------------------------------------------------------- shapes


def test_a_valid_deployment_has_no_shape_errors():
    assert schemas.validate_shape(make_deployment(), "apps", "v1", "Deployment") == []


@pytest.mark.parametrize("mutate, expected", [
    (lambda d: d["spec"].update(replicas="3"), ("spec.replicas", "integer", "3")),
    (lambda d: d["spec"].update(replicas=True), ("spec.replicas", "integer", True)),
    (lambda d: d["spec"].update(replicas=1.5), ("spec.replicas", "integer", 1.5)),
    (lambda d: d["spec"]["template"]["spec"].update(containers={"name": "x"}),
     ("spec.template.spec.containers", "array", {"name": "x"})),
    (lambda d: d["metadata"]["labels"].update(n=1), ("metadata.labels.n", "string", 1)),
    (lambda d: d["spec"]["template"]["spec"]["containers"][0]["ports"][0].update(
        containerPort="80"),
     ("spec.template.spec.containers[0].ports[0].containerPort", "integer", "80")),
    (lambda d: d["spec"]["strategy"]["rollingUpdate"].update(maxSurge=[1]),
     ("spec.strategy.rollingUpdate.maxSurge", "int-or-string", [1])),
    (lambda d: d["spec"].update(paused="yes"), ("spec.paused", "boolean", "yes")),
], ids=["string-for-integer", "bool-for-integer", "float-for-integer", "object-for-array",
        "number-in-string-map", "string-port", "list-for-int-or-string", "string-for-bool"])
def test_mistyped_values_are_reported(mutate, expected):
    obj = make_deployment()
    mutate(obj)
    assert schemas.validate_shape(obj, "apps", "v1", "Deployment") == [expected]


def test_nulls_ints_or_strings_and_numeric_quantities_are_fine():
    obj = make_deployment()
    obj["spec"]["replicas"] = None
    obj["spec"]["strategy"]["rollingUpdate"] = {"maxSurge": 1, "maxUnavailable": "10%"}
    obj["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"] = {
        "cpu": 0.5, "memory": "1Gi"}
    assert schemas.validate_shape(obj, "apps", "v1", "Deployment") == []


def test_checks_do_not_modify_the_object():
    obj = make_deployment(foo=1)
    before = copy.deepcopy(obj)
    schemas.unknown_fields(obj, "apps", "v1", "Deployment")
    schemas.validate_shape(obj, "apps", "v1", "Deployment")
    assert obj == before
