"""minik8s.api.openapi: the v2 stub, the v3 index and per-group-version documents."""

from __future__ import annotations

import asyncio
import json
import os
import pathlib
import shutil
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from minik8s.api import openapi, resources


def make_table() -> resources.ResourceTable:
    return resources.ResourceTable(resources.builtin_resources())


def make_crd_resource(**kw: Any) -> resources.Resource:
    return resources.Resource(group="stable.example.com", versions=("v1",), kind="CronTab",
                              plural="crontabs", singular="crontab", namespaced=True,
                              subresources=(resources.Subresource("status", "CronTab"),),
                              crd="crontabs.stable.example.com", **kw)


def walk(node: Any):
    stack = [node]
    while stack:
        x = stack.pop()
        if isinstance(x, dict):
            yield x
            stack.extend(x.values())
        elif isinstance(x, list):
            stack.extend(x)


# --------------------------------------------------------------------------- v2 and index


def test_v2_is_an_empty_protobuf_document():
    assert openapi.v2_body() == b""
    assert "@" not in openapi.V2_CONTENT_TYPE
    assert openapi.V2_CONTENT_TYPE.endswith("+protobuf")


def test_index_lists_every_served_group_version_with_a_hash():
    index = openapi.v3_index(make_table())
    paths = index["paths"]
    for gv in ("api/v1", "apis/apps/v1", "apis/autoscaling/v1", "apis/autoscaling/v2",
               "apis/settings.k8s.io/v1alpha1"):
        url = paths[gv]["serverRelativeURL"]
        assert url.startswith(f"/openapi/v3/{gv}?hash=")
        assert len(url.split("hash=")[1]) == 128  # SHA-512, upper-case hex


def test_index_hashes_are_stable_and_follow_the_content():
    table = make_table()
    before = openapi.v3_index(table)
    assert openapi.v3_index(make_table()) == before
    table.add(make_crd_resource())
    after = openapi.v3_index(table)
    assert after["paths"]["apis/apps/v1"] == before["paths"]["apis/apps/v1"]
    assert "apis/stable.example.com/v1" in after["paths"]


@pytest.mark.parametrize("path, gv", [
    ("api/v1", ("", "v1")), ("apis/apps/v1", ("apps", "v1")), ("/apis/apps/v1", ("apps", "v1")),
    ("apis/apps", None), ("version", None),
])
def test_group_version_paths_round_trip(path, gv):
    assert openapi.parse_gv_path(path) == gv
    if gv is not None:
        assert openapi.gv_path(*gv) == path.strip("/")


def test_an_unserved_group_version_has_no_document():
    assert openapi.v3_document(make_table(), "apis/nothing.example.com/v1") is None
    assert openapi.v3_document(make_table(), "not/a/gv/path") is None


# --------------------------------------------------------------------------- paths


def test_deployment_patch_carries_gvk_and_field_validation():
    doc = openapi.v3_document(make_table(), "apis/apps/v1")
    patch = doc["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]["patch"]
    assert patch["x-kubernetes-group-version-kind"] == {
        "group": "apps", "version": "v1", "kind": "Deployment"}
    params = {(p["name"], p["in"]) for p in patch["parameters"]}
    assert {("fieldValidation", "query"), ("dryRun", "query"), ("fieldManager", "query"),
            ("force", "query"), ("name", "path"), ("namespace", "path")} <= params
    assert set(patch["requestBody"]["content"]) == {
        "application/apply-patch+yaml", "application/json-patch+json",
        "application/merge-patch+json", "application/strategic-merge-patch+json"}


def test_collection_and_item_paths_follow_the_verbs():
    doc = openapi.v3_document(make_table(), "api/v1")
    paths = doc["paths"]
    assert set(paths["/api/v1/namespaces/{namespace}/pods"]) == {"get", "post", "delete"}
    assert set(paths["/api/v1/namespaces/{namespace}/pods/{name}"]) == {
        "get", "put", "patch", "delete"}
    assert set(paths["/api/v1/pods"]) == {"get"}
    assert paths["/api/v1/pods"]["get"]["operationId"] == "listCoreV1PodForAllNamespaces"
    # services have no deletecollection
    assert set(paths["/api/v1/namespaces/{namespace}/services"]) == {"get", "post"}
    # cluster-scoped
    assert "/api/v1/nodes/{name}" in paths
    assert not any("{namespace}" in p for p in paths if "/nodes" in p)
    # create-only
    assert set(paths["/api/v1/namespaces/{namespace}/bindings"]) == {"post"}


def test_subresources_carry_their_own_kind():
    apps = openapi.v3_document(make_table(), "apis/apps/v1")["paths"]
    scale = apps["/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale"]["patch"]
    assert scale["x-kubernetes-group-version-kind"] == {
        "group": "autoscaling", "version": "v1", "kind": "Scale"}
    core = openapi.v3_document(make_table(), "api/v1")["paths"]
    eviction = core["/api/v1/namespaces/{namespace}/pods/{name}/eviction"]["post"]
    assert eviction["x-kubernetes-group-version-kind"]["kind"] == "Eviction"
    status = core["/api/v1/namespaces/{namespace}/pods/{name}/status"]
    assert set(status) == {"get", "put", "patch"}


def test_list_operations_name_the_kind_not_the_list():
    doc = openapi.v3_document(make_table(), "apis/apps/v1")
    op = doc["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments"]["get"]
    assert op["x-kubernetes-group-version-kind"]["kind"] == "Deployment"
    schema = op["responses"]["200"]["content"]["application/json"]["schema"]
    assert schema["$ref"].endswith("io.k8s.api.apps.v1.DeploymentList")


# --------------------------------------------------------------------------- components


def test_components_hold_every_referenced_schema():
    for gv in ("api/v1", "apis/apps/v1", "apis/settings.k8s.io/v1alpha1"):
        doc = openapi.v3_document(make_table(), gv)
        names = set(doc["components"]["schemas"])
        refs = {d["$ref"] for d in walk(doc) if isinstance(d.get("$ref"), str)}
        assert {r.removeprefix("#/components/schemas/") for r in refs} <= names


def test_kinds_carry_their_group_version_kind():
    schemas = openapi.v3_document(make_table(), "apis/autoscaling/v1")["components"]["schemas"]
    hpa = schemas["io.k8s.api.autoscaling.v1.HorizontalPodAutoscaler"]
    assert hpa["x-kubernetes-group-version-kind"] == [
        {"group": "autoscaling", "kind": "HorizontalPodAutoscaler", "version": "v1"}]
    assert "io.k8s.api.autoscaling.v2.HorizontalPodAutoscaler" not in schemas


def test_no_type_is_a_list_in_openapi_3():
    doc = openapi.v3_document(make_table(), "api/v1")
    schemas = doc["components"]["schemas"]
    for d in walk(schemas):
        assert not isinstance(d.get("type"), list)
    assert schemas["io.k8s.api.core.v1.PodSpec"]["properties"]["nodeName"]["type"] == "string"


def test_struct_refs_use_the_all_of_form():
    schemas = openapi.v3_document(make_table(), "api/v1")["components"]["schemas"]
    spec = schemas["io.k8s.api.core.v1.Pod"]["properties"]["spec"]
    assert spec["allOf"] == [{"$ref": "#/components/schemas/io.k8s.api.core.v1.PodSpec"}]
    assert spec["default"] == {}
    assert spec["description"]


def test_int_or_string_and_quantity_are_int_or_string():
    schemas = openapi.v3_document(make_table(), "apis/apps/v1")["components"]["schemas"]
    for name in ("io.k8s.apimachinery.pkg.util.intstr.IntOrString",
                 "io.k8s.apimachinery.pkg.api.resource.Quantity"):
        assert schemas[name]["x-kubernetes-int-or-string"] is True
        assert schemas[name]["anyOf"] == [{"type": "integer"}, {"type": "string"}]


# --------------------------------------------------------------------------- caching and CRDs


def test_documents_are_cached_per_table_generation():
    table = make_table()
    first = openapi.v3_document(table, "apis/apps/v1")
    assert openapi.v3_document(table, "apis/apps/v1") is first
    table.add(make_crd_resource())
    assert openapi.v3_document(table, "apis/apps/v1") is not first
    assert json.loads(openapi.v3_document_bytes(table, "apis/apps/v1")) == first


def test_custom_resources_take_their_schema_from_the_provider():
    table = make_table()
    table.add(make_crd_resource())
    seen = []

    def provider(res: resources.Resource, version: str) -> dict[str, Any]:
        seen.append((res.kind, version))
        return {"type": "object", "description": "A cron tab.", "properties": {
            "spec": {"type": "object", "properties": {"cronSpec": {"type": "string"}}}}}

    doc = openapi.v3_document(table, "apis/stable.example.com/v1", provider)
    assert seen == [("CronTab", "v1")]
    schemas = doc["components"]["schemas"]
    crontab = schemas["com.example.stable.v1.CronTab"]
    assert crontab["x-kubernetes-group-version-kind"] == [
        {"group": "stable.example.com", "version": "v1", "kind": "CronTab"}]
    assert set(crontab["properties"]) == {"apiVersion", "kind", "metadata", "spec"}
    assert "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta" in schemas
    assert "com.example.stable.v1.CronTabList" in schemas
    patch = doc["paths"]["/apis/stable.example.com/v1/namespaces/{namespace}/crontabs/{name}"]
    assert "application/strategic-merge-patch+json" not in patch["patch"]["requestBody"]["content"]
    status = doc["paths"][
        "/apis/stable.example.com/v1/namespaces/{namespace}/crontabs/{name}/status"]["get"]
    assert status["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/com.example.stable.v1.CronTab"}


def test_custom_resources_without_a_schema_preserve_unknown_fields():
    table = make_table()
    table.add(make_crd_resource())
    doc = openapi.v3_document(table, "apis/stable.example.com/v1")
    crontab = doc["components"]["schemas"]["com.example.stable.v1.CronTab"]
    assert crontab["x-kubernetes-preserve-unknown-fields"] is True


def test_a_removed_crd_leaves_the_index():
    table = make_table()
    res = make_crd_resource()
    table.add(res)
    table.remove(res.key)
    assert "apis/stable.example.com/v1" not in openapi.v3_index(table)["paths"]


# --------------------------------------------------------------------------- kubectl

STUBS = pathlib.Path(__file__).resolve().parents[3] / "shared" / "docs" / "kubectl-stubs"
_KUBECTL = shutil.which("kubectl")
KUBECTL_DIR = pathlib.Path(os.path.realpath(_KUBECTL)).parent if _KUBECTL else None


def _discovery(stub: str, request: web.Request) -> web.Response:
    accept = request.headers.get("Accept", "")
    version = "v2" if "v=v2;" in accept else "v2beta1" if "v=v2beta1" in accept else None
    if version is None:
        return web.Response(status=406)
    data = json.loads((STUBS / stub).read_text())
    data["apiVersion"] = f"apidiscovery.k8s.io/{version}"
    return web.Response(body=json.dumps(data), headers={
        "Content-Type": f"application/json;g=apidiscovery.k8s.io;v={version};"
                        "as=APIGroupDiscoveryList"})


def make_app(table: resources.ResourceTable) -> web.Application:
    """Just enough of an API server for ``kubectl explain``."""

    async def handle(request: web.Request) -> web.StreamResponse:
        path = request.path
        if path == "/api":
            return _discovery("aggregated-api.json", request)
        if path == "/apis":
            return _discovery("aggregated-apis.json", request)
        if path == "/openapi/v2":
            return web.Response(body=openapi.v2_body(),
                                headers={"Content-Type": openapi.V2_CONTENT_TYPE})
        if path == "/openapi/v3":
            return web.json_response(openapi.v3_index(table))
        if path.startswith("/openapi/v3/"):
            body = openapi.v3_document_bytes(table, path.removeprefix("/openapi/v3/"))
            if body is not None:
                return web.Response(body=body, content_type="application/json")
        return web.json_response({"kind": "Status", "apiVersion": "v1", "status": "Failure",
                                  "reason": "NotFound", "code": 404}, status=404)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)
    return app


async def run_kubectl(version: str, args: list[str], tmp_path: pathlib.Path) -> str:
    assert KUBECTL_DIR is not None
    binary = KUBECTL_DIR / f"kubectl.{version}"
    if not binary.exists():
        pytest.skip(f"{binary.name} not installed")
    server = TestServer(make_app(make_table()), host="127.0.0.1")
    await server.start_server()
    try:
        kubeconfig = tmp_path / "kubeconfig"
        kubeconfig.write_text(json.dumps({
            "apiVersion": "v1", "kind": "Config", "current-context": "t",
            "clusters": [{"name": "t", "cluster": {"server": str(server.make_url(""))}}],
            "contexts": [{"name": "t", "context": {"cluster": "t", "user": "t"}}],
            "users": [{"name": "t", "user": {}}],
        }))
        proc = await asyncio.create_subprocess_exec(
            str(binary), *args, "--kubeconfig", str(kubeconfig),
            "--cache-dir", str(tmp_path / "cache"),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
        out, _ = await asyncio.wait_for(proc.communicate(), 60)
        assert proc.returncode == 0, out.decode()
        return out.decode()
    finally:
        await server.close()


@pytest.mark.kubectl
@pytest.mark.skipif(KUBECTL_DIR is None or not STUBS.is_dir(),
                    reason="needs the kubectl binaries and the discovery stubs")
async def test_kubectl_133_explains_pod_containers(tmp_path):
    out = await run_kubectl("1.33", ["explain", "pod.spec.containers"], tmp_path)
    assert "KIND:       Pod" in out
    assert "FIELD: containers <[]Container>" in out
    assert "List of containers belonging to the pod." in out
    assert "env\t<[]EnvVar>" in out


@pytest.mark.kubectl
@pytest.mark.skipif(KUBECTL_DIR is None or not STUBS.is_dir(),
                    reason="needs the kubectl binaries and the discovery stubs")
async def test_kubectl_127_explains_deployment_spec_after_an_empty_v2(tmp_path):
    out = await run_kubectl("1.27", ["explain", "deployment.spec"], tmp_path)
    assert "GROUP:      apps" in out
    assert "FIELD: spec <DeploymentSpec>" in out
    assert "strategy\t<DeploymentStrategy>" in out
    assert "Number of desired pods." in out


@pytest.mark.kubectl
@pytest.mark.skipif(KUBECTL_DIR is None or not STUBS.is_dir(),
                    reason="needs the kubectl binaries and the discovery stubs")
async def test_kubectl_shows_int_or_string_and_quantity_types(tmp_path):
    out = await run_kubectl("1.30", ["explain", "pod.spec.containers.resources"], tmp_path)
    assert "limits\t<map[string]Quantity>" in out
    out = await run_kubectl("1.30", ["explain", "deploy.spec.strategy.rollingUpdate"],
                            tmp_path)
    assert "maxSurge\t<IntOrString>" in out
