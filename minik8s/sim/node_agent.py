"""The node half of the kubelet: registration, conditions, heartbeats and the node Lease.

Every Node object gets an agent, including Nodes created later (with kubectl):
missing labels, addresses, capacity, nodeInfo and podCIDR are filled in as the
kubelet (and the node IPAM controller) would. While alive it keeps the
conditions current, moves ``lastHeartbeatTime`` every
``nodeStatusUpdateFrequency`` seconds and renews ``kube-node-lease/<node>``
every quarter of ``nodeLeaseDurationSeconds`` — both are timers on the clock,
so under the virtual clock nothing happens until time is advanced.

The annotation ``minik8s.io/node-ready`` stops the kubelet: ``"false"`` posts
Ready=False once ("container runtime is down"), ``"unknown"`` posts nothing;
either way heartbeats, lease renewals and pod updates stop until the
annotation is removed (or set to ``"true"``), so the node lifecycle controller
sees what it sees when a real kubelet dies. ``NodeConfig.ready: false`` keeps
the kubelet alive but its network not ready: Ready=False, and no pod on the
node gets a sandbox.
"""

from __future__ import annotations

import ipaddress
import random
import uuid
from typing import Any

from minik8s.aio.clock import parse_rfc3339
from minik8s.api import errors
from minik8s.config import DEFAULT_CAPACITY
from minik8s.runtime.context import ControllerContext
from minik8s.runtime.controller import Result, requeue_after
from minik8s.sim.settings import KubeletSettings
from minik8s.api import objects

Obj = dict[str, Any]
READY_ANNOTATION = "minik8s.io/node-ready"
LEASE_NS = "kube-node-lease"
NODE_IP_PREFIX = "172.18.0."
KUBELET_VERSION = "v1.33.0"
NOT_READY_NETWORK = ("container runtime network not ready: NetworkReady=false "
                     "reason:NetworkPluginNotReady message:Network plugin returns error: "
                     "cni plugin not initialized")
NOT_READY_DOWN = "container runtime is down"
CONDITIONS = (
    ("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
    ("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
    ("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
)


#: READY_ANNOTATION value (lower case) -> kubelet state; anything else is "alive"
_STATES = {"false": "down", "unknown": "dead"}
#: the labels a registering kubelet sets (``_register``), in the order it sets them
_NODE_LABELS = ("kubernetes.io/hostname", "kubernetes.io/os", "kubernetes.io/arch",
                "beta.kubernetes.io/os", "beta.kubernetes.io/arch")
_NODE_LABEL_KEYS = frozenset(_NODE_LABELS)


def kubelet_state(node: Obj) -> str:
    """alive | down (posts NotReady, then stops) | dead (stops)."""
    annotations = (node.get("metadata") or {}).get("annotations")
    if not annotations or READY_ANNOTATION not in annotations:
        return "alive"
    return _STATES.get(str(annotations[READY_ANNOTATION]).lower(), "alive")


class NodeAgent:
    def __init__(self, ctx: ControllerContext, settings: KubeletSettings) -> None:
        self.ctx, self.settings = ctx, settings
        self.client, self.clock = ctx.client, ctx.clock
        self.nodes = ctx.informers.informer("v1", "nodes")
        self.leases = ctx.informers.informer("coordination.k8s.io/v1", "leases")
        self.rng = random.Random(ctx.rng("kubelet-node").random())
        self.configured = {n.name: n for n in ctx.config.nodes}
        #: the node whose object is being written (its own update wakes nothing)
        self.writing: str | None = None
        #: node -> (resourceVersion whose status was found current, next heartbeat): a lease
        #: renewal between heartbeats need not rebuild and compare the whole status
        self._status_ok: dict[str, tuple[str, float]] = {}
        #: node -> the Node object last found registered (labels and podCIDR set): stored
        #: objects are never changed in place, so the same object needs no second look
        self._registered: dict[str, Obj] = {}

    def network_ready(self, name: str) -> bool:
        cfg = self.configured.get(name)
        return cfg is None or cfg.ready

    # -- reconcile -------------------------------------------------------------------
    def reconcile(self, name: str) -> Result | None:
        node = self.nodes.get("", name)
        if node is None:
            self._registered.pop(name, None)
            return None  # its Lease goes with it (ownerReference)
        state = kubelet_state(node)
        if state == "dead":
            return None
        self.writing = name
        try:
            if state == "down":
                self._post_down(node)
                return None
            node = self._register(node)
            now = self.clock.now()
            status_due = self._status(node, now)
            lease_due = self._lease(node, now)
        finally:
            self.writing = None
        return requeue_after(max(min(status_due, lease_due) - now, 0.001))

    def _register(self, node: Obj) -> Obj:
        """Labels and podCIDR a kubelet (and node IPAM) would set; a spec write if any is missing."""
        md = node["metadata"]
        if self._registered.get(md["name"]) is node:
            return node
        spec = node.get("spec") or {}
        labels = md.get("labels") or {}
        if spec.get("podCIDR") and labels.keys() >= _NODE_LABEL_KEYS:
            self._registered[md["name"]] = node
            return node
        want = dict(zip(_NODE_LABELS, (md["name"], "linux", "amd64", "linux", "amd64")))
        new = objects.deep_copy(node)
        for k, v in want.items():
            new["metadata"].setdefault("labels", {}).setdefault(k, v)
        nspec = new.setdefault("spec", {})
        if not nspec.get("podCIDR"):
            nspec["podCIDR"] = self._free_pod_cidr()
            nspec["podCIDRs"] = [nspec["podCIDR"]]
        return self.client.update(new, manager="kubelet")

    def _free_pod_cidr(self) -> str:
        net = ipaddress.ip_network(self.ctx.config.pod_cidr, strict=False)
        used = {str(ipaddress.ip_network(n["spec"]["podCIDR"], strict=False))
                for n in self.nodes.list() if (n.get("spec") or {}).get("podCIDR")}
        for sub in net.subnets(new_prefix=24):
            if int(sub.network_address) == int(net.network_address):
                continue  # <prefix>.0.0/24 is nobody's, as in bootstrap
            if str(sub) not in used:
                return str(sub)
        raise errors.InternalError("pod CIDR range exhausted")

    def _free_node_ip(self) -> str:
        """The address after the highest one in use, like a container network handing them out."""
        last = 1
        for n in self.nodes.list():
            for a in (n.get("status") or {}).get("addresses") or ():
                addr = str(a.get("address", ""))
                if a.get("type") == "InternalIP" and addr.startswith(NODE_IP_PREFIX):
                    tail = addr[len(NODE_IP_PREFIX):]
                    if tail.isdigit():
                        last = max(last, int(tail))
        return f"{NODE_IP_PREFIX}{last + 1}"

    def _desired(self, name: str) -> list[tuple[str, str, str, str]]:
        if self.network_ready(name):
            ready = ("Ready", "True", "KubeletReady", "kubelet is posting ready status")
        else:
            ready = ("Ready", "False", "KubeletNotReady", NOT_READY_NETWORK)
        return [*CONDITIONS, ready]

    def _status(self, node: Obj, now: float) -> float:
        """Post conditions when they change or a heartbeat is due; when the next one is."""
        md = node["metadata"]
        seen = self._status_ok.get(md["name"])
        if seen is not None and seen[0] == md.get("resourceVersion") and now + 1e-6 < seen[1]:
            return seen[1]
        due = self._post_status(node, now)
        self._status_ok[md["name"]] = (str((self.nodes.get("", md["name"]) or md)
                                           ["metadata"].get("resourceVersion")), due)
        return due

    def _post_status(self, node: Obj, now: float) -> float:
        freq = self.settings.nodeStatusReportFrequency
        status = dict(node.get("status") or {})
        old = {c.get("type"): c for c in status.get("conditions") or ()}
        last = (old.get("Ready") or {}).get("lastHeartbeatTime")
        beat = not last or parse_rfc3339(last) + freq <= now + 1e-6
        stamp = self.clock.rfc3339(now)
        conds: list[Obj] = []
        for ctype, st, reason, msg in self._desired(node["metadata"]["name"]):
            prev = old.get(ctype) or {}
            changed = prev.get("status") != st or prev.get("reason") != reason or \
                prev.get("message") != msg
            conds.append({
                "type": ctype, "status": st,
                "lastHeartbeatTime": stamp if (beat or changed) else prev.get("lastHeartbeatTime"),
                "lastTransitionTime": stamp if prev.get("status") != st or
                not prev.get("lastTransitionTime") else prev["lastTransitionTime"],
                "reason": reason, "message": msg})
        extra = [c for t, c in old.items() if t not in {c["type"] for c in conds}]
        status["conditions"] = conds + extra
        self._fill_status(node, status)
        if status != node.get("status"):
            new = {**node, "status": status}
            self.client.update_status(new, manager="kubelet", copy=False)
            was = (old.get("Ready") or {}).get("status")
            now_ready = conds[-1]["status"]
            if was is not None and was != now_ready:
                self._event(node, "NodeReady" if now_ready == "True" else "NodeNotReady")
            beat_at = now
        else:
            beat_at = parse_rfc3339(last) if last else now
        return beat_at + freq

    def _fill_status(self, node: Obj, status: Obj) -> None:
        """What a registering kubelet reports; ``status`` is a shallow copy, replace, never edit."""
        name = node["metadata"]["name"]
        if not status.get("addresses"):
            status["addresses"] = [{"type": "InternalIP", "address": self._free_node_ip()},
                                   {"type": "Hostname", "address": name}]
        if not status.get("capacity"):
            status["capacity"] = dict(DEFAULT_CAPACITY)
        if not status.get("allocatable"):
            status["allocatable"] = dict(status["capacity"])
        if "daemonEndpoints" not in status:
            status["daemonEndpoints"] = {"kubeletEndpoint": {"Port": 10250}}
        info = status.get("nodeInfo") or {}
        defaults = {"architecture": "amd64", "containerRuntimeVersion": "containerd://2.1.1",
                    "kernelVersion": "6.1.0-minik8s", "kubeProxyVersion": KUBELET_VERSION,
                    "kubeletVersion": KUBELET_VERSION, "operatingSystem": "linux",
                    "osImage": "Debian GNU/Linux 12 (bookworm)"}
        if all(info.get(k) for k in ("bootID", "systemUUID", "machineID")) and \
                all(k in info for k in defaults):
            return
        info = dict(info)
        for k, v in defaults.items():
            info.setdefault(k, v)
        for k in ("bootID", "systemUUID"):
            if not info.get(k):
                info[k] = str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
        if not info.get("machineID"):
            info["machineID"] = f"{self.rng.getrandbits(128):032x}"
        status["nodeInfo"] = info

    def _post_down(self, node: Obj) -> None:
        """A kubelet whose runtime went down says so once, then says nothing more."""
        status = objects.deep_copy(node.get("status") or {})
        conds = status.get("conditions") or []
        ready = next((c for c in conds if c.get("type") == "Ready"), None)
        if ready is not None and ready.get("status") in ("False", "Unknown"):
            return
        stamp = self.clock.rfc3339()
        new_ready = {"type": "Ready", "status": "False", "lastHeartbeatTime": stamp,
                     "lastTransitionTime": stamp, "reason": "KubeletNotReady",
                     "message": NOT_READY_DOWN}
        status["conditions"] = [c for c in conds if c.get("type") != "Ready"] + [new_ready]
        self.client.update_status({**node, "status": status}, manager="kubelet", copy=False)
        self._event(node, "NodeNotReady")

    def _event(self, node: Obj, reason: str) -> None:
        if self.settings.events:
            name = node["metadata"]["name"]
            self.client.event(node, reason, f"Node {name} status is now: {reason}",
                              component="kubelet", host=name)

    def _lease(self, node: Obj, now: float) -> float:
        name = node["metadata"]["name"]
        duration = self.settings.nodeLeaseDurationSeconds
        interval = duration / 4
        lease = self.leases.get(LEASE_NS, name)
        stamp = self.clock.rfc3339_micro(now)
        if lease is not None:
            renewed = (lease.get("spec") or {}).get("renewTime")
            if renewed and (due := parse_rfc3339(renewed) + interval) > now + 1e-6:
                return due
            self.client.update({**lease, "spec": {
                "holderIdentity": name, "leaseDurationSeconds": duration, "renewTime": stamp}},
                manager="kubelet", copy=False)
            return now + interval
        try:
            self.client.create({
                "apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                "metadata": {"name": name, "namespace": LEASE_NS, "ownerReferences": [{
                    "apiVersion": "v1", "kind": "Node", "name": name,
                    "uid": node["metadata"]["uid"]}]},
                "spec": {"holderIdentity": name, "leaseDurationSeconds": duration,
                         "renewTime": stamp}}, manager="kubelet")
        except (errors.AlreadyExists, errors.NotFound, errors.Forbidden):
            pass
        return now + interval
