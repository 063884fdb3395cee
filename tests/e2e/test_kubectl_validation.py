"""Invalid manifests through kubectl: each class of error prints what a real cluster prints."""

from __future__ import annotations

import pytest

from served import ServedCluster

pytestmark = pytest.mark.kubectl

DEPLOY = """apiVersion: apps/v1
kind: Deployment
metadata: {{name: web}}
spec:
  replicas: {replicas}
  selector: {{matchLabels: {{app: web}}}}
  template:
    metadata: {{labels: {{app: {label}}}}}
    spec:
      containers: [{{name: c, image: nginx, resources: {{requests: {{cpu: "{cpu}"}}}}}}]
"""


@pytest.mark.parametrize("manifest,expected", [
    (DEPLOY.format(replicas=-1, label="web", cpu="100m"),
     'The Deployment "web" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0'),
    (DEPLOY.format(replicas=1, label="other", cpu="100m"),
     "spec.template.metadata.labels: Invalid value: map[string]string{\"app\":\"other\"}: "
     "`selector` does not match template `labels`"),
    (DEPLOY.format(replicas=1, label="web", cpu="lots"),
     "spec.template.spec.containers[0].resources.requests[cpu]: Invalid value: \"lots\": "
     "quantities must match the regular expression"),
    (DEPLOY.format(replicas='"two"', label="web", cpu="100m"),
     'Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal string'),
    ("apiVersion: v1\nkind: Pod\nmetadata: {name: Bad_Name}\nspec: {containers: [{name: c, image: x}]}\n",
     'The Pod "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain'),
    ("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c, image: x, "
     "ports: [{containerPort: 70000}]}]}\n",
     "spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive"),
    ("apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {type: Weird, ports: [{port: 80}]}\n",
     'spec.type: Unsupported value: "Weird": supported values: "ClusterIP", "ExternalName", "LoadBalancer", '
     '"NodePort"'),
    ("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c, image: x}], bogus: 1}\n",
     'strict decoding error: unknown field "spec.bogus"'),
], ids=["a negative replica count", "a selector that does not match the template",
        "an unparsable quantity", "a string where an integer belongs", "an invalid object name",
        "a port out of range", "an unsupported enum value", "an unknown field under strict validation"])
@pytest.mark.parametrize("version", ["1.27", "1.33"])
def test_invalid_manifests_are_rejected_as_a_real_server_rejects_them(
        served_module: ServedCluster, manifest: str, expected: str, version: str) -> None:
    p = served_module.kubectl("create", "-f", "-", input=manifest, version=version, check=False)
    assert p.returncode == 1
    assert expected in p.stderr, p.stderr


def test_immutable_fields_cannot_change(served_module: ServedCluster) -> None:
    served_module.kubectl("create", "deployment", "imm", "--image=nginx")
    p = served_module.kubectl("patch", "deployment", "imm", "--type=merge", "-p",
                              '{"spec":{"selector":{"matchLabels":{"app":"x"}},'
                              '"template":{"metadata":{"labels":{"app":"x"}}}}}', check=False)
    assert p.returncode == 1 and "spec.selector" in p.stderr and "field is immutable" in p.stderr
    served_module.kubectl("create", "service", "clusterip", "imm-svc", "--tcp=80:80")
    p = served_module.kubectl("patch", "service", "imm-svc", "--type=merge", "-p",
                              '{"spec":{"clusterIP":"10.96.7.7"}}', check=False)
    assert p.returncode == 1 and "may not change once set" in p.stderr


def test_warn_validation_accepts_and_warns(served_module: ServedCluster) -> None:
    p = served_module.kubectl("create", "--validate=warn", "-f", "-", input=(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: warned}\ndata: {a: b}\nextra: 1\n"))
    assert "configmap/warned created" in p.stdout
    assert 'Warning: unknown field "extra"' in p.stderr
