"""Every installed kubectl (1.27 … 1.33) runs the everyday loop against one cluster:
create -f, apply twice, get, delete."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from e2e_support import make_deployment, write_manifest
from served import KUBECTL_VERSIONS

pytestmark = pytest.mark.kubectl


@pytest.mark.parametrize("version", KUBECTL_VERSIONS)
def test_everyday_loop(served_module: Any, tmp_path: Path, version: str) -> None:
    k = served_module.kubectl
    name = "web-" + version.replace(".", "-")
    ns = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg", "namespace": name},
          "data": {"k": "v"}}
    created = write_manifest(tmp_path, "create.yaml", ns, cm)
    assert k("create", "-f", created, version=version).stdout.splitlines() == [
        f"namespace/{name} created", "configmap/cfg created"]

    d = make_deployment(name, name, replicas=1)
    f = write_manifest(tmp_path, "deploy.yaml", d)
    assert k("apply", "-f", f, version=version).stdout.strip() == \
        f"deployment.apps/{name} created"
    d["spec"]["replicas"] = 2
    f = write_manifest(tmp_path, "deploy.yaml", d)
    assert k("apply", "-f", f, version=version).stdout.strip() == \
        f"deployment.apps/{name} configured"

    out = k("get", "deploy,cm", "-n", name, "-o", "name", version=version).stdout.split()
    assert out == [f"deployment.apps/{name}", "configmap/cfg", "configmap/kube-root-ca.crt"]
    table = k("get", "deploy", name, "-n", name, version=version).stdout.splitlines()
    assert table[0].split() == ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"]
    assert table[1].split()[0] == name and table[1].split()[1].endswith("/2")
    live = json.loads(k("get", "deploy", name, "-n", name, "-o", "json", version=version).stdout)
    assert live["spec"]["replicas"] == 2

    assert k("delete", "-f", f, version=version).stdout.strip() == \
        f'deployment.apps "{name}" deleted'
    assert k("delete", "namespace", name, version=version).stdout.strip() == \
        f'namespace "{name}" deleted'
    p = k("get", "namespace", name, version=version, check=False)
    assert p.returncode == 1
    assert p.stderr.strip() == f'Error from server (NotFound): namespaces "{name}" not found'
