"""The StatefulSet update algorithm: which pods to create, fix, delete, in which order.

The counterpart of ``stateful_set_control.go`` (``updateStatefulSet``) and
``stateful_pod_control.go`` (``StatefulPodControl``). Pods are split into ``replicas`` (ordinals
in ``[start, start+replicas)``, missing ones built at the right revision) and ``condemned``
(ordinals above). With ``OrderedReady`` ("monotonic") processing stops at the first pod that is
missing, terminating or not yet Running, Ready and available; condemned pods go one at a time,
highest ordinal first. ``Parallel`` does everything at once, in slow-start batches. Then, for
``RollingUpdate``, pods at or above ``partition`` not at the update revision are deleted highest
ordinal first, at most ``maxUnavailable`` unavailable at a time; the create step brings them back
at the update revision. ``statefulset`` runs this and writes the status it returns.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from minik8s.api import errors
from minik8s.client.client import Client
from minik8s.controllers import statefulset_pods as sp
from minik8s.runtime.informer import Informer
from minik8s.api import objects

Obj = dict[str, Any]
COMPONENT = "statefulset-controller"


class ClaimError(Exception):
    """A claim could not be created or is being deleted: retry later."""


class StatefulPodControl:
    """Creates, updates and deletes member pods and their claims, recording events on the set."""

    def __init__(self, client: Client, claims: Informer) -> None:
        self.client, self.claims = client, claims

    # -- events --------------------------------------------------------------------------
    def _pod_event(self, verb: str, s: Obj, pod: Obj, err: Exception | None) -> None:
        name, set_name = pod["metadata"]["name"], s["metadata"]["name"]
        if err is None:
            self.client.event(s, f"Successful{verb.title()}",
                              f"{verb} Pod {name} in StatefulSet {set_name} successful",
                              component=COMPONENT)
        else:
            self.client.event(s, f"Failed{verb.title()}",
                              f"{verb} Pod {name} in StatefulSet {set_name} failed error: {err}",
                              type="Warning", component=COMPONENT)

    def _claim_event(self, verb: str, s: Obj, pod: Obj, claim: Obj, err: Exception | None) -> None:
        c, p, n = claim["metadata"]["name"], pod["metadata"]["name"], s["metadata"]["name"]
        if err is None:
            self.client.event(s, f"Successful{verb.title()}",
                              f"{verb} Claim {c} Pod {p} in StatefulSet {n} success",
                              component=COMPONENT)
        else:
            self.client.event(s, f"Failed{verb.title()}",
                              f"{verb} Claim {c} for Pod {p} in StatefulSet {n} failed error: {err}",
                              type="Warning", component=COMPONENT)

    # -- claims ----------------------------------------------------------------------------
    def _claim(self, ns: str, name: str) -> Obj | None:
        return self.claims.get(ns, name)

    def create_claims(self, s: Obj, pod: Obj) -> None:
        """``createPersistentVolumeClaims``: create the missing ones (owners per the policy)."""
        problems: list[str] = []
        for _, claim in sp.claims_for(s, sp.ordinal(pod)):
            md = claim["metadata"]
            existing = self._claim(md["namespace"], md["name"])
            if existing is None:
                sp.update_claim_owners(claim, s, pod)
                try:
                    self.client.create(claim, md["namespace"])
                except errors.AlreadyExists as e:
                    problems.append(f"failed to create PVC {md['name']}: {e}")
                except errors.ApiError as e:
                    problems.append(f"failed to create PVC {md['name']}: {e}")
                    self._claim_event("create", s, pod, claim, e)
                else:
                    self._claim_event("create", s, pod, claim, None)
            elif existing["metadata"].get("deletionTimestamp"):
                problems.append(f"pvc {md['name']} is being deleted")
        if problems:
            raise ClaimError(problems[0] if len(problems) == 1 else "[" + ", ".join(problems) + "]")

    def claim_is_stale(self, s: Obj, pod: Obj) -> bool:
        """``PodClaimIsStale``: with whenScaled Delete, a claim still owned by an earlier pod of
        this name blocks the new pod until the garbage collector removes it."""
        if sp.retention(s)[1] == sp.RETAIN:
            return False
        for _, claim in sp.claims_for(s, sp.ordinal(pod)):
            existing = self._claim(claim["metadata"]["namespace"], claim["metadata"]["name"])
            if existing is not None and sp.has_stale_owner_ref(existing, pod, "v1", "Pod"):
                return True
        return False

    def claims_match_policy(self, s: Obj, pod: Obj) -> bool:
        for _, claim in sp.claims_for(s, sp.ordinal(pod)):
            existing = self._claim(claim["metadata"]["namespace"], claim["metadata"]["name"])
            if existing is not None and not sp.claim_owners_up_to_date(existing, s, pod):
                return False
        return True

    def update_claims_for_policy(self, s: Obj, pod: Obj) -> None:
        for _, claim in sp.claims_for(s, sp.ordinal(pod)):
            existing = self._claim(claim["metadata"]["namespace"], claim["metadata"]["name"])
            if existing is None or sp.claim_owners_up_to_date(existing, s, pod):
                continue
            new = objects.deep_copy(existing)
            sp.update_claim_owners(new, s, pod)
            self.client.update(new)

    def create_missing_claims(self, s: Obj, pod: Obj) -> None:
        self.create_claims(s, pod)
        try:
            self.update_claims_for_policy(s, pod)
        except errors.ApiError as e:
            self._pod_event("update", s, pod, e)
            raise

    # -- pods --------------------------------------------------------------------------------
    def create_pod(self, s: Obj, pod: Obj) -> None:
        """Claims first, then the pod; an AlreadyExists pod is an error without an event."""
        try:
            self.create_claims(s, pod)
        except ClaimError as e:
            self._pod_event("create", s, pod, e)
            raise
        try:
            self.client.create(pod, pod["metadata"]["namespace"])
        except errors.AlreadyExists:
            raise
        except errors.ApiError as e:
            self._pod_event("create", s, pod, e)
            raise
        self._pod_event("create", s, pod, None)

    def update_pod(self, s: Obj, pod: Obj) -> None:
        """``UpdateStatefulPod``: restore identity, storage and claim ownership."""
        consistent = True
        if not sp.identity_matches(s, pod):
            sp.update_identity(s, pod)
            consistent = False
        try:
            if not sp.storage_matches(s, pod):
                sp.update_storage(s, pod)
                consistent = False
                self.create_claims(s, pod)
            if not self.claims_match_policy(s, pod):
                self.update_claims_for_policy(s, pod)
                consistent = False
        except (ClaimError, errors.ApiError) as e:
            self._pod_event("update", s, pod, e)
            raise
        if consistent:
            return
        try:
            self.client.update(pod)
        except errors.ApiError as e:
            self._pod_event("update", s, pod, e)
            raise
        self._pod_event("update", s, pod, None)

    def delete_pod(self, s: Obj, pod: Obj) -> None:
        md = pod["metadata"]
        try:
            self.client.delete("v1", "Pod", md["name"], md.get("namespace", ""))
        except errors.NotFound:
            return
        except errors.ApiError as e:
            self._pod_event("delete", s, pod, e)
            raise
        self._pod_event("delete", s, pod, None)


# --- the algorithm ----------------------------------------------------------------------------


def count_status(status: Obj, pod_lists: list[list[Obj]], min_ready: int, now: float,
                 current: str, update: str) -> None:
    """``updateStatus``: replicas, ready, available, current and updated counts."""
    counts = dict.fromkeys(("replicas", "readyReplicas", "availableReplicas",
                            "currentReplicas", "updatedReplicas"), 0)
    for pods in pod_lists:
        for p in pods:
            created = sp.is_created(p)
            if created:
                counts["replicas"] += 1
            if sp.is_running_and_ready(p):
                counts["readyReplicas"] += 1
                if sp.is_available(p, min_ready, now):
                    counts["availableReplicas"] += 1
            if created and not sp.is_terminating(p):
                rev = sp.revision_of(p)
                counts["currentReplicas"] += rev == current
                counts["updatedReplicas"] += rev == update
    status.update(counts)


def _run_for_all(pods: list[Obj], fn: Callable[[int], bool], monotonic: bool) -> bool:
    """``runForAll``: in order, stopping at the first blocked pod (monotonic), or in
    slow-start batches of 1, 2, 4, ... stopping after a batch with errors. True = stop here."""
    if monotonic:
        return any(fn(i) for i in range(len(pods)))
    i, batch, first = 0, 1, None
    while i < len(pods):
        failed: list[Exception] = []
        for j in range(i, min(i + batch, len(pods))):
            try:
                fn(j)
            except Exception as e:  # noqa: BLE001 - collected, the first one re-raised
                failed.append(e)
        if failed:
            first = failed[0]
            break
        i += batch
        batch *= 2
    if first is not None:
        raise first
    return False


def update_stateful_set(control: StatefulPodControl, s: Obj, current_set: Obj, update_set: Obj,
                        current_rev: str, update_rev: str, collision_count: int,
                        pods: list[Obj], now: float) -> tuple[Obj, Exception | None]:
    """One pass of ``updateStatefulSet``; returns the status to record and the error, if any."""
    min_ready = sp.min_ready(s)
    status: Obj = {"observedGeneration": s["metadata"].get("generation", 0),
                   "currentRevision": current_rev, "updateRevision": update_rev,
                   "collisionCount": collision_count}
    count_status(status, [pods], min_ready, now, current_rev, update_rev)

    start, end = sp.start_ordinal(s), sp.end_ordinal(s)
    slots: list[Obj | None] = [None] * max(end - start + 1, 0)
    condemned: list[Obj] = []
    for p in pods:
        n = sp.ordinal(p)
        if start <= n <= end:
            slots[n - start] = p
        elif n >= 0:
            condemned.append(p)
    replicas: list[Obj] = [p if p is not None else sp.new_versioned_pod(
        current_set, update_set, current_rev, update_rev, start + i) for i, p in enumerate(slots)]
    condemned.sort(key=sp.ordinal, reverse=True)

    first_unavailable: Obj | None = None
    for p in replicas + condemned[::-1]:
        if sp.is_unavailable(p, min_ready, now):
            first_unavailable = first_unavailable or p

    def recount() -> None:
        count_status(status, [replicas, condemned], min_ready, now, current_rev, update_rev)

    if s["metadata"].get("deletionTimestamp"):
        return status, None
    monotonic = (sp.spec(s).get("podManagementPolicy") or "OrderedReady") != "Parallel"

    def process_replica(i: int) -> bool:
        pod = replicas[i]
        if sp.phase(pod) in ("Failed", "Succeeded"):
            if not sp.is_terminating(pod):
                control.delete_pod(s, pod)
            return True  # the replacement comes once this one is gone
        if not sp.is_created(pod):
            if control.claim_is_stale(s, pod):
                return True
            control.create_pod(s, pod)
            if monotonic:
                return True
        if sp.phase(pod) == "Pending":
            control.create_missing_claims(s, pod)
        if monotonic and (sp.is_terminating(pod) or not sp.is_running_and_ready(pod)
                          or not sp.is_available(pod, min_ready, now)):
            return True
        try:
            retention_ok = control.claims_match_policy(update_set, pod)
        except errors.ApiError:
            retention_ok = True
        if sp.identity_matches(s, pod) and sp.storage_matches(s, pod) and retention_ok:
            return False
        control.update_pod(update_set, objects.deep_copy(pod))
        return False

    def fix_claims(i: int) -> bool:
        if not control.claims_match_policy(update_set, condemned[i]):
            control.update_claims_for_policy(update_set, condemned[i])
        return False

    def process_condemned(i: int) -> bool:
        pod = condemned[i]
        if sp.is_terminating(pod):
            return monotonic  # wait for it to go before the next one
        if monotonic and pod is not first_unavailable and (
                not sp.is_running_and_ready(pod) or not sp.is_available(pod, min_ready, now)):
            return True
        control.delete_pod(s, pod)
        return True

    try:
        for fn, items in ((process_replica, replicas), (fix_claims, condemned),
                          (process_condemned, condemned)):
            if _run_for_all(items, fn, monotonic):
                recount()
                return status, None
    except Exception as e:  # noqa: BLE001 - the status is still recorded, then the retry
        recount()
        return status, e
    recount()

    strategy = sp.spec(s).get("updateStrategy") or {}
    if strategy.get("type") == "OnDelete":
        return status, None
    return status, _rolling_update(control, s, replicas, update_rev, status, min_ready, now)


def _rolling_update(control: StatefulPodControl, s: Obj, replicas: list[Obj], update_rev: str,
                    status: Obj, min_ready: int, now: float) -> Exception | None:
    """``updateStatefulSetAfterInvariantEstablished``: delete out-of-date pods from the top
    down to ``partition``, keeping at most ``maxUnavailable`` unavailable."""
    ru = (sp.spec(s).get("updateStrategy") or {}).get("rollingUpdate") or {}
    update_min = int(ru.get("partition") or 0)
    try:
        max_unavailable = sp.max_unavailable(s)
    except ValueError as e:
        return e
    unavailable = sum(1 for p in replicas if sp.is_unavailable(p, min_ready, now))
    if unavailable > max_unavailable:
        return None
    to_delete = max_unavailable - unavailable
    for target in range(len(replicas) - 1, update_min - 1, -1):
        if to_delete <= 0:
            break
        pod = replicas[target]
        if sp.revision_of(pod) != update_rev and not sp.is_terminating(pod):
            try:
                control.delete_pod(s, pod)
            except errors.ApiError as e:
                return e
            to_delete -= 1
            status["currentReplicas"] -= 1
    return None


def complete_rolling_update(s: Mapping[str, Any], status: Obj) -> None:
    """``completeRollingUpdate``: every replica updated and ready → the update is current."""
    if (sp.spec(s).get("updateStrategy") or {}).get("type", "RollingUpdate") != "RollingUpdate":
        return
    want = sp.replicas(s)
    if status["updatedReplicas"] == want and status["readyReplicas"] == want \
            and status["replicas"] == want:
        status["currentReplicas"] = status["updatedReplicas"]
        status["currentRevision"] = status["updateRevision"]


def render_status(status: Obj, old: Mapping[str, Any]) -> Obj:
    """The API's shape: omitempty fields left out when zero; conditions kept."""
    out: Obj = {}
    for key in ("observedGeneration", "replicas", "readyReplicas", "currentReplicas",
                "updatedReplicas", "currentRevision", "updateRevision", "collisionCount",
                "availableReplicas"):
        v = status.get(key)
        if key in ("replicas", "collisionCount", "availableReplicas") or v:
            out[key] = v if v is not None else 0
    if old.get("conditions"):
        out["conditions"] = objects.deep_copy(old["conditions"])
    return out
