"""kubectl and the StatefulSet controller on a served cluster (real clock): scenario S6.

The cassandra example: a headless Service and a StatefulSet of 3 with a volume claim
template. ``kubectl get pods`` shows cassandra-0..2, ``kubectl get pvc`` their claims,
``kubectl delete pod cassandra-2`` brings the pod back under the same name with the same
claim. Pods run through the scheduler and simulated kubelet where those exist; ``StandIn``
does the missing part (binding, or running) as a component on the cluster's own loop.
"""

from __future__ import annotations

import importlib.util
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from e2e_support import table_rows, write_manifest

from minik8s.api import errors

pytestmark = pytest.mark.kubectl

NS = "default"
HAS_SCHEDULER = importlib.util.find_spec("minik8s.scheduler.scheduler") is not None
HAS_KUBELET = importlib.util.find_spec("minik8s.sim.kubelet") is not None

CASSANDRA = """\
apiVersion: v1
kind: Service
metadata:
  name: cassandra
  labels: {app: cassandra}
spec:
  clusterIP: None
  ports:
  - port: 9042
  selector: {app: cassandra}
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: cassandra
  labels: {app: cassandra}
spec:
  serviceName: cassandra
  replicas: 3
  selector:
    matchLabels: {app: cassandra}
  template:
    metadata:
      labels: {app: cassandra}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: cassandra
        image: gcr.io/google-samples/cassandra:v13
        ports:
        - {containerPort: 9042, name: cql}
        volumeMounts:
        - {name: cassandra-data, mountPath: /cassandra_data}
  volumeClaimTemplates:
  - metadata:
      name: cassandra-data
    spec:
      accessModes: [ReadWriteOnce]
      resources:
        requests: {storage: 8Gi}
"""


# --- the stand-in for the parts not built yet ---------------------------------------------------


def _pinned(pod: dict[str, Any]) -> str | None:
    aff = ((pod["spec"].get("affinity") or {}).get("nodeAffinity") or {}).get(
        "requiredDuringSchedulingIgnoredDuringExecution") or {}
    for term in aff.get("nodeSelectorTerms") or ():
        for f in term.get("matchFields") or ():
            if f.get("key") == "metadata.name" and f.get("operator") == "In":
                return str(f["values"][0])
    return None


def _select_node_for_claims(client: Any, pod: dict[str, Any], node: str) -> None:
    """What the scheduler's VolumeBinding step does for WaitForFirstConsumer claims."""
    for v in pod["spec"].get("volumes") or ():
        claim = (v.get("persistentVolumeClaim") or {}).get("claimName")
        if claim:
            client.patch("v1", "PersistentVolumeClaim", claim, {"metadata": {"annotations": {
                "volume.kubernetes.io/selected-node": node}}}, pod["metadata"]["namespace"])


def install_stand_in(cluster: Any) -> None:
    """Bind pending pods when there is no scheduler (daemon pods to their pinned node);
    run them and finish their termination when there is no kubelet."""
    if HAS_SCHEDULER and HAS_KUBELET:
        return
    pods = cluster.informers.informer("v1", "pods")
    client, clock = cluster.client, cluster.clock

    def reconcile(key: tuple[str, str]) -> None:
        pod = pods.get(*key)
        if pod is None:
            return
        ns, name = key
        try:
            if pod["metadata"].get("deletionTimestamp"):
                if not HAS_KUBELET:
                    client.delete("v1", "Pod", name, ns, grace_period_seconds=0)
            elif not pod["spec"].get("nodeName"):
                if not HAS_SCHEDULER:
                    node = _pinned(pod) or "minik8s-worker"
                    _select_node_for_claims(client, pod, node)
                    client.bind(ns, name, node)
            elif not HAS_KUBELET and (pod.get("status") or {}).get("phase") == "Pending":
                new = client.get("v1", "Pod", name, ns)
                now = clock.rfc3339()
                new["status"].update({"phase": "Running", "conditions": [
                    {"type": "Ready", "status": "True", "lastTransitionTime": now}],
                    "containerStatuses": [
                        {"name": c["name"], "ready": True, "restartCount": 0, "image": c["image"],
                         "imageID": "", "started": True, "state": {"running": {"startedAt": now}}}
                        for c in new["spec"]["containers"]]})
                client.update_status(new)
        except errors.NotFound:
            pass

    ctrl = cluster.manager.add("stand-in", reconcile)
    pods.add_handler(lambda et, o, old: ctrl.enqueue((o["metadata"]["namespace"],
                                                      o["metadata"]["name"]))
                     if et != "DELETED" else None)


@pytest.fixture
def cluster(served: Any) -> Any:
    served.run(install_stand_in, served.cluster)
    return served


def poll(fn: Callable[[], Any], timeout: float = 30.0) -> Any:
    end = time.monotonic() + timeout
    while True:
        value = fn()
        if value:
            return value
        if time.monotonic() > end:
            raise AssertionError(f"condition not met within {timeout}s (last: {value!r})")
        time.sleep(0.05)


def pods_json(cluster: Any, *selector: str) -> list[dict[str, Any]]:
    return json.loads(cluster.kubectl("get", "pods", *selector, "-o", "json").stdout)["items"]


def running(pod: dict[str, Any]) -> bool:
    return (pod.get("status") or {}).get("phase") == "Running" and any(
        c.get("type") == "Ready" and c.get("status") == "True"
        for c in pod["status"].get("conditions") or ())


# --- S6 -----------------------------------------------------------------------------------------


def test_s6_cassandra_pods_claims_and_a_deleted_pod_coming_back(cluster: Any,
                                                                tmp_path: Path) -> None:
    f = write_manifest(tmp_path, "cassandra.yaml", CASSANDRA)
    assert cluster.kubectl("apply", "-f", f).stdout.splitlines() == [
        "service/cassandra created", "statefulset.apps/cassandra created"]
    poll(lambda: len([p for p in pods_json(cluster, "-l", "app=cassandra") if running(p)]) == 3)

    rows = table_rows(cluster.kubectl("get", "pods").stdout)
    assert rows[0][:3] == ["NAME", "READY", "STATUS"]
    assert [(r[0], r[1], r[2]) for r in rows[1:]] == [
        (f"cassandra-{i}", "1/1", "Running") for i in range(3)]

    rows = table_rows(cluster.kubectl("get", "sts", "cassandra").stdout)
    assert rows[0][:2] == ["NAME", "READY"] and rows[1][:2] == ["cassandra", "3/3"]
    assert cluster.kubectl("rollout", "status", "statefulset/cassandra",
                           "--timeout=20s").stdout.strip() == \
        "partitioned roll out complete: 3 new pods have been updated..."

    def claim_rows() -> list[list[str]]:
        rows = table_rows(cluster.kubectl("get", "pvc").stdout)
        return rows if all(r[1] == "Bound" for r in rows[1:]) and len(rows) == 4 else []

    rows = poll(claim_rows)
    assert rows[0][:2] == ["NAME", "STATUS"]
    assert [r[0] for r in rows[1:]] == [f"cassandra-data-cassandra-{i}" for i in range(3)]
    for r in rows[1:]:
        assert "8Gi" in r and "RWO" in r

    old = {p["metadata"]["name"]: p for p in pods_json(cluster, "-l", "app=cassandra")}
    assert cluster.kubectl("delete", "pod", "cassandra-2").stdout.strip() == \
        'pod "cassandra-2" deleted'

    def back() -> dict[str, Any] | None:
        for p in pods_json(cluster, "-l", "app=cassandra"):
            if p["metadata"]["name"] == "cassandra-2" and running(p) and \
                    p["metadata"]["uid"] != old["cassandra-2"]["metadata"]["uid"]:
                return p
        return None

    new = poll(back)
    claim = next(v for v in new["spec"]["volumes"] if v["name"] == "cassandra-data")
    assert claim["persistentVolumeClaim"]["claimName"] == "cassandra-data-cassandra-2"
    assert new["spec"]["hostname"] == "cassandra-2" and new["spec"]["subdomain"] == "cassandra"
    assert [r[0] for r in table_rows(cluster.kubectl("get", "pvc").stdout)[1:]] == [
        f"cassandra-data-cassandra-{i}" for i in range(3)]

    events = json.loads(cluster.kubectl(
        "get", "events", "--field-selector", "involvedObject.kind=StatefulSet",
        "-o", "json").stdout)["items"]
    messages = {e["message"] for e in events}
    assert "create Pod cassandra-0 in StatefulSet cassandra successful" in messages
    assert "create Claim cassandra-data-cassandra-0 Pod cassandra-0 in StatefulSet cassandra " \
           "success" in messages


def test_s6_scaling_down_removes_pods_from_the_top_and_keeps_claims(cluster: Any,
                                                                    tmp_path: Path) -> None:
    f = write_manifest(tmp_path, "cassandra.yaml", CASSANDRA)
    cluster.kubectl("apply", "-f", f)
    poll(lambda: len([p for p in pods_json(cluster, "-l", "app=cassandra") if running(p)]) == 3)
    assert cluster.kubectl("scale", "statefulset", "cassandra", "--replicas=1").stdout.strip() \
        == "statefulset.apps/cassandra scaled"
    poll(lambda: [p["metadata"]["name"] for p in pods_json(cluster, "-l", "app=cassandra")]
         == ["cassandra-0"])
    names = [r[0] for r in table_rows(cluster.kubectl("get", "pvc").stdout)[1:]]
    assert names == [f"cassandra-data-cassandra-{i}" for i in range(3)]
