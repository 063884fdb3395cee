"""The scheduler as a component: keeps the cache in sync, runs cycles, binds, reports.

Pods with no ``spec.nodeName`` whose ``schedulerName`` is ours are reconciled
one at a time: a scheduling cycle (``Framework.schedule``); on success the
pod is assumed into the cache, its WaitForFirstConsumer claims get the
``volume.kubernetes.io/selected-node`` annotation, and it is bound through
``pods/binding`` with a ``Scheduled`` event; on failure, preemption is tried
(victims deleted, ``status.nominatedNodeName`` set), else the pod gets
``PodScheduled=False/Unschedulable`` and a ``FailedScheduling`` event with
kube-scheduler's message, and waits in the unschedulable set until a node or
pod change could help (or ``podMaxInUnschedulablePodsDuration``, 5 min).

Settings (``components.scheduler``): ``profile`` (KubeSchedulerProfile-like
dict: plugins enabled/disabled, weights, pluginConfig),
``percentageOfNodesToScore``, ``podMaxInUnschedulablePodsDuration``.
"""

from __future__ import annotations

from typing import Any

from minik8s.api import errors, selectors
from minik8s.registry.registry import WriteOptions
from minik8s.runtime.context import ControllerContext
from minik8s.runtime.controller import Request, Result, TerminalError
from minik8s.scheduler import preemption, quantity
from minik8s.scheduler.cache import ClusterCache
from minik8s.scheduler.framework import Framework
from minik8s.scheduler.nodeinfo import NodeInfo
from minik8s.scheduler.podinfo import PodInfo
from minik8s.scheduler.profile import load_profile
from minik8s.api import objects

Obj = dict[str, Any]
SCHEDULER_NAME = "default-scheduler"
SELECTED_NODE = "volume.kubernetes.io/selected-node"


def _key(p: Obj) -> Request:
    return Request(p["metadata"].get("namespace", ""), p["metadata"]["name"])


def setup(ctx: ControllerContext) -> None:
    settings = ctx.settings("scheduler")
    reg = ctx.client.reg
    pods = ctx.informers.informer("v1", "pods")
    nodes = ctx.informers.informer("v1", "nodes")
    namespaces = ctx.informers.informer("v1", "namespaces")
    claims = ctx.informers.informer("v1", "persistentvolumeclaims")
    volumes = ctx.informers.informer("v1", "persistentvolumes")
    classes = ctx.informers.informer("storage.k8s.io/v1", "storageclasses")
    pdbs = ctx.informers.informer("policy/v1", "poddisruptionbudgets")
    services = ctx.informers.informer("v1", "services")
    rsets = ctx.informers.informer("apps/v1", "replicasets")
    ssets = ctx.informers.informer("apps/v1", "statefulsets")
    rcs = ctx.informers.informer("v1", "replicationcontrollers")
    pod_res = reg.table.by_key("pods")
    pvc_res = reg.table.by_key("persistentvolumeclaims")
    assert pod_res is not None and pvc_res is not None
    retry_after = float(settings.get("podMaxInUnschedulablePodsDuration", 300))

    def ns_labels(ns: str) -> Any:
        o = namespaces.get("", ns)
        return None if o is None else (o["metadata"].get("labels") or {})

    def spread_selector(pod: Any) -> selectors.LabelSelector | None:
        """Default topology spreading keys on the pod's Service/controller selectors."""
        md = pod.get("metadata") or {}
        ns, labels = md.get("namespace", ""), md.get("labels") or {}
        reqs: list[Any] = []
        for svc in services.list(ns):
            sel = (svc.get("spec") or {}).get("selector")
            if sel and all(labels.get(k) == v for k, v in sel.items()):
                reqs += [(k, "=", (v,)) for k, v in sorted(sel.items())]
        for ref in md.get("ownerReferences") or ():
            if not ref.get("controller"):
                continue
            inf = {"ReplicaSet": rsets, "StatefulSet": ssets, "ReplicationController": rcs}.get(ref.get("kind"))
            owner = inf.get(ns, ref.get("name", "")) if inf is not None else None
            if owner is None:
                continue
            sel = (owner.get("spec") or {}).get("selector")
            try:
                s = (selectors.label_selector_from_dict({"matchLabels": sel}) if ref.get("kind") ==
                     "ReplicationController" else selectors.label_selector_from_dict(sel))
            except ValueError:
                continue
            reqs += list(s.requirements)
        if not reqs:
            return None
        try:
            return selectors.LabelSelector.from_requirements(reqs)
        except ValueError:
            return None

    def pod_claims(p: PodInfo) -> list[tuple[str, Obj | None]]:
        pod = p.pod
        ns = pod["metadata"].get("namespace", "")
        out = []
        for v in (pod.get("spec") or {}).get("volumes") or ():
            if isinstance(v, dict) and isinstance(v.get("persistentVolumeClaim"), dict):
                name = v["persistentVolumeClaim"].get("claimName", "")
                out.append((name, claims.get(ns, name)))
        return out

    def claims_checker(p: PodInfo) -> str | None:
        for name, pvc in pod_claims(p):
            if pvc is None:
                return f'persistentvolumeclaim "{name}" not found'
            if pvc["metadata"].get("deletionTimestamp"):
                return f'persistentvolumeclaim "{name}" is being deleted'
            if (pvc.get("status") or {}).get("phase") == "Bound":
                continue
            cls = classes.get("", (pvc.get("spec") or {}).get("storageClassName") or "")
            if cls is None or cls.get("volumeBindingMode") != "WaitForFirstConsumer":
                return "pod has unbound immediate PersistentVolumeClaims"
        return None

    def volume_checker(p: PodInfo, ni: NodeInfo) -> list[str]:
        labels = (ni.node or {}).get("metadata", {}).get("labels") or {}
        for _, pvc in pod_claims(p):
            if pvc is None or (pvc.get("status") or {}).get("phase") != "Bound":
                continue
            pv = volumes.get("", (pvc.get("spec") or {}).get("volumeName") or "")
            terms = (((pv or {}).get("spec") or {}).get("nodeAffinity") or {}).get("required", {}) \
                .get("nodeSelectorTerms") if pv else None
            if terms and not any(_term_matches(t, labels, ni.name) for t in terms):
                return ["node(s) had volume node affinity conflict"]
        return []

    cache = ClusterCache(namespace_labels=ns_labels, spread_selector=spread_selector,
                         volume_checker=volume_checker, claims_checker=claims_checker)
    profile_cfg = dict(settings.get("profile") or {})
    if "percentageOfNodesToScore" in settings:
        profile_cfg.setdefault("percentageOfNodesToScore", settings["percentageOfNodesToScore"])
    profile = load_profile(profile_cfg or None)
    fw = Framework(profile, cache, ctx.rng("scheduler"))
    unschedulable: set[Request] = set()
    ctx.shared["scheduler_cache"] = cache

    def event(pod: Obj, reason: str, msg: str, type_: str = "Normal") -> None:
        ctx.client.event(pod, reason, msg, type=type_, component=SCHEDULER_NAME)

    def set_unschedulable(pod: Obj, msg: str) -> None:
        status = objects.deep_copy(pod.get("status") or {})
        conds = [c for c in status.get("conditions") or () if c.get("type") != "PodScheduled"]
        prev = next((c for c in status.get("conditions") or () if c.get("type") == "PodScheduled"), None)
        cond = {"type": "PodScheduled", "status": "False", "lastProbeTime": None,
                "lastTransitionTime": prev.get("lastTransitionTime") if prev and prev.get("status") == "False"
                else ctx.clock.rfc3339(), "reason": "Unschedulable", "message": msg}
        status["conditions"] = conds + [cond]
        if status == pod.get("status"):
            return
        new = objects.deep_copy(pod)
        new["status"] = status
        try:
            reg._update_from(pod_res, new, pod, WriteOptions(field_manager=SCHEDULER_NAME), "status")
        except errors.ApiError:
            pass

    def select_node_for_claims(pod: Obj, node: str) -> None:
        for _, pvc in pod_claims(PodInfo.of(pod)):
            if pvc is None or (pvc.get("status") or {}).get("phase") == "Bound":
                continue
            if (pvc["metadata"].get("annotations") or {}).get(SELECTED_NODE):
                continue
            new = objects.deep_copy(pvc)
            new["metadata"].setdefault("annotations", {})[SELECTED_NODE] = node
            try:
                reg._update_from(pvc_res, new, pvc, WriteOptions(field_manager=SCHEDULER_NAME), None)
            except errors.ApiError:
                pass

    def reconcile(req: Request) -> Result | None:
        pod = pods.get(req.namespace, req.name)
        if pod is None or (pod.get("spec") or {}).get("nodeName") or pod["metadata"].get("deletionTimestamp") \
                or (pod.get("spec") or {}).get("schedulerName", SCHEDULER_NAME) != SCHEDULER_NAME \
                or (pod.get("spec") or {}).get("schedulingGates"):
            unschedulable.discard(req)
            return None
        try:
            result = fw.schedule(pod)
        except quantity.QuantityError as e:
            raise TerminalError(f"pod {req}: {e}") from None
        if result.node is not None:
            unschedulable.discard(req)
            cache.assume(result.pod_info or pod, result.node)
            select_node_for_claims(pod, result.node)
            try:
                ctx.client.bind(req.namespace, req.name, result.node)
            except errors.ApiError:
                cache.forget(pod)
                raise
            event(pod, "Scheduled", f"Successfully assigned {req.namespace}/{req.name} to {result.node}")
            return None
        pre = preemption.preempt(fw, result, pdbs.list(), ctx.rng("scheduler-preemption"))
        if pre.node is not None:
            for v in pre.victims:
                vmd = v.pod["metadata"]
                event(v.pod, "Preempted", f"Preempted by pod {pod['metadata'].get('uid')} on node {pre.node}")
                try:
                    reg.delete(pod_res, vmd.get("namespace", ""), vmd["name"], {})
                except errors.NotFound:
                    pass
            new = objects.deep_copy(pod)
            new.setdefault("status", {})["nominatedNodeName"] = pre.node
            try:
                reg._update_from(pod_res, new, pod, WriteOptions(field_manager=SCHEDULER_NAME), "status")
            except errors.ApiError:
                pass
            cache.nominate(pod, pre.node)
            for other in pre.nominated_to_clear:
                cache.unnominate(other)
            return Result(requeue_after=1.0)
        msg = result.message(pre.message)
        event(pod, "FailedScheduling", msg, "Warning")
        set_unschedulable(pods.get(req.namespace, req.name) or pod, msg)
        unschedulable.add(req)
        return Result(requeue_after=retry_after)

    ctrl = ctx.manager.add("default-scheduler", reconcile)

    def retry_unschedulable() -> None:
        for k in sorted(unschedulable):
            ctrl.enqueue(k)

    def on_pod(et: str, o: Obj, old: Obj | None) -> None:
        spec = o.get("spec") or {}
        if et == "DELETED":
            if old is not None and (old.get("spec") or {}).get("nodeName"):
                cache.remove_pod(old)
            elif spec.get("nodeName"):
                cache.remove_pod(o)
            else:
                cache.unnominate(o)  # a nominated pod that went away reserves nothing
            unschedulable.discard(_key(o))
            retry_unschedulable()  # freed room may help
            return
        if spec.get("nodeName"):
            if old is not None and (old.get("spec") or {}).get("nodeName"):
                cache.update_pod(old, o)
            else:
                cache.add_pod(o)
            if o["metadata"].get("deletionTimestamp") and not (old or {}).get("metadata", {}).get(
                    "deletionTimestamp"):
                retry_unschedulable()
            return
        if o["metadata"].get("deletionTimestamp"):
            return
        if spec.get("schedulerName", SCHEDULER_NAME) == SCHEDULER_NAME:
            k = _key(o)
            if old is None or k not in unschedulable or _spec_changed(old, o):
                ctrl.enqueue(k)

    def on_node(et: str, o: Obj, old: Obj | None) -> None:
        if et == "DELETED":
            cache.remove_node(o["metadata"]["name"])
        elif old is None:
            cache.add_node(o)
        else:
            cache.update_node(o)
        if et != "DELETED" and (old is None or _node_relevant_change(old, o)):
            retry_unschedulable()

    nodes.add_handler(on_node)
    pods.add_handler(on_pod)
    claims.add_handler(lambda et, o, old: retry_unschedulable() if et != "DELETED" else None, replay=False)
    namespaces.add_handler(lambda et, o, old: None, replay=False)


def _spec_changed(old: Obj, new: Obj) -> bool:
    return (old.get("spec") != new.get("spec") or
            old["metadata"].get("labels") != new["metadata"].get("labels"))


def _node_relevant_change(old: Obj, new: Obj) -> bool:
    """Changes that can make an unschedulable pod fit (kube-scheduler's queueing hints, roughly)."""
    return (old["metadata"].get("labels") != new["metadata"].get("labels")
            or (old.get("spec") or {}).get("taints") != (new.get("spec") or {}).get("taints")
            or (old.get("spec") or {}).get("unschedulable") != (new.get("spec") or {}).get("unschedulable")
            or (old.get("status") or {}).get("allocatable") != (new.get("status") or {}).get("allocatable")
            or _ready(old) != _ready(new))


def _ready(node: Obj) -> bool:
    return any(c.get("type") == "Ready" and c.get("status") == "True"
               for c in (node.get("status") or {}).get("conditions") or ())


def _term_matches(term: Obj, labels: dict[str, str], node_name: str) -> bool:
    for e in term.get("matchExpressions") or ():
        v = labels.get(e.get("key", ""))
        op, vals = e.get("operator"), e.get("values") or []
        if op == "In" and v not in vals or op == "NotIn" and v in vals or \
                op == "Exists" and v is None or op == "DoesNotExist" and v is not None:
            return False
    for e in term.get("matchFields") or ():
        if e.get("key") == "metadata.name":
            ok = node_name in (e.get("values") or [])
            if (e.get("operator") == "In") != ok:
                return False
    return True
