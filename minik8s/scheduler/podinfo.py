"""A pod as the scheduler reads it, parsed once: requests, ports, tolerations, affinity.

``PodInfo.of(pod)`` turns a pod dict into plain attributes so that plugins never
walk the JSON in a loop: resource requests the way ``resourcehelper.PodRequests``
sums them (init containers and sidecars, overhead) plus the "non-zero" requests
used for scoring (100m cpu / 200Mi memory for a container that requests none),
host ports, tolerations, and the inter-pod affinity terms with their namespaces
resolved like ``framework.PodInfo`` does.

Neighbours: ``nodeinfo`` aggregates PodInfos per node; ``aggregates`` counts them
per topology domain; the plugins read the attributes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from minik8s.api import selectors
from minik8s.memo import remember
from minik8s.scheduler import quantity

DEFAULT_MILLI_CPU_REQUEST = 100  # schedutil.DefaultMilliCPURequest
DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024  # schedutil.DefaultMemoryRequest
_EMPTY: dict[str, Any] = {}

NamespaceLabels = Callable[[str], "Mapping[str, str] | None"]


class Toleration(NamedTuple):
    key: str
    operator: str  # "Equal" or "Exists"
    value: str
    effect: str  # "" tolerates every effect

    def tolerates(self, taint: Taint) -> bool:
        """``Toleration.ToleratesTaint``."""
        if self.effect and self.effect != taint.effect:
            return False
        if self.key and self.key != taint.key:
            return False
        if self.operator == "Exists":
            return True
        return self.operator in ("", "Equal") and self.value == taint.value


class Taint(NamedTuple):
    key: str
    value: str
    effect: str


def tolerated(tolerations: tuple[Toleration, ...], taint: Taint) -> bool:
    for t in tolerations:
        if t.tolerates(taint):
            return True
    return False


class AffinityTerm(NamedTuple):
    """A PodAffinityTerm with its selectors compiled.

    ``namespaces`` already holds the owner pod's namespace when the term names
    none and has no namespaceSelector; ``ns_selector`` is NOTHING when unset.
    """

    namespaces: frozenset[str]
    ns_selector: selectors.LabelSelector
    selector: selectors.LabelSelector
    topology_key: str

    def matches(self, pod: PodInfo, ns_labels: NamespaceLabels) -> bool:
        """``AffinityTerm.Matches``: namespace (by name or selector) and labels."""
        if pod.namespace in self.namespaces or (
                not self.ns_selector.is_nothing
                and self.ns_selector.matches(ns_labels(pod.namespace) or _EMPTY)):
            return self.selector.matches(pod.labels)
        return False


def _selector(sel: Mapping[str, Any] | None) -> selectors.LabelSelector:
    try:
        return selectors.label_selector_from_dict(sel)
    except selectors.SelectorError:
        return selectors.NOTHING  # the apiserver validates; never match a broken selector


def _term(owner_ns: str, term: Mapping[str, Any]) -> AffinityTerm:
    names = term.get("namespaces") or []
    ns_sel = term.get("namespaceSelector")
    namespaces = frozenset(names) if names or ns_sel is not None else frozenset((owner_ns,))
    return AffinityTerm(namespaces, _selector(ns_sel), _selector(term.get("labelSelector")),
                        str(term.get("topologyKey") or ""))


def _terms(owner_ns: str, raw: Any) -> tuple[AffinityTerm, ...]:
    return tuple(_term(owner_ns, t) for t in raw or ())


def _weighted(owner_ns: str, raw: Any) -> tuple[tuple[int, AffinityTerm], ...]:
    return tuple((int(w.get("weight") or 0), _term(owner_ns, w.get("podAffinityTerm") or _EMPTY))
                 for w in raw or ())


def _requests(c: Mapping[str, Any]) -> dict[str, int]:
    reqs = (c.get("resources") or _EMPTY).get("requests") or _EMPTY
    return {name: quantity.amount(name, q) for name, q in reqs.items()}


def _add(into: dict[str, int], other: Mapping[str, int]) -> None:
    for k, v in other.items():
        into[k] = into.get(k, 0) + v


def _max(into: dict[str, int], other: Mapping[str, int]) -> None:
    for k, v in other.items():
        if v > into.get(k, 0):
            into[k] = v


def _nonzero(reqs: Mapping[str, int]) -> dict[str, int]:
    return {"cpu": reqs.get("cpu", DEFAULT_MILLI_CPU_REQUEST),
            "memory": reqs.get("memory", DEFAULT_MEMORY_REQUEST)}


def pod_requests(spec: Mapping[str, Any], nonzero: bool = False) -> dict[str, int]:
    """``resourcehelper.PodRequests``: max(sum of containers + sidecars, each init step) + overhead.

    With ``nonzero``, a container that requests no cpu (memory) counts as 100m (200Mi).
    """
    total: dict[str, int] = {}
    for c in spec.get("containers") or ():
        r = _requests(c)
        _add(total, _nonzero(r) if nonzero else r)
    sidecars: dict[str, int] = {}
    init_max: dict[str, int] = {}
    for c in spec.get("initContainers") or ():
        r = _requests(c)
        if nonzero:
            r = _nonzero(r)
        if c.get("restartPolicy") == "Always":  # a sidecar keeps running next to the app
            _add(total, r)
            _add(sidecars, r)
            step = dict(sidecars)
        else:
            step = dict(r)
            _add(step, sidecars)
        _max(init_max, step)
    _max(total, init_max)
    overhead = spec.get("overhead") or _EMPTY
    if overhead:
        _add(total, {name: quantity.amount(name, q) for name, q in overhead.items()})
    return total


def _host_ports(spec: Mapping[str, Any]) -> tuple[tuple[str, str, int], ...]:
    ports = []
    for c in spec.get("containers") or ():
        for p in c.get("ports") or ():
            hp = p.get("hostPort") or 0
            if hp > 0:
                ports.append((p.get("hostIP") or "0.0.0.0", p.get("protocol") or "TCP", int(hp)))
    return tuple(ports)


#: id(pod dict) -> its PodInfo (see ``PodInfo.of``)
_PARSED: dict[int, PodInfo] = {}
#: uid -> the latest PodInfo parsed for it (a new version with the same spec reuses the parse)
_BY_UID: dict[str, PodInfo] = {}
_PARSED_MAX = 4096


class PodInfo:
    """One pod, parsed. ``key`` is the uid (or namespace/name when there is none)."""

    __slots__ = ("cpu", "eph", "host_ports", "key", "labels", "mem", "name", "namespace",
                 "node_name", "nominated_node_name", "nz_cpu", "nz_mem", "pod", "preemption_policy",
                 "preferred_affinity", "preferred_anti_affinity", "priority", "pvc_names",
                 "required_affinity", "required_anti_affinity", "scalars", "start_time",
                 "terminating", "tolerations")

    pod: dict[str, Any]
    key: str
    name: str
    namespace: str
    labels: dict[str, str]
    node_name: str
    nominated_node_name: str
    priority: int
    preemption_policy: str
    terminating: bool
    start_time: str
    cpu: int
    mem: int
    eph: int
    scalars: dict[str, int]
    nz_cpu: int
    nz_mem: int
    host_ports: tuple[tuple[str, str, int], ...]
    tolerations: tuple[Toleration, ...]
    required_affinity: tuple[AffinityTerm, ...]
    required_anti_affinity: tuple[AffinityTerm, ...]
    preferred_affinity: tuple[tuple[int, AffinityTerm], ...]
    preferred_anti_affinity: tuple[tuple[int, AffinityTerm], ...]
    pvc_names: tuple[str, ...]

    @classmethod
    def of(cls, pod: Mapping[str, Any] | PodInfo) -> PodInfo:
        """Parsed once per pod object: the scheduler, its cache and every plugin ask for the
        same committed (never mutated) dict several times per scheduling cycle."""
        if isinstance(pod, PodInfo):
            return pod
        hit = _PARSED.get(id(pod))
        if hit is not None and hit.pod is pod:
            return hit
        meta = pod.get("metadata") or _EMPTY
        uid = meta.get("uid")
        prev = _BY_UID.get(uid) if uid else None
        if prev is not None and prev.labels == (meta.get("labels") or {}) and \
                _same_spec_but_node(prev.pod.get("spec"), pod.get("spec")):
            # a status or metadata write, or the binding: the spec parse still holds
            self = prev._restated(pod)
        else:
            self = cls._parse(pod)
        # holds the pod, so its id cannot be reused while cached
        remember(_PARSED, id(pod), self, _PARSED_MAX)
        if uid:
            remember(_BY_UID, uid, self, _PARSED_MAX)
        return self

    def _copy(self) -> PodInfo:
        copy = PodInfo.__new__(PodInfo)
        for slot in PodInfo.__slots__:
            setattr(copy, slot, getattr(self, slot))
        return copy

    def _restated(self, pod: Mapping[str, Any]) -> PodInfo:
        """This parse for a new version of the same pod whose spec and labels are unchanged."""
        copy = self._copy()
        copy._take_version(pod)
        return copy

    def _take_version(self, pod: Mapping[str, Any]) -> None:
        """What a status or metadata write or a binding can change (the rest follows the rest
        of the spec and the labels)."""
        meta = pod.get("metadata") or _EMPTY
        status = pod.get("status") or _EMPTY
        self.pod = pod  # type: ignore[assignment]
        self.node_name = str((pod.get("spec") or _EMPTY).get("nodeName") or "")
        self.name = str(meta.get("name") or "")
        self.namespace = str(meta.get("namespace") or "default")
        self.terminating = bool(meta.get("deletionTimestamp"))
        self.nominated_node_name = str(status.get("nominatedNodeName") or "")
        self.start_time = str(status.get("startTime") or "")  # "" = not started: latest

    @classmethod
    def _parse(cls, pod: Mapping[str, Any]) -> PodInfo:
        self = cls.__new__(cls)
        meta = pod.get("metadata") or _EMPTY
        spec = pod.get("spec") or _EMPTY
        self._take_version(pod)
        self.key = str(meta.get("uid") or f"{self.namespace}/{self.name}")
        self.labels = meta.get("labels") or {}
        self.priority = int(spec.get("priority") or 0)
        self.preemption_policy = str(spec.get("preemptionPolicy") or "PreemptLowerPriority")
        reqs = pod_requests(spec)
        self.cpu = reqs.pop("cpu", 0)
        self.mem = reqs.pop("memory", 0)
        self.eph = reqs.pop("ephemeral-storage", 0)
        self.scalars = {k: v for k, v in reqs.items() if v and quantity.is_scalar_resource(k)}
        nz = pod_requests(spec, nonzero=True)
        self.nz_cpu, self.nz_mem = nz.get("cpu", 0), nz.get("memory", 0)
        self.host_ports = _host_ports(spec)
        self.tolerations = tuple(
            Toleration(str(t.get("key") or ""), str(t.get("operator") or "Equal"),
                       str(t.get("value") or ""), str(t.get("effect") or ""))
            for t in spec.get("tolerations") or ())
        aff = spec.get("affinity") or _EMPTY
        pa = aff.get("podAffinity") or _EMPTY
        paa = aff.get("podAntiAffinity") or _EMPTY
        ns = self.namespace
        self.required_affinity = _terms(
            ns, pa.get("requiredDuringSchedulingIgnoredDuringExecution"))
        self.required_anti_affinity = _terms(
            ns, paa.get("requiredDuringSchedulingIgnoredDuringExecution"))
        self.preferred_affinity = _weighted(
            ns, pa.get("preferredDuringSchedulingIgnoredDuringExecution"))
        self.preferred_anti_affinity = _weighted(
            ns, paa.get("preferredDuringSchedulingIgnoredDuringExecution"))
        self.pvc_names = tuple(
            str(v["persistentVolumeClaim"].get("claimName") or "")
            for v in spec.get("volumes") or () if v.get("persistentVolumeClaim"))
        return self

    def on_node(self, node_name: str) -> PodInfo:
        """A copy bound to ``node_name`` (what ``assume`` stores)."""
        copy = self._copy()
        copy.node_name = node_name
        return copy

    @property
    def spec(self) -> Mapping[str, Any]:
        return self.pod.get("spec") or _EMPTY

    @property
    def has_affinity(self) -> bool:
        return bool(self.required_affinity or self.required_anti_affinity
                    or self.preferred_affinity or self.preferred_anti_affinity)

    def __repr__(self) -> str:
        return f"PodInfo({self.namespace}/{self.name} on {self.node_name or '-'})"


def _same_spec_but_node(old: Any, new: Any) -> bool:
    """``new`` is ``old`` or ``old`` bound to a node (nothing a parse reads besides
    ``nodeName`` differs)."""
    if old == new:
        return True
    if not isinstance(old, dict) or not isinstance(new, dict) or "nodeName" not in new:
        return False
    return {**old, "nodeName": new["nodeName"]} == new


def priority(pod: Mapping[str, Any] | PodInfo) -> int:
    """``corev1helpers.PodPriority``: spec.priority, 0 when unset."""
    if isinstance(pod, PodInfo):
        return pod.priority
    return int((pod.get("spec") or _EMPTY).get("priority") or 0)
