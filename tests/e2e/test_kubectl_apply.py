"""kubectl and server-side apply: field ownership as kubectl shows and enforces it.

Create with ``apply --server-side``, conflicts between managers and ``--force-conflicts``,
the client-side → server-side migration kubectl performs, and managedFields as
``get --show-managed-fields`` prints them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from e2e_support import EDGE_VERSIONS, make_deployment, write_manifest

pytestmark = pytest.mark.kubectl
edge = pytest.mark.parametrize("version", EDGE_VERSIONS)

LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
HELP = "Please review the fields above--they currently have other managers."


def managed(served: Any, name: str = "web") -> dict[tuple[str, str], Any]:
    d = served.run(served.client.get, "apps/v1", "Deployment", name, "default")
    return {(e["manager"], e["operation"]): e for e in d["metadata"]["managedFields"]}


def apply(served: Any, tmp_path: Path, obj: Any, *args: str, version: str | None = None,
          check: bool = True) -> Any:
    f = write_manifest(tmp_path, "obj.yaml", obj)
    return served.kubectl("apply", *args, "-f", f, version=version, check=check)


@edge
def test_server_side_apply_creates_and_owns_the_configuration(served: Any, tmp_path: Path,
                                                              version: str) -> None:
    p = apply(served, tmp_path, make_deployment("web", replicas=2), "--server-side",
              version=version)
    assert p.stdout.strip() == "deployment.apps/web serverside-applied"
    e = managed(served)[("kubectl", "Apply")]
    assert e["apiVersion"] == "apps/v1" and e["fieldsType"] == "FieldsV1" and e["time"]
    assert e["fieldsV1"]["f:spec"]["f:replicas"] == {}
    assert e["fieldsV1"]["f:spec"]["f:template"]["f:spec"]["f:containers"] == {
        'k:{"name":"nginx"}': {".": {}, "f:image": {}, "f:name": {}}}


@edge
def test_another_manager_conflicts_until_it_forces(served: Any, tmp_path: Path,
                                                   version: str) -> None:
    apply(served, tmp_path, make_deployment("web", replicas=2), "--server-side", version=version)
    p = apply(served, tmp_path, make_deployment("web", replicas=3), "--server-side",
              "--field-manager=other", version=version, check=False)
    assert p.returncode == 1
    lines = p.stderr.splitlines()
    assert lines[0] == 'error: Apply failed with 1 conflict: conflict with "kubectl": .spec.replicas'
    assert lines[1].startswith(HELP)
    assert served.run(served.client.get, "apps/v1", "Deployment", "web",
                      "default")["spec"]["replicas"] == 2

    p = apply(served, tmp_path, make_deployment("web", replicas=3), "--server-side",
              "--field-manager=other", "--force-conflicts", version=version)
    assert p.stdout.strip() == "deployment.apps/web serverside-applied"
    m = managed(served)
    assert "f:replicas" in m[("other", "Apply")]["fieldsV1"]["f:spec"]
    assert "f:replicas" not in m[("kubectl", "Apply")]["fieldsV1"]["f:spec"]


def test_several_conflicts_are_listed_one_per_line(served: Any, tmp_path: Path) -> None:
    apply(served, tmp_path, make_deployment("web", replicas=2), "--server-side")
    p = apply(served, tmp_path, make_deployment("web", replicas=3, images=("nginx:1.27",)),
              "--server-side", "--field-manager=other", check=False)
    lines = p.stderr.splitlines()
    assert lines[:3] == [
        'error: Apply failed with 2 conflicts: conflicts with "kubectl":',
        "- .spec.replicas",
        '- .spec.template.spec.containers[name="nginx"].image']
    assert lines[3].startswith(HELP)


@edge
def test_client_side_then_server_side_apply_migrates_ownership(served: Any, tmp_path: Path,
                                                               version: str) -> None:
    d = make_deployment("web", replicas=2)
    assert apply(served, tmp_path, d, version=version).stdout.strip() == \
        "deployment.apps/web created"
    assert ("kubectl-client-side-apply", "Update") in managed(served)

    d["spec"]["replicas"] = 3  # the client-side manager owns it: forgiven for kubectl
    p = apply(served, tmp_path, d, "--server-side", version=version)
    assert p.stdout.strip() == "deployment.apps/web serverside-applied", p.stderr
    live = served.run(served.client.get, "apps/v1", "Deployment", "web", "default")
    assert live["spec"]["replicas"] == 3
    m = managed(served)
    assert ("kubectl-client-side-apply", "Update") not in m  # merged into kubectl's entry
    assert m[("kubectl-last-applied", "Apply")]["fieldsV1"] == {
        "f:metadata": {"f:annotations": {f"f:{LAST_APPLIED}": {}}}}
    assert "time" not in m[("kubectl-last-applied", "Apply")]
    assert "f:replicas" in m[("kubectl", "Apply")]["fieldsV1"]["f:spec"]
    # the server keeps the annotation in step with what kubectl applied
    assert json.loads(live["metadata"]["annotations"][LAST_APPLIED]) == d

    d["spec"]["replicas"] = 4  # from now on kubectl is the only applier
    apply(served, tmp_path, d, "--server-side", version=version)
    assert json.loads(served.run(served.client.get, "apps/v1", "Deployment", "web", "default")
                      ["metadata"]["annotations"][LAST_APPLIED])["spec"]["replicas"] == 4


def test_managed_fields_print_like_a_real_cluster(served: Any, tmp_path: Path) -> None:
    apply(served, tmp_path, make_deployment("web", replicas=2))
    out = served.kubectl("get", "deploy", "web", "-o", "yaml", "--show-managed-fields").stdout
    md = yaml.safe_load(out)["metadata"]
    csa = next(e for e in md["managedFields"] if e["manager"] == "kubectl-client-side-apply")
    assert list(csa) == ["apiVersion", "fieldsType", "fieldsV1", "manager", "operation", "time"]
    assert csa["fieldsV1"] == {
        "f:metadata": {
            "f:annotations": {".": {}, f"f:{LAST_APPLIED}": {}},
            "f:labels": {".": {}, "f:app": {}}},
        "f:spec": {
            "f:progressDeadlineSeconds": {}, "f:replicas": {}, "f:revisionHistoryLimit": {},
            "f:selector": {},
            "f:strategy": {"f:rollingUpdate": {".": {}, "f:maxSurge": {}, "f:maxUnavailable": {}},
                           "f:type": {}},
            "f:template": {
                "f:metadata": {"f:labels": {".": {}, "f:app": {}}},
                "f:spec": {
                    "f:containers": {'k:{"name":"nginx"}': {
                        ".": {}, "f:image": {}, "f:imagePullPolicy": {}, "f:name": {},
                        "f:resources": {}, "f:terminationMessagePath": {},
                        "f:terminationMessagePolicy": {}}},
                    "f:dnsPolicy": {}, "f:restartPolicy": {}, "f:schedulerName": {},
                    "f:securityContext": {}, "f:terminationGracePeriodSeconds": {}}}}}
    assert "managedFields:" in out and '            k:{"name":"nginx"}:' in out
    plain = served.kubectl("get", "deploy", "web", "-o", "yaml").stdout
    assert "managedFields" not in plain  # kubectl hides them unless asked


def test_a_scale_then_an_apply_conflicts_with_the_scale_subresource(served: Any,
                                                                     tmp_path: Path) -> None:
    apply(served, tmp_path, make_deployment("web", replicas=2), "--server-side")
    served.kubectl("scale", "deploy", "web", "--replicas=4")
    e = [e for e in managed(served).values() if e.get("subresource") == "scale"]
    assert len(e) == 1 and e[0]["fieldsV1"] == {"f:spec": {"f:replicas": {}}}
    p = apply(served, tmp_path, make_deployment("web", replicas=2), "--server-side", check=False)
    assert p.stderr.splitlines()[0] == (
        'error: Apply failed with 1 conflict: conflict with "kubectl" with subresource "scale" '
        'using apps/v1: .spec.replicas')
