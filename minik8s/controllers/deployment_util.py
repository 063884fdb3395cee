"""Pure helpers of the Deployment controller, over plain dicts.

The counterpart of ``pkg/controller/deployment/util/deployment_util.go`` and the
ReplicaSet sorters of ``controller_utils.go``: the pod-template hash, maxSurge/maxUnavailable
fenceposts, revision and replica annotations, conditions, new/old ReplicaSet lookup,
proportional-scaling fractions and the status calculation. ``deployment`` and
``deployment_sync`` do the writing.
"""

from __future__ import annotations

import json
import math
import struct
from collections.abc import Iterable, Mapping
from typing import Any

from minik8s.registry import names
from minik8s.api import objects

Obj = dict[str, Any]

HASH_LABEL = "pod-template-hash"
REVISION = "deployment.kubernetes.io/revision"
REVISION_HISTORY = "deployment.kubernetes.io/revision-history"
DESIRED_REPLICAS = "deployment.kubernetes.io/desired-replicas"
MAX_REPLICAS = "deployment.kubernetes.io/max-replicas"
ROLLBACK_TO = "deprecated.deployment.rollback.to"
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
#: annotations a Deployment never copies onto its ReplicaSets
SKIP_ANNOTATIONS = frozenset({LAST_APPLIED, REVISION, REVISION_HISTORY, DESIRED_REPLICAS,
                              MAX_REPLICAS, ROLLBACK_TO})
#: limit revision history length to ~2000 chars (maxRevHistoryLengthInChars)
MAX_REV_HISTORY_CHARS = 2000
MAX_INT32 = 2**31 - 1

# condition reasons
REPLICASET_UPDATED = "ReplicaSetUpdated"
FAILED_RS_CREATE = "ReplicaSetCreateError"
NEW_RS_CREATED = "NewReplicaSetCreated"
FOUND_NEW_RS = "FoundNewReplicaSet"
NEW_RS_AVAILABLE = "NewReplicaSetAvailable"
TIMED_OUT = "ProgressDeadlineExceeded"
PAUSED = "DeploymentPaused"
RESUMED = "DeploymentResumed"
MIN_AVAILABLE = "MinimumReplicasAvailable"
MIN_UNAVAILABLE = "MinimumReplicasUnavailable"


# --- the pod-template hash ----------------------------------------------------------------------


def safe_encode(s: str) -> str:
    """rand.SafeEncodeString: each character to ALPHANUMS[ord % 27]."""
    return "".join(names.ALPHANUMS[ord(c) % len(names.ALPHANUMS)] for c in s)


def fnv32a(data: bytes) -> int:
    h = 0x811C9DC5
    for b in data:
        h = ((h ^ b) * 0x01000193) & 0xFFFFFFFF
    return h


def compute_hash(template: Mapping[str, Any], collision_count: int | None = None) -> str:
    """controller.ComputeHash: FNV-32a of the template (+ the collision count as 8 little-endian
    bytes), its decimal rendering safe-encoded. The template is serialised as canonical JSON,
    not as Go's spew dump of the typed struct, so values differ from a real cluster's."""
    data = json.dumps(template, sort_keys=True, separators=(",", ":")).encode()
    if collision_count is not None:
        data += struct.pack("<I", collision_count & 0xFFFFFFFF) + b"\0\0\0\0"
    return safe_encode(str(fnv32a(data)))


def _without_hash(template: Mapping[str, Any] | None) -> Obj:
    """The template without the hash label (a shallow copy: only the labels are replaced)."""
    t = dict(template or {})
    md = t.get("metadata")
    if isinstance(md, dict):
        md = t["metadata"] = dict(md)
        labels = dict(md.get("labels") or {})
        labels.pop(HASH_LABEL, None)
        if labels:
            md["labels"] = labels
        else:
            md.pop("labels", None)
    return t


def equal_ignore_hash(t1: Mapping[str, Any] | None, t2: Mapping[str, Any] | None) -> bool:
    """Templates equal but for the hash label, compared as JSON (as their deep copies were).

    Equal as they are implies equal as JSON, so the JSON round trip (which also equates a tuple
    with a list) is only paid for templates that differ, e.g. during a rollout.
    """
    a, b = _without_hash(t1), _without_hash(t2)
    return a == b or objects.deep_copy(a) == objects.deep_copy(b)


# --- numbers ------------------------------------------------------------------------------------


def go_round(x: float) -> int:
    """math.Round: half away from zero."""
    return int(math.copysign(math.floor(abs(x) + 0.5), x))


def int_or_percent(value: Any, total: int, round_up: bool) -> int:
    """intstr.GetScaledValueFromIntOrPercent."""
    if value is None:
        return 0
    if isinstance(value, int):
        return value
    s = str(value)
    if not s.endswith("%"):
        raise ValueError("invalid value for IntOrString: invalid type: string is not a percentage")
    pct = int(s[:-1])
    x = pct * total / 100
    return math.ceil(x) if round_up else math.floor(x)


def replicas(obj: Mapping[str, Any] | None) -> int:
    if obj is None:
        return 0
    r = (obj.get("spec") or {}).get("replicas")
    return 1 if r is None else int(r)


def status_of(obj: Mapping[str, Any] | None, key: str) -> int:
    return int(((obj or {}).get("status") or {}).get(key) or 0)


def is_rolling(d: Mapping[str, Any]) -> bool:
    return ((d["spec"].get("strategy") or {}).get("type") or "RollingUpdate") == "RollingUpdate"


def fenceposts(d: Mapping[str, Any]) -> tuple[int, int]:
    """ResolveFenceposts: (maxSurge rounded up, maxUnavailable rounded down; never both 0)."""
    ru = (d["spec"].get("strategy") or {}).get("rollingUpdate") or {}
    desired = replicas(d)
    surge = int_or_percent(ru.get("maxSurge", 0), desired, True)
    unavailable = int_or_percent(ru.get("maxUnavailable", 0), desired, False)
    if surge == 0 and unavailable == 0:
        unavailable = 1
    return surge, unavailable


def max_surge(d: Mapping[str, Any]) -> int:
    return fenceposts(d)[0] if is_rolling(d) else 0


def max_unavailable(d: Mapping[str, Any]) -> int:
    if not is_rolling(d) or replicas(d) == 0:
        return 0
    return min(fenceposts(d)[1], replicas(d))


def has_progress_deadline(d: Mapping[str, Any]) -> bool:
    v = d["spec"].get("progressDeadlineSeconds")
    return v is not None and v != MAX_INT32


def has_history_limit(d: Mapping[str, Any]) -> bool:
    v = d["spec"].get("revisionHistoryLimit")
    return v is not None and v != MAX_INT32


# --- ReplicaSet sets ----------------------------------------------------------------------------


def sum_spec(rss: Iterable[Obj | None]) -> int:
    return sum(replicas(rs) for rs in rss if rs is not None)


def sum_status(rss: Iterable[Obj | None], key: str) -> int:
    return sum(status_of(rs, key) for rs in rss if rs is not None)


def active(rss: Iterable[Obj | None]) -> list[Obj]:
    """FilterActiveReplicaSets."""
    return [rs for rs in rss if rs is not None and replicas(rs) > 0]


def by_creation(rs: Mapping[str, Any]) -> tuple[str, str]:
    md = rs["metadata"]
    return md.get("creationTimestamp") or "", md["name"]


def revision(obj: Mapping[str, Any] | None) -> int:
    v = ((obj or {}).get("metadata", {}).get("annotations") or {}).get(REVISION)
    try:
        return int(v) if v is not None else 0
    except ValueError:
        return 0


def max_revision(rss: Iterable[Obj]) -> int:
    return max((revision(rs) for rs in rss), default=0)


def last_revision(rss: Iterable[Obj]) -> int:
    """LastRevision: the second-highest revision."""
    top = second = 0
    for rs in rss:
        v = revision(rs)
        if v >= top:
            top, second = v, top
        elif v > second:
            second = v
    return second


def find_new(d: Mapping[str, Any], rss: list[Obj]) -> Obj | None:
    """FindNewReplicaSet: the oldest ReplicaSet whose template equals the Deployment's."""
    for rs in sorted(rss, key=by_creation):
        if equal_ignore_hash(rs["spec"].get("template"), d["spec"].get("template")):
            return rs
    return None


def find_old(d: Mapping[str, Any], rss: list[Obj], new: Obj | None) -> list[Obj]:
    uid = new["metadata"]["uid"] if new else None
    return [rs for rs in rss if rs["metadata"]["uid"] != uid]


def find_active_or_latest(new: Obj | None, old: list[Obj]) -> Obj | None:
    if new is None and not old:
        return None
    old = sorted(old, key=by_creation, reverse=True)
    act = active([*old, new])
    if not act:
        return new if new is not None else old[0]
    return act[0] if len(act) == 1 else None


# --- annotations --------------------------------------------------------------------------------


def _annotations(obj: Obj) -> dict[str, str]:
    md = obj["metadata"]
    if md.get("annotations") is None:
        md["annotations"] = {}
    return md["annotations"]  # type: ignore[no-any-return]


def set_replicas_annotations(rs: Obj, desired: int, maximum: int) -> bool:
    ann = _annotations(rs)
    changed = False
    for key, value in ((DESIRED_REPLICAS, str(desired)), (MAX_REPLICAS, str(maximum))):
        if ann.get(key) != value:
            ann[key] = value
            changed = True
    return changed


def replicas_annotations_need_update(rs: Obj, desired: int, maximum: int) -> bool:
    ann = rs["metadata"].get("annotations") or {}
    return ann.get(DESIRED_REPLICAS) != str(desired) or ann.get(MAX_REPLICAS) != str(maximum)


def desired_annotation(rs: Obj) -> int | None:
    v = (rs["metadata"].get("annotations") or {}).get(DESIRED_REPLICAS)
    try:
        return int(v) if v is not None else None
    except ValueError:
        return None


def set_new_rs_annotations(d: Obj, rs: Obj, new_revision: str, exists: bool) -> bool:
    """SetNewReplicaSetAnnotations: copy the Deployment's annotations, bump the revision
    (remembering the old one in revision-history), set desired/max replicas on creation."""
    ann = _annotations(rs)
    changed = False
    for k, v in (d["metadata"].get("annotations") or {}).items():
        if k not in SKIP_ANNOTATIONS and ann.get(k) != v:
            ann[k] = v
            changed = True
    old = ann.get(REVISION)
    try:
        old_int = int(old) if old else 0
    except ValueError:
        return False
    bumped = old_int < int(new_revision)
    if bumped:
        ann[REVISION] = new_revision
        changed = True
    if old is not None and bumped:  # rolling back to this ReplicaSet: keep its old revisions
        history = ann.get(REVISION_HISTORY, "")
        revs = history.split(",") if history else []
        revs.append(old)
        while revs and len(",".join(revs)) > MAX_REV_HISTORY_CHARS:
            revs.pop(0)
        ann[REVISION_HISTORY] = ",".join(revs)
    if not exists and set_replicas_annotations(rs, replicas(d), replicas(d) + max_surge(d)):
        changed = True
    return changed


def rs_fraction(rs: Obj, d: Obj) -> int:
    """getReplicaSetFraction: this ReplicaSet's share of a proportional scale."""
    if replicas(d) == 0:
        return -replicas(rs)
    allowed = replicas(d) + max_surge(d)
    try:
        annotated = int((rs["metadata"].get("annotations") or {})[MAX_REPLICAS])
    except (KeyError, ValueError):
        annotated = status_of(d, "replicas")
    if annotated == 0:  # Go's float division: +Inf/NaN; int32 conversion is not meaningful
        return 0
    return go_round(replicas(rs) * allowed / annotated) - replicas(rs)


def proportion(rs: Obj, d: Obj, to_add: int, added: int) -> int:
    """GetProportion."""
    if replicas(rs) == 0 or to_add == 0 or to_add == added:
        return 0
    frac = rs_fraction(rs, d)
    allowed = to_add - added
    return min(frac, allowed) if to_add > 0 else max(frac, allowed)


# --- conditions and status ----------------------------------------------------------------------


def get_condition(status: Mapping[str, Any], ctype: str) -> Obj | None:
    for c in status.get("conditions") or ():
        if c.get("type") == ctype:
            return c  # type: ignore[no-any-return]
    return None


def new_condition(ctype: str, status: str, reason: str, message: str, now: str) -> Obj:
    return {"type": ctype, "status": status, "lastUpdateTime": now, "lastTransitionTime": now,
            "reason": reason, "message": message}


def set_condition(status: Obj, cond: Obj) -> None:
    """SetDeploymentCondition: no-op on same status and reason; keep the transition time on
    the same status; the condition moves to the end."""
    cur = get_condition(status, cond["type"])
    if cur is not None and (cur.get("status"), cur.get("reason")) == (cond["status"],
                                                                      cond["reason"]):
        return
    if cur is not None and cur.get("status") == cond["status"]:
        cond["lastTransitionTime"] = cur.get("lastTransitionTime")
    remove_condition(status, cond["type"])
    status.setdefault("conditions", []).append(cond)


def remove_condition(status: Obj, ctype: str) -> None:
    conds = [c for c in status.get("conditions") or () if c.get("type") != ctype]
    if conds:
        status["conditions"] = conds
    else:
        status.pop("conditions", None)


def calculate_status(all_rss: list[Obj | None], new: Obj | None, d: Obj, now: str) -> Obj:
    """calculateStatus, with the API's omitempty counters left out when zero."""
    available = sum_status(all_rss, "availableReplicas")
    unavailable = max(sum_spec(all_rss) - available, 0)
    old = d.get("status") or {}
    counts = (("observedGeneration", d["metadata"].get("generation", 0)),
              ("replicas", sum_status(all_rss, "replicas")),
              ("updatedReplicas", sum_status([new], "replicas")),
              ("readyReplicas", sum_status(all_rss, "readyReplicas")),
              ("availableReplicas", available), ("unavailableReplicas", unavailable))
    status: Obj = {k: v for k, v in counts if v}
    if old.get("conditions"):
        status["conditions"] = [dict(c) for c in old["conditions"]]
    if old.get("collisionCount") is not None:
        status["collisionCount"] = old["collisionCount"]
    if available >= replicas(d) - max_unavailable(d):
        set_condition(status, new_condition("Available", "True", MIN_AVAILABLE,
                                             "Deployment has minimum availability.", now))
    else:
        set_condition(status, new_condition("Available", "False", MIN_UNAVAILABLE,
                                            "Deployment does not have minimum availability.", now))
    return status


def complete(d: Obj, status: Mapping[str, Any]) -> bool:
    """DeploymentComplete."""
    r = replicas(d)
    return (int(status.get("updatedReplicas") or 0) == r and int(status.get("replicas") or 0) == r
            and int(status.get("availableReplicas") or 0) == r
            and int(status.get("observedGeneration") or 0) >= d["metadata"].get("generation", 0))


def progressing(d: Obj, new: Mapping[str, Any]) -> bool:
    """DeploymentProgressing: more updated, fewer old, more ready or more available pods."""
    old = d.get("status") or {}

    def g(s: Mapping[str, Any], k: str) -> int:
        return int(s.get(k) or 0)
    return (g(new, "updatedReplicas") > g(old, "updatedReplicas")
            or g(new, "replicas") - g(new, "updatedReplicas")
            < g(old, "replicas") - g(old, "updatedReplicas")
            or g(new, "readyReplicas") > g(old, "readyReplicas")
            or g(new, "availableReplicas") > g(old, "availableReplicas"))
