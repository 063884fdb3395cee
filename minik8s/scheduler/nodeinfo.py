"""Per-node aggregates: allocatable, requested (and non-zero requested), ports, pods.

``NodeInfo`` mirrors kube-scheduler's ``framework.NodeInfo``: adding or removing a
pod updates the sums in O(1), so a Filter reads integers. The node object itself
is parsed once per update (labels, taints split by effect, allocatable).

Neighbours: ``cache`` owns the NodeInfos; preemption works on ``clone()`` copies.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from minik8s.scheduler import quantity
from minik8s.scheduler.podinfo import PodInfo, Taint

_EMPTY: dict[str, Any] = {}
WILDCARD_IP = "0.0.0.0"


class NodeInfo:
    """A node and the pods bound (or assumed) to it.

    ``node`` is None for a "ghost" entry: pods the cache heard about before their node.
    """

    __slots__ = ("alloc_cpu", "alloc_eph", "alloc_mem", "alloc_pods", "alloc_scalars",
                 "free_cpu", "free_eph", "free_mem", "free_pods",
                 "hard_taints", "labels", "name", "node", "nz_cpu", "nz_mem", "parsed_from",
                 "pods", "ports", "ports_any_ip", "prefer_taints", "req_cpu", "req_eph",
                 "req_mem", "req_scalars", "taints", "unschedulable")

    def __init__(self, name: str) -> None:
        self.name = name
        self.node: dict[str, Any] | None = None
        self.labels: dict[str, str] = {}
        self.taints: tuple[Taint, ...] = ()
        self.hard_taints: tuple[Taint, ...] = ()  # NoSchedule and NoExecute
        self.prefer_taints: tuple[Taint, ...] = ()  # PreferNoSchedule
        self.unschedulable = False
        self.alloc_cpu = self.alloc_mem = self.alloc_eph = self.alloc_pods = 0
        self.alloc_scalars: dict[str, int] = {}
        self.req_cpu = self.req_mem = self.req_eph = 0
        self.req_scalars: dict[str, int] = {}
        self.nz_cpu = self.nz_mem = 0
        # allocatable minus requested (and pods left), what Filter compares against
        self.free_cpu = self.free_mem = self.free_eph = self.free_pods = 0
        self.pods: dict[str, PodInfo] = {}
        self.ports: dict[tuple[str, str, int], int] = {}  # (ip, protocol, port) -> users
        self.ports_any_ip: dict[tuple[str, int], int] = {}  # (protocol, port) -> users, any ip
        #: the spec and allocatable objects the taints, schedulability and allocatable were
        #: parsed from (see ``set_node``)
        self.parsed_from: tuple[Any, Any] = (None, None)

    def set_node(self, node: dict[str, Any]) -> None:
        self.node = node
        meta = node.get("metadata") or _EMPTY
        spec = node.get("spec") or _EMPTY
        status = node.get("status") or _EMPTY
        self.labels = meta.get("labels") or {}
        # kubelets report both; fall back to capacity for hand-written nodes without allocatable
        alloc = status.get("allocatable") or status.get("capacity") or _EMPTY
        parsed_from = (spec, alloc)
        if parsed_from[0] is self.parsed_from[0] and parsed_from[1] is self.parsed_from[1]:
            # a status write (a heartbeat) keeps the stored spec and allocatable objects, which
            # are never changed in place: what was parsed from them stands
            return
        self.parsed_from = parsed_from
        self.taints = tuple(Taint(str(t.get("key") or ""), str(t.get("value") or ""),
                                  str(t.get("effect") or ""))
                            for t in spec.get("taints") or ())
        self.hard_taints = tuple(t for t in self.taints if t.effect in ("NoSchedule", "NoExecute"))
        self.prefer_taints = tuple(t for t in self.taints if t.effect == "PreferNoSchedule")
        self.unschedulable = bool(spec.get("unschedulable"))
        scalars: dict[str, int] = {}
        cpu = mem = eph = pods = 0
        for rname, q in alloc.items():
            if rname == "cpu":
                cpu = quantity.milli_value(q)
            elif rname == "memory":
                mem = quantity.value(q)
            elif rname == "ephemeral-storage":
                eph = quantity.value(q)
            elif rname == "pods":
                pods = quantity.value(q)
            elif quantity.is_scalar_resource(rname):
                scalars[rname] = quantity.value(q)
        self.alloc_cpu, self.alloc_mem, self.alloc_eph, self.alloc_pods = cpu, mem, eph, pods
        self.alloc_scalars = scalars
        self._refresh_free()

    def _refresh_free(self) -> None:
        self.free_cpu = self.alloc_cpu - self.req_cpu
        self.free_mem = self.alloc_mem - self.req_mem
        self.free_eph = self.alloc_eph - self.req_eph
        self.free_pods = self.alloc_pods - len(self.pods)

    def add_pod(self, p: PodInfo) -> None:
        old = self.pods.pop(p.key, None)
        if old is not None:
            self._account(old, -1)
        self.pods[p.key] = p
        self._account(p, 1)
        self._refresh_free()

    def remove_pod(self, p: PodInfo) -> bool:
        old = self.pods.pop(p.key, None)
        if old is None:
            return False
        self._account(old, -1)
        self._refresh_free()
        return True

    def _account(self, p: PodInfo, sign: int) -> None:
        self.req_cpu += sign * p.cpu
        self.req_mem += sign * p.mem
        self.req_eph += sign * p.eph
        self.nz_cpu += sign * p.nz_cpu
        self.nz_mem += sign * p.nz_mem
        for k, v in p.scalars.items():
            self.req_scalars[k] = self.req_scalars.get(k, 0) + sign * v
        for ip, proto, port in p.host_ports:
            key = (ip, proto, port)
            self.ports[key] = self.ports.get(key, 0) + sign
            if not self.ports[key]:
                del self.ports[key]
            any_key = (proto, port)
            self.ports_any_ip[any_key] = self.ports_any_ip.get(any_key, 0) + sign
            if not self.ports_any_ip[any_key]:
                del self.ports_any_ip[any_key]

    def port_conflict(self, ip: str, proto: str, port: int) -> bool:
        """``HostPortInfo.CheckConflict``: 0.0.0.0 conflicts with every address."""
        if ip == WILDCARD_IP:
            return (proto, port) in self.ports_any_ip
        return (ip, proto, port) in self.ports or (WILDCARD_IP, proto, port) in self.ports

    def clone(self) -> NodeInfo:
        """A copy whose pod set and sums can change without touching this one."""
        c = NodeInfo.__new__(NodeInfo)
        for slot in NodeInfo.__slots__:
            setattr(c, slot, getattr(self, slot))
        c.pods = dict(self.pods)
        c.req_scalars = dict(self.req_scalars)
        c.ports = dict(self.ports)
        c.ports_any_ip = dict(self.ports_any_ip)
        return c

    def __repr__(self) -> str:
        return f"NodeInfo({self.name}, pods={len(self.pods)})"


def node_name(node: Mapping[str, Any]) -> str:
    return str((node.get("metadata") or _EMPTY).get("name") or "")
