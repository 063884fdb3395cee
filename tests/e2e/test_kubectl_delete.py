"""kubectl delete against a served cluster: plain deletes, cascading policies through the
garbage collector, server dry-run, namespaces with contents, and drain (eviction).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from e2e_support import (
    EDGE_VERSIONS,
    NO_SCHEDULER,
    eventually,
    make_deployment,
    make_pod,
    make_replicaset,
    write_manifest,
)

pytestmark = pytest.mark.kubectl
edge = pytest.mark.parametrize("version", EDGE_VERSIONS)


def get(served: Any, api_version: str, kind: str, name: str, ns: str = "default") -> Any:
    return served.run(served.client.get_or_none, api_version, kind, name, ns)


def deployment_with_replicaset(served: Any) -> tuple[Any, Any]:
    d = served.run(served.client.create, make_deployment("web"))
    rs = served.run(served.client.create, make_replicaset("web-rs", d))
    return d, rs


@edge
def test_delete_pod(served: Any, version: str) -> None:
    served.run(served.client.create, make_pod("p1"))
    p = served.kubectl("delete", "pod", "p1", version=version)
    assert p.stdout.strip() == 'pod "p1" deleted'
    assert get(served, "v1", "Pod", "p1") is None


@edge
def test_delete_missing_pod(served: Any, version: str) -> None:
    p = served.kubectl("delete", "pod", "nope", version=version, check=False)
    assert p.returncode == 1
    assert p.stderr.strip() == 'Error from server (NotFound): pods "nope" not found'
    p = served.kubectl("delete", "pod", "nope", "--ignore-not-found", version=version)
    assert p.stdout == "" and p.stderr == ""


@edge
def test_delete_by_label_selector_and_file(served: Any, tmp_path: Path, version: str) -> None:
    for i in range(3):
        served.run(served.client.create, make_pod(f"p{i}", labels={"app": "x" if i else "y"}))
    p = served.kubectl("delete", "pods", "-l", "app=x", version=version)
    assert sorted(p.stdout.splitlines()) == ['pod "p1" deleted', 'pod "p2" deleted']
    assert get(served, "v1", "Pod", "p0") is not None
    f = write_manifest(tmp_path, "p0.yaml", make_pod("p0"))
    assert served.kubectl("delete", "-f", f, version=version).stdout.strip() == \
        'pod "p0" deleted'
    assert served.run(served.client.list, "v1", "Pod", "default").items == []


@edge
@pytest.mark.parametrize("cascade", ["background", "foreground"])
def test_cascading_delete_removes_dependents(served: Any, version: str, cascade: str) -> None:
    deployment_with_replicaset(served)
    p = served.kubectl("delete", "deploy", "web", f"--cascade={cascade}", version=version)
    assert p.stdout.strip() == 'deployment.apps "web" deleted'
    assert get(served, "apps/v1", "Deployment", "web") is None  # kubectl waited for it
    served.settle()
    eventually(lambda: get(served, "apps/v1", "ReplicaSet", "web-rs") is None)


@edge
def test_orphan_delete_keeps_dependents_without_owner(served: Any, version: str) -> None:
    _, rs = deployment_with_replicaset(served)
    p = served.kubectl("delete", "deploy", "web", "--cascade=orphan", version=version)
    assert p.stdout.strip() == 'deployment.apps "web" deleted'
    assert get(served, "apps/v1", "Deployment", "web") is None
    served.settle()
    left = get(served, "apps/v1", "ReplicaSet", "web-rs")
    assert left is not None and left["metadata"]["uid"] == rs["metadata"]["uid"]
    assert "ownerReferences" not in left["metadata"]


@edge
def test_foreground_delete_without_wait_shows_the_pending_owner(served: Any,
                                                                version: str) -> None:
    d = served.run(served.client.create, make_deployment("web"))
    rs = make_replicaset("web-rs", d)
    rs["metadata"]["finalizers"] = ["example.com/hold"]  # keeps the dependent, so the owner waits
    served.run(served.client.create, rs)
    p = served.kubectl("delete", "deploy", "web", "--cascade=foreground", "--wait=false",
                       version=version)
    assert p.stdout.strip() == 'deployment.apps "web" deleted'
    served.settle()
    owner = get(served, "apps/v1", "Deployment", "web")
    assert owner["metadata"]["deletionTimestamp"]
    assert owner["metadata"]["finalizers"] == ["foregroundDeletion"]
    # releasing the dependent lets the owner go
    served.kubectl("patch", "rs", "web-rs", "--type", "merge", "-p",
                   '{"metadata":{"finalizers":null}}', version=version)
    served.settle()
    eventually(lambda: get(served, "apps/v1", "Deployment", "web") is None)
    assert get(served, "apps/v1", "ReplicaSet", "web-rs") is None


@edge
def test_delete_dry_run_server_keeps_the_object(served: Any, version: str) -> None:
    pod = served.run(served.client.create, make_pod("p1", scheduler=NO_SCHEDULER))
    p = served.kubectl("delete", "pod", "p1", "--dry-run=server", version=version)
    assert p.stdout.strip() == 'pod "p1" deleted (server dry run)'
    live = get(served, "v1", "Pod", "p1")
    assert live["metadata"]["resourceVersion"] == pod["metadata"]["resourceVersion"]
    assert "deletionTimestamp" not in live["metadata"]


@edge
def test_delete_namespace_deletes_its_contents(served: Any, version: str) -> None:
    served.kubectl("create", "namespace", "tmp", version=version)
    served.run(served.client.create, make_pod("p", "tmp"))
    served.run(served.client.create, make_deployment("web", "tmp"))
    served.kubectl("create", "configmap", "cm", "-n", "tmp", "--from-literal=a=b",
                   version=version)
    p = served.kubectl("delete", "namespace", "tmp", version=version, timeout=30)
    assert p.stdout.strip() == 'namespace "tmp" deleted'
    assert get(served, "v1", "Namespace", "tmp", "") is None
    for api_version, kind in (("v1", "Pod"), ("apps/v1", "Deployment"), ("v1", "ConfigMap"),
                              ("v1", "ServiceAccount")):
        assert served.run(served.client.list, api_version, kind, "tmp").items == []
    p = served.kubectl("get", "namespace", "tmp", version=version, check=False)
    assert p.stderr.strip() == 'Error from server (NotFound): namespaces "tmp" not found'


@edge
def test_delete_immortal_namespace_is_forbidden(served: Any, version: str) -> None:
    p = served.kubectl("delete", "namespace", "default", version=version, check=False)
    assert p.returncode == 1
    assert p.stderr.strip() == ('Error from server (Forbidden): namespaces "default" is '
                                "forbidden: this namespace may not be deleted")


@edge
def test_drain_evicts_the_pods_bound_to_the_node(served: Any, version: str) -> None:
    c = served.client
    for name in ("a", "b"):
        served.run(c.create, make_pod(name, scheduler=NO_SCHEDULER))
        served.run(c.bind, "default", name, "minik8s-worker")
    served.run(c.create, make_pod("elsewhere", scheduler=NO_SCHEDULER))
    served.run(c.bind, "default", "elsewhere", "minik8s-worker2")
    # graceful eviction: the simulated kubelet confirms each pod's termination
    p = served.kubectl("drain", "minik8s-worker", "--ignore-daemonsets", "--force",
                       "--timeout=30s", version=version, timeout=60)
    lines = p.stdout.splitlines()
    assert lines[0] == "node/minik8s-worker cordoned"
    assert {"pod/a evicted", "pod/b evicted"} <= set(lines)
    assert lines[-1] == "node/minik8s-worker drained"
    assert "Warning: deleting Pods that declare no controller: default/a, default/b" in p.stderr
    left = [o["metadata"]["name"] for o in served.run(c.list, "v1", "Pod", "default").items]
    assert left == ["elsewhere"]
    assert get(served, "v1", "Node", "minik8s-worker", "")["spec"]["unschedulable"] is True


@edge
def test_drain_without_force_refuses_unmanaged_pods(served: Any, version: str) -> None:
    served.run(served.client.create, make_pod("a", scheduler=NO_SCHEDULER))
    served.run(served.client.bind, "default", "a", "minik8s-worker")
    p = served.kubectl("drain", "minik8s-worker", "--ignore-daemonsets", version=version,
                       check=False)
    assert p.returncode == 1
    assert "no controller (use --force to override): default/a" in p.stderr
    assert get(served, "v1", "Pod", "a") is not None
