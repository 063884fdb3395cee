"""The invariant library of ``ClusterMachine``: safety and convergence checks by name.

Safety checks hold after every step. Those about single writes (a binding, a
resourceVersion, a nodeName) are judged at commit time by ``CommitWatch``, a
global informer handler that sees every write synchronously in commit order,
so a pod is checked against its node exactly as the node was when the pod was
bound. The others read the store after the step.

Convergence checks hold once the cluster has settled (``ClusterMachine.converge``
settles, lets virtual time pass, settles again). A check whose precondition does
not hold (a Deployment with pods that cannot be scheduled cannot finish its
rollout) skips that object rather than pass or fail it.

Each check is written independently of the controller it judges (its own
toleration, node-selection and request arithmetic) so a bug is not shared by
the checker (``oracles``). Neighbours: ``stateful`` (the machine that runs them),
``oracles`` (tolerations, node selection, requests, the user's expectations).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from minik8s.testing import oracles
from minik8s.testing.oracles import Expectations

if TYPE_CHECKING:
    from minik8s.cluster import Cluster

Obj = dict[str, Any]
CheckFn = Callable[["Cluster", "CommitWatch", "Expectations"], list[str]]

__all__ = ["CONVERGENCE", "SAFETY", "CommitWatch", "Expectations", "check"]  # Expectations: re-exported


def _md(o: Obj) -> Obj:
    return o.get("metadata") or {}


def _key(o: Obj) -> str:
    md = _md(o)
    return f"{md['namespace']}/{md['name']}" if md.get("namespace") else str(md.get("name"))


# --- commit-time watch ------------------------------------------------------------------------------


class CommitWatch:
    """Sees every write at commit time and records violations of per-write safety rules."""

    def __init__(self, cluster: Cluster, enabled: Iterable[str]) -> None:
        self.cluster = cluster
        self.enabled = set(enabled)
        self.violations: dict[str, list[str]] = {}
        self.last_rv = cluster.store.revision
        self.crashes: list[str] = []
        cluster.informers.add_global_handler(self._on_write)
        self._log_handler = _CrashHandler(self.crashes)
        self._logger = logging.getLogger("minik8s.controllers")
        self._old_level = self._logger.level
        if "no_controller_crashes" in self.enabled:
            self._logger.addHandler(self._log_handler)
            if self._logger.getEffectiveLevel() > logging.DEBUG:
                self._logger.setLevel(logging.DEBUG)

    def close(self) -> None:
        self._logger.removeHandler(self._log_handler)
        self._logger.setLevel(self._old_level)

    def _flag(self, name: str, message: str) -> None:
        if name in self.enabled:
            self.violations.setdefault(name, []).append(message)

    def take(self, name: str) -> list[str]:
        return self.violations.pop(name, [])

    def _on_write(self, res: Any, etype: str, obj: Obj, old: Obj | None) -> None:
        md = _md(obj)
        rv = int(md.get("resourceVersion") or 0)
        if etype != "DELETED":
            if rv <= self.last_rv:
                self._flag("resource_versions_increase",
                           f"{res.key} {_key(obj)}: {etype} at resourceVersion {rv}, "
                           f"not above the previous write's {self.last_rv}")
            self.last_rv = max(self.last_rv, rv)
        if old is not None and etype == "MODIFIED" and rv <= int(_md(old).get("resourceVersion") or 0):
            self._flag("resource_versions_increase",
                       f"{res.key} {_key(obj)}: resourceVersion went {_md(old).get('resourceVersion')} → {rv}")
        if etype != "DELETED":
            owners = [r for r in md.get("ownerReferences") or () if r.get("controller")]
            if len(owners) > 1:
                self._flag("single_controller_owner",
                           f"{res.key} {_key(obj)} has {len(owners)} controller owners: "
                           + ", ".join(f"{r.get('kind')}/{r.get('name')}" for r in owners))
        if res.key != "pods" or etype == "DELETED":
            return
        was = ((old or {}).get("spec") or {}).get("nodeName")
        now = (obj.get("spec") or {}).get("nodeName")
        if was and now != was:
            self._flag("bound_pod_stays", f"pod {_key(obj)} moved from node {was} to {now!r}")
        if now and not was:
            self._on_bind(obj, now)

    def _on_bind(self, pod: Obj, node_name: str) -> None:
        nodes = self.cluster.store.resource("nodes").objects
        node = nodes.get(("", node_name))
        if node is None:
            self._flag("binding_respects_taints", f"pod {_key(pod)} bound to missing node {node_name}")
            return
        spec = pod.get("spec") or {}
        bad = oracles.untolerated(node, spec.get("tolerations") or (), ("NoSchedule", "NoExecute"))
        if bad:
            self._flag("binding_respects_taints",
                       f"pod {_key(pod)} bound to {node_name}, whose taints it does not tolerate: "
                       + ", ".join(f"{t['key']}={t.get('value', '')}:{t['effect']}" for t in bad))
        if (node.get("spec") or {}).get("unschedulable") and not oracles.tolerated(
                {"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"},
                spec.get("tolerations") or ()):
            self._flag("binding_respects_taints", f"pod {_key(pod)} bound to cordoned node {node_name}")
        alloc = oracles.allocatable(node)
        used = {"cpu": 0, "memory": 0, "pods": 0}
        for p in self.cluster.store.resource("pods").objects.values():
            if (p.get("spec") or {}).get("nodeName") != node_name or \
                    (p.get("status") or {}).get("phase") in ("Succeeded", "Failed"):
                continue
            r = oracles.pod_requests(p)
            used["cpu"] += r["cpu"]
            used["memory"] += r["memory"]
            used["pods"] += 1
        over = [f"{k} {used[k]} > {alloc[k]}" for k in used if used[k] > alloc[k]]
        if over:
            self._flag("binding_fits", f"pod {_key(pod)} bound to {node_name} overcommits it: "
                       + ", ".join(over) + " (requests of its pods vs allocatable)")


class _CrashHandler(logging.Handler):
    """Reconcile errors that are not API errors (``Conflict`` and friends are routine)."""

    def __init__(self, sink: list[str]) -> None:
        super().__init__(logging.DEBUG)
        self.sink = sink

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info and record.exc_info[1] is not None and not hasattr(record.exc_info[1], "code"):
            e = record.exc_info[1]
            self.sink.append(f"{record.getMessage()} — {type(e).__name__}: {e}")


# --- the library ---------------------------------------------------------------------------------

SAFETY: dict[str, CheckFn] = {}
CONVERGENCE: dict[str, CheckFn] = {}


def check(kind: str) -> Callable[[CheckFn], CheckFn]:
    """Register a check function ``fn(cluster, watch, expected) -> [violation, ...]`` by name."""
    table = SAFETY if kind == "safety" else CONVERGENCE

    def deco(fn: CheckFn) -> CheckFn:
        table[fn.__name__] = fn
        return fn
    return deco


def _objects(c: Cluster, key: str) -> list[Obj]:
    return list(c.store.resource(key).objects.values())


def _watched(name: str) -> CheckFn:
    def fn(c: Cluster, w: CommitWatch, e: Expectations) -> list[str]:
        return w.take(name)
    fn.__name__ = name
    return fn


for _name, _doc in (
        ("binding_respects_taints", ("no pod is bound to a node whose NoSchedule/NoExecute taints "
                                     "(or cordon) it does not tolerate, judged at bind time")),
        ("binding_fits", "no binding makes a node's pods request more than its allocatable"),
        ("resource_versions_increase", "every write gets a resourceVersion above every earlier one"),
        ("bound_pod_stays", "a bound pod's nodeName never changes"),
        ("single_controller_owner", "no object has two ownerReferences with controller: true")):
    SAFETY[_name] = _watched(_name)
    SAFETY[_name].__doc__ = _doc


@check("safety")
def no_controller_crashes(c: Cluster, w: CommitWatch, e: Expectations) -> list[str]:
    """No reconcile raised anything but an API error (a crash retried forever is a bug)."""
    out, w.crashes[:] = list(w.crashes), []
    return out


@check("safety")
def statefulset_ordinals_unique(c: Cluster, w: CommitWatch, e: Expectations) -> list[str]:
    """No two live pods of one StatefulSet share an ordinal (name suffix and pod-index label agree)."""
    seen: dict[tuple[str, int], str] = {}
    out = []
    for p in _objects(c, "pods"):
        ref = oracles.controller_of(p)
        if not ref or ref.get("kind") != "StatefulSet" or not oracles.live(p):
            continue
        name = _md(p)["name"]
        base, _, ordinal = name.rpartition("-")
        if base != ref["name"] or not ordinal.isdigit():
            out.append(f"pod {_key(p)} of StatefulSet {ref['name']} is not named <set>-<ordinal>")
            continue
        index = (_md(p).get("labels") or {}).get("apps.kubernetes.io/pod-index")
        if index is not None and index != ordinal:
            out.append(f"pod {_key(p)} has pod-index label {index}")
        k = (ref["uid"], int(ordinal))
        if k in seen:
            out.append(f"pods {seen[k]} and {name} of StatefulSet {ref['name']} share ordinal {ordinal}")
        seen[k] = name
    return out


@check("safety")
def no_lost_objects(c: Cluster, w: CommitWatch, e: Expectations) -> list[str]:
    """Everything the user created and did not delete still exists, with the same uid."""
    out = []
    for (api_version, kind, ns, name), uid in e.present.items():
        res = c.client.resource(api_version, kind)
        obj = c.store.resource(res.key).objects.get((ns, name))
        if obj is None:
            out.append(f"{kind} {ns + '/' if ns else ''}{name} is gone, but the user never deleted it")
        elif uid and _md(obj).get("uid") != uid:
            out.append(f"{kind} {ns + '/' if ns else ''}{name} was replaced (uid {uid} → {_md(obj).get('uid')})")
    return out


# --- convergence ----------------------------------------------------------------------------------


def _pods_by_owner(c: Cluster) -> dict[str, list[Obj]]:
    out: dict[str, list[Obj]] = {}
    for p in _objects(c, "pods"):
        ref = oracles.controller_of(p)
        if ref:
            out.setdefault(ref["uid"], []).append(p)
    return out


@check("convergence")
def replicasets_own_replicas(c: Cluster, w: CommitWatch, e: Expectations) -> list[str]:
    """A ReplicaSet owns exactly ``spec.replicas`` live pods, and its status says so."""
    by_owner = _pods_by_owner(c)
    out = []
    for rs in _objects(c, "replicasets.apps"):
        if _md(rs).get("deletionTimestamp"):
            continue
        want = (rs.get("spec") or {}).get("replicas", 1)
        have = [p for p in by_owner.get(_md(rs)["uid"], []) if oracles.live(p)]
        if len(have) != want:
            out.append(f"ReplicaSet {_key(rs)} wants {want} replicas but owns {len(have)} live pods")
        st = rs.get("status") or {}
        if st.get("observedGeneration") == _md(rs).get("generation") and st.get("replicas", 0) != len(have):
            out.append(f"ReplicaSet {_key(rs)} status.replicas is {st.get('replicas', 0)}, owns {len(have)}")
    return out


def _nodes(c: Cluster) -> dict[str, Obj]:
    return {_md(n)["name"]: n for n in _objects(c, "nodes")}


def _stuck(pods: Iterable[Obj], nodes: dict[str, Obj]) -> bool:
    """Some pod cannot run (unschedulable, or its node is gone or down): a rollout or an
    ordered start then legitimately waits."""
    return any(oracles.cannot_run(p, nodes) for p in pods)


@check("convergence")
def deployments_complete(c: Cluster, w: CommitWatch, e: Expectations) -> list[str]:
    """A Deployment's newest ReplicaSet holds all its replicas and older ones none — unless
    some of its pods cannot run (unschedulable, or on a node that is gone or down: then the
    rollout legitimately waits)."""
    by_owner = _pods_by_owner(c)
    nodes = _nodes(c)
    rss: dict[str, list[Obj]] = {}
    for rs in _objects(c, "replicasets.apps"):
        ref = oracles.controller_of(rs)
        if ref and ref.get("kind") == "Deployment":
            rss.setdefault(ref["uid"], []).append(rs)
    out = []
    for d in _objects(c, "deployments.apps"):
        if _md(d).get("deletionTimestamp") or (d.get("spec") or {}).get("paused"):
            continue
        mine = rss.get(_md(d)["uid"], [])
        if any(_stuck(by_owner.get(_md(rs)["uid"], []), nodes) for rs in mine):
            continue
        want = (d.get("spec") or {}).get("replicas", 1)
        if not mine:
            out.append(f"Deployment {_key(d)} has no ReplicaSet")
            continue
        newest = max(mine, key=lambda rs: int((_md(rs).get("annotations") or {})
                                               .get("deployment.kubernetes.io/revision", 0)))
        if (newest.get("spec") or {}).get("replicas") != want:
            out.append(f"Deployment {_key(d)}: newest ReplicaSet {_md(newest)['name']} has "
                       f"{(newest.get('spec') or {}).get('replicas')} of {want} replicas")
        tmpl = dict(((newest.get("spec") or {}).get("template") or {}).get("spec") or {})
        if tmpl.get("containers") and [x.get("image") for x in tmpl["containers"]] != \
                [x.get("image") for x in d["spec"]["template"]["spec"]["containers"]]:
            out.append(f"Deployment {_key(d)}: newest ReplicaSet {_md(newest)['name']} runs another template")
        for rs in mine:
            if rs is not newest and (rs.get("spec") or {}).get("replicas", 0) != 0:
                out.append(f"Deployment {_key(d)}: old ReplicaSet {_md(rs)['name']} still has "
                           f"{rs['spec']['replicas']} replicas")
        st = d.get("status") or {}
        if st.get("observedGeneration") != _md(d).get("generation"):
            out.append(f"Deployment {_key(d)}: status.observedGeneration {st.get('observedGeneration')} "
                       f"≠ generation {_md(d).get('generation')}")
        elif st.get("updatedReplicas", 0) != want or st.get("replicas", 0) != want:
            out.append(f"Deployment {_key(d)}: status replicas/updated {st.get('replicas', 0)}/"
                       f"{st.get('updatedReplicas', 0)}, want {want}")
    return out


@check("convergence")
def statefulsets_complete(c: Cluster, w: CommitWatch, e: Expectations) -> list[str]:
    """A StatefulSet runs ordinals 0..replicas-1, each with its claims — unless a pod of it
    cannot run (unschedulable, or on a node that is gone or down: ordered start then
    legitimately waits) or is still terminating (an ordinal is replaced only once its old pod
    is gone, which on a dead node takes a force delete)."""
    by_owner = _pods_by_owner(c)
    nodes = _nodes(c)
    claims = {k: o for k, o in c.store.resource("persistentvolumeclaims").objects.items()}
    out = []
    for s in _objects(c, "statefulsets.apps"):
        if _md(s).get("deletionTimestamp"):
            continue
        pods = [p for p in by_owner.get(_md(s)["uid"], [])]
        if _stuck(pods, nodes) or any(_md(p).get("deletionTimestamp") for p in pods):
            continue
        want = (s.get("spec") or {}).get("replicas", 1)
        have = sorted(int(_md(p)["name"].rpartition("-")[2]) for p in pods if oracles.live(p)
                      and _md(p)["name"].rpartition("-")[2].isdigit())
        if have != list(range(want)):
            out.append(f"StatefulSet {_key(s)} wants ordinals 0..{want - 1}, has {have}")
        ns = _md(s)["namespace"]
        for vct in (s.get("spec") or {}).get("volumeClaimTemplates") or ():
            for i in range(want):
                cname = f"{_md(vct)['name']}-{_md(s)['name']}-{i}"
                if (ns, cname) not in claims:
                    out.append(f"StatefulSet {_key(s)}: claim {cname} is missing")
    return out


@check("convergence")
def daemonsets_one_per_node(c: Cluster, w: CommitWatch, e: Expectations) -> list[str]:
    """A DaemonSet has exactly one live pod on every node that should run it (selector,
    affinity, NoSchedule/NoExecute taints tolerated), at most one where only NoSchedule
    taints came later, and none elsewhere."""
    by_owner = _pods_by_owner(c)
    nodes = _nodes(c)
    out = []
    for ds in _objects(c, "daemonsets.apps"):
        if _md(ds).get("deletionTimestamp"):
            continue
        tspec = ((ds.get("spec") or {}).get("template") or {}).get("spec") or {}
        tols = list(tspec.get("tolerations") or ()) + list(oracles.DAEMON_TOLERATIONS)
        count: dict[str | None, int] = {}
        for p in by_owner.get(_md(ds)["uid"], []):
            if oracles.live(p):
                t = oracles.daemon_target(p)
                count[t] = count.get(t, 0) + 1
        for name, node in nodes.items():
            n = count.pop(name, 0)
            if not oracles.node_selected(tspec, node) or oracles.untolerated(node, tols, ("NoExecute",)):
                allowed: tuple[int, ...] = (0,)
            elif oracles.untolerated(node, tols, ("NoSchedule",)):
                allowed = (0, 1)
            else:
                allowed = (1,)
            if n not in allowed:
                out.append(f"DaemonSet {_key(ds)} has {n} live pods for node {name}, "
                           f"want {' or '.join(map(str, allowed))}")
        for missing, n in count.items():
            out.append(f"DaemonSet {_key(ds)} has {n} live pods for missing node {missing}")
    return out


@check("convergence")
def hpa_within_bounds(c: Cluster, w: CommitWatch, e: Expectations) -> list[str]:
    """An HPA keeps its target's replicas within [minReplicas, maxReplicas] (a target
    scaled to 0 turns autoscaling off, as upstream), and so is the desiredReplicas it
    computed from metrics."""
    out = []
    for h in _objects(c, "horizontalpodautoscalers.autoscaling"):
        spec = h.get("spec") or {}
        ref = spec.get("scaleTargetRef") or {}
        if ref.get("kind") != "Deployment":
            continue
        d = c.store.resource("deployments.apps").objects.get((_md(h)["namespace"], str(ref.get("name"))))
        if d is None or _md(d).get("deletionTimestamp"):
            continue
        n = (d.get("spec") or {}).get("replicas", 1)
        lo, hi = spec.get("minReplicas", 1), spec["maxReplicas"]
        if n != 0 and not lo <= n <= hi:
            out.append(f"HPA {_key(h)}: Deployment {ref.get('name')} has {n} replicas, outside [{lo}, {hi}]")
        st = h.get("status") or {}
        desired = st.get("desiredReplicas")
        # with no metrics upstream keeps the last desiredReplicas (setCurrentReplicasAndMetricsInStatus)
        active = any(cd.get("type") == "ScalingActive" and cd.get("status") == "True"
                     for cd in st.get("conditions") or ())
        if n != 0 and active and desired is not None and not lo <= desired <= hi:
            out.append(f"HPA {_key(h)}: status.desiredReplicas {desired} outside [{lo}, {hi}]")
    return out


@check("convergence")
def claims_bound(c: Cluster, w: CommitWatch, e: Expectations) -> list[str]:
    """Every claim a scheduled pod uses is Bound to a volume that points back at it."""
    out = []
    pvcs = c.store.resource("persistentvolumeclaims").objects
    pvs = c.store.resource("persistentvolumes").objects
    for p in _objects(c, "pods"):
        if not oracles.live(p) or not (p.get("spec") or {}).get("nodeName"):
            continue
        for v in (p.get("spec") or {}).get("volumes") or ():
            cname = (v.get("persistentVolumeClaim") or {}).get("claimName")
            if not cname:
                continue
            pvc = pvcs.get((_md(p)["namespace"], cname))
            if pvc is None:
                out.append(f"pod {_key(p)} uses missing claim {cname}")
                continue
            if (pvc.get("status") or {}).get("phase") != "Bound":
                out.append(f"claim {_key(pvc)} of scheduled pod {_key(p)} is "
                           f"{(pvc.get('status') or {}).get('phase')}")
                continue
            pv = pvs.get(("", str((pvc.get("spec") or {}).get("volumeName"))))
            ref = ((pv or {}).get("spec") or {}).get("claimRef") or {}
            if pv is None or ref.get("uid") != _md(pvc).get("uid"):
                out.append(f"claim {_key(pvc)} is Bound to {(pvc.get('spec') or {}).get('volumeName')}, "
                           f"which does not point back at it")
    return out


def _ready(pod: Obj) -> bool:
    return any(cd.get("type") == "Ready" and cd.get("status") == "True"
               for cd in (pod.get("status") or {}).get("conditions") or ())


@check("convergence")
def dns_matches_services(c: Cluster, w: CommitWatch, e: Expectations) -> list[str]:
    """Cluster DNS answers every Service: its clusterIP, or for a headless one the IPs of its
    ready selected pods (and ``<hostname>.<service>`` for each); deleted Services are NXDOMAIN."""
    out = []
    domain = c.config.cluster_domain
    pods = [p for p in _objects(c, "pods") if oracles.live(p) and _ready(p) and (p.get("status") or {}).get("podIP")]
    for svc in _objects(c, "services"):
        md, spec = _md(svc), svc.get("spec") or {}
        if spec.get("type") == "ExternalName":
            continue
        fqdn = f"{md['name']}.{md['namespace']}.svc.{domain}"
        got = sorted(r.data for r in c.dns_index.resolve(fqdn, "A").answer if r.type == "A")
        if spec.get("clusterIP") not in (None, "", "None"):
            want = sorted(ip for ip in spec.get("clusterIPs") or [spec["clusterIP"]] if ":" not in ip)
        else:
            sel = spec.get("selector")
            if not sel:
                continue
            matching = [p for p in pods if _md(p)["namespace"] == md["namespace"] and
                        all((_md(p).get("labels") or {}).get(k) == v for k, v in sel.items())]
            want = sorted(p["status"]["podIP"] for p in matching)
            for p in matching:
                ps = p.get("spec") or {}
                if ps.get("hostname") and ps.get("subdomain") == md["name"]:
                    host = f"{ps['hostname']}.{fqdn}"
                    ans = [r.data for r in c.dns_index.resolve(host, "A").answer if r.type == "A"]
                    if ans != [p["status"]["podIP"]]:
                        out.append(f"DNS {host} answers {ans}, want [{p['status']['podIP']}]")
        if got != want:
            out.append(f"DNS {fqdn} answers {got}, want {want}")
    for (api_version, kind, ns, name) in e.deleted:
        if kind == "Service" and (ns, name) not in c.store.resource("services").objects:
            gone = c.dns_index.resolve(f"{name}.{ns}.svc.{domain}", "A")
            if gone.answer:
                out.append(f"DNS still answers deleted Service {ns}/{name}: {[r.data for r in gone.answer]}")
    return out


@check("convergence")
def deleted_objects_gone(c: Cluster, w: CommitWatch, e: Expectations) -> list[str]:
    """What the user deleted is gone (no stuck finalizers), and so is everything it owned:
    no object that is not already being deleted has an ownerReference to a missing owner."""
    out = []
    for (api_version, kind, ns, name), uid in e.deleted.items():
        res = c.client.resource(api_version, kind)
        obj = c.store.resource(res.key).objects.get((ns, name))
        if obj is not None and (not uid or _md(obj).get("uid") == uid):
            out.append(f"{kind} {ns + '/' if ns else ''}{name} was deleted but is still there "
                       f"(finalizers {_md(obj).get('finalizers')})")
    uids = {_md(o).get("uid") for _, rs in c.store.resources() for o in rs.objects.values()}
    for key, rs in c.store.resources():
        if key in ("events", "events.events.k8s.io"):
            continue
        for o in rs.objects.values():
            if _md(o).get("deletionTimestamp"):
                continue  # collected, still terminating (e.g. on a node whose kubelet is gone)
            for r in _md(o).get("ownerReferences") or ():
                if r.get("uid") not in uids:
                    out.append(f"{key} {_key(o)} is owned by {r.get('kind')}/{r.get('name')}, which is gone")
    return out


@check("convergence")
def no_pods_on_missing_nodes(c: Cluster, w: CommitWatch, e: Expectations) -> list[str]:
    """No pod stays bound to a node that no longer exists (pod garbage collection)."""
    nodes = c.store.resource("nodes").objects
    return [f"pod {_key(p)} is still bound to missing node {p['spec']['nodeName']}"
            for p in _objects(c, "pods")
            if (p.get("spec") or {}).get("nodeName") and ("", p["spec"]["nodeName"]) not in nodes]
