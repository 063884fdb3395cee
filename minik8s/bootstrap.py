"""The objects a fresh cluster has: namespaces, nodes, the kubernetes and kube-dns Services
(and, with RBAC on, the default ClusterRoles and ClusterRoleBindings of ``auth.policy``).

Built from ``ClusterConfig`` and written through the in-process client, so
they are defaulted and validated like anything a user creates.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from minik8s.auth import policy
from minik8s.client.client import Client
from minik8s.config import DEFAULT_CAPACITY, ClusterConfig, NodeConfig

Obj = dict[str, Any]

NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")
CONTROL_PLANE_LABEL = "node-role.kubernetes.io/control-plane"
KUBELET_VERSION = "v1.33.0"
NODE_IP_PREFIX = "172.18.0."


def node_ip(index: int) -> str:
    return f"{NODE_IP_PREFIX}{index + 2}"


def node_object(cfg: ClusterConfig, node: NodeConfig, index: int) -> Obj:
    capacity = {**DEFAULT_CAPACITY, **{k: str(v) for k, v in node.capacity.items()}}
    zone = node.zone or cfg.zone
    labels = {
        "beta.kubernetes.io/arch": "amd64",
        "beta.kubernetes.io/os": "linux",
        "beta.kubernetes.io/instance-type": "minik8s-node",
        "failure-domain.beta.kubernetes.io/region": cfg.region,
        "failure-domain.beta.kubernetes.io/zone": zone,
        "kubernetes.io/arch": "amd64",
        "kubernetes.io/hostname": node.name,
        "kubernetes.io/os": "linux",
        "node.kubernetes.io/instance-type": "minik8s-node",
        "topology.kubernetes.io/region": cfg.region,
        "topology.kubernetes.io/zone": zone,
    }
    taints = [dict(t) for t in node.taints]
    if node.role == "control-plane":
        labels[CONTROL_PLANE_LABEL] = ""
        labels["node.kubernetes.io/exclude-from-external-load-balancers"] = ""
        if not any(t.get("key") == CONTROL_PLANE_LABEL for t in taints):
            taints.append({"key": CONTROL_PLANE_LABEL, "effect": "NoSchedule"})
    labels.update({k: str(v) for k, v in node.labels.items()})
    prefix = cfg.pod_cidr.split(".")[:2]
    pod_cidr = f"{prefix[0]}.{prefix[1]}.{index}.0/24"
    spec: Obj = {"podCIDR": pod_cidr, "podCIDRs": [pod_cidr],
                 "providerID": f"minik8s://{node.name}"}
    if taints:
        spec["taints"] = taints
    ip = node_ip(index)
    return {
        "apiVersion": "v1", "kind": "Node",
        "metadata": {"name": node.name, "labels": labels, "annotations": {
            "node.alpha.kubernetes.io/ttl": "0",
            "volumes.kubernetes.io/controller-managed-attach-detach": "true"}},
        "spec": spec,
        "status": {
            "addresses": [{"type": "InternalIP", "address": ip},
                          {"type": "Hostname", "address": node.name}],
            "capacity": capacity, "allocatable": dict(capacity),
            "conditions": node_conditions(node.ready, None),
            "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
            "nodeInfo": {
                "architecture": "amd64", "bootID": "", "containerRuntimeVersion": "containerd://2.1.1",
                "kernelVersion": "6.1.0-minik8s", "kubeProxyVersion": KUBELET_VERSION,
                "kubeletVersion": KUBELET_VERSION, "machineID": "", "operatingSystem": "linux",
                "osImage": "Debian GNU/Linux 12 (bookworm)", "systemUUID": "",
            },
        },
    }


def node_conditions(ready: bool, now: str | None) -> list[Obj]:
    def cond(t: str, status: str, reason: str, msg: str) -> Obj:
        return {"type": t, "status": status, "lastHeartbeatTime": now,
                "lastTransitionTime": now, "reason": reason, "message": msg}

    return [
        cond("MemoryPressure", "False", "KubeletHasSufficientMemory",
             "kubelet has sufficient memory available"),
        cond("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
        cond("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
        cond("Ready", "True", "KubeletReady", "kubelet is posting ready status") if ready else
        cond("Ready", "False", "KubeletNotReady", "container runtime network not ready"),
    ]


def bootstrap(client: Client, cfg: ClusterConfig, api_port: int = 6443) -> None:
    now = client.reg.clock.rfc3339()
    if cfg.auth.rbac:  # the default roles and bindings, as kube-apiserver's rbac/bootstrap-roles
        for obj in policy.cluster_roles() + policy.cluster_role_bindings():
            client.create(obj)
    for ns in NAMESPACES:
        client.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
    for i, n in enumerate(cfg.nodes):
        obj = node_object(cfg, n, i + 1)
        for c in obj["status"]["conditions"]:
            c["lastHeartbeatTime"] = c["lastTransitionTime"] = now
        client.create(obj)
    for name, value, desc in (
            ("system-node-critical", 2000001000, "Used for system critical pods that must not be moved from their current node."),
            ("system-cluster-critical", 2000000000, "Used for system critical pods that must run in the cluster, but can be moved to another node if necessary.")):
        client.create({"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass",
                       "metadata": {"name": name}, "value": value, "description": desc,
                       "preemptionPolicy": "PreemptLowerPriority"})
    client.create({"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass", "metadata": {
        "name": "standard", "annotations": {"storageclass.kubernetes.io/is-default-class": "true"}},
        "provisioner": "rancher.io/local-path", "reclaimPolicy": "Delete",
        "volumeBindingMode": "WaitForFirstConsumer"})
    client.create({"apiVersion": "networking.k8s.io/v1", "kind": "IngressClass", "metadata": {
        "name": "nginx", "labels": {"app.kubernetes.io/component": "controller",
                                    "app.kubernetes.io/name": "ingress-nginx"},
        "annotations": {"ingressclass.kubernetes.io/is-default-class": "true"}},
        "spec": {"controller": "k8s.io/ingress-nginx"}})
    net = ipaddress.ip_network(cfg.service_cidr)
    api_ip = str(net.network_address + 1)
    dns_ip = str(net.network_address + 10)
    client.create({"apiVersion": "v1", "kind": "Service", "metadata": {
        "name": "kubernetes", "namespace": "default",
        "labels": {"component": "apiserver", "provider": "kubernetes"}},
        "spec": {"clusterIP": api_ip, "ports": [
            {"name": "https", "port": 443, "protocol": "TCP", "targetPort": 6443}]}})
    cp_ip = node_ip(1)
    client.create({"apiVersion": "v1", "kind": "Endpoints", "metadata": {
        "name": "kubernetes", "namespace": "default",
        "labels": {"endpointslice.kubernetes.io/skip-mirror": "true"}},
        "subsets": [{"addresses": [{"ip": cp_ip}],
                     "ports": [{"name": "https", "port": api_port, "protocol": "TCP"}]}]})
    client.create({"apiVersion": "v1", "kind": "Service", "metadata": {
        "name": "kube-dns", "namespace": "kube-system",
        "labels": {"k8s-app": "kube-dns", "kubernetes.io/cluster-service": "true",
                   "kubernetes.io/name": "CoreDNS"},
        "annotations": {"prometheus.io/port": "9153", "prometheus.io/scrape": "true"}},
        "spec": {"clusterIP": dns_ip, "selector": {"k8s-app": "kube-dns"}, "ports": [
            {"name": "dns", "port": 53, "protocol": "UDP", "targetPort": 53},
            {"name": "dns-tcp", "port": 53, "protocol": "TCP", "targetPort": 53},
            {"name": "metrics", "port": 9153, "protocol": "TCP", "targetPort": 9153}]}})
