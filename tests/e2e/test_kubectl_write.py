"""kubectl writes against a served cluster: create, apply (client- and server-side), label,
annotate, patch, scale, imperative create, taint, cordon, autoscale, replace, and the
errors a user gets back from each.

Every test gets a fresh cluster (``served``); state is checked through the in-process
client or ``kubectl -o json``.
"""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from e2e_support import (
    EDGE_VERSIONS,
    NO_SCHEDULER,
    PROTOBUF_VERSIONS,
    kubectl_json,
    make_deployment,
    make_pod,
    write_manifest,
)

pytestmark = pytest.mark.kubectl
edge = pytest.mark.parametrize("version", EDGE_VERSIONS)

LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"


def get(served: Any, api_version: str, kind: str, name: str, ns: str = "default") -> Any:
    return served.run(served.client.get_or_none, api_version, kind, name, ns)


# ------------------------------------------------------------------ create -f

@edge
def test_create_from_file(served: Any, tmp_path: Path, version: str) -> None:
    f = write_manifest(tmp_path, "pod.yaml", make_pod("web-0", labels={"app": "web"}))
    p = served.kubectl("create", "-f", f, version=version)
    assert p.stdout.strip() == "pod/web-0 created"
    pod = get(served, "v1", "Pod", "web-0")
    assert pod["metadata"]["labels"] == {"app": "web"}
    assert pod["metadata"]["uid"] and pod["metadata"]["creationTimestamp"]
    assert pod["spec"]["containers"][0]["image"] == "nginx:1.25"


@edge
def test_create_multi_document_file(served: Any, tmp_path: Path, version: str) -> None:
    ns = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team"}}
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": "team"},
              "stringData": {"password": "hunter2"}}
    f = write_manifest(tmp_path, "all.yaml", ns, secret,
                       make_deployment("web", "team"))
    out = served.kubectl("create", "-f", f, version=version).stdout.splitlines()
    assert out == ["namespace/team created", "secret/s created", "deployment.apps/web created"]
    s = get(served, "v1", "Secret", "s", "team")
    assert s["type"] == "Opaque"
    assert s["data"] == {"password": base64.b64encode(b"hunter2").decode()}
    assert "stringData" not in s


@edge
def test_create_existing_is_already_exists(served: Any, tmp_path: Path, version: str) -> None:
    f = write_manifest(tmp_path, "deploy.yaml", make_deployment("web"))
    served.kubectl("create", "-f", f, version=version)
    p = served.kubectl("create", "-f", f, version=version, check=False)
    assert p.returncode == 1
    assert p.stderr.strip() == (
        f'Error from server (AlreadyExists): error when creating "{f}": '
        'deployments.apps "web" already exists')


@edge
def test_create_in_missing_namespace(served: Any, tmp_path: Path, version: str) -> None:
    f = write_manifest(tmp_path, "pod.yaml", make_pod("p", "x"))
    p = served.kubectl("create", "-f", f, version=version, check=False)
    assert p.returncode == 1
    assert p.stderr.strip() == (
        f'Error from server (NotFound): error when creating "{f}": namespaces "x" not found')


BAD_FIELD_POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: bf
spec:
  foo: bar
  containers:
  - name: c
    image: nginx
"""


@edge
def test_unknown_field_is_rejected_by_default(served: Any, tmp_path: Path, version: str) -> None:
    f = write_manifest(tmp_path, "bad.yaml", BAD_FIELD_POD)
    p = served.kubectl("create", "-f", f, version=version, check=False)
    assert p.returncode == 1
    assert p.stderr.strip() == (
        f'Error from server (BadRequest): error when creating "{f}": Pod in version "v1" cannot '
        'be handled as a Pod: strict decoding error: unknown field "spec.foo"')
    assert get(served, "v1", "Pod", "bf") is None


@edge
def test_unknown_field_is_dropped_with_validate_false(served: Any, tmp_path: Path,
                                                      version: str) -> None:
    f = write_manifest(tmp_path, "bad.yaml", BAD_FIELD_POD)
    p = served.kubectl("create", "-f", f, "--validate=false", version=version)
    assert p.stdout.strip() == "pod/bf created"
    assert p.stderr == ""
    assert "foo" not in get(served, "v1", "Pod", "bf")["spec"]


@edge
def test_unknown_field_warns_with_validate_warn(served: Any, tmp_path: Path, version: str) -> None:
    f = write_manifest(tmp_path, "bad.yaml", BAD_FIELD_POD)
    p = served.kubectl("create", "-f", f, "--validate=warn", version=version)
    assert p.stdout.strip() == "pod/bf created"
    assert p.stderr.strip() == 'Warning: unknown field "spec.foo"'


@edge
def test_invalid_name_is_unprocessable(served: Any, tmp_path: Path, version: str) -> None:
    f = write_manifest(tmp_path, "pod.yaml", make_pod("Bad_Name"))
    p = served.kubectl("create", "-f", f, version=version, check=False)
    assert p.returncode == 1
    assert p.stderr.startswith(
        'The Pod "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": a lowercase '
        "RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.'")


@edge
def test_invalid_spec_lists_every_cause(served: Any, tmp_path: Path, version: str) -> None:
    d = make_deployment("web")
    d["spec"]["replicas"] = -1
    f = write_manifest(tmp_path, "d.yaml", d)
    p = served.kubectl("create", "-f", f, version=version, check=False)
    assert p.returncode == 1
    assert p.stderr.startswith('The Deployment "web" is invalid: ')
    assert "spec.replicas: Invalid value: -1: must be greater than or equal to 0" in p.stderr


# ------------------------------------------------------------------ apply

@edge
def test_client_side_apply_created_configured_unchanged(served: Any, tmp_path: Path,
                                                        version: str) -> None:
    d = make_deployment("web", replicas=1)
    f1 = write_manifest(tmp_path, "v1.yaml", d)
    d["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:1.27"
    d["spec"]["template"]["spec"]["containers"][0]["env"] = [{"name": "A", "value": "1"}]
    f2 = write_manifest(tmp_path, "v2.yaml", d)

    assert served.kubectl("apply", "-f", f1, version=version).stdout.strip() == \
        "deployment.apps/web created"
    first = get(served, "apps/v1", "Deployment", "web")
    assert json.loads(first["metadata"]["annotations"][LAST_APPLIED])["metadata"]["name"] == "web"

    assert served.kubectl("apply", "-f", f2, version=version).stdout.strip() == \
        "deployment.apps/web configured"
    assert served.kubectl("apply", "-f", f2, version=version).stdout.strip() == \
        "deployment.apps/web unchanged"

    live = get(served, "apps/v1", "Deployment", "web")
    c = live["spec"]["template"]["spec"]["containers"][0]
    assert c["image"] == "nginx:1.27" and c["env"] == [{"name": "A", "value": "1"}]
    assert live["metadata"]["generation"] == first["metadata"]["generation"] + 1
    applied = json.loads(live["metadata"]["annotations"][LAST_APPLIED])
    assert applied["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.27"
    assert not any(k.startswith("$") for k in json.dumps(live).split('"'))  # no directives stored

    # going back removes the env list again (3-way merge against last-applied)
    assert served.kubectl("apply", "-f", f1, version=version).stdout.strip() == \
        "deployment.apps/web configured"
    c = get(served, "apps/v1", "Deployment", "web")["spec"]["template"]["spec"]["containers"][0]
    assert c["image"] == "nginx:1.25" and "env" not in c


@edge
def test_server_side_apply(served: Any, tmp_path: Path, version: str) -> None:
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg"},
          "data": {"a": "1"}}
    f = write_manifest(tmp_path, "cm.yaml", cm)
    p = served.kubectl("apply", "--server-side", "-f", f, version=version)
    assert p.stdout.strip() == "configmap/cfg serverside-applied"
    cm["data"] = {"a": "2", "b": "3"}
    f = write_manifest(tmp_path, "cm.yaml", cm)
    p = served.kubectl("apply", "--server-side", "-f", f, version=version)
    assert p.stdout.strip() == "configmap/cfg serverside-applied"
    live = get(served, "v1", "ConfigMap", "cfg")
    assert live["data"] == {"a": "2", "b": "3"}
    managers = {(m["manager"], m["operation"]) for m in live["metadata"]["managedFields"]}
    assert ("kubectl", "Apply") in managers


@edge
def test_server_side_apply_conflict_and_force(served: Any, tmp_path: Path, version: str) -> None:
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg"},
          "data": {"a": "1"}}
    f = write_manifest(tmp_path, "cm.yaml", cm)
    served.kubectl("apply", "--server-side", "-f", f, "--field-manager=alice", version=version)
    cm["data"] = {"a": "2"}
    f = write_manifest(tmp_path, "cm.yaml", cm)
    p = served.kubectl("apply", "--server-side", "-f", f, "--field-manager=bob",
                       version=version, check=False)
    assert p.returncode == 1
    assert p.stderr.startswith('error: Apply failed with 1 conflict: conflict with "alice": .data.a')
    assert "--force-conflicts" in p.stderr
    p = served.kubectl("apply", "--server-side", "--force-conflicts", "-f", f,
                       "--field-manager=bob", version=version)
    assert p.stdout.strip() == "configmap/cfg serverside-applied"
    assert get(served, "v1", "ConfigMap", "cfg")["data"] == {"a": "2"}


@edge
def test_server_side_apply_dry_run_changes_nothing(served: Any, tmp_path: Path,
                                                   version: str) -> None:
    d = make_deployment("web")
    f = write_manifest(tmp_path, "d.yaml", d)
    p = served.kubectl("apply", "--server-side", "--dry-run=server", "-f", f, version=version)
    assert p.stdout.strip() == "deployment.apps/web serverside-applied (server dry run)"
    assert get(served, "apps/v1", "Deployment", "web") is None


# ------------------------------------------------------------------ label / annotate

@edge
def test_label_overwrite_and_remove(served: Any, version: str) -> None:
    served.run(served.client.create, make_pod("web-0", labels={"app": "web"}))
    assert served.kubectl("label", "pod", "web-0", "tier=fe",
                          version=version).stdout.strip() == "pod/web-0 labeled"
    p = served.kubectl("label", "pod", "web-0", "tier=be", version=version, check=False)
    assert p.returncode == 1
    assert p.stderr.strip() == "error: 'tier' already has a value (fe), and --overwrite is false"
    served.kubectl("label", "pod", "web-0", "tier=be", "--overwrite", version=version)
    assert get(served, "v1", "Pod", "web-0")["metadata"]["labels"] == {"app": "web", "tier": "be"}
    assert served.kubectl("label", "pod", "web-0", "tier-",
                          version=version).stdout.strip() == "pod/web-0 unlabeled"
    assert get(served, "v1", "Pod", "web-0")["metadata"]["labels"] == {"app": "web"}


@edge
def test_annotate_overwrite_and_remove(served: Any, version: str) -> None:
    served.run(served.client.create, make_pod("web-0"))
    # kubectl 1.27 itself prints "annotate" (fixed in 1.28)
    done = "pod/web-0 annotate" if version == "1.27" else "pod/web-0 annotated"
    assert served.kubectl("annotate", "pod", "web-0", "note=hello world",
                          version=version).stdout.strip() == done
    p = served.kubectl("annotate", "pod", "web-0", "note=x", version=version, check=False)
    assert p.returncode == 1 and "--overwrite is false" in p.stderr
    served.kubectl("annotate", "pod", "web-0", "note=x", "--overwrite", version=version)
    assert get(served, "v1", "Pod", "web-0")["metadata"]["annotations"] == {"note": "x"}
    served.kubectl("annotate", "pod", "web-0", "note-", version=version)
    assert not get(served, "v1", "Pod", "web-0")["metadata"].get("annotations")


# ------------------------------------------------------------------ patch

@edge
def test_strategic_merge_patch_merges_containers_by_name(served: Any, version: str) -> None:
    served.run(served.client.create, make_deployment("web", images=("nginx:1.25", "redis:7")))
    patch = {"spec": {"template": {"spec": {"containers": [{"name": "c1", "image": "redis:8"}]}}}}
    p = served.kubectl("patch", "deployment", "web", "--type", "strategic", "-p",
                       json.dumps(patch), version=version)
    assert p.stdout.strip() == "deployment.apps/web patched"
    containers = get(served, "apps/v1", "Deployment", "web")["spec"]["template"]["spec"][
        "containers"]
    assert [(c["name"], c["image"]) for c in containers] == [("nginx", "nginx:1.25"),
                                                             ("c1", "redis:8")]


@edge
def test_merge_patch_replaces_lists_and_nulls_delete(served: Any, version: str) -> None:
    served.run(served.client.create, make_pod("web-0", labels={"app": "web", "tier": "fe"}))
    p = served.kubectl("patch", "pod", "web-0", "--type", "merge", "-p",
                       '{"metadata":{"labels":{"tier":null,"new":"yes"}}}', version=version)
    assert p.stdout.strip() == "pod/web-0 patched"
    assert get(served, "v1", "Pod", "web-0")["metadata"]["labels"] == {"app": "web", "new": "yes"}


@edge
def test_json_patch(served: Any, version: str) -> None:
    served.run(served.client.create, make_deployment("web", replicas=1))
    ops = [{"op": "replace", "path": "/spec/replicas", "value": 3},
           {"op": "add", "path": "/metadata/labels/extra", "value": "x"}]
    p = served.kubectl("patch", "deployment", "web", "--type", "json", "-p", json.dumps(ops),
                       version=version)
    assert p.stdout.strip() == "deployment.apps/web patched"
    d = get(served, "apps/v1", "Deployment", "web")
    assert d["spec"]["replicas"] == 3 and d["metadata"]["labels"]["extra"] == "x"
    assert d["metadata"]["generation"] == 2


@edge
def test_failing_json_patch_test_op(served: Any, version: str) -> None:
    served.run(served.client.create, make_pod("web-0"))
    ops = [{"op": "test", "path": "/metadata/name", "value": "other"}]
    p = served.kubectl("patch", "pod", "web-0", "--type", "json", "-p", json.dumps(ops),
                       version=version, check=False)
    assert p.returncode == 1
    # 422 without causes, exactly as kube-apiserver answers a failed JSON patch
    assert p.stderr.strip() == \
        "The request is invalid: the server rejected our request due to an error in our request"


@edge
@pytest.mark.parametrize("patch_type,patch", [
    ("strategic", '{"metadata":{"labels":{"app":"web"}}}'),
    ("merge", '{"metadata":{"labels":{"app":"web"}}}'),
    ("json", '[{"op":"replace","path":"/metadata/labels/app","value":"web"}]'),
], ids=["strategic", "merge", "json"])
def test_patch_that_changes_nothing(served: Any, version: str, patch_type: str,
                                    patch: str) -> None:
    pod = served.run(served.client.create, make_pod("web-0", labels={"app": "web"},
                                                    scheduler=NO_SCHEDULER))
    p = served.kubectl("patch", "pod", "web-0", "--type", patch_type, "-p", patch,
                       version=version)
    assert p.stdout.strip() == "pod/web-0 patched (no change)"
    assert get(served, "v1", "Pod", "web-0")["metadata"]["resourceVersion"] == \
        pod["metadata"]["resourceVersion"]


@edge
def test_patch_missing_object(served: Any, version: str) -> None:
    p = served.kubectl("patch", "pod", "nope", "-p", "{}", version=version, check=False)
    assert p.returncode == 1
    assert p.stderr.strip() == 'Error from server (NotFound): pods "nope" not found'


@edge
def test_pod_spec_is_immutable_except_images(served: Any, version: str) -> None:
    served.run(served.client.create, make_pod("web-0"))
    p = served.kubectl("patch", "pod", "web-0", "-p",
                       '{"spec":{"containers":[{"name":"c","image":"nginx:1.27"}]}}',
                       version=version)
    assert p.stdout.strip() == "pod/web-0 patched"
    p = served.kubectl("patch", "pod", "web-0", "-p",
                       '{"spec":{"containers":[{"name":"c","env":[{"name":"A","value":"1"}]}]}}',
                       version=version, check=False)
    assert p.returncode == 1
    assert p.stderr.startswith(
        'The Pod "web-0" is invalid: spec: Forbidden: pod updates may not change fields other '
        "than `spec.containers[*].image`,`spec.initContainers[*].image`,"
        "`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing "
        "tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was "
        "previously negative)")
    p = served.kubectl("patch", "pod", "web-0", "--type", "json", "-p",
                       '[{"op":"add","path":"/spec/containers/-","value":{"name":"d",'
                       '"image":"busybox"}}]', version=version, check=False)
    assert p.returncode == 1
    assert p.stderr.strip() == ('The Pod "web-0" is invalid: spec.containers: Forbidden: pod '
                                "updates may not add or remove containers")
    pod = get(served, "v1", "Pod", "web-0")
    assert [(c["name"], c["image"], c.get("env")) for c in pod["spec"]["containers"]] == \
        [("c", "nginx:1.27", None)]


# ------------------------------------------------------------------ scale / replace

@edge
def test_scale_deployment(served: Any, version: str) -> None:
    served.run(served.client.create, make_deployment("web", replicas=1))
    p = served.kubectl("scale", "deploy", "web", "--replicas=5", version=version)
    assert p.stdout.strip() == "deployment.apps/web scaled"
    d = get(served, "apps/v1", "Deployment", "web")
    assert d["spec"]["replicas"] == 5 and d["metadata"]["generation"] == 2
    p = served.kubectl("scale", "deploy", "web", "--replicas=2", "--current-replicas=3",
                       version=version, check=False)
    assert p.returncode == 1
    assert "Expected replicas to be 3, was 5" in p.stderr


@edge
def test_scale_is_owned_through_the_scale_subresource(served: Any, tmp_path: Path,
                                                     version: str) -> None:
    f = write_manifest(tmp_path, "d.yaml", make_deployment("web", replicas=1))
    served.kubectl("apply", "--server-side", "-f", f, version=version)
    served.kubectl("scale", "deploy", "web", "--replicas=3", version=version)
    managed = get(served, "apps/v1", "Deployment", "web")["metadata"]["managedFields"]
    # no fieldManager on a scale request: the manager is the User-Agent's product
    scaler = [m for m in managed if m.get("subresource") == "scale"]
    assert [(m["manager"], m["operation"]) for m in scaler] == [(f"kubectl.{version}", "Update")]
    assert scaler[0]["fieldsV1"] == {"f:spec": {"f:replicas": {}}}
    p = served.kubectl("apply", "--server-side", "-f", f, version=version, check=False)
    assert p.returncode == 1
    assert p.stderr.startswith(
        f'error: Apply failed with 1 conflict: conflict with "kubectl.{version}" with '
        'subresource "scale" using apps/v1: .spec.replicas')


@edge
def test_replace_with_stale_resource_version_conflicts(served: Any, tmp_path: Path,
                                                       version: str) -> None:
    served.run(served.client.create, make_deployment("web"))
    stale = kubectl_json(served, "get", "deploy", "web", version=version)
    served.kubectl("label", "deploy", "web", "x=z", version=version)
    stale["spec"]["replicas"] = 4
    f = write_manifest(tmp_path, "d.yaml", stale)
    p = served.kubectl("replace", "-f", f, version=version, check=False)
    assert p.returncode == 1
    assert p.stderr.strip() == (
        f'Error from server (Conflict): error when replacing "{f}": Operation cannot be '
        'fulfilled on deployments.apps "web": the object has been modified; please apply your '
        "changes to the latest version and try again")
    fresh = kubectl_json(served, "get", "deploy", "web", version=version)
    fresh["spec"]["replicas"] = 4
    f = write_manifest(tmp_path, "d.yaml", fresh)
    assert served.kubectl("replace", "-f", f, version=version).stdout.strip() == \
        "deployment.apps/web replaced"
    assert get(served, "apps/v1", "Deployment", "web")["spec"]["replicas"] == 4


# ------------------------------------------------------------------ imperative create

@pytest.mark.parametrize("version", sorted({*EDGE_VERSIONS, *PROTOBUF_VERSIONS}))
def test_create_configmap_from_file(served: Any, tmp_path: Path, version: str) -> None:
    f = tmp_path / "app.properties"
    f.write_text("key1=val1\nkey2=val2\n")
    p = served.kubectl("create", "configmap", "cm1", f"--from-file={f}", "--from-literal=x=y",
                       version=version)
    assert p.stdout.strip() == "configmap/cm1 created"
    cm = yaml.safe_load(served.kubectl("get", "cm", "cm1", "-o", "yaml", version=version).stdout)
    assert cm["data"] == {"app.properties": "key1=val1\nkey2=val2\n", "x": "y"}


@pytest.mark.parametrize("version", sorted({*EDGE_VERSIONS, *PROTOBUF_VERSIONS}))
def test_create_secret_generic_from_literal(served: Any, version: str) -> None:
    p = served.kubectl("create", "secret", "generic", "s1", "--from-literal=user=admin",
                       "--from-literal=pass=s3cr3t!", version=version)
    assert p.stdout.strip() == "secret/s1 created"
    s = kubectl_json(served, "get", "secret", "s1", version=version)
    assert s["type"] == "Opaque"
    assert s["data"] == {"user": "YWRtaW4=", "pass": base64.b64encode(b"s3cr3t!").decode()}


@pytest.mark.parametrize("version", sorted({*EDGE_VERSIONS, *PROTOBUF_VERSIONS}))
def test_secret_types_are_validated(served: Any, version: str) -> None:
    p = served.kubectl("create", "secret", "generic", "s", "--from-literal=a=b",
                       "--type=kubernetes.io/tls", version=version, check=False)
    assert p.returncode == 1
    assert p.stderr.strip() == ('error: failed to create secret Secret "s" is invalid: '
                                "[data[tls.crt]: Required value, data[tls.key]: Required value]")
    p = served.kubectl("create", "secret", "generic", "d", "--type=kubernetes.io/dockerconfigjson",
                       "--from-literal=.dockerconfigjson=nope", version=version, check=False)
    assert p.returncode == 1
    assert p.stderr.strip().endswith(
        'data[.dockerconfigjson]: Invalid value: "<secret contents redacted>": invalid '
        "character 'o' in literal null (expecting 'u')")
    p = served.kubectl("create", "secret", "docker-registry", "reg", "--docker-username=u",
                       "--docker-password=p", "--docker-server=r.example", version=version)
    assert p.stdout.strip() == "secret/reg created"
    served.kubectl("create", "secret", "generic", "ok", "--from-literal=a=b", version=version)
    p = served.kubectl("patch", "secret", "ok", "-p", '{"type":"kubernetes.io/ssh-auth"}',
                       version=version, check=False)
    assert p.returncode == 1
    assert 'type: Invalid value: "kubernetes.io/ssh-auth": field is immutable' in p.stderr


@edge
def test_immutable_configmap(served: Any, version: str) -> None:
    served.kubectl("create", "configmap", "cfg", "--from-literal=a=b", version=version)
    served.kubectl("patch", "cm", "cfg", "-p", '{"immutable":true}', version=version)
    p = served.kubectl("patch", "cm", "cfg", "-p", '{"data":{"a":"c"}}', version=version,
                       check=False)
    assert p.returncode == 1
    assert p.stderr.strip() == ('The ConfigMap "cfg" is invalid: data: Forbidden: field is '
                                "immutable when `immutable` is set")
    served.kubectl("label", "cm", "cfg", "still=mutable", version=version)  # metadata is fine
    assert get(served, "v1", "ConfigMap", "cfg")["data"] == {"a": "b"}


@pytest.mark.parametrize("version", sorted({*EDGE_VERSIONS, *PROTOBUF_VERSIONS}))
def test_create_deployment_and_namespace(served: Any, version: str) -> None:
    assert served.kubectl("create", "namespace", "apps", version=version).stdout.strip() == \
        "namespace/apps created"
    p = served.kubectl("create", "deployment", "web", "--image=nginx:1.27", "--replicas=0",
                       "-n", "apps", version=version)
    assert p.stdout.strip() == "deployment.apps/web created"
    d = get(served, "apps/v1", "Deployment", "web", "apps")
    assert d["spec"]["selector"] == {"matchLabels": {"app": "web"}}
    assert d["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.27"
    assert d["spec"]["strategy"]["type"] == "RollingUpdate"  # defaulted by the server
    ns = get(served, "v1", "Namespace", "apps", "")
    assert ns["status"]["phase"] == "Active"
    assert ns["metadata"]["labels"]["kubernetes.io/metadata.name"] == "apps"
    p = served.kubectl("create", "namespace", "apps", version=version, check=False)
    assert p.returncode == 1
    assert 'namespaces "apps" already exists' in p.stderr


@pytest.mark.parametrize("version", sorted({*EDGE_VERSIONS, *PROTOBUF_VERSIONS}))
def test_autoscale_is_visible_in_both_hpa_versions(served: Any, version: str) -> None:
    served.run(served.client.create, make_deployment("web", replicas=1))
    p = served.kubectl("autoscale", "deployment", "web", "--min=1", "--max=10",
                       "--cpu-percent=50", version=version)
    assert p.stdout.strip() == "horizontalpodautoscaler.autoscaling/web autoscaled"
    rows = served.kubectl("get", "hpa", version=version).stdout.splitlines()
    assert re.split(r"\s{2,}", rows[0]) == ["NAME", "REFERENCE", "TARGETS", "MINPODS",
                                             "MAXPODS", "REPLICAS", "AGE"]
    assert re.split(r"\s{2,}", rows[1])[:5] == ["web", "Deployment/web", "cpu: <unknown>/50%",
                                                 "1", "10"]
    v1 = kubectl_json(served, "get", "horizontalpodautoscalers.v1.autoscaling", "web",
                      version=version)
    assert v1["apiVersion"] == "autoscaling/v1"
    assert v1["spec"]["targetCPUUtilizationPercentage"] == 50
    assert v1["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment",
                                            "name": "web"}
    v2 = kubectl_json(served, "get", "horizontalpodautoscalers.v2.autoscaling", "web",
                      version=version)
    assert v2["apiVersion"] == "autoscaling/v2"
    assert v2["spec"]["minReplicas"] == 1 and v2["spec"]["maxReplicas"] == 10
    assert v2["spec"]["metrics"] == [{"type": "Resource", "resource": {
        "name": "cpu", "target": {"type": "Utilization", "averageUtilization": 50}}}]


# ------------------------------------------------------------------ nodes

@edge
def test_taint_and_untaint_node(served: Any, version: str) -> None:
    p = served.kubectl("taint", "nodes", "minik8s-worker", "key=value:NoSchedule",
                       version=version)
    assert p.stdout.strip() == "node/minik8s-worker tainted"
    node = get(served, "v1", "Node", "minik8s-worker", "")
    assert node["spec"]["taints"] == [{"key": "key", "value": "value", "effect": "NoSchedule"}]
    p = served.kubectl("taint", "nodes", "minik8s-worker", "key=other:NoSchedule",
                       version=version, check=False)
    assert p.returncode == 1 and "already has key taint(s) with same effect(s)" in p.stderr
    p = served.kubectl("taint", "nodes", "minik8s-worker", "key-", version=version)
    assert p.stdout.strip() == "node/minik8s-worker untainted"
    assert not get(served, "v1", "Node", "minik8s-worker", "")["spec"].get("taints")


@edge
def test_cordon_and_uncordon(served: Any, version: str) -> None:
    assert served.kubectl("cordon", "minik8s-worker", version=version).stdout.strip() == \
        "node/minik8s-worker cordoned"
    rows = {r.split()[0]: r.split()[1]
            for r in served.kubectl("get", "nodes", version=version).stdout.splitlines()[1:]}
    assert rows == {"minik8s-control-plane": "Ready", "minik8s-worker": "Ready,SchedulingDisabled",
                    "minik8s-worker2": "Ready"}
    assert served.kubectl("cordon", "minik8s-worker", version=version).stdout.strip() == \
        "node/minik8s-worker already cordoned"
    assert served.kubectl("uncordon", "minik8s-worker", version=version).stdout.strip() == \
        "node/minik8s-worker uncordoned"
    assert not get(served, "v1", "Node", "minik8s-worker", "")["spec"].get("unschedulable")
