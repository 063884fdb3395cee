"""Pods from templates, controller references, and which pods go first on scale-down.

The shared half of kube-controller-manager's ``pkg/controller/controller_utils.go`` and
``controller_ref_manager.go``: used by ``replicaset`` (ReplicaSets and ReplicationControllers)
and ``deployment`` (claiming ReplicaSets).

- ``PodControl`` creates pods from a template with a controller ownerReference, naming them
  ``<owner>-<5 chars>`` from the component's seeded rng (generateName semantics made
  deterministic), and deletes them, recording ``SuccessfulCreate``/``FailedCreate``/
  ``SuccessfulDelete``/``FailedDelete`` events on the owner.
- ``claim`` adopts matching orphans and releases owned objects that no longer match.
- ``deletion_order`` ranks pods like ``ActivePodsWithRanks`` (LogarithmicScaleDown on, as by
  default since 1.22).
"""

from __future__ import annotations

import functools
import json
import math
import random
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from minik8s.aio import clock as _clock
from minik8s.api import errors, objects, selectors
from minik8s.client.client import Client
from minik8s.registry import names
from minik8s.runtime.informer import Informer

Obj = dict[str, Any]

#: the real controllers' burstReplicas: pods created or deleted per sync, at most
BURST_REPLICAS = 500
#: controller.SlowStartInitialBatchSize
SLOW_START_INITIAL_BATCH = 1
#: controller.kubernetes.io/pod-deletion-cost
DELETION_COST = "controller.kubernetes.io/pod-deletion-cost"
_PHASE_ORDINAL = {"Pending": 0, "Unknown": 1, "Running": 2}
_NAME_ATTEMPTS = 10


# --- object helpers -------------------------------------------------------------------------


def controller_ref(obj: Mapping[str, Any]) -> Obj | None:
    for ref in obj["metadata"].get("ownerReferences") or ():
        if isinstance(ref, dict) and ref.get("controller"):
            return ref
    return None


def controller_uid(obj: Mapping[str, Any]) -> list[str]:
    """Index function: the uid of the object's controller, if any."""
    ref = controller_ref(obj)
    return [ref["uid"]] if ref and ref.get("uid") else []


def orphan_namespace(obj: Mapping[str, Any]) -> list[str]:
    """Index function: the namespace of objects that have no controller (adoption candidates)."""
    return [] if controller_ref(obj) else [obj["metadata"].get("namespace", "")]


#: Informer index names shared by every controller that claims objects by controller reference.
#: Index functions run on every write of the resource, so the ReplicaSet, ReplicationController,
#: Deployment, StatefulSet, DaemonSet and Job controllers read one pair of indexes per informer
#: instead of each keeping its own copy of the same one.
BY_CONTROLLER, ORPHANS = "controller-uid", "orphans-by-namespace"


def index_by_controller(informer: Informer, orphans: bool = True) -> None:
    """Add the shared ``BY_CONTROLLER`` (and ``ORPHANS``) indexes to an informer, once.

    Every controller calls this for the informers it reads, whatever the set-up order; an
    index already added is not rebuilt (that would walk every cached object again).
    """
    for name, fn, wanted in ((BY_CONTROLLER, controller_uid, True),
                             (ORPHANS, orphan_namespace, orphans)):
        if wanted and not informer.has_index(name):
            informer.add_indexer(name, fn)


def new_controller_ref(owner: Mapping[str, Any]) -> Obj:
    """metav1.NewControllerRef."""
    md = owner["metadata"]
    return {"apiVersion": owner["apiVersion"], "kind": owner["kind"], "name": md["name"],
            "uid": md["uid"], "controller": True, "blockOwnerDeletion": True}


@functools.lru_cache(maxsize=4096)
def _compile(key: tuple[tuple[tuple[str, str], ...], str]) -> selectors.LabelSelector:
    match_labels, exprs = key
    return selectors.label_selector_from_dict(
        {"matchLabels": dict(match_labels), "matchExpressions": json.loads(exprs)})


def label_selector(sel: Mapping[str, Any] | None) -> selectors.LabelSelector:
    """metav1.LabelSelectorAsSelector, memoised (raises SelectorError on a bad one)."""
    if sel is None:
        return selectors.nothing()
    ml = tuple(sorted((sel.get("matchLabels") or {}).items()))
    exprs = sel.get("matchExpressions")
    ex = json.dumps(exprs, sort_keys=True) if exprs else "[]"  # most selectors have none
    return _compile((ml, ex))


def labels_of(obj: Mapping[str, Any]) -> Mapping[str, str]:
    return obj["metadata"].get("labels") or {}


# --- pod predicates (k8s.io/kubernetes/pkg/api/v1/pod) ----------------------------------------


def is_active(pod: Mapping[str, Any]) -> bool:
    """controller.IsPodActive: not terminal and not being deleted."""
    phase = (pod.get("status") or {}).get("phase")
    return phase not in ("Succeeded", "Failed") and not pod["metadata"].get("deletionTimestamp")


def ready_condition(pod: Mapping[str, Any]) -> Obj | None:
    for c in (pod.get("status") or {}).get("conditions") or ():
        if c.get("type") == "Ready":
            return c  # type: ignore[no-any-return]
    return None


def is_ready(pod: Mapping[str, Any]) -> bool:
    c = ready_condition(pod)
    return c is not None and c.get("status") == "True"


def ready_since(pod: Mapping[str, Any]) -> float | None:
    c = ready_condition(pod)
    if c is None or c.get("status") != "True" or not c.get("lastTransitionTime"):
        return None
    return _clock.parse_rfc3339(c["lastTransitionTime"])


def available_at(pod: Mapping[str, Any], min_ready: int) -> float | None:
    """When a ready pod is (or becomes) available; None while it is not ready."""
    if not is_ready(pod):
        return None
    if not min_ready:
        return -math.inf
    since = ready_since(pod)
    return math.inf if since is None else since + min_ready


def is_available(pod: Mapping[str, Any], min_ready: int, now: float) -> bool:
    """podutil.IsPodAvailable (available exactly at readySince + minReadySeconds, not after)."""
    at = available_at(pod, min_ready)
    return at is not None and at <= now


# --- victims (controller.ActivePodsWithRanks) -------------------------------------------------


def _restarts(pod: Mapping[str, Any]) -> tuple[int, int]:
    status = pod.get("status") or {}
    regular = max((int(c.get("restartCount") or 0) for c in status.get("containerStatuses") or ()),
                  default=0)
    sidecars = {c.get("name") for c in (pod.get("spec") or {}).get("initContainers") or ()
                if c.get("restartPolicy") == "Always"}
    sidecar = max((int(c.get("restartCount") or 0)
                   for c in status.get("initContainerStatuses") or () if c.get("name") in sidecars),
                  default=0)
    return regular, sidecar


def _deletion_cost(pod: Mapping[str, Any]) -> int:
    v = (pod["metadata"].get("annotations") or {}).get(DELETION_COST)
    try:
        return int(v) if v is not None else 0
    except ValueError:
        return 0


def _log_rank(t: float, now: float) -> int:
    d = (now - t) * 1e9  # Go durations are nanoseconds
    return int(math.log2(d)) if d > 0 else -1


def _time_less(t1: float | None, t2: float | None, uid1: str, uid2: str, now: float) -> bool | None:
    """Newer first, by log2 buckets of age; ties within a bucket go by uid; None if equal."""
    if t1 == t2:
        return None
    if t1 is None or t2 is None:  # afterOrZero: a zero time sorts first
        return t1 is None
    diff = _log_rank(t1, now) - _log_rank(t2, now)
    if diff == 0:
        return uid1 < uid2
    return diff < 0


def deletion_order(pods: Iterable[Obj], related: Iterable[Obj], now: float) -> list[Obj]:
    """Pods sorted so that the first ones are the cheapest to lose.

    unassigned < assigned; Pending < Unknown < Running; not ready < ready; lower
    pod-deletion-cost first; more related pods on the same node first; ready for less time
    first; more restarts first; newer first.
    """
    on_node: dict[str, int] = {}
    for p in related:
        if is_active(p):
            node = (p.get("spec") or {}).get("nodeName") or ""
            on_node[node] = on_node.get(node, 0) + 1
    info = []
    for p in sorted(pods, key=lambda p: p["metadata"]["name"]):
        spec, md = p.get("spec") or {}, p["metadata"]
        created = md.get("creationTimestamp")
        info.append((p, {
            "assigned": bool(spec.get("nodeName")),
            "phase": _PHASE_ORDINAL.get((p.get("status") or {}).get("phase") or "", 0),
            "ready": is_ready(p), "cost": _deletion_cost(p),
            "rank": on_node.get(spec.get("nodeName") or "", 0),
            "readyTime": ready_since(p), "restarts": _restarts(p),
            "created": _clock.parse_rfc3339(created) if created else None,
            "uid": md.get("uid", "")}))

    def less(a: dict[str, Any], b: dict[str, Any]) -> bool:
        for key in ("assigned", "phase", "ready", "cost"):
            if a[key] != b[key]:
                return a[key] < b[key]  # type: ignore[no-any-return]
        if a["rank"] != b["rank"]:
            return a["rank"] > b["rank"]  # type: ignore[no-any-return]
        if a["ready"] and b["ready"]:
            r = _time_less(a["readyTime"], b["readyTime"], a["uid"], b["uid"], now)
            if r is not None:
                return r
        if a["restarts"] != b["restarts"]:
            return a["restarts"] > b["restarts"]  # type: ignore[no-any-return]
        r = _time_less(a["created"], b["created"], a["uid"], b["uid"], now)
        return bool(r)

    def cmp(x: tuple[Obj, dict[str, Any]], y: tuple[Obj, dict[str, Any]]) -> int:
        return -1 if less(x[1], y[1]) else 1 if less(y[1], x[1]) else 0

    return [p for p, _ in sorted(info, key=functools.cmp_to_key(cmp))]


# --- pod control ----------------------------------------------------------------------------


class PodControl:
    """controller.RealPodControl: create and delete pods for an owner, recording events."""

    def __init__(self, client: Client, rng: random.Random, component: str) -> None:
        self.client, self.rng, self.component = client, rng, component

    def _name(self, owner_name: str) -> tuple[str, str]:
        prefix, base = _pod_prefix(owner_name)
        choice, alphanums = self.rng.choice, names.ALPHANUMS
        return prefix, base + "".join([choice(alphanums) for _ in range(names.GENERATE_SUFFIX)])

    def create(self, owner: Obj, template: Mapping[str, Any]) -> Obj:
        """GetPodFromTemplate + create; on error a FailedCreate event and the error is raised.
        The pod returned is the stored one, shared with the informers: read it, never mutate it."""
        tmd = template.get("metadata") or {}
        ns = owner["metadata"].get("namespace", "")
        md: Obj = {"namespace": ns, "labels": dict(tmd.get("labels") or {})}
        if tmd.get("annotations"):
            md["annotations"] = dict(tmd["annotations"])
        if tmd.get("finalizers"):
            md["finalizers"] = list(tmd["finalizers"])
        md["ownerReferences"] = [new_controller_ref(owner)]
        pod: Obj = {"apiVersion": "v1", "kind": "Pod", "metadata": md,
                    "spec": objects.deep_copy(template.get("spec") or {})}
        try:
            if not md["labels"]:
                raise errors.BadRequest("unable to create pods, no labels")
            for attempt in range(_NAME_ATTEMPTS):
                md["generateName"], md["name"] = self._name(owner["metadata"]["name"])
                try:
                    created = self.client.create(pod, ns, copy=False)  # read, never mutated
                    break
                except errors.AlreadyExists:
                    if attempt == _NAME_ATTEMPTS - 1:
                        raise
        except errors.ApiError as e:
            if not namespace_terminating(e):
                self.client.event(owner, "FailedCreate", f"Error creating: {e.message}",
                                  type="Warning", component=self.component)
            raise
        self.client.event(owner, "SuccessfulCreate", f"Created pod: {created['metadata']['name']}",
                          component=self.component)
        return created

    def delete(self, owner: Obj, pod: Obj) -> bool:
        """Delete one pod; False if it was already gone. Other errors: FailedDelete, raised."""
        md = pod["metadata"]
        try:
            self.client.delete("v1", "Pod", md["name"], md.get("namespace", ""))
        except errors.NotFound:
            return False
        except errors.ApiError as e:
            self.client.event(owner, "FailedDelete", f"Error deleting: {e.message}", type="Warning",
                              component=self.component)
            raise
        self.client.event(owner, "SuccessfulDelete", f"Deleted pod: {md['name']}",
                          component=self.component)
        return True


@functools.lru_cache(maxsize=4096)
def _pod_prefix(owner_name: str) -> tuple[str, str]:
    """getPodsPrefix (generateName) and the part of it a generated name keeps: pure functions
    of the owner's name, worked out once per owner rather than once per pod."""
    prefix = f"{owner_name}-"
    if names.check_subdomain(prefix[:-1] + "a"):  # else the bare name
        prefix = owner_name
    return prefix, prefix[: names.MAX_GENERATED_NAME - names.GENERATE_SUFFIX]


def namespace_terminating(e: errors.ApiError) -> bool:
    """HasStatusCause(err, NamespaceTerminatingCause): creates into a dying namespace."""
    causes = (getattr(e, "details", None) or {}).get("causes") or ()
    return any(c.get("reason") == "NamespaceTerminating" for c in causes)


def slow_start(count: int, fn: Callable[[], None]) -> tuple[int, Exception | None]:
    """controller.slowStartBatch: batches of 1, 2, 4, …; stop after a batch with a failure.

    Returns (successes, first error).
    """
    done, batch, first_err = 0, min(count, SLOW_START_INITIAL_BATCH), None
    remaining = count
    while batch > 0:
        errs = 0
        for _ in range(batch):
            try:
                fn()
                done += 1
            except errors.ApiError as e:
                errs += 1
                first_err = first_err or e
        if errs:
            break
        remaining -= batch
        batch = min(2 * batch, remaining)
    return done, first_err


# --- claiming (controller_ref_manager.go) -------------------------------------------------------


def claim(client: Client, owner: Obj, matches: Callable[[Mapping[str, str]], bool],
          candidates: Iterable[Obj]) -> list[Obj]:
    """ClaimObject over candidates: keep ours that match, adopt matching orphans, release ours
    that no longer match. Returns the claimed objects (adopted ones as written)."""
    omd = owner["metadata"]
    uid, deleting = omd["uid"], bool(omd.get("deletionTimestamp"))
    claimed: list[Obj] = []
    for obj in candidates:
        ref = controller_ref(obj)
        if ref is not None:
            if ref.get("uid") != uid:
                continue
            if matches(labels_of(obj)):
                claimed.append(obj)
            elif not deleting:
                _write_refs(client, obj, [r for r in obj["metadata"].get("ownerReferences") or ()
                                          if r.get("uid") != uid])
            continue
        if deleting or not matches(labels_of(obj)) or obj["metadata"].get("deletionTimestamp"):
            continue
        if obj["metadata"].get("namespace", "") != omd.get("namespace", ""):
            continue
        adopted = _write_refs(client, obj, [*(obj["metadata"].get("ownerReferences") or ()),
                                            new_controller_ref(owner)])
        if adopted is not None:
            claimed.append(adopted)
    return claimed


def _write_refs(client: Client, obj: Obj, refs: list[Obj]) -> Obj | None:
    new = objects.deep_copy(obj)
    if refs:
        new["metadata"]["ownerReferences"] = refs
    else:
        new["metadata"].pop("ownerReferences", None)
    try:
        return client.update(new)
    except errors.NotFound:
        return None
