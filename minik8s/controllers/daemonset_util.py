"""Which nodes a DaemonSet runs on, and what its pods look like, over plain dicts.

The counterpart of ``pkg/controller/daemon/util/daemonset_util.go`` and the
``NodeShouldRunDaemonPod``/``predicates`` part of ``daemon_controller.go``. A node should run the
daemon pod when ``spec.template.spec.nodeName`` (if set) names it, its labels satisfy the pod's
``nodeSelector`` and required node affinity, and every NoSchedule/NoExecute taint is tolerated,
counting the tolerations the controller adds to every daemon pod (``DAEMON_TOLERATIONS``). A
node whose only untolerated taints are NoSchedule keeps the pod it already has.

Node selection is written here rather than borrowed from the scheduler: the two packages sit
side by side in the layering (``.importlinter``) and may not import each other.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from minik8s.api import selectors
from minik8s.controllers import history, podcontrol
from minik8s.api import objects

Obj = dict[str, Any]

#: apps.DefaultDaemonSetUniqueLabelKey
HASH_LABEL = "controller-revision-hash"
#: apps.DaemonSetTemplateGenerationKey
GENERATION_LABEL = "pod-template-generation"
#: the annotation the API server keeps the template generation in (apps/v1)
GENERATION_ANNOTATION = "deprecated.daemonset.template.generation"
NAME_FIELD = "metadata.name"

#: AddOrUpdateDaemonPodTolerations: daemon pods survive node problems and cordons
DAEMON_TOLERATIONS: tuple[Obj, ...] = (
    {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute"},
    {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute"},
    {"key": "node.kubernetes.io/disk-pressure", "operator": "Exists", "effect": "NoSchedule"},
    {"key": "node.kubernetes.io/memory-pressure", "operator": "Exists", "effect": "NoSchedule"},
    {"key": "node.kubernetes.io/pid-pressure", "operator": "Exists", "effect": "NoSchedule"},
    {"key": "node.kubernetes.io/unschedulable", "operator": "Exists", "effect": "NoSchedule"},
)
#: added for hostNetwork pods only
NETWORK_TOLERATION: Obj = {"key": "node.kubernetes.io/network-unavailable", "operator": "Exists",
                           "effect": "NoSchedule"}

_OPS = {"In": selectors.IN, "NotIn": selectors.NOT_IN, "Exists": selectors.EXISTS,
        "DoesNotExist": selectors.DOES_NOT_EXIST, "Gt": selectors.GT, "Lt": selectors.LT}


# --- tolerations --------------------------------------------------------------------------------


def _same_toleration(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    """``Toleration.MatchToleration``: key, operator, value and effect all equal."""
    return all((a.get(k) or "") == (b.get(k) or "") for k in ("key", "operator", "value", "effect"))


def daemon_tolerations(pod_spec: Mapping[str, Any]) -> list[Obj]:
    """The pod's tolerations with the daemon ones added (or replacing equal ones)."""
    tols = [dict(t) for t in pod_spec.get("tolerations") or () if isinstance(t, dict)]
    extra = DAEMON_TOLERATIONS + ((NETWORK_TOLERATION,) if pod_spec.get("hostNetwork") else ())
    for want in extra:
        for i, t in enumerate(tols):
            if _same_toleration(t, want):
                tols[i] = dict(want)
                break
        else:
            tols.append(dict(want))
    return tols


def add_daemon_tolerations(pod_spec: Obj) -> None:
    """``AddOrUpdateDaemonPodTolerations``."""
    pod_spec["tolerations"] = daemon_tolerations(pod_spec)


def tolerates(toleration: Mapping[str, Any], taint: Mapping[str, Any]) -> bool:
    """``Toleration.ToleratesTaint``."""
    if toleration.get("effect") and toleration["effect"] != taint.get("effect"):
        return False
    if toleration.get("key") and toleration["key"] != taint.get("key"):
        return False
    op = toleration.get("operator") or "Equal"
    if op == "Exists":
        return True
    if op == "Equal":
        return (toleration.get("value") or "") == (taint.get("value") or "")
    return False


def untolerated(taints: list[Obj], tolerations: list[Obj], effects: tuple[str, ...]) -> Obj | None:
    """``FindMatchingUntoleratedTaint`` over taints with one of ``effects``."""
    for taint in taints:
        if taint.get("effect") in effects and not any(tolerates(t, taint) for t in tolerations):
            return taint
    return None


# --- node selection -----------------------------------------------------------------------------


def _term_matches(term: Mapping[str, Any], name: str, labels: Mapping[str, str]) -> bool:
    """One NodeSelectorTerm: expressions and fields ANDed; empty or unparsable → no match."""
    exprs, fields = term.get("matchExpressions") or [], term.get("matchFields") or []
    if not exprs and not fields:
        return False
    try:
        sel = selectors.LabelSelector.from_requirements(
            (e["key"], _OPS[e["operator"]], e.get("values") or ()) for e in exprs)
        for f in fields:
            if f.get("key") != NAME_FIELD or f.get("operator") not in ("In", "NotIn") \
                    or len(f.get("values") or ()) != 1:
                return False
            if (name in f["values"]) != (f["operator"] == "In"):
                return False
    except (KeyError, TypeError, selectors.SelectorError):
        return False
    return sel.matches(labels)


def fits_node_affinity(pod_spec: Mapping[str, Any], node: Mapping[str, Any]) -> bool:
    """``GetRequiredNodeAffinity(pod).Match(node)``: nodeSelector and required terms (ORed)."""
    labels = node["metadata"].get("labels") or {}
    for k, v in (pod_spec.get("nodeSelector") or {}).items():
        if labels.get(k) != v:
            return False
    required = (((pod_spec.get("affinity") or {}).get("nodeAffinity") or {})
                .get("requiredDuringSchedulingIgnoredDuringExecution"))
    if required is None:
        return True
    name = node["metadata"]["name"]
    return any(_term_matches(t, name, labels) for t in required.get("nodeSelectorTerms") or ()
               if isinstance(t, dict))


def should_run(ds: Mapping[str, Any], node: Mapping[str, Any]) -> tuple[bool, bool]:
    """``NodeShouldRunDaemonPod``: (should run a new pod, should keep a running one), for the
    template's pod (``NewPod``: on this node, with the daemon tolerations)."""
    pod_spec = ((ds.get("spec") or {}).get("template") or {}).get("spec") or {}
    name = node["metadata"]["name"]
    if pod_spec.get("nodeName") and pod_spec["nodeName"] != name:
        return False, False
    if not fits_node_affinity(pod_spec, node):
        return False, False
    taints = [t for t in (node.get("spec") or {}).get("taints") or () if isinstance(t, dict)]
    if not taints:
        return True, True
    tols = daemon_tolerations(pod_spec)
    if untolerated(taints, tols, ("NoSchedule", "NoExecute")) is None:
        return True, True
    return False, untolerated(taints, tols, ("NoExecute",)) is None


# --- daemon pods --------------------------------------------------------------------------------


def target_node(pod: Mapping[str, Any]) -> str | None:
    """``GetTargetNodeName``: the node a pod is on, or the one its affinity pins it to."""
    spec = pod.get("spec") or {}
    if spec.get("nodeName"):
        return str(spec["nodeName"])
    required = (((spec.get("affinity") or {}).get("nodeAffinity") or {})
                .get("requiredDuringSchedulingIgnoredDuringExecution") or {})
    for term in required.get("nodeSelectorTerms") or ():
        for f in (term or {}).get("matchFields") or ():
            if f.get("key") == NAME_FIELD and f.get("operator") == "In":
                values = f.get("values") or []
                return str(values[0]) if len(values) == 1 else None
    return None


def pin_to_node(affinity: Obj | None, node_name: str) -> Obj:
    """``ReplaceDaemonSetPodNodeNameNodeAffinity``: required terms become ``metadata.name In
    [node]``; preferred terms and pod (anti-)affinity stay."""
    term = {"matchFields": [{"key": NAME_FIELD, "operator": "In", "values": [node_name]}]}
    out = objects.deep_copy(affinity) if affinity else {}
    na = out.setdefault("nodeAffinity", {})
    required = na.get("requiredDuringSchedulingIgnoredDuringExecution")
    if required is None:
        na["requiredDuringSchedulingIgnoredDuringExecution"] = {"nodeSelectorTerms": [term]}
    else:
        required["nodeSelectorTerms"] = [term]
    return out


def template_generation(ds: Mapping[str, Any]) -> int | None:
    """``GetTemplateGeneration``: from the annotation, else the object's generation."""
    value = (ds["metadata"].get("annotations") or {}).get(GENERATION_ANNOTATION)
    if value is None:
        gen = ds["metadata"].get("generation")
        return int(gen) if gen is not None else None
    try:
        return int(value)
    except ValueError:
        return None


def pod_template(ds: Mapping[str, Any], hash_: str) -> Obj:
    """``CreatePodTemplate``: the template with daemon tolerations and the two labels."""
    template = objects.deep_copy((ds.get("spec") or {}).get("template") or {})
    spec = template.setdefault("spec", {})
    add_daemon_tolerations(spec)
    labels = template.setdefault("metadata", {}).setdefault("labels", {})
    gen = template_generation(ds)
    if gen is not None:
        labels[GENERATION_LABEL] = str(gen)
    if hash_:
        labels[HASH_LABEL] = hash_
    return template


def is_updated(pod: Mapping[str, Any], hash_: str, generation: int | None) -> bool:
    """``IsPodUpdated``: the current hash, or (older pods) the current template generation."""
    labels = podcontrol.labels_of(pod)
    return bool((generation is not None and labels.get(GENERATION_LABEL) == str(generation))
                or (hash_ and labels.get(HASH_LABEL) == hash_))


def creation_order(pods: list[Obj]) -> list[Obj]:
    """``podByCreationTimestampAndPhase``: scheduled first, then oldest, then by name."""
    return sorted(pods, key=lambda p: (not (p.get("spec") or {}).get("nodeName"),
                                       p["metadata"].get("creationTimestamp") or "",
                                       p["metadata"]["name"]))


def rolling(ds: Mapping[str, Any]) -> Mapping[str, Any]:
    us = (ds.get("spec") or {}).get("updateStrategy") or {}
    return us.get("rollingUpdate") or {} if us.get("type", "RollingUpdate") == "RollingUpdate" else {}


def allows_surge(ds: Mapping[str, Any]) -> bool:
    """``AllowsSurge``: a RollingUpdate with a non-zero maxSurge."""
    try:
        return surge_count(ds, 1) != 0
    except ValueError:
        return False


def surge_count(ds: Mapping[str, Any], number_to_schedule: int) -> int:
    value = rolling(ds).get("maxSurge")
    return 0 if value is None else history.scaled_value(value, number_to_schedule, True)


def unavailable_count(ds: Mapping[str, Any], number_to_schedule: int) -> int:
    value = rolling(ds).get("maxUnavailable")
    return 0 if value is None else history.scaled_value(value, number_to_schedule, True)
