"""DaemonSet controller: one pod on every node that should run it.

Like kube-controller-manager's ``pkg/controller/daemon`` (``syncDaemonSet``): claim the
DaemonSet's pods and ControllerRevisions, find the current revision (``daemonset_update``),
then for every node decide (``daemonset_util.should_run``) whether it needs a pod, may keep
the one it has, or must lose it; pods are created from the template with the daemon
tolerations, the ``controller-revision-hash`` and ``pod-template-generation`` labels, and a
required node affinity ``metadata.name In [node]`` that the default scheduler binds by. Failed
pods are replaced (with a per-node backoff), unscheduled pods of vanished nodes deleted; a pod
already bound to a node that is gone is left to the pod garbage collector. Then the rolling
update step, history cleanup, and ``status`` (desired/current/ready/updated/available/
unavailable/misscheduled counts, observedGeneration) as ``kubectl get ds`` shows it.

Informer caches are current at commit time here, so no expectations are kept: when the
manage step created or deleted pods, the rolling update waits for the next pass, as the real
controller waits for its expectations.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from minik8s.api import errors, selectors
from minik8s.controllers import daemonset_update as upd
from minik8s.controllers import daemonset_util as du
from minik8s.controllers import podcontrol
from minik8s.runtime.context import ControllerContext
from minik8s.runtime.controller import Request, Result, TerminalError
from minik8s.api import objects

Obj = dict[str, Any]
KIND = "DaemonSet"
COMPONENT = "daemonset-controller"
BY_CONTROLLER, ORPHANS = podcontrol.BY_CONTROLLER, podcontrol.ORPHANS
#: BurstReplicas: pods created per sync, at most
BURST_REPLICAS = 250
#: the failed-pod backoff of kube-controller-manager (flowcontrol.NewBackOff(1s, 15m))
BACKOFF_INITIAL, BACKOFF_MAX = 1.0, 900.0


class _Backoff:
    """``flowcontrol.Backoff`` per (DaemonSet, node): doubling delays, forgotten when idle."""

    def __init__(self) -> None:
        self.entries: dict[tuple[str, str], tuple[float, float]] = {}  # key → (delay, last)

    def in_backoff(self, key: tuple[str, str], now: float) -> float | None:
        entry = self.entries.get(key)
        if entry is None or now - entry[1] >= entry[0]:
            return None
        return entry[0] - (now - entry[1])

    def next(self, key: tuple[str, str], now: float) -> None:
        entry = self.entries.get(key)
        if entry is None or now - entry[1] > 2 * BACKOFF_MAX:
            self.entries[key] = (BACKOFF_INITIAL, now)
        else:
            self.entries[key] = (min(entry[0] * 2, BACKOFF_MAX), now)


def setup(ctx: ControllerContext) -> None:
    sets = ctx.informers.informer("apps/v1", "daemonsets")
    pods = ctx.informers.informer("v1", "pods")
    nodes = ctx.informers.informer("v1", "nodes")
    revisions = ctx.informers.informer("apps/v1", "controllerrevisions")
    for inf in (pods, revisions):
        podcontrol.index_by_controller(inf)
    client, clock = ctx.client, ctx.clock
    control = podcontrol.PodControl(client, ctx.rng("daemonset"), COMPONENT)
    backoff = _Backoff()

    def claimed(inf: Any, ds: Obj, sel: selectors.LabelSelector) -> list[Obj]:
        md = ds["metadata"]
        orphans = [o for o in inf.by_index(ORPHANS, md.get("namespace", ""))
                   if sel.matches(podcontrol.labels_of(o))]
        return podcontrol.claim(client, ds, sel.matches,
                                inf.by_index(BY_CONTROLLER, md["uid"]) + orphans)

    def pods_by_node(ds: Obj, include_deleted_terminal: bool) -> dict[str, list[Obj]]:
        """``getNodesToDaemonPods``: the DaemonSet's pods by the node they are (to be) on."""
        out: dict[str, list[Obj]] = {}
        for p in pods.by_index(BY_CONTROLLER, ds["metadata"]["uid"]):
            phase = (p.get("status") or {}).get("phase")
            if not include_deleted_terminal and phase in ("Succeeded", "Failed") \
                    and p["metadata"].get("deletionTimestamp"):
                continue
            node = du.target_node(p)
            if node is not None:
                out.setdefault(node, []).append(p)
        return out

    def reconcile(req: Request) -> Result | None:
        ds = sets.get(req.namespace, req.name)
        if ds is None:
            return None
        try:
            sel = podcontrol.label_selector((ds.get("spec") or {}).get("selector"))
        except selectors.SelectorError as e:
            raise TerminalError(f"invalid selector: {e}") from e
        if sel.empty:
            client.event(ds, "SelectingAll", "This daemon set is selecting all pods. "
                         "A non-empty selector is required.", type="Warning", component=COMPONENT)
            return None
        all_nodes = {n["metadata"]["name"]: n for n in nodes.list()}
        revs = claimed(revisions, ds, sel)
        claimed(pods, ds, sel)
        if ds["metadata"].get("deletionTimestamp"):
            return None
        now = clock.now()
        cur, old = upd.construct_history(client, ds, revs, pods.by_index(
            BY_CONTROLLER, ds["metadata"]["uid"]))
        hash_ = podcontrol.labels_of(cur).get(du.HASH_LABEL, "")
        requeue: list[float] = []
        changed, err = manage(ds, all_nodes, hash_, now, requeue)
        strategy = ((ds.get("spec") or {}).get("updateStrategy") or {}).get("type", "RollingUpdate")
        if err is None and not changed and strategy == "RollingUpdate":
            min_ready = _min_ready(ds)
            to_delete, to_create = upd.rolling_update(
                ds, all_nodes, pods_by_node(ds, False), hash_, now,
                lambda p: podcontrol.is_available(p, min_ready, now))
            err = sync_nodes(ds, to_delete, to_create, hash_)
        if err is None:
            upd.cleanup_history(client, ds, old, pods.by_index(BY_CONTROLLER, ds["metadata"]["uid"]))
        update_status(ds, all_nodes, hash_, now, requeue)
        if err is not None:
            raise err
        return Result(requeue_after=min(requeue)) if requeue else None

    def manage(ds: Obj, all_nodes: dict[str, Obj], hash_: str, now: float,
               requeue: list[float]) -> tuple[bool, Exception | None]:
        """Create pods on nodes that need one; delete pods that must go."""
        by_node = pods_by_node(ds, False)
        need: list[str] = []
        delete: list[str] = []
        for name in sorted(all_nodes):
            n, d = pods_should_be_on_node(ds, all_nodes[name], by_node, hash_, now, requeue)
            need += n
            delete += d
        # unscheduled pods pinned to nodes that no longer exist would never be scheduled
        for node, ps in sorted(by_node.items()):
            if node not in all_nodes:
                delete += [p["metadata"]["name"] for p in ps if not (p.get("spec") or {}).get(
                    "nodeName") and not p["metadata"].get("deletionTimestamp")]
        return bool(need or delete), sync_nodes(ds, delete, need, hash_)

    def pods_should_be_on_node(ds: Obj, node: Obj, by_node: dict[str, list[Obj]], hash_: str,
                               now: float, requeue: list[float]) -> tuple[list[str], list[str]]:
        name = node["metadata"]["name"]
        run, keep = du.should_run(ds, node)
        daemon_pods = by_node.get(name)
        if run and daemon_pods is None:
            return [name], []
        if not keep:
            return [], [p["metadata"]["name"] for p in daemon_pods or ()
                        if not p["metadata"].get("deletionTimestamp")]
        delete: list[str] = []
        running: list[Obj] = []
        for p in daemon_pods or ():
            if p["metadata"].get("deletionTimestamp"):
                continue
            phase = (p.get("status") or {}).get("phase")
            pname = p["metadata"]["name"]
            if phase == "Failed":
                key = (ds["metadata"]["uid"], name)
                wait = backoff.in_backoff(key, now)
                if wait is not None:
                    requeue.append(wait)
                    continue
                backoff.next(key, now)
                client.event(ds, "FailedDaemonPod", f"Found failed daemon pod "
                             f"{p['metadata'].get('namespace')}/{pname} on node {name}, "
                             "will try to kill it", type="Warning", component=COMPONENT)
                delete.append(pname)
            elif phase == "Succeeded":
                client.event(ds, "SucceededDaemonPod", f"Found succeeded daemon pod "
                             f"{p['metadata'].get('namespace')}/{pname} on node {name}, "
                             "will try to delete it", component=COMPONENT)
                delete.append(pname)
            else:
                running.append(p)
        running = du.creation_order(running)
        if not du.allows_surge(ds):
            return [], delete + [p["metadata"]["name"] for p in running[1:]]
        if len(running) <= 1:
            return ([name] if not running and run else []), delete
        # surging: keep the oldest new pod, and the oldest old pod until the new one is up
        oldest_new = oldest_old = None
        for p in running:
            if podcontrol.labels_of(p).get(du.HASH_LABEL) == hash_:
                if oldest_new is None:
                    oldest_new = p
                    continue
            elif oldest_old is None:
                oldest_old = p
                continue
            delete.append(p["metadata"]["name"])
        if oldest_new is not None and oldest_old is not None and (
                not podcontrol.is_ready(oldest_old)
                or podcontrol.is_available(oldest_new, _min_ready(ds), now)):
            delete.append(oldest_old["metadata"]["name"])
        return [], delete

    def sync_nodes(ds: Obj, delete: list[str], create: list[str], hash_: str) -> Exception | None:
        """``syncNodes``: create pinned pods (at most BURST_REPLICAS), delete by name."""
        ns = ds["metadata"].get("namespace", "")
        template = du.pod_template(ds, hash_)
        first: Exception | None = None
        for node in create[:BURST_REPLICAS]:
            t = objects.deep_copy(template)
            t["spec"]["affinity"] = du.pin_to_node(t["spec"].get("affinity"), node)
            try:
                control.create(ds, t)
            except errors.ApiError as e:
                first = first or e
                break  # slow start: stop after the first failure
        for name in delete:
            pod = pods.get(ns, name)
            if pod is None:
                continue
            try:
                control.delete(ds, pod)
            except errors.ApiError as e:
                first = first or e
        return first

    def update_status(ds: Obj, all_nodes: dict[str, Obj], hash_: str, now: float,
                      requeue: list[float]) -> None:
        """``updateDaemonSetStatus``: the counts over nodes that exist."""
        by_node = pods_by_node(ds, False)
        min_ready = _min_ready(ds)
        gen = du.template_generation(ds)
        c = dict.fromkeys(("desiredNumberScheduled", "currentNumberScheduled", "numberReady",
                           "updatedNumberScheduled", "numberAvailable", "numberMisscheduled"), 0)
        for name in sorted(all_nodes):
            run, _ = du.should_run(ds, all_nodes[name])
            on_node = by_node.get(name) or []
            if not run:
                c["numberMisscheduled"] += bool(on_node)
                continue
            c["desiredNumberScheduled"] += 1
            if not on_node:
                continue
            c["currentNumberScheduled"] += 1
            pod = du.creation_order(on_node)[0]
            if podcontrol.is_ready(pod):
                c["numberReady"] += 1
                at = podcontrol.available_at(pod, min_ready)
                if at is not None and at <= now:
                    c["numberAvailable"] += 1
                elif at is not None and at < math.inf:
                    requeue.append(at - now)
            c["updatedNumberScheduled"] += du.is_updated(pod, hash_, gen)
        c["numberUnavailable"] = c["desiredNumberScheduled"] - c["numberAvailable"]
        old = ds.get("status") or {}
        status = _render_status(c, ds, old)
        if status == old:
            return
        fresh = sets.get(ds["metadata"].get("namespace", ""), ds["metadata"]["name"])
        if fresh is None:
            return
        new = objects.deep_copy(fresh)
        new["status"] = status
        client.update_status(new)

    ctrl = ctx.manager.add(COMPONENT, reconcile)

    def enqueue(obj: Mapping[str, Any]) -> None:
        ctrl.enqueue(Request(obj["metadata"].get("namespace", ""), obj["metadata"]["name"]))

    def on_pod(etype: str, pod: Obj, old: Obj | None) -> None:
        ns = pod["metadata"].get("namespace", "")
        pod_ref = podcontrol.controller_ref(pod)
        for ref in (pod_ref, podcontrol.controller_ref(old) if old is not None else None):
            if ref is not None and ref.get("kind") == KIND:
                ctrl.enqueue(Request(ns, ref["name"]))
        if etype != "DELETED" and pod_ref is None:
            labels = podcontrol.labels_of(pod)
            for ds in sets.list(ns):
                try:
                    if podcontrol.label_selector((ds.get("spec") or {}).get("selector")).matches(labels):
                        enqueue(ds)
                except selectors.SelectorError:
                    continue

    def on_node(etype: str, node: Obj, old: Obj | None) -> None:
        # a node's labels, taints or existence decide where daemons run: look at every set
        if etype == "MODIFIED" and old is not None and _placement(old) == _placement(node):
            return
        for ds in sets.list():
            enqueue(ds)

    sets.add_handler(lambda et, o, old: enqueue(o) if et != "DELETED" else None)
    pods.add_handler(on_pod, replay=False)
    nodes.add_handler(on_node, replay=False)


def _placement(node: Mapping[str, Any]) -> tuple[Any, ...]:
    spec = node.get("spec") or {}
    return (node["metadata"].get("labels"), spec.get("taints"), spec.get("unschedulable"))


def _min_ready(ds: Mapping[str, Any]) -> int:
    return int((ds.get("spec") or {}).get("minReadySeconds") or 0)


def _render_status(c: dict[str, int], ds: Mapping[str, Any], old: Mapping[str, Any]) -> Obj:
    """The API's shape: the four required counts always, the rest when set."""
    out: Obj = {"currentNumberScheduled": c["currentNumberScheduled"],
                "numberMisscheduled": c["numberMisscheduled"],
                "desiredNumberScheduled": c["desiredNumberScheduled"],
                "numberReady": c["numberReady"]}
    gen = ds["metadata"].get("generation")
    if gen:
        out["observedGeneration"] = gen
    for key in ("updatedNumberScheduled", "numberAvailable", "numberUnavailable"):
        if c[key]:
            out[key] = c[key]
    if old.get("collisionCount") is not None:
        out["collisionCount"] = old["collisionCount"]
    if old.get("conditions"):
        out["conditions"] = objects.deep_copy(old["conditions"])
    return out
