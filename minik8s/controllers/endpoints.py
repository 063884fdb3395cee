"""Endpoints controller: one v1 Endpoints per Service with a selector, from its pods.

Like kube-controller-manager's endpoint-controller (``pkg/controller/endpoint``):

- a pod counts when it has an IP, is not Succeeded/Failed and, unless the Service
  ``publishNotReadyAddresses``, is not terminating; ready pods go to ``addresses``, the others
  to ``notReadyAddresses`` (all are "ready" when ``publishNotReadyAddresses``);
- each address has ``ip``, ``nodeName``, ``targetRef`` and, for a pod whose ``hostname`` is set
  and ``subdomain`` equals the Service name, ``hostname``;
- named ``targetPort``s resolve against the pod's container ports (same protocol); a pod on
  which a name does not resolve is left out of that port; subsets are repacked so addresses
  offering the same ports share a subset (``RepackSubsets``);
- labels are the Service's (plus ``service.kubernetes.io/headless`` for ``clusterIP: None``);
  ``endpoints.kubernetes.io/last-change-trigger-time`` records the earliest change behind a
  write; more than 1000 addresses are truncated and annotated ``over-capacity: truncated``;
- Services without a selector (``default/kubernetes``, user-managed Endpoints) are left
  alone; the Endpoints of a deleted Service are deleted.

The pod helpers here are shared with ``controllers.endpointslice``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from minik8s.aio.clock import parse_rfc3339
from minik8s.api import errors
from minik8s.runtime.context import ControllerContext
from minik8s.runtime.controller import Request, Result
from minik8s.runtime.informer import Informer
from minik8s.api import objects

Obj = dict[str, Any]
COMPONENT = "endpoint-controller"
TRIGGER_TIME = "endpoints.kubernetes.io/last-change-trigger-time"
OVER_CAPACITY = "endpoints.kubernetes.io/over-capacity"
HEADLESS = "service.kubernetes.io/headless"
MAX_ADDRESSES = 1000


# -- pods and services -------------------------------------------------------------------
def selects(svc: Obj, pod: Obj) -> bool:
    sel = (svc.get("spec") or {}).get("selector")
    if not sel:
        return False
    labels = pod["metadata"].get("labels") or {}
    return all(labels.get(k) == v for k, v in sel.items())


def selected_pods(pods: Informer, svc: Obj) -> list[Obj]:
    """The pods a Service's selector matches, narrowed through the label index."""
    sel = (svc.get("spec") or {}).get("selector") or {}
    if not sel:
        return []
    ns = svc["metadata"].get("namespace", "")
    key = min(sel)
    found = [p for p in pods.by_label(key, sel[key])
             if p["metadata"].get("namespace") == ns and selects(svc, p)]
    return sorted(found, key=lambda p: p["metadata"]["name"])  # the index is a set: fix the order


def managed(svc: Obj) -> bool:
    """Whether the controllers derive endpoints for this Service (selector, not ExternalName)."""
    spec = svc.get("spec") or {}
    return bool(spec.get("selector")) and spec.get("type") != "ExternalName"


def pod_ip(pod: Obj) -> str:
    st = pod.get("status") or {}
    ips = [i.get("ip") for i in st.get("podIPs") or () if i.get("ip")] or \
        ([st["podIP"]] if st.get("podIP") else [])
    for ip in ips:
        if ":" not in ip:  # the Service's family: IPv4 (single-stack clusters)
            return str(ip)
    return ""


def is_ready(pod: Obj) -> bool:
    return any(c.get("type") == "Ready" and c.get("status") == "True"
               for c in (pod.get("status") or {}).get("conditions") or ())


def should_be_in_endpoints(pod: Obj, include_terminating: bool) -> bool:
    """``ShouldPodBeInEndpoints``."""
    if (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed"):
        return False
    if not pod_ip(pod):
        return False
    return include_terminating or not pod["metadata"].get("deletionTimestamp")


def should_set_hostname(pod: Obj, svc: Obj) -> bool:
    spec = pod.get("spec") or {}
    return bool(spec.get("hostname")) and spec.get("subdomain") == svc["metadata"]["name"] and \
        pod["metadata"].get("namespace") == svc["metadata"].get("namespace")


def find_port(pod: Obj, svc_port: Obj) -> int | None:
    """``podutil.FindPort``: a number as is; a name looked up in the containers' ports."""
    target = svc_port.get("targetPort", svc_port.get("port"))
    if isinstance(target, int):
        return target
    proto = svc_port.get("protocol") or "TCP"
    spec = pod.get("spec") or {}
    sidecars = [c for c in spec.get("initContainers") or () if c.get("restartPolicy") == "Always"]
    for c in list(spec.get("containers") or ()) + sidecars:
        for p in c.get("ports") or ():
            if p.get("name") == target and (p.get("protocol") or "TCP") == proto:
                return int(p["containerPort"])
    return None


def target_ref(pod: Obj) -> Obj:
    md = pod["metadata"]
    return {"kind": "Pod", "namespace": md["namespace"], "name": md["name"], "uid": md["uid"]}


def format_trigger(t: float) -> str:
    """RFC 3339 with nanoseconds, trailing zeros dropped (Go's RFC3339Nano)."""
    d = dt.datetime.fromtimestamp(t, dt.UTC)
    frac = f"{d.microsecond:06d}".rstrip("0")
    return d.strftime("%Y-%m-%dT%H:%M:%S") + (f".{frac}" if frac else "") + "Z"


class TriggerTimeTracker:
    """``TriggerTimeTracker``: the earliest pod Ready transition or Service creation changed
    since the last computation, per Service."""

    def __init__(self) -> None:
        self.state: dict[tuple[str, str], tuple[dict[str, float], float]] = {}

    def compute(self, svc: Obj, pods: list[Obj]) -> float | None:
        md = svc["metadata"]
        key = (md["namespace"], md["name"])
        last_pods, last_svc = self.state.get(key, ({}, 0.0))
        changed: float | None = None
        times: dict[str, float] = {}
        for p in pods:
            t = pod_trigger_time(p)
            if t is None:
                continue
            times[p["metadata"]["name"]] = t
            if t > last_pods.get(p["metadata"]["name"], 0.0):
                changed = t if changed is None else min(changed, t)
        svc_t = parse_rfc3339(md["creationTimestamp"]) if md.get("creationTimestamp") else 0.0
        if svc_t > last_svc:
            changed = svc_t if changed is None else min(changed, svc_t)
        self.state[key] = (times, svc_t)
        return changed

    def forget(self, namespace: str, name: str) -> None:
        self.state.pop((namespace, name), None)


def pod_trigger_time(pod: Obj) -> float | None:
    for c in (pod.get("status") or {}).get("conditions") or ():
        if c.get("type") == "Ready" and c.get("lastTransitionTime"):
            return parse_rfc3339(c["lastTransitionTime"])
    return None


def services_selecting(services: Informer, pod: Obj, old: Obj | None) -> set[Request]:
    ns = pod["metadata"].get("namespace", "")
    out = set()
    for svc in services.list(ns):
        if selects(svc, pod) or (old is not None and selects(svc, old)):
            out.add(Request(ns, svc["metadata"]["name"]))
    return out


# -- subsets -----------------------------------------------------------------------------
def endpoint_port(svc_port: Obj, number: int) -> Obj:
    p: Obj = {}
    if svc_port.get("name"):
        p["name"] = svc_port["name"]
    p["port"] = number
    p["protocol"] = svc_port.get("protocol") or "TCP"
    if svc_port.get("appProtocol"):
        p["appProtocol"] = svc_port["appProtocol"]
    return p


def _port_key(p: Obj | None) -> tuple[Any, ...]:
    if p is None:
        return ("", -1, "", "")
    return (p.get("name", ""), p["port"], p.get("protocol", ""), p.get("appProtocol", ""))


def _addr_key(a: Obj) -> tuple[str, str]:
    return (a["ip"], (a.get("targetRef") or {}).get("uid", ""))


def _ip_sort(a: Obj) -> tuple[Any, ...]:
    return (a["ip"], (a.get("targetRef") or {}).get("uid", ""))


def repack(entries: list[tuple[Obj, bool, Obj | None]]) -> list[Obj]:
    """``RepackSubsets``: addresses offering the same set of ports share one subset."""
    addrs: dict[tuple[str, str], Obj] = {}
    by_port: dict[tuple[Any, ...], dict[tuple[str, str], bool]] = {}
    ports: dict[tuple[Any, ...], Obj | None] = {}
    for addr, ready, port in entries:
        ak, pk = _addr_key(addr), _port_key(port)
        addrs.setdefault(ak, addr)
        ports[pk] = port
        m = by_port.setdefault(pk, {})
        if not m.get(ak):
            m[ak] = ready
    groups: dict[frozenset[tuple[tuple[str, str], bool]], list[Obj]] = {}
    for pk, m in by_port.items():
        g = groups.setdefault(frozenset(m.items()), [])
        if ports[pk] is not None:
            g.append(ports[pk])  # type: ignore[arg-type]
    out = []
    for members, plist in groups.items():
        subset: Obj = {}
        up = sorted((addrs[k] for k, r in members if r), key=_ip_sort)
        down = sorted((addrs[k] for k, r in members if not r), key=_ip_sort)
        if up:
            subset["addresses"] = up
        if down:
            subset["notReadyAddresses"] = down
        if plist:
            subset["ports"] = sorted(plist, key=_port_key)
        out.append(subset)
    out.sort(key=lambda s: ([_ip_sort(a) for a in s.get("addresses", []) + s.get(
        "notReadyAddresses", [])], [_port_key(p) for p in s.get("ports", [])]))
    return out


def truncate(subsets: list[Obj]) -> bool:
    """Keep at most MAX_ADDRESSES addresses, ready ones first, spread over subsets in order."""
    total = sum(len(s.get("addresses", [])) + len(s.get("notReadyAddresses", [])) for s in subsets)
    if total <= MAX_ADDRESSES:
        return False
    left = MAX_ADDRESSES
    for key in ("addresses", "notReadyAddresses"):
        for s in subsets:
            if key in s:
                s[key] = s[key][:left]
                left -= len(s[key])
                if not s[key]:
                    del s[key]
    return True


def build_subsets(svc: Obj, pods: list[Obj]) -> list[Obj]:
    spec = svc.get("spec") or {}
    tolerate = bool(spec.get("publishNotReadyAddresses"))
    entries: list[tuple[Obj, bool, Obj | None]] = []
    for pod in pods:
        if not should_be_in_endpoints(pod, tolerate):
            continue
        addr: Obj = {"ip": pod_ip(pod)}
        if should_set_hostname(pod, svc):
            addr["hostname"] = pod["spec"]["hostname"]
        if (pod.get("spec") or {}).get("nodeName"):
            addr["nodeName"] = pod["spec"]["nodeName"]
        addr["targetRef"] = target_ref(pod)
        ready = tolerate or is_ready(pod)
        svc_ports = spec.get("ports") or []
        if not svc_ports:
            if spec.get("clusterIP") == "None":
                entries.append((addr, ready, None))
            continue
        for sp in svc_ports:
            number = find_port(pod, sp)
            if number is None:
                continue
            entries.append((addr, ready, endpoint_port(sp, number)))
    return repack(entries)


# -- the controller ----------------------------------------------------------------------
def setup(ctx: ControllerContext) -> None:
    services = ctx.informers.informer("v1", "services")
    pods = ctx.informers.informer("v1", "pods")
    endpoints = ctx.informers.informer("v1", "endpoints")
    client = ctx.client
    tracker = TriggerTimeTracker()

    def reconcile(req: Request) -> Result | None:
        svc = services.get(req.namespace, req.name)
        if svc is None:
            tracker.forget(req.namespace, req.name)
            if endpoints.get(req.namespace, req.name) is not None:
                try:
                    client.delete("v1", "Endpoints", req.name, req.namespace)
                except errors.NotFound:
                    pass
            return None
        if not managed(svc):
            return None
        selected = selected_pods(pods, svc)
        trigger = tracker.compute(svc, selected)
        subsets = build_subsets(svc, selected)
        current = endpoints.get(req.namespace, req.name)
        svc_labels = dict(svc["metadata"].get("labels") or {})
        if current is not None:
            cur_labels = dict(current["metadata"].get("labels") or {})
            cur_labels.pop(HEADLESS, None)
            annotations = current["metadata"].get("annotations") or {}
            count = sum(len(x.get("addresses", [])) + len(x.get("notReadyAddresses", []))
                        for x in current.get("subsets") or ())
            capacity_ok = count <= MAX_ADDRESSES and OVER_CAPACITY not in annotations
            if (current.get("subsets") or []) == subsets and cur_labels == svc_labels and capacity_ok:
                return None
            new = objects.deep_copy(current)
        else:
            new = {"apiVersion": "v1", "kind": "Endpoints",
                   "metadata": {"name": req.name, "namespace": req.namespace}}
        md = new["metadata"]
        annotations = dict(md.get("annotations") or {})
        if trigger is not None:
            annotations[TRIGGER_TIME] = format_trigger(trigger)
        else:
            annotations.pop(TRIGGER_TIME, None)
        if truncate(subsets):
            annotations[OVER_CAPACITY] = "truncated"
        else:
            annotations.pop(OVER_CAPACITY, None)
        if subsets:
            new["subsets"] = subsets
        else:
            new.pop("subsets", None)
        labels = svc_labels
        if (svc.get("spec") or {}).get("clusterIP") == "None":
            labels[HEADLESS] = ""
        for key, value in (("labels", labels), ("annotations", annotations)):
            if value:
                md[key] = value
            else:
                md.pop(key, None)
        if current is None:
            try:
                client.create(new, manager=COMPONENT)
            except errors.AlreadyExists:
                return Result(requeue=True)
        else:
            client.update(new, manager=COMPONENT)
        return None

    ctrl = ctx.manager.add(COMPONENT, reconcile)
    services.add_handler(lambda et, o, old: ctrl.enqueue(Request(
        o["metadata"]["namespace"], o["metadata"]["name"])))

    def on_pod(et: str, pod: Obj, old: Obj | None) -> None:
        for req in services_selecting(services, pod, old):
            ctrl.enqueue(req)

    pods.add_handler(on_pod)
    endpoints.add_handler(lambda et, o, old: ctrl.enqueue(Request(
        o["metadata"]["namespace"], o["metadata"]["name"])) if et == "DELETED" else None,
        replay=False)
