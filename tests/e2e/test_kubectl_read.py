"""kubectl reads against a served cluster: get in every output format, selectors, paging,
describe, discovery-driven commands (api-resources, explain, version) and read errors.

One cluster per module, populated once; nothing here writes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from e2e_support import (
    EDGE_VERSIONS,
    PROTOBUF_VERSIONS,
    make_deployment,
    make_pod,
    names_of,
    table_rows,
)

pytestmark = pytest.mark.kubectl
edge = pytest.mark.parametrize("version", EDGE_VERSIONS)

POD_NAMES = [f"p{i}" for i in range(5)]


@pytest.fixture(scope="module")
def cluster(served_module: Any) -> Iterator[Any]:
    c = served_module.client
    for i, name in enumerate(POD_NAMES):
        served_module.run(c.create, make_pod(name, labels={"app": "web" if i % 2 else "db",
                                                            "tier": str(i)}))
    served_module.run(c.create, {"apiVersion": "v1", "kind": "Namespace",
                                 "metadata": {"name": "team"}})
    served_module.run(c.create, make_pod("other", "team", labels={"app": "web"}))
    served_module.run(c.create, make_deployment("web"))
    yield served_module


# ------------------------------------------------------------------ get: output formats

@edge
def test_get_prints_the_pod_table(cluster: Any, version: str) -> None:
    rows = table_rows(cluster.kubectl("get", "pods", version=version).stdout)
    assert rows[0] == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    assert [r[0] for r in rows[1:]] == POD_NAMES
    for r in rows[1:]:
        assert re.fullmatch(r"\d+/1", r[1]) and r[3] == "0" and re.fullmatch(r"\d+[smh]", r[4])


@edge
def test_get_wide_adds_the_priority_one_columns(cluster: Any, version: str) -> None:
    header = table_rows(cluster.kubectl("get", "pods", "-o", "wide", version=version).stdout)[0]
    assert header == ["NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP", "NODE",
                      "NOMINATED NODE", "READINESS GATES"]


@edge
def test_get_wide_nodes_shows_addresses_and_runtime(cluster: Any, version: str) -> None:
    rows = table_rows(cluster.kubectl("get", "nodes", "-o", "wide", version=version).stdout)
    assert rows[0][:7] == ["NAME", "STATUS", "ROLES", "AGE", "VERSION", "INTERNAL-IP",
                           "EXTERNAL-IP"]
    by_name = {r[0]: r for r in rows[1:]}
    assert set(by_name) == {"minik8s-control-plane", "minik8s-worker", "minik8s-worker2"}
    assert by_name["minik8s-control-plane"][2] == "control-plane"
    assert by_name["minik8s-worker"][1] == "Ready"


@edge
def test_get_yaml_of_one_pod_is_the_stored_object(cluster: Any, version: str) -> None:
    obj = yaml.safe_load(cluster.kubectl("get", "pod", "p1", "-o", "yaml", version=version).stdout)
    assert obj["kind"] == "Pod" and obj["apiVersion"] == "v1"
    assert obj["metadata"]["labels"] == {"app": "web", "tier": "1"}
    assert obj["metadata"]["uid"] and obj["metadata"]["resourceVersion"]
    assert obj["spec"]["containers"][0]["image"] == "nginx:1.25"


@edge
def test_get_json_of_a_list_is_a_kubectl_list(cluster: Any, version: str) -> None:
    import json

    out = json.loads(cluster.kubectl("get", "pods", "-o", "json", version=version).stdout)
    assert out["kind"] == "List"
    assert [i["metadata"]["name"] for i in out["items"]] == POD_NAMES
    assert all(i["kind"] == "Pod" and i["apiVersion"] == "v1" for i in out["items"])


@edge
def test_get_name(cluster: Any, version: str) -> None:
    out = cluster.kubectl("get", "pods,deployments", "-o", "name", version=version).stdout
    assert out.split() == [f"pod/{n}" for n in POD_NAMES] + ["deployment.apps/web"]


@edge
def test_get_jsonpath(cluster: Any, version: str) -> None:
    tmpl = '{range .items[*]}{.metadata.name}={.metadata.labels.app}{"\\n"}{end}'
    out = cluster.kubectl("get", "pods", "-o", f"jsonpath={tmpl}", version=version).stdout
    assert out.splitlines() == ["p0=db", "p1=web", "p2=db", "p3=web", "p4=db"]


@edge
def test_get_custom_columns(cluster: Any, version: str) -> None:
    out = cluster.kubectl("get", "pods", "-o",
                          "custom-columns=NAME:.metadata.name,IMAGE:.spec.containers[0].image,"
                          "TIER:.metadata.labels.tier", version=version).stdout
    rows = table_rows(out)
    assert rows[0] == ["NAME", "IMAGE", "TIER"]
    assert rows[1:] == [[n, "nginx:1.25", n[1]] for n in POD_NAMES]


@edge
def test_get_show_labels(cluster: Any, version: str) -> None:
    rows = table_rows(cluster.kubectl("get", "pods", "--show-labels", version=version).stdout)
    assert rows[0][-1] == "LABELS"
    assert rows[2][0] == "p1" and rows[2][-1] == "app=web,tier=1"


@edge
def test_get_label_columns(cluster: Any, version: str) -> None:
    rows = table_rows(cluster.kubectl("get", "pods", "-L", "app", "-L", "tier",
                                      version=version).stdout)
    assert rows[0][-2:] == ["APP", "TIER"]
    assert [r[-2:] for r in rows[1:]] == [["db", "0"], ["web", "1"], ["db", "2"], ["web", "3"],
                                          ["db", "4"]]


@edge
def test_get_all_namespaces_adds_the_namespace_column(cluster: Any, version: str) -> None:
    rows = table_rows(cluster.kubectl("get", "pods", "-A", version=version).stdout)
    assert rows[0][:2] == ["NAMESPACE", "NAME"]
    assert [r[:2] for r in rows[1:]] == [["default", n] for n in POD_NAMES] + [["team", "other"]]


@edge
@pytest.mark.parametrize("output", [[], ["-o", "name"], ["-A"]], ids=["table", "name", "all-ns"])
def test_get_chunk_size_pages_through_continue_tokens(cluster: Any, version: str,
                                                      output: list[str]) -> None:
    p = cluster.kubectl("get", "pods", "--chunk-size=2", "-v=6", *output, version=version)
    assert p.stderr.count("continue=") >= 2, p.stderr  # really paged
    lines = p.stdout.split("\n")
    if output == ["-o", "name"]:
        assert names_of(p.stdout) == POD_NAMES
        return
    rows = table_rows(p.stdout)
    assert sum(1 for line in lines if "NAME" in line) == 1  # one header across pages
    names = [r[1] if output == ["-A"] else r[0] for r in rows[1:]]
    expected = POD_NAMES + (["other"] if output == ["-A"] else [])
    assert names == expected


SELECTORS = [
    ("app in (web)", ["p1", "p3"]),
    ("app notin (web)", ["p0", "p2", "p4"]),
    ("app in (web,db),tier notin (0,1)", ["p2", "p3", "p4"]),
    ("!missing", POD_NAMES),
    ("tier", POD_NAMES),
    ("app=web,tier!=1", ["p3"]),
    ("app==db", ["p0", "p2", "p4"]),
]


@edge
@pytest.mark.parametrize("selector,expected", SELECTORS, ids=[s for s, _ in SELECTORS])
def test_label_selectors(cluster: Any, version: str, selector: str, expected: list[str]) -> None:
    out = cluster.kubectl("get", "pods", "-l", selector, "-o", "name", version=version).stdout
    assert names_of(out) == expected


@edge
def test_label_selector_that_matches_nothing_says_so_on_stderr(cluster: Any, version: str) -> None:
    p = cluster.kubectl("get", "pods", "-l", "!app", version=version)
    assert p.stdout == ""
    assert p.stderr.strip() == "No resources found in default namespace."


@edge
def test_malformed_label_selector_is_a_bad_request(cluster: Any, version: str) -> None:
    p = cluster.kubectl("get", "pods", "-l", "app in (web", version=version, check=False)
    assert p.returncode == 1
    assert p.stderr.startswith("Error from server (BadRequest):")
    assert "unable to parse requirement" in p.stderr


FIELD_SELECTORS = [
    ("metadata.name=p3", ["p3"]),
    ("metadata.name!=p0", ["p1", "p2", "p3", "p4"]),
    ("metadata.namespace=default,metadata.name!=p4", ["p0", "p1", "p2", "p3"]),
    ("spec.restartPolicy=Always", POD_NAMES),
    ("spec.restartPolicy=Never", []),
]


@edge
@pytest.mark.parametrize("selector,expected", FIELD_SELECTORS, ids=[s for s, _ in FIELD_SELECTORS])
def test_field_selectors(cluster: Any, version: str, selector: str, expected: list[str]) -> None:
    out = cluster.kubectl("get", "pods", "--field-selector", selector, "-o", "name",
                          version=version).stdout
    assert names_of(out) == expected


@edge
def test_unsupported_field_label_is_a_bad_request(cluster: Any, version: str) -> None:
    p = cluster.kubectl("get", "pods", "--field-selector", "spec.foo=bar", version=version,
                        check=False)
    assert p.returncode == 1
    assert p.stderr.startswith("Error from server (BadRequest):")
    assert "field label not supported: spec.foo" in p.stderr


# ------------------------------------------------------------------ describe

@edge
def test_describe_pod(cluster: Any, version: str) -> None:
    out = cluster.kubectl("describe", "pod", "p1", version=version).stdout
    fields = dict(re.findall(r"^([A-Z][\w ]+):\s+(.*)$", out, re.MULTILINE))
    assert fields["Name"] == "p1"
    assert fields["Namespace"] == "default"
    assert fields["Service Account"] == "default"
    assert fields["QoS Class"] == "BestEffort"
    assert "app=web" in out and "tier=1" in out
    assert re.search(r"^Containers:\n  c:\n(    .*\n)*?    Image:\s+nginx:1.25$", out, re.MULTILINE)
    assert re.search(r"^Events:", out, re.MULTILINE)


@edge
def test_describe_missing_pod(cluster: Any, version: str) -> None:
    p = cluster.kubectl("describe", "pod", "nope", version=version, check=False)
    assert p.returncode == 1
    assert p.stderr.strip() == 'Error from server (NotFound): pods "nope" not found'


# ------------------------------------------------------------------ errors on read

@edge
def test_get_missing_pod_is_not_found(cluster: Any, version: str) -> None:
    p = cluster.kubectl("get", "pod", "nope", version=version, check=False)
    assert p.returncode == 1
    assert p.stdout == ""
    assert p.stderr.strip() == 'Error from server (NotFound): pods "nope" not found'


@edge
def test_get_missing_deployment_names_the_group(cluster: Any, version: str) -> None:
    p = cluster.kubectl("get", "deploy", "nope", version=version, check=False)
    assert p.returncode == 1
    assert p.stderr.strip() == \
        'Error from server (NotFound): deployments.apps "nope" not found'


@edge
def test_get_unknown_resource_type(cluster: Any, version: str) -> None:
    p = cluster.kubectl("get", "flurbs", version=version, check=False)
    assert p.returncode == 1
    assert p.stderr.strip() == 'error: the server doesn\'t have a resource type "flurbs"'


@edge
def test_get_in_missing_namespace_is_empty(cluster: Any, version: str) -> None:
    p = cluster.kubectl("get", "pods", "-n", "nowhere", version=version)
    assert p.stderr.strip() == "No resources found in nowhere namespace."


@edge
@pytest.mark.parametrize("resource,warning", [
    ("endpoints", "v1 Endpoints is deprecated in v1.33+; use discovery.k8s.io/v1 EndpointSlice"),
    ("componentstatuses", "v1 ComponentStatus is deprecated in v1.19+"),
], ids=["endpoints", "componentstatuses"])
def test_deprecated_apis_warn(cluster: Any, version: str, resource: str, warning: str) -> None:
    p = cluster.kubectl("get", resource, "-A", version=version)
    assert p.stderr.strip() == f"Warning: {warning}"
    assert p.stdout.startswith("NAMESPACE") or p.stdout.startswith("NAME")
    assert cluster.kubectl("get", "pods", version=version).stderr == ""


# ------------------------------------------------------------------ discovery-driven commands

@edge
def test_api_resources_lists_deployments(cluster: Any, version: str) -> None:
    out = cluster.kubectl("api-resources", version=version).stdout
    assert re.search(r"^deployments\s+deploy\s+apps/v1\s+true\s+Deployment$", out, re.MULTILINE)
    assert re.search(r"^pods\s+po\s+v1\s+true\s+Pod$", out, re.MULTILINE)
    assert re.search(r"^nodes\s+no\s+v1\s+false\s+Node$", out, re.MULTILINE)
    # only the preferred version of a group, subresources never
    assert re.search(r"^horizontalpodautoscalers\s+hpa\s+autoscaling/v2\s+", out, re.MULTILINE)
    assert "pods/status" not in out


@edge
def test_api_versions(cluster: Any, version: str) -> None:
    out = cluster.kubectl("api-versions", version=version).stdout.split()
    assert {"v1", "apps/v1", "autoscaling/v1", "autoscaling/v2", "batch/v1"} <= set(out)


@edge
def test_version_reports_server_1_33(cluster: Any, version: str) -> None:
    p = cluster.kubectl("version", version=version)
    server = [line for line in p.stdout.splitlines() if line.startswith("Server Version:")]
    assert len(server) == 1
    if version == "1.27":  # 1.27 still prints the Go struct by default
        assert 'GitVersion:"v1.33.' in server[0]
        assert "exceeds the supported minor version skew" in p.stderr
    else:
        assert re.fullmatch(r"Server Version: v1\.33\.\S+", server[0])


@edge
def test_get_raw_readyz(cluster: Any, version: str) -> None:
    assert cluster.kubectl("get", "--raw", "/readyz", version=version).stdout == "ok"
    verbose = cluster.kubectl("get", "--raw", "/readyz?verbose", version=version).stdout
    assert "[+]ping ok" in verbose and verbose.rstrip().endswith("readyz check passed")


@edge
def test_get_raw_of_a_missing_object(cluster: Any, version: str) -> None:
    p = cluster.kubectl("get", "--raw", "/api/v1/namespaces/default/pods/nope", version=version,
                        check=False)
    assert p.returncode == 1
    assert p.stderr.strip() == 'Error from server (NotFound): pods "nope" not found'


@edge
def test_explain_deployment_strategy(cluster: Any, version: str) -> None:
    out = cluster.kubectl("explain", "deployment.spec.strategy", version=version).stdout
    assert re.search(r"^KIND:\s+Deployment$", out, re.MULTILINE)
    assert re.search(r"^VERSION:\s+v1$", out, re.MULTILINE)
    assert re.search(r"^FIELD: strategy <DeploymentStrategy>$", out, re.MULTILINE)
    assert re.search(r"^  rollingUpdate\t<RollingUpdateDeployment>$", out, re.MULTILINE)
    assert re.search(r"^  type\t<string>$", out, re.MULTILINE)


@edge
def test_explain_unknown_field(cluster: Any, version: str) -> None:
    p = cluster.kubectl("explain", "deployment.spec.nope", version=version, check=False)
    assert p.returncode == 1
    assert 'field "nope" does not exist' in p.stderr


@pytest.mark.parametrize("version", sorted({*EDGE_VERSIONS, *PROTOBUF_VERSIONS}))
def test_auth_can_i(cluster: Any, version: str) -> None:
    p = cluster.kubectl("auth", "can-i", "create", "pods", version=version)
    assert p.stdout.strip() == "yes"
    p = cluster.kubectl("auth", "can-i", "delete", "nodes", version=version)
    assert p.stdout.strip() == "yes"
