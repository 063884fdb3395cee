"""The simulated kubelet: ``setup(ctx)`` registers its two reconcilers.

``kubelet-node`` (``node_agent``) keeps every Node registered and
heartbeating. ``kubelet`` reconciles each pod bound to an existing Node whose
kubelet is alive with the ``PodWorker`` (``pods``), which applies the YAML
stages. Pods are woken by their own changes, by their node coming back to
life, and by the ConfigMaps, Secrets and PersistentVolumeClaims they refer to
(``refs``). ``pods/log`` is answered from ``logs``. The ``Kubelet`` object is
published as ``ctx.shared["kubelet"]`` (tests read its trace and settings).
"""

from __future__ import annotations

from typing import Any

from minik8s.api import errors
from minik8s.runtime.context import ControllerContext
from minik8s.runtime.controller import Request, Result
from minik8s.sim import refs, stages
from minik8s.sim.facts import Env
from minik8s.sim.ips import PodIPs
from minik8s.sim.logs import PodLogs
from minik8s.sim.node_agent import NodeAgent, kubelet_state
from minik8s.sim.pods import PodWorker
from minik8s.sim.settings import KubeletSettings

Obj = dict[str, Any]
NODE_INDEX = "kubelet:node"
REFS_INDEX = "kubelet:refs"


class Kubelet:
    def __init__(self, ctx: ControllerContext) -> None:
        self.ctx = ctx
        self.settings = KubeletSettings.from_dict(ctx.settings("kubelet"), ctx.clock.virtual)
        inf = ctx.informers
        self.pods = inf.informer("v1", "pods")
        self.nodes = inf.informer("v1", "nodes")
        self.configmaps = inf.informer("v1", "configmaps")
        self.secrets = inf.informer("v1", "secrets")
        self.pvcs = inf.informer("v1", "persistentvolumeclaims")
        self.pods.add_indexer(NODE_INDEX, lambda p: [p["spec"]["nodeName"]]
                              if (p.get("spec") or {}).get("nodeName") else [])
        self.pods.add_indexer(REFS_INDEX, refs.refs_of)
        self.agent = NodeAgent(ctx, self.settings)
        rng = ctx.rng("kubelet")
        self.trace: list[tuple[float, str, str, str]] = []
        self.tracing = False
        self.env = Env(clock=ctx.clock, client=ctx.client, settings=self.settings,
                       stages=stages.load(self.settings.stages), ips=PodIPs(),
                       logs=PodLogs(self.settings.maxLogLines), lookup=self._lookup,
                       new_container_id=lambda: f"{rng.getrandbits(256):064x}",
                       trace=self._trace)
        self.worker = PodWorker(self.env)
        #: pod key -> uid, to clean up after a pod is gone
        self._uids: dict[tuple[str, str], str] = {}

    def _trace(self, t: float, pod: str, target: str, stage: str) -> None:
        if self.tracing:
            self.trace.append((t, pod, target, stage))

    def _lookup(self, kind: str, ns: str, name: str) -> Obj | None:
        inf = {"ConfigMap": self.configmaps, "Secret": self.secrets,
               "PersistentVolumeClaim": self.pvcs}[kind]
        return inf.get(ns, name)

    # -- reconcile ------------------------------------------------------------------------
    def reconcile_pod(self, req: Request) -> Result | None:
        key = (req.namespace, req.name)
        pod = self.pods.get(req.namespace, req.name)
        uid = self._uids.get(key)
        if pod is None or (uid is not None and pod["metadata"].get("uid") != uid):
            if uid is not None:
                self.worker.forget(uid)
                del self._uids[key]
            if pod is None:
                return None
        node_name = (pod.get("spec") or {}).get("nodeName")
        node = self.nodes.get("", node_name) if node_name else None
        if node is None or kubelet_state(node) != "alive":
            return None  # not ours (podgc's), or the kubelet is down: nothing moves
        uid = pod["metadata"].get("uid", "")
        self._uids[key] = uid
        self._adopt_ip(pod, node)
        wait = self.worker.sync(pod, node, self.agent.network_ready(node["metadata"]["name"]))
        return None if wait is None else Result(requeue_after=wait)

    def _adopt_ip(self, pod: Obj, node: Obj) -> None:
        """A pod that already has an address (from before a restart) keeps it."""
        ip = (pod.get("status") or {}).get("podIP")
        uid = pod["metadata"].get("uid", "")
        cidr = (node.get("spec") or {}).get("podCIDR")
        if ip and cidr and not self.env.ips.holds(uid) and not (pod.get("spec") or {}).get("hostNetwork") \
                and (pod.get("status") or {}).get("phase") not in ("Succeeded", "Failed"):
            self.env.ips.reserve(node["metadata"]["name"], cidr, uid, ip)

    # -- pods/log ---------------------------------------------------------------------------
    def pod_logs(self, namespace: str, name: str, container: str | None, *,
                 previous: bool = False, tail_lines: int | None = None, timestamps: bool = False,
                 since_seconds: float | None = None, limit_bytes: int | None = None) -> str:
        pod = self.pods.get(namespace, name)
        if pod is None:
            raise errors.NotFound.for_resource("", "pods", name)
        if container is None:
            return ""
        return self.env.logs.read(pod, container, self.ctx.clock.now(), previous=previous,
                                  tail_lines=tail_lines, timestamps=timestamps,
                                  since_seconds=since_seconds, limit_bytes=limit_bytes)


def setup(ctx: ControllerContext) -> None:
    k = Kubelet(ctx)
    ctx.shared["kubelet"] = k
    ctx.client.reg.pod_logs = k.pod_logs
    pods_ctrl = ctx.manager.add("kubelet", k.reconcile_pod)
    node_ctrl = ctx.manager.add("kubelet-node", k.agent.reconcile)

    def enqueue_pod(p: Obj) -> None:
        md = p["metadata"]
        pods_ctrl.enqueue(Request(md.get("namespace", ""), md["name"]))

    def on_pod(et: str, p: Obj, old: Obj | None) -> None:
        if et != "DELETED" and p["metadata"].get("uid") == k.worker.writing:
            return  # our own status write: the sync that made it left nothing due now
        if (p.get("spec") or {}).get("nodeName") or (old is not None and (old.get("spec") or {}).get("nodeName")):
            enqueue_pod(p)

    def on_node(et: str, n: Obj, old: Obj | None) -> None:
        name = n["metadata"]["name"]
        if name != k.agent.writing:
            node_ctrl.enqueue(name)
        # pods wake up when the node appears, comes back to life, or gets its podCIDR
        if old is None or et == "DELETED" or kubelet_state(old) != kubelet_state(n) or \
                (old.get("spec") or {}).get("podCIDR") != (n.get("spec") or {}).get("podCIDR"):
            for p in k.pods.by_index(NODE_INDEX, name):
                enqueue_pod(p)

    def on_ref(kind: str) -> Any:
        def handler(et: str, o: Obj, old: Obj | None) -> None:
            md = o["metadata"]
            for p in k.pods.by_index(REFS_INDEX, f"{kind}/{md.get('namespace', '')}/{md['name']}"):
                if (p.get("spec") or {}).get("nodeName"):
                    enqueue_pod(p)
        return handler

    def start() -> None:
        k.nodes.add_handler(on_node)
        k.pods.add_handler(on_pod)
        k.configmaps.add_handler(on_ref("ConfigMap"), replay=False)
        k.secrets.add_handler(on_ref("Secret"), replay=False)
        k.pvcs.add_handler(on_ref("PersistentVolumeClaim"), replay=False)

    ctx.manager.on_start(start)
