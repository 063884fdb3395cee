"""Shared by both sides: realistic pod bodies, latency statistics, CPU pinning.

A pod is what ``kubectl create -f`` sends for a typical Deployment-made pod:
one or two containers with image, ports, env, resources and a probe, plus
the labels a ReplicaSet stamps. The server defaults and admits the rest.
"""

from __future__ import annotations

import json
import os
from typing import Any

Obj = dict[str, Any]


def make_pod(name: str, namespace: str = "default", i: int = 0) -> Obj:
    """A pod body like kubectl would send: 1 container for even ``i``, 2 for odd."""
    app = f"web-{i % 50}"
    containers: list[Obj] = [{
        "name": "app",
        "image": "registry.k8s.io/e2e-test-images/agnhost:2.52",
        "args": ["netexec", "--http-port=8080"],
        "ports": [{"name": "http", "containerPort": 8080, "protocol": "TCP"}],
        "env": [
            {"name": "LOG_LEVEL", "value": "info"},
            {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
        ],
        "resources": {"requests": {"cpu": "100m", "memory": "128Mi"},
                      "limits": {"cpu": "500m", "memory": "256Mi"}},
        "readinessProbe": {"httpGet": {"path": "/healthz", "port": 8080}, "periodSeconds": 5},
    }]
    if i % 2:
        containers.append({
            "name": "log-shipper",
            "image": "docker.io/library/busybox:1.36",
            "command": ["sh", "-c", "tail -F /var/log/app.log"],
            "resources": {"requests": {"cpu": "10m", "memory": "16Mi"},
                          "limits": {"memory": "32Mi"}},
        })
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "labels": {"app": app, "tier": "frontend", "pod-template-hash": "5d8f7c9b6"},
        },
        "spec": {"containers": containers, "restartPolicy": "Always"},
    }


def percentile(sorted_values: list[float], p: float) -> float:
    """Nearest-rank percentile of an already sorted list (p in 0..100)."""
    if not sorted_values:
        return float("nan")
    k = max(0, min(len(sorted_values) - 1, round(p / 100 * len(sorted_values) + 0.5) - 1))
    return sorted_values[k]


def summarize(latencies_s: list[float], wall_s: float, errors: int = 0) -> Obj:
    """Per-request latencies (seconds) → throughput and p50/p99/max in milliseconds."""
    lat = sorted(latencies_s)
    n = len(lat)
    return {
        "n": n,
        "errors": errors,
        "wall_s": wall_s,
        "rate": n / wall_s if wall_s > 0 else float("nan"),
        "p50_ms": percentile(lat, 50) * 1000,
        "p99_ms": percentile(lat, 99) * 1000,
        "max_ms": (lat[-1] if lat else float("nan")) * 1000,
    }


def pin(cpu: int | None) -> None:
    """Pin this process to one core (server on 0, load on 1); no-op where unsupported."""
    if cpu is None or not hasattr(os, "sched_setaffinity"):
        return
    if cpu < (os.cpu_count() or 1):
        os.sched_setaffinity(0, {cpu})


def rss_bytes(pid: int | str = "self") -> int:
    """VmRSS from /proc/<pid>/status."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def stored_shape(pod: Obj, manager: str = "bench", now: str = "2026-01-01T00:00:00Z") -> Obj:
    """What minik8s stores and answers for ``make_pod`` (defaults, the creator's
    managedFields, then what admission adds), for the bare ceiling: same bytes on
    the wire, none of the work to produce them."""
    spec = pod["spec"]
    vol = "kube-api-access-abcde"
    for c in spec["containers"]:  # defaulting
        c.update({"imagePullPolicy": "IfNotPresent", "terminationMessagePath": "/dev/termination-log",
                  "terminationMessagePolicy": "File"})
        for e in c.get("env", ()):
            ref = (e.get("valueFrom") or {}).get("fieldRef")
            if ref is not None:
                ref.setdefault("apiVersion", "v1")
        probe = c.get("readinessProbe")
        if probe:
            probe["httpGet"]["scheme"] = "HTTP"
            probe.update({"timeoutSeconds": 1, "successThreshold": 1, "failureThreshold": 3})
    spec.update({"terminationGracePeriodSeconds": 30, "dnsPolicy": "ClusterFirst", "securityContext": {},
                 "schedulerName": "default-scheduler", "enableServiceLinks": True})
    pod["metadata"]["managedFields"] = [{
        "manager": manager, "operation": "Update", "apiVersion": "v1", "time": now,
        "fieldsType": "FieldsV1",
        "fieldsV1": fields_v1({"metadata": {"labels": pod["metadata"]["labels"]}, "spec": spec})}]
    for c in spec["containers"]:  # admission
        c["volumeMounts"] = [{"name": vol, "readOnly": True,
                              "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount"}]
    spec.update({
        "preemptionPolicy": "PreemptLowerPriority", "priority": 0,
        "serviceAccountName": "default", "serviceAccount": "default",
        "volumes": [{"name": vol, "projected": {"defaultMode": 420, "sources": [
            {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
            {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
            {"downwardAPI": {"items": [{"path": "namespace", "fieldRef": {
                "apiVersion": "v1", "fieldPath": "metadata.namespace"}}]}}]}}],
        "tolerations": [
            {"key": k, "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300}
            for k in ("node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable")],
    })
    pod["status"] = {"phase": "Pending", "qosClass": "Burstable"}
    return pod


#: the merge keys of the lists ``make_pod`` sends (other lists are atomic), and its atomic structs
_LIST_KEYS = {"containers": ("name",), "env": ("name",), "ports": ("containerPort", "protocol")}
_ATOMIC = {"fieldRef"}


def fields_v1(obj: Obj, depth: int = 0) -> Obj:
    """The FieldsV1 set of every field in ``obj`` (``make_pod``'s shapes only)."""
    out: Obj = {".": {}} if depth >= 2 else {}
    for k, v in sorted(obj.items()):
        keys = _LIST_KEYS.get(k)
        if isinstance(v, dict) and v and k not in _ATOMIC:
            out[f"f:{k}"] = fields_v1(v, depth + 1)
        elif isinstance(v, list) and keys:
            items: Obj = {".": {}} if depth >= 2 else {}
            for item in v:
                ident = ",".join(f'"{key}":{json.dumps(item[key])}' for key in keys if key in item)
                items["k:{" + ident + "}"] = fields_v1(item, 2)
            out[f"f:{k}"] = items
        else:
            out[f"f:{k}"] = {}
    return out
