"""Admission: what kube-apiserver's default admission plugins do to a write.

Mutating plugins run after defaulting, validating ones after them, for HTTP
and in-process writes alike (``registry.registry`` calls ``admit``).
Plugins: NamespaceLifecycle, ServiceAccount, DefaultTolerationSeconds,
Priority, the service IP / node port allocators, and pod QoS.
"""

from __future__ import annotations

import ipaddress
import random
from collections.abc import Callable
from typing import Any

from minik8s.api import errors
from minik8s.api.errors import FieldError
from minik8s.api.resources import Resource

Obj = dict[str, Any]

IMMORTAL_NAMESPACES = ("default", "kube-system", "kube-public")
SA_MOUNT = "/var/run/secrets/kubernetes.io/serviceaccount"
SYSTEM_PRIORITIES = {"system-node-critical": 2000001000, "system-cluster-critical": 2000000000}


class IPAllocator:
    """ClusterIPs from a CIDR; the first address is the ``kubernetes`` Service's."""

    def __init__(self, cidr: str, rng: random.Random) -> None:
        self.net = ipaddress.ip_network(cidr)
        self.used: set[str] = set()
        self.rng = rng

    def contains(self, ip: str) -> bool:
        try:
            return ipaddress.ip_address(ip) in self.net
        except ValueError:
            return False

    def allocate(self, ip: str | None = None) -> str:
        if ip:
            if ip in self.used:
                raise ValueError(f"failed to allocate IP {ip}: provided IP is already allocated")
            if not self.contains(ip):
                raise ValueError(
                    f"failed to allocate IP {ip}: the provided IP ({ip}) is not in the valid range. "
                    f"The range of valid IPs is {self.net}")
            self.used.add(ip)
            return ip
        size = self.net.num_addresses
        base = int(self.net.network_address)
        # like the real allocator, skip the low "static" band when picking at random
        lo = min(16, size // 16) if size > 64 else 1
        for _ in range(1000):
            cand = str(ipaddress.ip_address(base + self.rng.randrange(lo, size - 1)))
            if cand not in self.used:
                self.used.add(cand)
                return cand
        for off in range(1, size - 1):
            cand = str(ipaddress.ip_address(base + off))
            if cand not in self.used:
                self.used.add(cand)
                return cand
        raise ValueError("range is full")

    def release(self, ip: str) -> None:
        self.used.discard(ip)


class PortAllocator:
    def __init__(self, lo: int, hi: int, rng: random.Random) -> None:
        self.lo, self.hi, self.rng = lo, hi, rng
        self.used: set[int] = set()

    def allocate(self, port: int | None = None) -> int:
        if port:
            if port in self.used:
                raise ValueError("provided port is already allocated")
            if not self.lo <= port <= self.hi:
                raise ValueError(f"provided port is not in the valid range. The range of valid "
                                 f"ports is {self.lo}-{self.hi}")
            self.used.add(port)
            return port
        for _ in range(1000):
            p = self.rng.randint(self.lo, self.hi)
            if p not in self.used:
                self.used.add(p)
                return p
        raise ValueError("range is full")

    def release(self, port: int) -> None:
        self.used.discard(port)


class Allocators:
    def __init__(self, service_cidr: str, node_ports: tuple[int, int], rng: random.Random) -> None:
        self.ips = IPAllocator(service_cidr, rng)
        self.ports = PortAllocator(node_ports[0], node_ports[1], rng)


def _svc_name(obj: Obj) -> str:
    return str((obj.get("metadata") or {}).get("name", ""))


def allocate_service(alloc: Allocators, obj: Obj, old: Obj | None) -> Callable[[], None]:
    """Assign clusterIP(s) and node ports. Returns an undo for failed/dry-run writes."""
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        return lambda: None
    taken_ips: list[str] = []
    taken_ports: list[int] = []

    def undo() -> None:
        for ip in taken_ips:
            alloc.ips.release(ip)
        for p in taken_ports:
            alloc.ports.release(p)

    name = _svc_name(obj)
    causes: list[FieldError] = []
    stype = spec.get("type", "ClusterIP")
    old_spec = (old or {}).get("spec") or {}
    if stype == "ExternalName":
        spec.pop("clusterIP", None)
        spec.pop("clusterIPs", None)
    elif old is not None and old_spec.get("clusterIP"):
        spec.setdefault("clusterIP", old_spec["clusterIP"])
        spec.setdefault("clusterIPs", old_spec.get("clusterIPs") or [old_spec["clusterIP"]])
    else:
        want = spec.get("clusterIP") or ((spec.get("clusterIPs") or [None])[0])
        if want in ("None",):
            spec["clusterIP"] = "None"
            spec["clusterIPs"] = ["None"]
        else:
            try:
                ip = alloc.ips.allocate(want or None)
                taken_ips.append(ip)
                spec["clusterIP"] = ip
                spec["clusterIPs"] = [ip]
            except ValueError as e:
                causes.append(FieldError("invalid", "spec.clusterIPs", [want], str(e)))
    if stype != "ExternalName":
        spec.setdefault("ipFamilies", ["IPv4"])
        spec.setdefault("ipFamilyPolicy", "SingleStack")
    old_ports = {(p.get("port"), p.get("protocol", "TCP")): p.get("nodePort")
                 for p in old_spec.get("ports") or () if isinstance(p, dict)}
    needs_node_ports = stype == "NodePort" or (
        stype == "LoadBalancer" and spec.get("allocateLoadBalancerNodePorts", True))
    for i, p in enumerate(spec.get("ports") or ()):
        if not isinstance(p, dict):
            continue
        if not needs_node_ports:
            if stype not in ("NodePort", "LoadBalancer"):
                p.pop("nodePort", None)
            continue
        prev = old_ports.get((p.get("port"), p.get("protocol", "TCP")))
        want = p.get("nodePort")
        if want and want == prev:
            continue
        if not want and prev:
            p["nodePort"] = prev
            continue
        try:
            got = alloc.ports.allocate(want or None)
            taken_ports.append(got)
            p["nodePort"] = got
        except ValueError as e:
            causes.append(FieldError("invalid", f"spec.ports[{i}].nodePort", want, str(e)))
    if causes:
        undo()
        raise errors.Invalid("Service", "", name, causes)
    return undo


def release_service(alloc: Allocators, obj: Obj) -> None:
    spec = obj.get("spec") or {}
    for ip in spec.get("clusterIPs") or ([spec["clusterIP"]] if spec.get("clusterIP") else []):
        if ip and ip != "None":
            alloc.ips.release(ip)
    for p in spec.get("ports") or ():
        if isinstance(p, dict) and p.get("nodePort"):
            alloc.ports.release(p["nodePort"])


def release_changed_ports(alloc: Allocators, new: Obj, old: Obj) -> None:
    keep = {p.get("nodePort") for p in (new.get("spec") or {}).get("ports") or () if isinstance(p, dict)}
    for p in (old.get("spec") or {}).get("ports") or ():
        if isinstance(p, dict) and p.get("nodePort") and p["nodePort"] not in keep:
            alloc.ports.release(p["nodePort"])


def check_namespace(res: Resource, ns: str, ns_obj: Obj | None, name: str) -> None:
    """NamespaceLifecycle for creates of namespaced objects."""
    if ns_obj is None:
        raise errors.NotFound.for_resource("", "namespaces", ns)
    if (ns_obj.get("status") or {}).get("phase") == "Terminating" or \
            ns_obj["metadata"].get("deletionTimestamp"):
        raise errors.Forbidden(
            f'{res.group_resource} "{name}" is forbidden: unable to create new content in '
            f"namespace {ns} because it is being terminated",
            details={"name": name, "group": res.group, "kind": res.plural,
                     "causes": [{"reason": "NamespaceTerminating",
                                 "message": f"namespace {ns} is being terminated",
                                 "field": "metadata.namespace"}]})


def mutate_pod(pod: Obj, rand_suffix: Callable[[], str], priority_of: Callable[[str], int | None]) -> None:
    """ServiceAccount, DefaultTolerationSeconds and Priority plugins, and QoS class."""
    spec = pod.get("spec")
    if not isinstance(spec, dict):
        return
    sa = spec.get("serviceAccountName") or spec.get("serviceAccount") or "default"
    spec["serviceAccountName"] = sa
    spec["serviceAccount"] = sa
    if spec.get("automountServiceAccountToken") is not False:
        vols = spec.setdefault("volumes", [])
        if isinstance(vols, list) and not any(
                isinstance(v, dict) and str(v.get("name", "")).startswith("kube-api-access-")
                for v in vols):
            vname = "kube-api-access-" + rand_suffix()
            vols.append(_token_volume(vname))
            for key in ("containers", "initContainers"):
                for c in spec.get(key) or ():
                    if isinstance(c, dict):
                        mounts = c.setdefault("volumeMounts", [])
                        if isinstance(mounts, list) and not any(
                                isinstance(m, dict) and m.get("mountPath") == SA_MOUNT for m in mounts):
                            mounts.append({"name": vname, "readOnly": True, "mountPath": SA_MOUNT})
    tols = spec.get("tolerations")
    if tols is None:
        spec["tolerations"] = tols = []
    if isinstance(tols, list):
        for key in ("node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"):
            if not any(isinstance(t, dict) and t.get("key") == key and
                       t.get("effect") in ("NoExecute", None, "") for t in tols) and \
                    not any(isinstance(t, dict) and t.get("operator") == "Exists" and not t.get("key")
                            and t.get("effect") in ("NoExecute", None, "") for t in tols):
                tols.append(_DEFAULT_TOLERATIONS[key])
    pc = spec.get("priorityClassName")
    if pc:
        val = priority_of(pc)
        if val is not None:
            spec["priority"] = val
    if spec.get("priority") is None:
        spec["priority"] = 0
    if spec.get("preemptionPolicy") is None:
        spec["preemptionPolicy"] = "PreemptLowerPriority"
    status = pod.setdefault("status", {})
    if isinstance(status, dict):
        status.setdefault("phase", "Pending")
        status["qosClass"] = qos_class(spec)


# What admission adds to every pod is the same value each time: one shared dict per
# value instead of one per pod (~2 kB a pod). Stored objects are never mutated in place
# (writes build new dicts), so sharing them between pods is safe.
_DEFAULT_TOLERATIONS: dict[str, Obj] = {
    key: {"key": key, "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300}
    for key in ("node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable")}
_TOKEN_PROJECTION: Obj = {"defaultMode": 420, "sources": [
    {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
    {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
    {"downwardAPI": {"items": [{"path": "namespace", "fieldRef": {
        "apiVersion": "v1", "fieldPath": "metadata.namespace"}}]}},
]}


def _token_volume(name: str) -> Obj:
    return {"name": name, "projected": _TOKEN_PROJECTION}


def qos_class(spec: Obj) -> str:
    """Guaranteed / Burstable / BestEffort, as the kubelet's qos helper decides."""
    requests: dict[str, set[str]] = {}
    any_set = False
    guaranteed = True
    for c in list(spec.get("containers") or []) + list(spec.get("initContainers") or []):
        if not isinstance(c, dict):
            continue
        res = c.get("resources") or {}
        req = res.get("requests") or {}
        lim = res.get("limits") or {}
        if not isinstance(req, dict) or not isinstance(lim, dict):
            continue
        for r in ("cpu", "memory"):
            if r in req or r in lim:
                any_set = True
            if r not in lim or str(req.get(r, lim.get(r))) != str(lim.get(r)):
                guaranteed = False
        requests.setdefault("", set())
    if not any_set:
        return "BestEffort"
    return "Guaranteed" if guaranteed else "Burstable"


DEFAULT_CLASS_ANNOTATION = "storageclass.kubernetes.io/is-default-class"


def default_storage_class(pvc: Obj, classes: Any) -> None:
    """DefaultStorageClass: a claim that names no class gets the default one (newest wins)."""
    spec = pvc.get("spec")
    if not isinstance(spec, dict) or "storageClassName" in spec:
        return
    defaults = [c for c in classes
                if (c["metadata"].get("annotations") or {}).get(DEFAULT_CLASS_ANNOTATION) == "true"]
    if defaults:
        newest = max(defaults, key=lambda c: (c["metadata"].get("creationTimestamp", ""), c["metadata"]["name"]))
        spec["storageClassName"] = newest["metadata"]["name"]


def add_finalizer(obj: Obj, finalizer: str) -> None:
    """StorageObjectInUseProtection: claims and volumes carry their protection finalizer."""
    md = obj.setdefault("metadata", {})
    fins = md.get("finalizers")
    if not isinstance(fins, list):
        md["finalizers"] = fins = []
    if finalizer not in fins:
        fins.append(finalizer)


def default_ingress_class(ing: Obj, classes: Any) -> None:
    """DefaultIngressClass: an Ingress without a class (or the legacy annotation) gets the default."""
    spec = ing.get("spec")
    md = ing.get("metadata") or {}
    if not isinstance(spec, dict) or spec.get("ingressClassName") or \
            "kubernetes.io/ingress.class" in (md.get("annotations") or {}):
        return
    defaults = [c for c in classes if (c["metadata"].get("annotations") or {}).get(
        "ingressclass.kubernetes.io/is-default-class") == "true"]
    if defaults:
        spec["ingressClassName"] = max(defaults, key=lambda c: c["metadata"].get("creationTimestamp", ""))[
            "metadata"]["name"]
