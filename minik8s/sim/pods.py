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
from collections.abc import Callable
from typing import Any

from minik8s.aio.clock import parse_rfc3339
from minik8s.api import errors
from minik8s.sim import podstatus
from minik8s.sim.facts import ANN, FACTS, Env, Facts, Target, View, check_facts
from minik8s.sim.stages import (
    EQUALS,
    ONE_OF,
    Stage,
    StageError,
    compile_match,
    holds,
    matches,
    render,
    render_value,
)

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
    """Per target ("" for the pod, else the container name), per stage name: when the stage
    first matched (``since``) and when it last ran and how often (``runs``)."""

    since: dict[str, dict[str, float]] = dataclasses.field(default_factory=dict)
    runs: dict[str, dict[str, tuple[float, int]]] = dataclasses.field(default_factory=dict)

    def copy(self) -> Memory:
        return Memory({t: dict(d) for t, d in self.since.items()},
                      {t: dict(d) for t, d in self.runs.items()})


_UNSET = object()
#: a compiled match entry: (fact, its function, test kind, argument)
_Entry = tuple[str, Callable[[View, Any], Any], int, Any]


def _compile(stage: Stage, skip: str | None = None) -> tuple[_Entry, ...]:
    """The stage's match entries with their fact functions (``skip``: an entry already known
    to hold). ``check_facts`` has made sure every fact exists in the stage's scope."""
    return tuple((key, FACTS[key], kind, arg) for key, kind, arg in compile_match(stage.match)
                 if key != skip)


class StageIndex:
    """Stages bucketed by the value they require of one fact, so a sync tries only those
    that can match (plus the ones that do not constrain it), in stage order, each with its
    ``match`` compiled."""

    def __init__(self, stages: list[Stage], key: str) -> None:
        self.key = key
        buckets: dict[Any, list[Stage]] = {}
        free: list[Stage] = []
        for st in stages:
            v = st.match.get(key)
            if isinstance(v, (str, bool, int)):
                buckets.setdefault(v, []).append(st)
            else:
                free.append(st)
        self.free = [(st, _compile(st)) for st in free]
        # in a bucket the indexed entry holds by construction: it is not tested again
        self.by_value = {v: sorted([(st, _compile(st, key)) for st in b] + self.free,
                                   key=lambda sc: (sc[0].order, sc[0].name))
                         for v, b in buckets.items()}

    def matching(self, facts: Facts) -> list[Stage]:
        """The candidate stages whose ``match`` holds, in order (``matches`` on each, with
        each fact computed once, on first use, in the same order)."""
        view, target = facts.view, facts.target
        get = facts.get
        out = []
        for stage, entries in self.by_value.get(facts[self.key], self.free):
            for key, fn, kind, arg in entries:
                v = get(key, _UNSET)
                if v is _UNSET:
                    v = facts[key] = fn(view, target)
                if kind == EQUALS:
                    if v != arg:
                        break
                elif kind == ONE_OF:
                    if v not in arg:
                        break
                elif not holds(arg, v):
                    break
            else:
                out.append(stage)
        return out


class PodWorker:
    def __init__(self, env: Env) -> None:
        self.env = env
        for st in env.stages:
            check_facts(st)
        self.pod_index = StageIndex([s for s in env.stages if s.scope == "pod"], "pod.deleting")
        self.container_index = StageIndex([s for s in env.stages if s.scope == "container"],
                                          "container.state")
        self.memory: dict[str, Memory] = {}
        #: uid of the pod whose status is being written (its own update wakes nothing)
        self.writing: str | None = None

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
        mem = self.memory.get(uid)
        if mem is None:
            mem = self.memory[uid] = Memory()
        saved = mem.copy()
        try:
            return self._sync(view, mem)
        except Exception:
            self.memory[uid] = saved  # nothing was written: the retry starts from here again
            raise

    def _sync(self, view: View, mem: Memory) -> float | None:
        next_due = math.inf
        now = view.now
        for _ in range(MAX_PASSES):
            next_due = math.inf
            applied = False
            for target in (None, *view.targets()):
                if target is None:
                    index, tid = self.pod_index, ""
                else:
                    index, tid = self.container_index, target.spec.get("name", "")
                facts = Facts(view, target)
                matched = index.matching(facts)
                since_t = mem.since.get(tid)
                runs_t = mem.runs.get(tid)
                if since_t is None:
                    since_t = mem.since[tid] = {}
                chosen: tuple[Stage, float] | None = None
                for stage in matched:
                    since = since_t.setdefault(stage.name, now)
                    if chosen is None:
                        due = self._due(stage, facts, since,
                                        None if runs_t is None else runs_t.get(stage.name))
                        if due is not None:
                            chosen = (stage, due)
                # a stage that no longer matches starts afresh when it matches again
                if len(since_t) > len(matched):
                    names = {st.name for st in matched}
                    for name in [n for n in since_t if n not in names]:
                        del since_t[name]
                        if runs_t is not None:
                            runs_t.pop(name, None)
                if chosen is None:
                    continue
                stage, due = chosen
                if due > now + 1e-9:
                    next_due = min(next_due, due)
                    continue
                self._apply(view, stage, target, facts, since_t[stage.name])
                if runs_t is None:
                    runs_t = mem.runs[tid] = {}
                prev = runs_t.get(stage.name)
                runs_t[stage.name] = (now, 1 if prev is None else prev[1] + 1)
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
        status = _in_status_order(status)
        if status != view.pod.get("status"):
            self.writing = md.get("uid")
            try:
                self.env.client.update_status({**view.pod, "status": status}, manager="kubelet", copy=False)
            finally:
                self.writing = None

    # -- effects -------------------------------------------------------------------------
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
                variables = _Vars(view, target, facts, since)
            items: list[str | None] = [None]
            if ev.get("for") == "mountErrors":
                items = list(view.volume_errors())
            elif ev.get("for") is not None:
                raise StageError(f"{stage.name}: unknown event for: {ev['for']}")
            for item in items:
                if item is not None:
                    variables["mountError"] = item
                env.client.event(view.pod, ev["reason"], render(ev["message"], variables),
                                 type=ev.get("type", "Normal"), component="kubelet",
                                 host=view.spec.get("nodeName", ""))
        if then.get("pullImage") and target is not None:
            env.images.setdefault(view.spec.get("nodeName", ""), set()).add(
                podstatus.normalize_image(target.spec.get("image", "")))
        if "container" in then and target is not None:
            if variables is None:
                variables = _Vars(view, target, facts, since)
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
                variables = _Vars(view, target, facts, since)
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
    """Template variables, each worked out when a template first names it, falling back to
    facts (``{pod.exitCode}``).

    ``backoff`` and ``restartCount`` read the container's status, so they are taken when the
    variables are made (before the stage's container effect); every other variable depends
    only on what a sync never changes (the pod's metadata and spec, the stage's start, the
    references), so working it out later gives the same value.
    """

    __slots__ = ("facts", "since", "target", "view")

    def __init__(self, view: View, target: Target | None, facts: Facts, since: float) -> None:
        self.view, self.target, self.facts, self.since = view, target, facts, since
        if target is not None:
            self["backoff"] = podstatus.go_duration(facts["container.backoff"])
            self["restartCount"] = facts["container.restartCount"]

    def __missing__(self, key: str) -> Any:
        fn = _POD_VARIABLES.get(key)
        if fn is None and self.target is not None:
            fn = _CONTAINER_VARIABLES.get(key)
        if fn is None:
            return self.facts[key]
        v = self[key] = fn(self)
        return v


def _pod_ref(v: _Vars) -> str:
    md = v.view.md
    return f"{md.get('name')}_{md.get('namespace')}({md.get('uid')})"


_POD_VARIABLES: dict[str, Callable[[_Vars], Any]] = {
    "podName": lambda v: v.view.md.get("name"),
    "namespace": lambda v: v.view.md.get("namespace"),
    "podRef": _pod_ref,
    "node": lambda v: v.view.spec.get("nodeName"),
    "elapsed": lambda v: podstatus.go_duration(v.view.now - v.since),
    "userLogs": lambda v: v.view.ann.get(ANN + "logs", ""),
}
#: only when the stage runs for a container (``v.target`` is set)
_CONTAINER_VARIABLES: dict[str, Callable[[_Vars], Any]] = {
    "name": lambda v: v.target.spec.get("name"),  # type: ignore[union-attr]
    "image": lambda v: v.target.spec.get("image", ""),  # type: ignore[union-attr]
    "exitReason": lambda v: "Completed" if v.facts["pod.exitCode"] == 0 else "Error",
    "imageSize": lambda v: podstatus.image_size(v.target.spec.get("image", "")),  # type: ignore[union-attr]
    "configError": lambda v: v.view.config_error(v.target.spec) or "",  # type: ignore[union-attr]
}


def _in_status_order(status: Obj) -> Obj:
    """The fields in ``STATUS_ORDER``, unknown ones after them in their own order (a stable
    sort by rank, without sorting)."""
    out = {k: status[k] for k in STATUS_ORDER if k in status}
    if len(out) != len(status):
        out.update((k, v) for k, v in status.items() if k not in _STATUS_RANK)
    return out


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
