"""StatefulSet pods and claims: identity, storage, readiness and claim ownership, over dicts.

The counterpart of ``pkg/controller/statefulset/stateful_set_utils.go``: a member pod is named
``<set>-<ordinal>``, labelled ``statefulset.kubernetes.io/pod-name`` and
``apps.kubernetes.io/pod-index``, has ``hostname``/``subdomain`` for DNS, and mounts one claim
``<template>-<set>-<ordinal>`` per ``volumeClaimTemplates`` entry. Claim ownerReferences follow
``persistentVolumeClaimRetentionPolicy`` (``claim_owners_up_to_date``/``update_claim_owners``).
``statefulset_control`` uses these to decide and ``statefulset`` to write.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from minik8s.controllers import history, podcontrol
from minik8s.api import objects

Obj = dict[str, Any]

#: apps.StatefulSetRevisionLabel (= ControllerRevisionHashLabelKey)
REVISION_LABEL = "controller-revision-hash"
#: apps.StatefulSetPodNameLabel
POD_NAME_LABEL = "statefulset.kubernetes.io/pod-name"
#: apps.PodIndexLabel (feature PodIndexLabel, on by default since 1.28)
POD_INDEX_LABEL = "apps.kubernetes.io/pod-index"
RETAIN, DELETE = "Retain", "Delete"

_ORDINAL_RE = re.compile(r"(.*)-([0-9]+)$")


# --- names and ordinals ---------------------------------------------------------------------


def parent_and_ordinal(pod: Mapping[str, Any]) -> tuple[str, int]:
    """``getParentNameAndOrdinal``: ("", -1) for a name without a ``-<digits>`` suffix."""
    m = _ORDINAL_RE.match(pod["metadata"]["name"])
    if m is None:
        return "", -1
    n = int(m.group(2))
    return m.group(1), n if n < 2**31 else -1


def ordinal(pod: Mapping[str, Any]) -> int:
    return parent_and_ordinal(pod)[1]


def is_member(s: Mapping[str, Any], pod: Mapping[str, Any]) -> bool:
    return parent_and_ordinal(pod)[0] == str(s["metadata"]["name"])


def spec(s: Mapping[str, Any]) -> Mapping[str, Any]:
    return s.get("spec") or {}


def replicas(s: Mapping[str, Any]) -> int:
    r = spec(s).get("replicas")
    return 1 if r is None else int(r)


def start_ordinal(s: Mapping[str, Any]) -> int:
    return int((spec(s).get("ordinals") or {}).get("start") or 0)


def end_ordinal(s: Mapping[str, Any]) -> int:
    return start_ordinal(s) + replicas(s) - 1


def in_ordinal_range(pod: Mapping[str, Any], s: Mapping[str, Any]) -> bool:
    return start_ordinal(s) <= ordinal(pod) <= end_ordinal(s)


def pod_name(s: Mapping[str, Any], n: int) -> str:
    return f"{s['metadata']['name']}-{n}"


def claim_name(s: Mapping[str, Any], template: Mapping[str, Any], n: int) -> str:
    return f"{(template.get('metadata') or {}).get('name', '')}-{s['metadata']['name']}-{n}"


def claim_templates(s: Mapping[str, Any]) -> list[Obj]:
    return [t for t in spec(s).get("volumeClaimTemplates") or () if isinstance(t, dict)]


def min_ready(s: Mapping[str, Any]) -> int:
    return int(spec(s).get("minReadySeconds") or 0)


def revision_of(pod: Mapping[str, Any]) -> str:
    return podcontrol.labels_of(pod).get(REVISION_LABEL, "")


# --- pod state ----------------------------------------------------------------------------


def phase(pod: Mapping[str, Any]) -> str:
    return str((pod.get("status") or {}).get("phase") or "")


def is_created(pod: Mapping[str, Any]) -> bool:
    """A pod the API server holds (a pod built but not yet created has no phase)."""
    return phase(pod) != ""


def is_terminating(pod: Mapping[str, Any]) -> bool:
    return bool(pod["metadata"].get("deletionTimestamp"))


def is_running_and_ready(pod: Mapping[str, Any]) -> bool:
    return phase(pod) == "Running" and podcontrol.is_ready(pod)


def is_available(pod: Mapping[str, Any], min_ready_s: int, now: float) -> bool:
    return podcontrol.is_available(pod, min_ready_s, now)


def is_unavailable(pod: Mapping[str, Any], min_ready_s: int, now: float) -> bool:
    return not is_available(pod, min_ready_s, now) or is_terminating(pod)


# --- identity and storage ---------------------------------------------------------------------


def identity_matches(s: Mapping[str, Any], pod: Mapping[str, Any]) -> bool:
    parent, n = parent_and_ordinal(pod)
    md = pod["metadata"]
    return (n >= 0 and parent == s["metadata"]["name"] and md["name"] == pod_name(s, n)
            and md.get("namespace") == s["metadata"].get("namespace")
            and podcontrol.labels_of(pod).get(POD_NAME_LABEL) == md["name"])


def storage_matches(s: Mapping[str, Any], pod: Mapping[str, Any]) -> bool:
    n = ordinal(pod)
    if n < 0:
        return False
    volumes = {v.get("name"): v for v in (pod.get("spec") or {}).get("volumes") or ()}
    for t in claim_templates(s):
        v = volumes.get((t.get("metadata") or {}).get("name"))
        pvc = (v or {}).get("persistentVolumeClaim")
        if not pvc or pvc.get("claimName") != claim_name(s, t, n):
            return False
    return True


def claims_for(s: Mapping[str, Any], n: int) -> list[tuple[str, Obj]]:
    """``getPersistentVolumeClaims``: (template name, claim) for ordinal ``n``, template order.

    Labels are the template's with the selector's ``matchLabels`` on top.
    """
    out = []
    match_labels = (spec(s).get("selector") or {}).get("matchLabels") or {}
    for t in claim_templates(s):
        tmd = t.get("metadata") or {}
        md: Obj = {"name": claim_name(s, t, n), "namespace": s["metadata"].get("namespace", ""),
                   "labels": {**(tmd.get("labels") or {}), **match_labels}}
        if not md["labels"]:
            del md["labels"]
        if tmd.get("annotations"):
            md["annotations"] = dict(tmd["annotations"])
        claim = {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": md,
                 "spec": objects.deep_copy(t.get("spec") or {})}
        out.append((tmd.get("name", ""), claim))
    return out


def update_storage(s: Mapping[str, Any], pod: Obj) -> None:
    """Point the template-named volumes at this ordinal's claims; keep the pod's other volumes."""
    claims = claims_for(s, ordinal(pod))
    wanted = {name for name, _ in claims}
    pspec = pod.setdefault("spec", {})
    volumes = [{"name": name, "persistentVolumeClaim": {"claimName": c["metadata"]["name"]}}
               for name, c in claims]
    volumes += [v for v in pspec.get("volumes") or () if v.get("name") not in wanted]
    pspec["volumes"] = volumes


def update_identity(s: Mapping[str, Any], pod: Obj) -> None:
    n = ordinal(pod)
    md = pod["metadata"]
    md["name"] = pod_name(s, n)
    md["namespace"] = s["metadata"].get("namespace", "")
    labels = md.setdefault("labels", {})
    labels[POD_NAME_LABEL] = md["name"]
    labels[POD_INDEX_LABEL] = str(n)


def new_pod(s: Mapping[str, Any], n: int) -> Obj:
    """``newStatefulSetPod``: the template as a pod with this ordinal's identity and claims."""
    template = spec(s).get("template") or {}
    tmd = template.get("metadata") or {}
    name = s["metadata"]["name"]
    md: Obj = {"name": pod_name(s, n), "generateName": f"{name}-",
               "namespace": s["metadata"].get("namespace", ""),
               "labels": dict(tmd.get("labels") or {}),
               "ownerReferences": [podcontrol.new_controller_ref(s)]}
    if tmd.get("annotations"):
        md["annotations"] = dict(tmd["annotations"])
    if tmd.get("finalizers"):
        md["finalizers"] = list(tmd["finalizers"])
    pod: Obj = {"apiVersion": "v1", "kind": "Pod", "metadata": md,
                "spec": objects.deep_copy(template.get("spec") or {})}
    update_identity(s, pod)
    pod["spec"]["hostname"] = md["name"]  # set once, at creation (they are immutable)
    if spec(s).get("serviceName"):
        pod["spec"]["subdomain"] = spec(s)["serviceName"]
    update_storage(s, pod)
    return pod


def new_versioned_pod(current_set: Mapping[str, Any], update_set: Mapping[str, Any],
                      current_rev: str, update_rev: str, n: int) -> Obj:
    """``newVersionedStatefulSetPod``: below the partition at the current revision, else update."""
    strategy = spec(current_set).get("updateStrategy") or {}
    ru = strategy.get("rollingUpdate")
    start = start_ordinal(current_set)
    if (strategy.get("type", "RollingUpdate") == "RollingUpdate" and ru is None
            and n < start + int((current_set.get("status") or {}).get("currentReplicas") or 0)) \
            or (ru is not None and n < start + int(ru.get("partition") or 0)):
        pod = new_pod(current_set, n)
        pod["metadata"]["labels"][REVISION_LABEL] = current_rev
        return pod
    pod = new_pod(update_set, n)
    pod["metadata"]["labels"][REVISION_LABEL] = update_rev
    return pod


def max_unavailable(s: Mapping[str, Any]) -> int:
    """``getStatefulSetMaxUnavailable``: default 1, percentages round down, at least 1."""
    ru = (spec(s).get("updateStrategy") or {}).get("rollingUpdate") or {}
    value = ru.get("maxUnavailable")
    n = history.scaled_value(1 if value is None else value, replicas(s), False)
    return max(n, 1)


# --- claim ownership (persistentVolumeClaimRetentionPolicy) -----------------------------------


def retention(s: Mapping[str, Any]) -> tuple[str, str]:
    """(whenDeleted, whenScaled); Retain where unset."""
    p = spec(s).get("persistentVolumeClaimRetentionPolicy") or {}
    return p.get("whenDeleted") or RETAIN, p.get("whenScaled") or RETAIN


def _refs(obj: Mapping[str, Any]) -> list[Obj]:
    return list(obj["metadata"].get("ownerReferences") or ())


def _matches_ref(ref: Mapping[str, Any], obj: Mapping[str, Any], api_version: str,
                 kind: str) -> bool:
    return (ref.get("apiVersion") == api_version and ref.get("kind") == kind
            and ref.get("name") == obj["metadata"]["name"])


def _uid(obj: Mapping[str, Any]) -> str:
    return str(obj["metadata"].get("uid") or "")


def has_owner_ref(target: Mapping[str, Any], owner: Mapping[str, Any]) -> bool:
    return any(r.get("uid") == _uid(owner) for r in _refs(target))


def has_stale_owner_ref(target: Mapping[str, Any], obj: Mapping[str, Any], api_version: str,
                        kind: str) -> bool:
    """A reference to an object of this name and kind, but another uid (an earlier one)."""
    for r in _refs(target):
        if _matches_ref(r, obj, api_version, kind):
            return r.get("uid") != _uid(obj)
    return False


def _has_unexpected_controller(claim: Mapping[str, Any], s: Mapping[str, Any],
                               pod: Mapping[str, Any]) -> bool:
    if retention(s) == (RETAIN, RETAIN):
        return False
    for r in _refs(claim):
        if _matches_ref(r, s, "apps/v1", "StatefulSet"):
            if r.get("uid") != _uid(s):
                return True
            continue
        if _matches_ref(r, pod, "v1", "Pod"):
            if r.get("uid") != _uid(pod):
                return True
            continue
        if r.get("controller"):
            return True
    return False


def _has_non_controller_owner(claim: Mapping[str, Any], s: Mapping[str, Any],
                              pod: Mapping[str, Any]) -> bool:
    return any(r.get("uid") in (_uid(s), _uid(pod)) and not r.get("controller")
               for r in _refs(claim))


def claim_owners_up_to_date(claim: Mapping[str, Any], s: Mapping[str, Any],
                            pod: Mapping[str, Any]) -> bool:
    """``isClaimOwnerUpToDate``: the references the policy asks for, and no others of ours.

    Retain/Retain: none; whenDeleted Delete: the set; whenScaled Delete: the pod once it is
    scaled away (and then not the set).
    """
    if has_stale_owner_ref(claim, s, "apps/v1", "StatefulSet") or \
            has_stale_owner_ref(claim, pod, "v1", "Pod"):
        return True  # left by an earlier set or pod of this name: not ours to touch
    if _has_unexpected_controller(claim, s, pod):
        return not (has_owner_ref(claim, s) or has_owner_ref(claim, pod))
    if _has_non_controller_owner(claim, s, pod):
        return False
    deleted, scaled = retention(s)
    set_ref, pod_ref = has_owner_ref(claim, s), has_owner_ref(claim, pod)
    scaled_down = not in_ordinal_range(pod, s)
    want_set = deleted == DELETE and not (scaled == DELETE and scaled_down)
    want_pod = scaled == DELETE and scaled_down
    return set_ref == want_set and pod_ref == want_pod


def update_claim_owners(claim: Obj, s: Mapping[str, Any], pod: Mapping[str, Any]) -> None:
    """``updateClaimOwnerRefForSetAndPod``: rewrite our references as the policy says."""
    unexpected = _has_unexpected_controller(claim, s, pod)
    refs = [r for r in _refs(claim) if not (_matches_ref(r, s, "apps/v1", "StatefulSet")
                                           or _matches_ref(r, pod, "v1", "Pod"))]
    if not unexpected:
        deleted, scaled = retention(s)
        scaled_down = not in_ordinal_range(pod, s)
        if scaled == DELETE and scaled_down and _uid(pod):
            refs.append(podcontrol.new_controller_ref(pod))
        elif deleted == DELETE and not (scaled == DELETE and scaled_down):
            refs.append(podcontrol.new_controller_ref(s))
    if refs:
        claim["metadata"]["ownerReferences"] = refs
    else:
        claim["metadata"].pop("ownerReferences", None)
