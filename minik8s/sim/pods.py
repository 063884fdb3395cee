"""The pod worker: applies the stages to one pod, then writes its status once.

``PodWorker.sync(pod)`` is the body of the kubelet's pod reconcile. It works
on a ``facts.View`` of the pod: container statuses are the simulation's
state, the facts stages match on are read from them (``facts``), stage
effects edit them (``_apply``), and ``podstatus.generate`` derives phase and
conditions at the end. Stages that become due at the same instant run in the
same sync, so a pod goes from bound to Running in one status write when
delays are zero. Per pod it remembers only when each matching stage was
first seen (for delays) and when it last ran (spent / repeat).
"""

from __future__ import annotations

import dataclasses
import ipaddress
import logging
import math
from typing import Any

from minik8s.aio.clock import parse_rfc3339
from minik8s.api import errors
from minik8s.sim import podstatus
from minik8s.sim.facts import ANN, Env, Facts, Target, View, check_facts
from minik8s.sim.stages import Stage, StageError, matches, render, render_value

log = logging.getLogger("minik8s.sim")
Obj = dict[str, Any]
MAX_PASSES = 64
#: PodStatus fields in the order the API server writes them
STATUS_ORDER = ("observedGeneration", "phase", "conditions", "message", "reason",
                "nominatedNodeName", "hostIP", "hostIPs", "podIP", "podIPs", "startTime",
                "initContainerStatuses", "containerStatuses", "qosClass",
                "ephemeralContainerStatuses", "resize", "resourceClaimStatuses")
_STATUS_RANK = {k: i for i, k in enumerate(STATUS_ORDER)}


@dataclasses.dataclass
class Memory:
    since: dict[tuple[str, str], float] = dataclasses.field(default_factory=dict)
    runs: dict[tuple[str, str], tuple[float, int]] = dataclasses.field(default_factory=dict)


class StageIndex:
    """Stages bucketed by the value they require of one fact, so a sync tries only those
    that can match (plus the ones that do not constrain it), in stage order."""

    def __init__(self, stages: list[Stage], key: str) -> None:
        self.key = key
        buckets: dict[Any, list[Stage]] = {}
        self.free: list[Stage] = []
        for st in stages:
            v = st.match.get(key)
            if isinstance(v, (str, bool, int)):
                buckets.setdefault(v, []).append(st)
            else:
                self.free.append(st)
        self.by_value = {v: sorted(b + self.free, key=lambda s: (s.order, s.name))
                         for v, b in buckets.items()}

    def candidates(self, facts: Facts) -> list[Stage]:
        return self.by_value.get(facts[self.key], self.free)


class PodWorker:
    def __init__(self, env: Env) -> None:
        self.env = env
        self.pod_index = StageIndex([s for s in env.stages if s.scope == "pod"], "pod.deleting")
        self.container_index = StageIndex([s for s in env.stages if s.scope == "container"],
                                          "container.state")
        self.memory: dict[str, Memory] = {}
        #: uid of the pod whose status is being written (its own update wakes nothing)
        self.writing: str | None = None
        for st in env.stages:
            check_facts(st)

    def forget(self, uid: str) -> None:
        self.memory.pop(uid, None)
        self.env.ips.release(uid)
        self.env.logs.forget(uid)

    # -- timing ----------------------------------------------------------------------
    def _number(self, x: Any, facts: Facts) -> float:
        if isinstance(x, (int, float)) and not isinstance(x, bool):
            return float(x)
        if isinstance(x, str):
            if "." in x:
                v = facts[x]
                return 0.0 if v is None else float(v)
            return self.env.settings.number(x)
        raise StageError(f"not a duration: {x!r}")

    def _due(self, stage: Stage, facts: Facts, since: float,
             runs: tuple[float, int] | None) -> float | None:
        if runs is not None:
            if stage.repeat is None:
                return None  # spent until it stops matching
            every = self._number(stage.repeat["every"], facts)
            cap = self._number(stage.repeat.get("max", stage.repeat["every"]), facts)
            return float(runs[0] + min(every * 2 ** (runs[1] - 1), cap))
        d = stage.delay
        if isinstance(d, dict):
            ts = facts[d["after"]]
            base = parse_rfc3339(ts) if ts else since
            return base + self._number(d.get("seconds", 0), facts)
        return since + self._number(d, facts)

    # -- sync --------------------------------------------------------------------------
    def sync(self, pod: Obj, node: Obj, network_ready: bool) -> float | None:
        """Run every due stage; write the status; return seconds until the next is due."""
        view = View(self.env, pod, node, network_ready)
        uid = view.md.get("uid", "")
        mem = self.memory.setdefault(uid, Memory())
        saved = Memory(dict(mem.since), dict(mem.runs))
        try:
            return self._sync(view, mem)
        except Exception:
            self.memory[uid] = saved  # nothing was written: the retry starts from here again
            raise

    def _sync(self, view: View, mem: Memory) -> float | None:
        next_due = math.inf
        for _ in range(MAX_PASSES):
            next_due = math.inf
            applied = False
            all_targets: list[Target | None] = [None, *view.targets()]
            for target in all_targets:
                index = self.pod_index if target is None else self.container_index
                tid = "" if target is None else target.spec.get("name", "")
                facts = Facts(view, target)
                chosen: tuple[Stage, float] | None = None
                matched: set[str] = set()
                for stage in index.candidates(facts):
                    if not matches(stage.match, facts):
                        continue
                    matched.add(stage.name)
                    key = (tid, stage.name)
                    since = mem.since.setdefault(key, view.now)
                    if chosen is not None:
                        continue
                    due = self._due(stage, facts, since, mem.runs.get(key))
                    if due is not None:
                        chosen = (stage, due)
                # a stage that no longer matches starts afresh when it matches again
                for key in [k for k in mem.since if k[0] == tid and k[1] not in matched]:
                    del mem.since[key]
                    mem.runs.pop(key, None)
                if chosen is None:
                    continue
                stage, due = chosen
                if due > view.now + 1e-9:
                    next_due = min(next_due, due)
                    continue
                key = (tid, stage.name)
                self._apply(view, stage, target, facts, mem.since[key])
                prev = mem.runs.get(key)
                mem.runs[key] = (view.now, 1 if prev is None else prev[1] + 1)
                applied = True
                break
            if not applied or view.delete:
                break
        else:
            log.warning("kubelet: %s/%s: stages did not settle after %d passes",
                        view.md.get("namespace"), view.md.get("name"), MAX_PASSES)
        self._finish(view)
        if view.delete or next_due == math.inf:
            return None
        return max(next_due - view.now, 0.0)

    def _finish(self, view: View) -> None:
        md = view.md
        if view.delete:
            try:
                self.env.client.delete("v1", "Pod", md["name"], md.get("namespace", ""),
                                       grace_period_seconds=0)
            except errors.NotFound:
                pass
            return
        status = view.status
        if "startTime" not in status:
            return
        podstatus.generate(view.pod, status, view.stamp)
        if status.get("phase") in podstatus.TERMINAL:
            # the sandbox is gone with the pod's last container; its address is free again
            for c in status.get("conditions") or ():
                if c.get("type") == "PodReadyToStartContainers" and c.get("status") == "True":
                    c["status"] = "False"
                    c["lastTransitionTime"] = view.stamp
            self.env.ips.release(md.get("uid", ""))
        status = dict(sorted(status.items(), key=lambda kv: _STATUS_RANK.get(kv[0], 99)))
        if status != view.pod.get("status"):
            self.writing = md.get("uid")
            try:
                self.env.client.update_status({**view.pod, "status": status}, manager="kubelet")
            finally:
                self.writing = None

    # -- effects -------------------------------------------------------------------------
    def _variables(self, view: View, target: Target | None, facts: Facts,
                   since: float) -> dict[str, Any]:
        md = view.md
        v: dict[str, Any] = {
            "podName": md.get("name"), "namespace": md.get("namespace"),
            "podRef": f"{md.get('name')}_{md.get('namespace')}({md.get('uid')})",
            "node": view.spec.get("nodeName"), "elapsed": podstatus.go_duration(view.now - since),
            "userLogs": view.ann.get(ANN + "logs", ""),
        }
        if target is not None:
            image = target.spec.get("image", "")
            code = facts["pod.exitCode"]
            v.update(name=target.spec.get("name"), image=image,
                     exitReason="Completed" if code == 0 else "Error",
                     imageSize=podstatus.image_size(image),
                     backoff=podstatus.go_duration(facts["container.backoff"]),
                     configError=view.config_error(target.spec) or "",
                     restartCount=facts["container.restartCount"])
        return v

    def _apply(self, view: View, stage: Stage, target: Target | None, facts: Facts,
               since: float) -> None:
        env, then = self.env, stage.then
        view.writable()
        if target is not None:  # the entry in the copy, not the shared original
            target = next(t for t in view.targets() if t.spec.get("name") == target.spec.get("name"))
        if env.trace is not None:
            env.trace(view.now, f"{view.md.get('namespace')}/{view.md.get('name')}",
                      "" if target is None else target.spec.get("name", ""), stage.name)
        variables: Any = None
        for ev in then.get("events") or ():
            if not env.settings.events or not matches(ev.get("when") or {}, facts):
                continue
            if variables is None:
                variables = _Vars(self._variables(view, target, facts, since), facts)
            items: list[str | None] = [None]
            if ev.get("for") == "mountErrors":
                items = list(view.volume_errors())
            elif ev.get("for") is not None:
                raise StageError(f"{stage.name}: unknown event for: {ev['for']}")
            for item in items:
                if item is not None:
                    variables.base["mountError"] = item
                env.client.event(view.pod, ev["reason"], render(ev["message"], variables),
                                 type=ev.get("type", "Normal"), component="kubelet",
                                 host=view.spec.get("nodeName", ""))
        if then.get("pullImage") and target is not None:
            env.images.setdefault(view.spec.get("nodeName", ""), set()).add(
                podstatus.normalize_image(target.spec.get("image", "")))
        if "container" in then and target is not None:
            if variables is None:
                variables = _Vars(self._variables(view, target, facts, since), facts)
            self._container_effect(view, target, then["container"], variables)
        pod_eff = then.get("pod") or {}
        if pod_eff.get("initialize"):
            self._initialize(view)
        if pod_eff.get("sandbox"):
            self._sandbox(view)
        if pod_eff.get("delete"):
            view.delete = True
        if "log" in then and target is not None and target.status.get("containerID"):
            if variables is None:
                variables = _Vars(self._variables(view, target, facts, since), facts)
            cid = str(target.status["containerID"]).partition("://")[2]
            stamp = view.stamp
            for line in render(then["log"], variables).splitlines():
                env.logs.write(view.md.get("uid", ""), target.spec.get("name", ""), cid, view.now,
                               f"{stamp} {line}")

    def _container_effect(self, view: View, t: Target, eff: Obj, variables: Any) -> None:
        cs = t.status
        now = view.stamp
        state = cs.get("state") or {}
        new_state = eff.get("state")
        if new_state == "running":
            if eff.get("restart"):
                if "terminated" in state:
                    cs["lastState"] = {"terminated": state["terminated"]}
                cs["restartCount"] = int(cs.get("restartCount", 0)) + 1
            image = t.spec.get("image", "")
            cs["image"] = podstatus.normalize_image(image)
            cs["imageID"] = podstatus.image_id(image)
            cs["containerID"] = "containerd://" + self.env.new_container_id()
            cs["state"] = {"running": {"startedAt": now}}
            cs["ready"], cs["started"] = False, True
        elif new_state == "terminated":
            term: Obj = {"containerID": cs.get("containerID"),
                         "exitCode": int(render_value(eff.get("exitCode", 0), variables)),
                         "finishedAt": now,
                         "reason": render(str(eff.get("reason", "Completed")), variables),
                         "startedAt": (state.get("running") or {}).get("startedAt", now)}
            if eff.get("message"):
                term["message"] = render(str(eff["message"]), variables)
            if not term["containerID"]:
                del term["containerID"]
            cs["state"] = {"terminated": term}
            cs["ready"], cs["started"] = False, False
        elif new_state == "waiting":
            if "terminated" in state:
                cs["lastState"] = {"terminated": state["terminated"]}
            waiting: Obj = {"reason": render(str(eff.get("reason", "")), variables)}
            if eff.get("message"):
                waiting["message"] = render(str(eff["message"]), variables)
            cs["state"] = {"waiting": waiting}
            cs["ready"], cs["started"] = False, False
        if "ready" in eff:
            cs["ready"] = bool(eff["ready"])
        if "started" in eff:
            cs["started"] = bool(eff["started"])
        # keep the field order a real kubelet writes
        order = ("containerID", "image", "imageID", "lastState", "name", "ready", "restartCount",
                 "started", "state", "volumeMounts")
        items = {k: cs[k] for k in order if k in cs}
        cs.clear()
        cs.update(items)

    def _initialize(self, view: View) -> None:
        status = view.status
        ip = node_ip(view.node)
        status["hostIP"] = ip
        status["hostIPs"] = [{"ip": ip}]
        if view.spec.get("hostNetwork"):
            status["podIP"] = ip
            status["podIPs"] = [{"ip": ip}]
        status["startTime"] = view.stamp
        inits = view.spec.get("initContainers") or []
        reason = "PodInitializing" if inits else "ContainerCreating"
        if inits:
            status["initContainerStatuses"] = [_waiting(c, reason) for c in inits]
        status["containerStatuses"] = [_waiting(c, reason) for c in view.spec.get("containers") or ()]
        view._targets = None

    def _sandbox(self, view: View) -> None:
        status, md = view.status, view.md
        if not view.spec.get("hostNetwork"):
            cidr = (view.node.get("spec") or {}).get("podCIDR")
            if not cidr:
                return
            ip = self.env.ips.allocate(view.spec.get("nodeName", ""), cidr, md.get("uid", ""))
            if ip is None:
                if self.env.settings.events:
                    net = ipaddress.ip_network(cidr, strict=False)
                    self.env.client.event(
                        view.pod, "FailedCreatePodSandBox",
                        "Failed to create pod sandbox: rpc error: code = Unknown desc = failed to "
                        "setup network for sandbox: plugin type=\"host-local\" failed (add): "
                        "failed to allocate for range 0: no IP addresses available in range set: "
                        f"{net.network_address + 1}-{net.broadcast_address - 1}",
                        type="Warning", component="kubelet", host=view.spec.get("nodeName", ""))
                return
            status["podIP"] = ip
            status["podIPs"] = [{"ip": ip}]
        conds = [c for c in status.get("conditions") or () if c.get("type") != "PodReadyToStartContainers"]
        conds.insert(0, {"lastProbeTime": None,
                         "lastTransitionTime": view.stamp,
                         "status": "True", "type": "PodReadyToStartContainers"})
        status["conditions"] = conds


class _Vars(dict[str, Any]):
    """Template variables, falling back to facts (``{pod.exitCode}``)."""

    def __init__(self, base: dict[str, Any], facts: Facts) -> None:
        super().__init__()
        self.base, self.facts = base, facts

    def __missing__(self, key: str) -> Any:
        if key in self.base:
            return self.base[key]
        return self.facts[key]


def node_ip(node: Obj) -> str:
    for a in (node.get("status") or {}).get("addresses") or ():
        if a.get("type") == "InternalIP":
            return str(a.get("address", ""))
    return ""


def _waiting(c: Obj, reason: str) -> Obj:
    cs: Obj = {"image": c.get("image", ""), "imageID": "", "lastState": {}, "name": c.get("name", ""),
               "ready": False, "restartCount": 0, "started": False,
               "state": {"waiting": {"reason": reason}}}
    mounts = []
    for m in c.get("volumeMounts") or ():
        vm: Obj = {"mountPath": m.get("mountPath"), "name": m.get("name")}
        if m.get("readOnly"):
            vm["readOnly"] = True
            vm["recursiveReadOnly"] = "Disabled"
        mounts.append(vm)
    if mounts:
        cs["volumeMounts"] = mounts
    return cs
