"""Small independent oracles over plain dicts, for the invariants (``invariants``).

Tolerations, node selection, effective requests, liveness, and ``Expectations`` (what the
user asked for). Written without the controllers' and scheduler's code on purpose: a checker
that shared their helpers would share their bugs. Only ``minik8s.api.quantity`` and
``selectors`` (parsing, not policy) are borrowed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import Any

from minik8s.api import quantity, selectors

Obj = dict[str, Any]

__all__ = [
    "DAEMON_TOLERATIONS",
    "Expectations",
    "allocatable",
    "cannot_run",
    "controller_of",
    "daemon_target",
    "live",
    "node_healthy",
    "node_selected",
    "pod_requests",
    "tolerated",
    "unbound",
    "untolerated",
]

#: tolerations the DaemonSet controller adds to every daemon pod (AddOrUpdateDaemonPodTolerations)
DAEMON_TOLERATIONS: tuple[Obj, ...] = tuple(
    {"key": f"node.kubernetes.io/{k}", "operator": "Exists", "effect": e}
    for k, e in (("not-ready", "NoExecute"), ("unreachable", "NoExecute"),
                 ("disk-pressure", "NoSchedule"), ("memory-pressure", "NoSchedule"),
                 ("pid-pressure", "NoSchedule"), ("unschedulable", "NoSchedule")))


def _md(o: Obj) -> Obj:
    return o.get("metadata") or {}


def _key(o: Obj) -> str:
    md = _md(o)
    return f"{md['namespace']}/{md['name']}" if md.get("namespace") else str(md.get("name"))


def live(pod: Obj) -> bool:
    """Not being deleted and not terminated: what a controller counts as one of its replicas."""
    return not _md(pod).get("deletionTimestamp") and \
        (pod.get("status") or {}).get("phase") not in ("Succeeded", "Failed")


def controller_of(o: Obj) -> Obj | None:
    refs = [r for r in _md(o).get("ownerReferences") or () if r.get("controller")]
    return refs[0] if refs else None


def tolerated(taint: Mapping[str, Any], tolerations: Iterable[Mapping[str, Any]]) -> bool:
    for t in tolerations:
        if t.get("effect") and t["effect"] != taint.get("effect"):
            continue
        if t.get("key") and t["key"] != taint.get("key"):
            continue
        if not t.get("key") and (t.get("operator") or "Equal") != "Exists":
            continue
        if (t.get("operator") or "Equal") == "Exists" or \
                (t.get("value") or "") == (taint.get("value") or ""):
            return True
    return False


def untolerated(node: Obj, tolerations: Iterable[Mapping[str, Any]], effects: tuple[str, ...]) -> list[Obj]:
    tols = list(tolerations)
    return [t for t in (node.get("spec") or {}).get("taints") or ()
            if t.get("effect") in effects and not tolerated(t, tols)]


def pod_requests(pod: Obj) -> dict[str, int]:
    """Effective requests: max(sum of containers, largest init container) plus overhead."""
    spec = pod.get("spec") or {}

    def of(c: Obj) -> dict[str, int]:
        req = (c.get("resources") or {}).get("requests") or {}
        return {"cpu": quantity.milli(req.get("cpu", 0)), "memory": quantity.whole(req.get("memory", 0))}
    total = {"cpu": 0, "memory": 0}
    for c in spec.get("containers") or ():
        for k, v in of(c).items():
            total[k] += v
    for c in spec.get("initContainers") or ():
        for k, v in of(c).items():
            total[k] = max(total[k], v)
    for k, v in (spec.get("overhead") or {}).items():
        if k in total:
            total[k] += quantity.milli(v) if k == "cpu" else quantity.whole(v)
    return total


def allocatable(node: Obj) -> dict[str, int]:
    alloc = (node.get("status") or {}).get("allocatable") or {}
    return {"cpu": quantity.milli(alloc.get("cpu", 0)), "memory": quantity.whole(alloc.get("memory", 0)),
            "pods": quantity.whole(alloc.get("pods", 0))}


_OPS = {"In": selectors.IN, "NotIn": selectors.NOT_IN, "Exists": selectors.EXISTS,
        "DoesNotExist": selectors.DOES_NOT_EXIST, "Gt": selectors.GT, "Lt": selectors.LT}


def _term_matches(term: Obj, node: Obj) -> bool:
    exprs, fields = term.get("matchExpressions") or [], term.get("matchFields") or []
    if not exprs and not fields:
        return False
    labels = _md(node).get("labels") or {}
    for e in exprs:
        sel = selectors.LabelSelector.from_requirements([(e["key"], _OPS[e["operator"]], e.get("values") or ())])
        if not sel.matches(labels):
            return False
    for f in fields:
        if f.get("key") != "metadata.name":
            return False
        if (_md(node)["name"] in (f.get("values") or ())) != (f.get("operator") == "In"):
            return False
    return True


def node_selected(pod_spec: Obj, node: Obj) -> bool:
    """nodeSelector and required node affinity (terms ORed, expressions ANDed)."""
    labels = _md(node).get("labels") or {}
    if any(labels.get(k) != v for k, v in (pod_spec.get("nodeSelector") or {}).items()):
        return False
    req = (((pod_spec.get("affinity") or {}).get("nodeAffinity") or {})
           .get("requiredDuringSchedulingIgnoredDuringExecution"))
    if req is None:
        return True
    return any(_term_matches(t, node) for t in req.get("nodeSelectorTerms") or ())


def daemon_target(pod: Obj) -> str | None:
    """The node a daemon pod is for: its nodeName, or its matchFields node affinity."""
    spec = pod.get("spec") or {}
    if spec.get("nodeName"):
        return str(spec["nodeName"])
    req = (((spec.get("affinity") or {}).get("nodeAffinity") or {})
           .get("requiredDuringSchedulingIgnoredDuringExecution") or {})
    for term in req.get("nodeSelectorTerms") or ():
        for f in term.get("matchFields") or ():
            if f.get("key") == "metadata.name" and f.get("operator") == "In" and f.get("values"):
                return str(f["values"][0])
    return None


def unbound(pod: Obj) -> bool:
    """Not (yet) bound to a node: after settling, one the scheduler could not place."""
    return not (pod.get("spec") or {}).get("nodeName")


def node_healthy(node: Obj | None) -> bool:
    """The node exists, its kubelet runs (no ``minik8s.io/node-ready: false|unknown``) and it
    reports Ready: a pod bound to it can start."""
    if node is None:
        return False
    ann = str((_md(node).get("annotations") or {}).get("minik8s.io/node-ready", "true")).lower()
    ready = [c for c in (node.get("status") or {}).get("conditions") or () if c.get("type") == "Ready"]
    return ann not in ("false", "unknown") and bool(ready) and ready[0].get("status") == "True"


def cannot_run(pod: Obj, nodes: Mapping[str, Obj]) -> bool:
    """A live pod that will not become ready by itself: unschedulable, or bound to a node that
    is gone, whose kubelet is down or which is not Ready."""
    if not live(pod):
        return False
    node = (pod.get("spec") or {}).get("nodeName")
    return not node or not node_healthy(nodes.get(node))


# --- what the user asked for ---------------------------------------------------------------------


@dataclasses.dataclass
class Expectations:
    """The machine's model: objects the user created and has not deleted, and those deleted."""

    #: (apiVersion, kind, namespace, name) → uid at creation
    present: dict[tuple[str, str, str, str], str] = dataclasses.field(default_factory=dict)
    #: objects the user deleted: (apiVersion, kind, namespace, name) → uid
    deleted: dict[tuple[str, str, str, str], str] = dataclasses.field(default_factory=dict)

    def created(self, obj: Obj) -> None:
        k = (obj["apiVersion"], obj["kind"], _md(obj).get("namespace", ""), _md(obj)["name"])
        self.present[k] = _md(obj).get("uid", "")
        self.deleted.pop(k, None)

    def removed(self, api_version: str, kind: str, namespace: str, name: str) -> None:
        k = (api_version, kind, namespace, name)
        self.deleted[k] = self.present.pop(k, "")
