"""The scheduler's view of the cluster: nodes, the pods bound or assumed to them, aggregates.

``ClusterCache`` is kube-scheduler's cache and snapshot in one (this scheduler runs
one cycle at a time, so the cache *is* the snapshot): the controller feeds it from
watch events (``add_node`` ... ``remove_pod``), the framework reads it, and after a
successful cycle ``assume(pod, node)`` books the pod on the node until the bind
shows up as ``add_pod`` (or ``forget`` undoes it). Everything is incremental:

* per node, a ``NodeInfo`` with requested / allocatable sums and host ports;
* ``node_list()``: real nodes interleaved by zone like kube-scheduler's nodeTree,
  the order in which a cycle walks (and samples) them;
* ``pod_counts``/``term_groups``/``domains``: topology aggregates (see ``aggregates``);
* nominated pods (``status.nominatedNodeName`` after preemption) per node.

It also carries the lookups a scheduler needs from the rest of the cluster, passed
in by the controller: namespace labels (namespaceSelector in affinity terms), the
default spreading selector (Services/RCs/RSs/StatefulSets selecting a pod) and the
volume checks (VolumeBinding).

Neighbours: ``framework`` and the plugins read it; the lead's controller writes it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from minik8s.api import selectors
from minik8s.scheduler import aggregates
from minik8s.scheduler.nodeinfo import NodeInfo, node_name
from minik8s.scheduler.podinfo import PodInfo

ZONE_LABELS = ("topology.kubernetes.io/zone", "failure-domain.beta.kubernetes.io/zone")
REGION_LABELS = ("topology.kubernetes.io/region", "failure-domain.beta.kubernetes.io/region")

NamespaceLabels = Callable[[str], "Mapping[str, str] | None"]
SpreadSelector = Callable[[Mapping[str, Any]], "selectors.LabelSelector | None"]
VolumeChecker = Callable[[PodInfo, NodeInfo], "list[str]"]
ClaimsChecker = Callable[[PodInfo], "str | None"]


def _no_labels(namespace: str) -> Mapping[str, str] | None:
    return None


def _no_selector(pod: Mapping[str, Any]) -> selectors.LabelSelector | None:
    return None


def zone_key(labels: Mapping[str, str]) -> str:
    """``utilnode.GetZoneKey``: region and zone, "" when the node has neither."""
    region = next((labels[k] for k in REGION_LABELS if k in labels), "")
    zone = next((labels[k] for k in ZONE_LABELS if k in labels), "")
    return "" if not region and not zone else f"{region}:\x00:{zone}"


class ClusterCache:
    """Nodes and scheduled pods, with the aggregates the plugins need.

    Lookups (all optional): ``namespace_labels(ns) -> labels | None``;
    ``spread_selector(pod) -> LabelSelector | None`` (the union of the selectors of
    the Services, RCs, RSs and StatefulSets matching the pod, for default topology
    spreading); ``volume_checker(pod_info, node_info) -> [reason]`` and
    ``claims_checker(pod_info) -> reason | None`` for VolumeBinding.
    """

    def __init__(self, *, namespace_labels: NamespaceLabels | None = None,
                 spread_selector: SpreadSelector | None = None,
                 volume_checker: VolumeChecker | None = None,
                 claims_checker: ClaimsChecker | None = None,
                 max_counters: int = 512) -> None:
        self.namespace_labels: NamespaceLabels = namespace_labels or _no_labels
        self.spread_selector: SpreadSelector = spread_selector or _no_selector
        self.volume_checker = volume_checker
        self.claims_checker = claims_checker
        self.nodes: dict[str, NodeInfo] = {}  # includes "ghosts" (pods seen before their node)
        self.generation = 0  # bumped on every change
        self._pods: dict[str, PodInfo] = {}
        self._assumed: set[str] = set()
        self._zones: dict[str, list[str]] = {}
        self._node_zone: dict[str, str] = {}
        self._list: list[NodeInfo] | None = None
        self._namespaces: dict[str, int] = {}
        self._domains: dict[str, dict[str, int]] = {}
        self._nominated: dict[str, dict[str, PodInfo]] = {}
        self._nominated_node: dict[str, str] = {}
        self.counters = aggregates.PodCounters(max_counters)
        self.term_groups = aggregates.TermGroups()
        self._columns: NodeColumns | None = None
        #: names of the nodes whose pods (so requested sums) changed, oldest first, since
        #: ``_touched_epoch`` last moved (see ``node_scores``)
        self._touched: list[str] = []
        self._touched_epoch = 0

    # --- nodes ---------------------------------------------------------------------------------

    def add_node(self, node: dict[str, Any]) -> None:
        name = node_name(node)
        ni = self.nodes.get(name)
        if ni is not None and ni.node is not None:
            self.update_node(node)
            return
        if ni is None:
            ni = self.nodes[name] = NodeInfo(name)
        self._relabel(ni, node)
        self._columns = None
        self.generation += 1

    def update_node(self, node: dict[str, Any]) -> None:
        name = node_name(node)
        ni = self.nodes.get(name)
        if ni is None or ni.node is None:
            self.add_node(node)
            return
        if ((node.get("metadata") or {}).get("labels") or {}) != ni.labels:
            self._relabel(ni, node)
        else:
            ni.set_node(node)
        self._columns = None
        self.generation += 1

    def remove_node(self, name: str) -> None:
        ni = self.nodes.get(name)
        if ni is None or ni.node is None:
            return
        self._set_membership(ni, None)
        for p in ni.pods.values():
            self._account(p, ni, -1)
        ni.node = None
        ni.labels = {}
        for p in ni.pods.values():
            self._account(p, ni, 1)
        if not ni.pods:
            del self.nodes[name]
        self._columns = None
        self.generation += 1

    def _relabel(self, ni: NodeInfo, node: dict[str, Any]) -> None:
        """Set a node whose labels changed: every label-keyed aggregate moves with it."""
        for p in ni.pods.values():
            self._account(p, ni, -1)
        if ni.node is not None:
            self._set_membership(ni, None)
        ni.set_node(node)
        self._set_membership(ni, ni.labels)
        for p in ni.pods.values():
            self._account(p, ni, 1)

    def _set_membership(self, ni: NodeInfo, labels: Mapping[str, str] | None) -> None:
        """Enter (labels) or leave (None) the node list and the per-key domain counts."""
        name = ni.name
        sign = 1 if labels is not None else -1
        for key, values in self._domains.items():
            value = (ni.labels if labels is None else labels).get(key)
            if value is not None:
                n = values.get(value, 0) + sign
                if n:
                    values[value] = n
                else:
                    del values[value]
        if labels is None:
            zone = self._node_zone.pop(name)
            self._zones[zone].remove(name)
            if not self._zones[zone]:
                del self._zones[zone]
        else:
            zone = zone_key(labels)
            self._node_zone[name] = zone
            self._zones.setdefault(zone, []).append(name)
        self._list = None

    def node_list(self) -> list[NodeInfo]:
        """Real nodes, one per zone in turn (kube-scheduler's nodeTree order)."""
        if self._list is None:
            zones = list(self._zones.values())
            out: list[NodeInfo] = []
            depth = max((len(z) for z in zones), default=0)
            for i in range(depth):
                for z in zones:
                    if i < len(z):
                        out.append(self.nodes[z[i]])
            self._list = out
        return self._list

    def columns(self, nodes: list[NodeInfo]) -> NodeColumns:
        """Names and label values of ``nodes``, kept from one cycle to the next while the list
        holds the same nodes (in the same or a turned order) and no node changes: a cycle
        usually scores the nodes the last one scored, and reads these columns instead of
        every node's labels again."""
        cols = self._columns
        if cols is not None:
            if cols.nodes == nodes:  # identity first: a C-speed compare
                return cols
            turned = cols.rotated(nodes)
            if turned is not None:
                self._columns = turned
                return turned
        cols = self._columns = NodeColumns(nodes)
        return cols

    def node_scores(self, nodes: list[NodeInfo], key: tuple[Any, ...],
                    all_nodes: Callable[[list[NodeInfo]], list[int]],
                    one_node: Callable[[NodeInfo], int]) -> list[int]:
        """``all_nodes(nodes)``, a score that depends only on each node's own allocatable and
        requested sums and on ``key`` (the pod's side), kept between cycles: only the nodes
        whose pods changed since (and, after a node update, all of them) are scored again."""
        cols = self.columns(nodes)
        base = cols._base or cols
        if len(self._touched) > 4096:  # the log only has to reach back one cycle
            self._touched.clear()
            self._touched_epoch += 1
        got = base.scores.get(key)
        if got is None or got[1] != self._touched_epoch or not base.unique:
            scores = all_nodes(base.nodes)
        else:
            scores, _, seen = got
            index = base.index
            for name in self._touched[seen:]:
                i = index.get(name)
                if i is not None:
                    scores[i] = one_node(base.nodes[i])
        base.scores[key] = (scores, self._touched_epoch, len(self._touched))
        shift = cols.shift
        return scores[shift:] + scores[:shift] if shift else list(scores)

    @property
    def num_nodes(self) -> int:
        return len(self._node_zone)

    def get_node(self, name: str) -> NodeInfo | None:
        ni = self.nodes.get(name)
        return ni if ni is not None and ni.node is not None else None

    # --- pods ----------------------------------------------------------------------------------

    def add_pod(self, pod: Mapping[str, Any] | PodInfo) -> None:
        """A pod bound to a node (spec.nodeName); confirms it if it was assumed."""
        p = PodInfo.of(pod)
        if not p.node_name:
            return
        if p.key in self._assumed and self._confirm(p):
            return
        self._drop(p.key)
        self._assumed.discard(p.key)
        self._put(p)

    def _confirm(self, p: PodInfo) -> bool:
        """The binding of an assumed pod arrived as assumed: swap in the bound version.

        Dropping and re-adding it would leave every sum and count as it is and move the pod
        to the end of its node's and the cache's pod order, where it already is (checked:
        preemption reads victims in node order), so only the parsed pod changes.
        """
        key = p.key
        cur = self._pods.get(key)
        ni = self.nodes.get(p.node_name)
        if cur is None or ni is None or ni.pods.get(key) is not cur \
                or next(reversed(ni.pods)) != key or next(reversed(self._pods)) != key \
                or not _same_footprint(cur, p):
            return False
        ni.pods[key] = self._pods[key] = p
        self._assumed.discard(key)
        self.generation += 1
        return True

    def update_pod(self, old: Mapping[str, Any] | PodInfo | None,
                   new: Mapping[str, Any] | PodInfo) -> None:
        p = PodInfo.of(new)
        if old is not None:
            cur = self._pods.get(p.key)
            if cur is not None and p.key not in self._assumed and _same_footprint(cur, p):
                ni = self.nodes.get(p.node_name)
                if ni is not None and ni.pods.get(p.key) is cur:
                    # a status write (the kubelet's): nothing any aggregate counts has changed,
                    # so swap the parsed pod instead of un-counting and re-counting it everywhere
                    ni.pods[p.key] = self._pods[p.key] = p
                    self.generation += 1
                    return
            self._drop(PodInfo.of(old).key)
        self._drop(p.key)
        self._assumed.discard(p.key)
        if p.node_name:
            self._put(p)

    def remove_pod(self, pod: Mapping[str, Any] | PodInfo) -> None:
        p = PodInfo.of(pod)
        self._drop(p.key)
        self._assumed.discard(p.key)
        self.unnominate(p)

    def assume(self, pod: Mapping[str, Any] | PodInfo, node_name: str) -> PodInfo:
        """Book the pod on ``node_name`` before the binding is confirmed."""
        p = PodInfo.of(pod).on_node(node_name)
        self.unnominate(p)
        self._drop(p.key)
        self._put(p)
        self._assumed.add(p.key)
        return p

    def forget(self, pod: Mapping[str, Any] | PodInfo) -> None:
        """Undo ``assume`` (the bind failed)."""
        key = PodInfo.of(pod).key
        if key in self._assumed:
            self._assumed.discard(key)
            self._drop(key)

    def is_assumed(self, pod: Mapping[str, Any] | PodInfo) -> bool:
        return PodInfo.of(pod).key in self._assumed

    def pods(self) -> Iterable[PodInfo]:
        return self._pods.values()

    def _put(self, p: PodInfo) -> None:
        ni = self.nodes.get(p.node_name)
        if ni is None:
            ni = self.nodes[p.node_name] = NodeInfo(p.node_name)
        self._pods[p.key] = p
        ni.add_pod(p)
        self._touched.append(ni.name)
        self._account(p, ni, 1)
        self._namespaces[p.namespace] = self._namespaces.get(p.namespace, 0) + 1
        self.generation += 1

    def _drop(self, key: str) -> None:
        p = self._pods.pop(key, None)
        if p is None:
            return
        ni = self.nodes.get(p.node_name)
        if ni is not None and ni.remove_pod(p):
            self._touched.append(ni.name)
            self._account(p, ni, -1)
            if ni.node is None and not ni.pods:
                del self.nodes[ni.name]
        n = self._namespaces[p.namespace] - 1
        if n:
            self._namespaces[p.namespace] = n
        else:
            del self._namespaces[p.namespace]
        self.generation += 1

    def _account(self, p: PodInfo, ni: NodeInfo, sign: int) -> None:
        self.counters.on_pod(p, ni, sign)
        self.term_groups.on_pod(p, ni, sign)

    # --- nominated pods ------------------------------------------------------------------------

    def nominate(self, pod: Mapping[str, Any] | PodInfo, node_name: str) -> None:
        """Record that preemption made room for ``pod`` on ``node_name``."""
        p = PodInfo.of(pod)
        self.unnominate(p)
        if node_name:
            self._nominated.setdefault(node_name, {})[p.key] = p
            self._nominated_node[p.key] = node_name

    def unnominate(self, pod: Mapping[str, Any] | PodInfo) -> None:
        key = PodInfo.of(pod).key
        node = self._nominated_node.pop(key, None)
        if node is not None:
            pods = self._nominated[node]
            pods.pop(key, None)
            if not pods:
                del self._nominated[node]

    def nominated_pods(self, node_name: str) -> list[PodInfo]:
        return list(self._nominated.get(node_name, {}).values())

    @property
    def has_nominated(self) -> bool:
        return bool(self._nominated)

    def nominated_node_names(self) -> set[str]:
        return set(self._nominated)

    # --- aggregates ----------------------------------------------------------------------------

    def pod_counts(self, terms: aggregates.QueryTerms, topology_key: str | None,
                   skip_terminating: bool = False) -> dict[str, int]:
        """Pods matching every (namespaces, selector) of ``terms``, per topology value.

        ``topology_key=None`` counts per node name. Read-only: copy before changing.
        """
        return self.counters.get(terms, topology_key, skip_terminating, self.nodes)

    def domains(self, topology_key: str) -> dict[str, int]:
        """topology value -> number of (real) nodes carrying it. Read-only."""
        values = self._domains.get(topology_key)
        if values is None:
            values = self._domains[topology_key] = {}
            for ni in self.node_list():
                v = ni.labels.get(topology_key)
                if v is not None:
                    values[v] = values.get(v, 0) + 1
        return values

    def namespaces(self) -> Iterable[str]:
        """Namespaces that have pods in the cache."""
        return self._namespaces.keys()


class NodeColumns:
    """Per-node facts of one list of nodes that only a node update can change.

    ``ClusterCache.columns`` drops them on every node add, update or remove; pods coming and
    going change none of them. A list that is a rotation of the first one seen (the Filter
    walk starts where the last cycle stopped) shares its columns, turned by ``shift``.
    """

    __slots__ = ("_base", "_index", "_names", "_values", "nodes", "scores", "shift")

    def __init__(self, nodes: list[NodeInfo], base: NodeColumns | None = None,
                 shift: int = 0) -> None:
        self.nodes = list(nodes)
        self.shift = shift
        self._base = base
        self._values: dict[str, tuple[list[str | None], int, int]] = {}
        #: see ``ClusterCache.node_scores`` (kept on the unturned columns only)
        self.scores: dict[tuple[Any, ...], tuple[list[int], int, int]] = {}
        # built on first use: a list seen once (the walk of a big cluster samples a different
        # part of it every cycle) should cost no more than its copy
        self._names: list[str] | None = None
        self._index: dict[str, int] | None = None

    @property
    def names(self) -> list[str]:
        if self._names is None:
            base = self._base
            self._names = [ni.name for ni in self.nodes] if base is None else \
                base.names[self.shift:] + base.names[:self.shift]
        return self._names

    @property
    def index(self) -> dict[str, int]:
        """name -> position in the unturned list (the first, should it hold a node twice)."""
        if self._base is not None:
            return self._base.index
        if self._index is None:
            self._index = {}
            for i, name in enumerate(self.names):
                self._index.setdefault(name, i)
        return self._index

    @property
    def unique(self) -> bool:
        """No node is in the list twice (``position`` is then every node's)."""
        return len(self.index) == len(self.nodes)

    def position(self, name: str) -> int | None:
        i = self.index.get(name)
        return None if i is None else (i - self.shift) % len(self.nodes)

    def rotated(self, nodes: list[NodeInfo]) -> NodeColumns | None:
        """These columns for ``nodes`` if it is this list turned (else None)."""
        base = self._base or self
        if len(nodes) != len(base.nodes) or not nodes:
            return None
        try:  # identity first: a C-speed scan
            shift = base.nodes.index(nodes[0])
        except ValueError:
            return None
        if base.nodes[shift:] + base.nodes[:shift] != nodes:
            return None
        return NodeColumns(nodes, base, shift) if shift else base

    def values(self, key: str) -> tuple[list[str | None], int, int]:
        """(each node's value of label ``key`` or None, how many lack it, how many distinct
        values there are counting a missing label as the value "")."""
        got = self._values.get(key)
        if got is None:
            if self._base is not None:
                values, missing, distinct = self._base.values(key)
                values = values[self.shift:] + values[:self.shift]
            else:
                values = [ni.labels.get(key) for ni in self.nodes]
                domains = set(values)
                if None in domains:
                    domains.discard(None)
                    domains.add("")
                missing, distinct = values.count(None), len(domains)
            got = self._values[key] = (values, missing, distinct)
        return got


#: what the node accounting and the topology aggregates read from a pod
_FOOTPRINT = ("node_name", "namespace", "labels", "terminating", "priority", "nominated_node_name",
              "cpu", "mem", "eph", "scalars", "nz_cpu", "nz_mem", "host_ports", "tolerations",
              "required_affinity", "required_anti_affinity", "preferred_affinity",
              "preferred_anti_affinity", "pvc_names")


def _same_footprint(a: PodInfo, b: PodInfo) -> bool:
    return all(getattr(a, f) == getattr(b, f) for f in _FOOTPRINT)
