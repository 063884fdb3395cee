"""``ClusterMachine``: a hypothesis state machine that drives a virtual-clock cluster.

Rules are what users and the cluster's surroundings do: apply, scale, re-image
and delete Deployments, StatefulSets (with their headless Service) and
DaemonSets; add an HPA; delete a pod; add, remove, label, taint and cordon
nodes; stop a node's kubelet; change a pod's CPU usage; let time pass. The
``settle`` rule lets the cluster converge and checks the convergence
invariants; the safety invariants are checked after every step. Both come
from ``minik8s.testing.invariants`` and are switched by name::

    class MyMachine(ClusterMachine):
        safety = ClusterMachine.safety - {"binding_fits"}
        convergence = ClusterMachine.convergence | {"my_check"}   # a registered check

        def setup_cluster(self):                 # install your controller, CRDs...
            self.call("create", MY_CRD)

        @convergence_check
        def my_operator_caught_up(self):          # checked after every settle
            assert ...

    TestMyMachine = MyMachine.TestCase

Every machine owns its event loop and a ``Cluster(clock="virtual",
serve=False)`` whose seed is drawn by hypothesis (so shrinking keeps it and a
replay reproduces names, placements and timings). Each action is recorded as a
line of Python and the equivalent kubectl command; when a run fails, the
shrunk run is printed as a standalone replay script (``replay_script()``).

Neighbours: ``strategies`` builds the objects, ``invariants`` judges the
cluster, ``minik8s.cluster`` is the cluster.
"""

from __future__ import annotations

import asyncio
import copy
import dataclasses
import pprint
import sys
import textwrap
from collections.abc import Callable, Iterable
from typing import Any, ClassVar

import yaml
from hypothesis import note
from hypothesis import strategies as st
from hypothesis.control import current_build_context
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from minik8s.aio.clock import VirtualClock
from minik8s.cluster import Cluster
from minik8s.config import ClusterConfig, NodeConfig
from minik8s.testing import invariants, oracles, strategies

Obj = dict[str, Any]

__all__ = [
    "IMAGES",
    "NODE_LABELS",
    "TAINTS",
    "ClusterMachine",
    "convergence_check",
    "pod_spec_strategy",
    "summary",
]

#: labels rules put on nodes, and that pod templates select (nodeSelector, node affinity)
NODE_LABELS: dict[str, tuple[str, ...]] = {"disk": ("ssd", "hdd"), "tier": ("frontend",)}
#: taints rules put on nodes, and that pod templates may tolerate
TAINTS: tuple[Obj, ...] = (
    {"key": "dedicated", "value": "infra", "effect": "NoSchedule"},
    {"key": "maintenance", "effect": "NoExecute"},
    {"key": "spot", "value": "true", "effect": "PreferNoSchedule"},
)
IMAGES = ("nginx:1.27", "nginx:1.28", "busybox:1.36")
DEPLOYMENTS = ("web", "api")
STATEFULSETS = ("db",)
DAEMONSETS = ("agent",)
EXTRA_NODES = ("node-a", "node-b")
MANAGER = "user"
_CONVERGENCE_MARK = "_minik8s_convergence"


def convergence_check(fn: Callable[[Any], None]) -> Callable[[Any], None]:
    """Mark a ``ClusterMachine`` method as a convergence check, run after every ``settle``
    (it raises ``AssertionError`` when the converged cluster is wrong)."""
    setattr(fn, _CONVERGENCE_MARK, True)
    return fn


def _when(name: str, cond: Callable[[Any], bool] | None = None) -> Callable[[Any], bool]:
    """A rule's precondition: not switched off in ``disabled_rules``, and ``cond`` holds."""
    def check(self: Any) -> bool:
        return name not in self.disabled_rules and self.cluster is not None and \
            (cond is None or bool(cond(self)))
    return check


def pod_spec_strategy(images: Iterable[str] = IMAGES, taints: Iterable[Obj] = TAINTS,
                      node_labels: dict[str, str] | None = None) -> st.SearchStrategy[Obj]:
    """Pod specs for the machine's templates: cpu/memory requests (so the HPA and the fit
    check have something to count), maybe limits, maybe a nodeSelector or node affinity
    on the node-label pool, maybe tolerations of some of the taint pool, maybe pod
    (anti-)affinity."""
    pool = list(taints)
    wanted = node_labels if node_labels is not None else {k: v[0] for k, v in NODE_LABELS.items()}
    res = strategies.resource_requirements(max_cpu_milli=600, max_memory=2**29, requests=True)
    rarely = st.sampled_from([False, False, None])  # None: pod_specs draws; mostly plain pods
    return st.tuples(st.lists(st.sampled_from(range(len(pool))), unique=True, max_size=2),
                     rarely, rarely, rarely).flatmap(
        lambda t: strategies.pod_specs(
            max_containers=2, resources=res, node_labels=wanted, tolerate=[pool[i] for i in t[0]],
            node_selector=t[1], node_affinity=t[2], pod_affinity=t[3], images=tuple(images),
            container_names=("app", "sidecar"), ports=False,
            # not 0: a pod that tolerates a NoExecute taint for 0 s is evicted and replaced at the
            # same virtual instant, forever, and settle() never returns (a known livelock)
            toleration_seconds=st.integers(1, 600)))


@st.composite
def _workers(draw: st.DrawFn, max_workers: int = 3) -> list[NodeConfig]:
    out = []
    for i in range(draw(st.integers(1, max_workers))):
        labels = {k: draw(st.sampled_from(v)) for k, v in NODE_LABELS.items() if draw(st.booleans())}
        taints = [dict(t) for t in TAINTS if draw(st.integers(0, 3)) == 3]  # shrinks to untainted
        out.append(NodeConfig(f"worker-{i + 1}", labels=labels, taints=taints, capacity={
            "cpu": str(draw(st.integers(1, 8))), "memory": f"{draw(st.integers(1, 16))}Gi", "pods": "110"}))
    return out


def _node_taints() -> st.SearchStrategy[list[Obj]]:
    return st.lists(st.sampled_from(TAINTS), unique_by=lambda t: t["key"], max_size=2).map(
        lambda ts: [dict(t) for t in ts])


def _node_labels() -> st.SearchStrategy[dict[str, str]]:
    return st.fixed_dictionaries({}, optional={k: st.sampled_from(v) for k, v in NODE_LABELS.items()})


#: extra template labels of the machine's workloads (a small pool keeps draws cheap)
_EXTRA_LABELS = st.sampled_from([{}, {"tier": "backend"}, {"track": "stable", "tier": "web"}])
_POD_SPEC = pod_spec_strategy()


def _named(kind: Callable[..., st.SearchStrategy[Obj]], names: tuple[str, ...], **kw: Any) -> st.SearchStrategy[Obj]:
    return st.one_of([kind(name=n, spec=_POD_SPEC, extra_labels=_EXTRA_LABELS, **kw) for n in names])


def _elapsed(cluster: Cluster) -> float:
    """Virtual seconds since the cluster's clock started."""
    return cluster.clock.now() - VirtualClock().now()


def summary(cluster: Cluster) -> str:
    """What a replay must reproduce: the virtual time, and every pod with its node and phase."""
    lines = [f"time {_elapsed(cluster):g}s"]
    for (ns, name), p in sorted(cluster.store.resource("pods").objects.items()):
        if ns in ("kube-system",):
            continue
        lines.append(f"pod {ns}/{name} node={(p.get('spec') or {}).get('nodeName', '')} "
                     f"phase={(p.get('status') or {}).get('phase', '')}"
                     f"{' terminating' if p['metadata'].get('deletionTimestamp') else ''}")
    return "\n".join(lines)


def _final_run() -> bool:
    """hypothesis is replaying the (shrunk) failing example it will report."""
    try:
        return bool(current_build_context().is_final)
    except Exception:  # noqa: BLE001 - outside a hypothesis run (a machine driven by hand)
        return False


def _py(value: Any) -> str:
    return pprint.pformat(value, width=92, sort_dicts=False)


def _yaml(obj: Obj) -> str:
    return str(yaml.safe_dump(obj, sort_keys=False)).rstrip()


@dataclasses.dataclass
class _Step:
    python: str
    kubectl: list[str]


class ClusterMachine(RuleBasedStateMachine):
    """A virtual-clock cluster under random user actions, checked after every step.

    Class attributes configure it; override them in a subclass:

    - ``safety`` / ``convergence``: names of the enabled checks from
      ``minik8s.testing.invariants.SAFETY`` / ``CONVERGENCE`` (default: all);
    - ``namespace``: where workloads go (``default``);
    - ``settle_after_actions``: run the controllers after each action (default True;
      False lets actions pile up between ``settle``/``advance`` steps);
    - ``converge_seconds``: virtual time the ``settle`` rule lets pass before checking
      convergence (60: HPA syncs, pod GC quarantine, graceful deletions);
    - ``disabled_rules``: names of rules this machine never runs (e.g. ``{"set_kubelet"}``);
    - ``replay_imports``: import lines the replay script needs for your own recorded steps
      (``"from myproject import controller"``);
    - ``components`` / ``controllers``: ``ClusterConfig.components`` and ``.controllers``
      (e.g. ``("*", "-hpa")``) for the cluster.
    """

    safety: ClassVar[frozenset[str]] = frozenset(invariants.SAFETY)
    convergence: ClassVar[frozenset[str]] = frozenset(invariants.CONVERGENCE)
    namespace: ClassVar[str] = "default"
    settle_after_actions: ClassVar[bool] = True
    converge_seconds: ClassVar[float] = 60.0
    components: ClassVar[dict[str, dict[str, Any]]] = {}
    controllers: ClassVar[tuple[str, ...]] = ("*",)
    disabled_rules: ClassVar[frozenset[str]] = frozenset()
    replay_imports: ClassVar[tuple[str, ...]] = ()

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.cluster: Cluster | None = None
        self.seed: int | None = None
        self.expected = invariants.Expectations()
        self.watch: invariants.CommitWatch | None = None
        self.steps: list[_Step] = []
        self.config: ClusterConfig | None = None
        self._failure: BaseException | None = None
        #: (kind, name) → the object as first applied (selectors and other immutable parts)
        self.workloads: dict[tuple[str, str], Obj] = {}
        #: (kind, name) → the manifest the user applied last (what a user's invariant may expect)
        self.applied: dict[tuple[str, str], Obj] = {}

    # -- plumbing users may call ------------------------------------------------------------------
    @property
    def c(self) -> Cluster:
        assert self.cluster is not None, "the cluster starts in the start_cluster initialize rule"
        return self.cluster

    @property
    def _watch(self) -> invariants.CommitWatch:
        assert self.watch is not None
        return self.watch

    def run(self, coro: Any) -> Any:
        """Run a coroutine on this machine's own event loop."""
        return self.loop.run_until_complete(coro)

    def record(self, python: str, *kubectl: str) -> None:
        """Add a step to the replay script: Python (using ``c``, the cluster; ``await`` is
        allowed) and the equivalent kubectl command lines."""
        self.steps.append(_Step(python, list(kubectl)))

    def call(self, verb: str, *args: Any, kubectl: Iterable[str] = (), **kwargs: Any) -> Any:
        """``c.client.<verb>(*args, **kwargs)``, recorded for the replay script."""
        parts = [_py(a) for a in args] + [f"{k}={_py(v)}" for k, v in kwargs.items()]
        self.record(f"c.client.{verb}({', '.join(parts)})", *kubectl)
        return getattr(self.c.client, verb)(*args, **kwargs)

    def settle_now(self) -> None:
        """Run the controllers until nothing is pending (no virtual time passes)."""
        self.record("await c.settle()")
        self._converging(self.c.settle())

    def advance_now(self, seconds: float) -> None:
        self.record(f"await c.advance({seconds!r})", f"sleep {seconds:g}")
        self._converging(self.c.advance(seconds))

    def _converging(self, coro: Any) -> None:
        """Run ``coro``; controllers that never go idle are a failure, named as such."""
        before = self.c.manager.reconciles()
        try:
            self.run(asyncio.wait_for(coro, 30))
        except (TimeoutError, RuntimeError) as e:
            busy = self.c.manager.busiest(before, 5)
            self._failure = AssertionError(
                f"the cluster did not settle ({type(e).__name__}): controllers keep working at "
                f"t={_elapsed(self.c):g}s; busiest: "
                + ", ".join(f"{k} ({n} reconciles)" for n, k in busy if n))
            raise self._failure from e

    def converge(self) -> None:
        """Settle, let ``converge_seconds`` of virtual time pass, settle again."""
        self.settle_now()
        self.advance_now(self.converge_seconds)
        self.settle_now()

    def setup_cluster(self) -> None:
        """Hook: runs right after the cluster starts (install CRDs, your controller...).
        Record what you do (``call``/``record``) so replay scripts include it."""

    def after_action(self) -> None:
        """End of a user action: settle, unless ``settle_after_actions`` is off."""
        if self.settle_after_actions:
            self.settle_now()

    def workload_names(self, kind: str) -> list[str]:
        """Names of the workloads of ``kind`` the rules created and have not deleted."""
        return sorted(n for (k, n) in self.workloads if k == kind)

    @staticmethod
    def choose(items: Iterable[Any], index: int) -> Any:
        """``index`` (any int a rule drew) picks one of ``items``, stably (sorted)."""
        ordered = sorted(items)
        return ordered[index % len(ordered)]

    def node_names(self, workers_only: bool = True) -> list[str]:
        return sorted(n for (_, n), o in self.c.store.resource("nodes").objects.items()
                      if not workers_only or "node-role.kubernetes.io/control-plane" not in
                      (o["metadata"].get("labels") or {}))

    def pod_names(self) -> list[str]:
        """Live pods of the machine's namespace."""
        return sorted(n for (ns, n), p in self.c.store.resource("pods").objects.items()
                      if ns == self.namespace and oracles.live(p))

    # -- failure reports ----------------------------------------------------------------------------
    def replay_script(self, failure: BaseException | None = None) -> str:
        """The steps so far as a standalone Python script (kubectl equivalents in comments)."""
        assert self.config is not None
        cfg = self.config
        nodes = ",\n".join(f"        {n!r}" for n in cfg.nodes)
        body = []
        for s in self.steps:
            for k in s.kubectl:
                body.append(textwrap.indent("# $ " + k.replace("\n", "\n#   "), "    "))
            body.append(textwrap.indent(s.python, "    "))
        fail = ""
        if failure is not None:
            msg = "\n".join("# " + line for line in str(failure).splitlines()[:20])
            fail = f"    # the run failed here:\n{textwrap.indent(msg, '    ')}\n"
        return (
            f'"""Replay of a failing {type(self).__name__} run (seed {self.seed}): python replay.py"""\n'
            "import asyncio\n\n"
            "from minik8s.cluster import Cluster\n"
            "from minik8s.config import ClusterConfig, NodeConfig\n"
            "from minik8s.testing.stateful import summary\n"
            + "".join(line + "\n" for line in self.replay_imports) + "\n\n"
            "async def replay() -> Cluster:\n"
            f"    config = ClusterConfig(seed={self.seed}, components={cfg.components!r},\n"
            f"                           controllers={cfg.controllers!r}, nodes=[\n"
            f"{nodes}])\n"
            '    c = Cluster(config, clock="virtual", serve=False)\n'
            "    await c.start()\n"
            + "\n".join(body) + "\n" + fail +
            "    return c\n\n\n"
            "async def main() -> None:\n"
            "    c = await replay()\n"
            "    print(summary(c))\n"
            "    await c.stop()\n\n\n"
            'if __name__ == "__main__":\n'
            "    asyncio.run(main())\n")

    def kubectl_script(self) -> str:
        """The same steps as kubectl commands, against ``minik8s serve --config topology.yaml``."""
        assert self.config is not None
        topo = {"seed": self.seed, "controllers": self.config.controllers,
                "components": self.config.components,
                "nodes": [dataclasses.asdict(n) for n in self.config.nodes]}
        lines = ["# topology.yaml:", *("#   " + x for x in _yaml(topo).splitlines()),
                 "# minik8s serve --config topology.yaml &   (real clock: sleeps stand for advance)"]
        for s in self.steps:
            lines += s.kubectl
        return "\n".join(lines)

    def report(self, failure: BaseException | None) -> str:
        bar = "-" * 72
        out = [f"minik8s ClusterMachine seed: {self.seed}",
               f"replay script (save as replay.py; prints the state below):\n{bar}",
               self.replay_script(failure) + bar,
               f"kubectl equivalent:\n{bar}", self.kubectl_script(), bar]
        if self.cluster is not None:
            out += [f"state at failure:\n{summary(self.cluster)}", bar]
        return "\n".join(out)

    def teardown(self) -> None:
        failure = self._failure or sys.exc_info()[1]
        try:
            if isinstance(failure, Exception) and self.cluster is not None and _final_run():
                note(self.report(failure))
        finally:
            if self.watch is not None:
                self.watch.close()
            if self.cluster is not None:
                self.run(self.cluster.stop())
            self.loop.close()

    # -- the cluster ---------------------------------------------------------------------------------
    @initialize(seed=st.integers(0, 2**16 - 1), workers=_workers())
    def start_cluster(self, seed: int, workers: list[NodeConfig]) -> None:
        self.seed = seed
        self.config = ClusterConfig(seed=seed, components=copy.deepcopy(self.components),
                                    controllers=list(self.controllers), nodes=[
            NodeConfig("minik8s-control-plane", role="control-plane"), *workers])
        self.cluster = Cluster(self.config, clock="virtual", serve=False)
        self.run(self.cluster.start())
        self.watch = invariants.CommitWatch(self.cluster, self.safety)
        self.setup_cluster()

    @invariant()
    def safety_holds(self) -> None:
        if self.cluster is None:
            return
        problems = []
        for name in sorted(self.safety):
            problems += [f"[{name}] {p}" for p in invariants.SAFETY[name](self.c, self._watch, self.expected)]
        if problems:
            self._failure = AssertionError("safety invariants violated:\n" + "\n".join(problems))
            raise self._failure

    @precondition(_when("settle"))
    @rule()
    def settle(self) -> None:
        """Let the cluster converge, then check every convergence invariant."""
        self.converge()
        problems = []
        for name in sorted(self.convergence):
            problems += [f"[{name}] {p}" for p in
                         invariants.CONVERGENCE[name](self.c, self._watch, self.expected)]
        for attr in sorted(dir(type(self))):
            fn = getattr(type(self), attr, None)
            if callable(fn) and getattr(fn, _CONVERGENCE_MARK, False):
                try:
                    fn(self)
                except AssertionError as e:
                    problems.append(f"[{attr}] {e}")
        if problems:
            self._failure = AssertionError("convergence invariants violated after settle:\n"
                                           + "\n".join(problems))
            raise self._failure

    @precondition(_when("advance"))
    @rule(seconds=st.sampled_from([1.0, 10.0, 30.0, 120.0, 330.0]))
    def advance(self, seconds: float) -> None:
        """Let virtual time pass (timers fire in order; controllers run in between)."""
        self.advance_now(seconds)

    # -- workloads -------------------------------------------------------------------------------------
    def _apply(self, obj: Obj, *extra: Obj) -> None:
        for o in (*extra, obj):
            docs = _yaml(o)
            self.call("apply", o, manager=MANAGER, force=True, kubectl=[(
                f"kubectl apply --server-side --force-conflicts --field-manager={MANAGER} -f - <<'EOF'\n"
                f"{docs}\nEOF")])
            self.expected.created(self.c.store.resource(self.c.client.resource(
                o["apiVersion"], o["kind"]).key).objects[(o["metadata"].get("namespace", ""),
                                                          o["metadata"]["name"])])
        key = (obj["kind"], obj["metadata"]["name"])
        self.workloads[key] = self.workloads.get(key, obj)
        self.applied[key] = obj
        self.after_action()

    def _keep_immutable(self, obj: Obj, *fields: str) -> Obj:
        """An update of an existing workload: keep its selector and other immutable parts."""
        first = self.workloads.get((obj["kind"], obj["metadata"]["name"]))
        if first is None:
            return obj
        obj = copy.deepcopy(obj)
        obj["spec"]["selector"] = first["spec"]["selector"]
        obj["spec"]["template"]["metadata"] = first["spec"]["template"]["metadata"]
        for f in fields:
            if f in first["spec"]:
                obj["spec"][f] = first["spec"][f]
            else:
                obj["spec"].pop(f, None)
        return obj

    @precondition(_when("apply_deployment"))
    @rule(dep=_named(strategies.deployments, DEPLOYMENTS, replicas=st.integers(0, 4)))
    def apply_deployment(self, dep: Obj) -> None:
        """Create a Deployment, or re-apply it with new replicas and template."""
        dep = dict(dep, metadata={**dep["metadata"], "namespace": self.namespace})
        self._apply(self._keep_immutable(dep))

    @precondition(_when("apply_statefulset"))
    @rule(sts=_named(strategies.statefulsets, STATEFULSETS, replicas=st.integers(0, 3)),
          policy=st.sampled_from(["OrderedReady", "Parallel"]))
    def apply_statefulset(self, sts: Obj, policy: str) -> None:
        """Create a StatefulSet and its headless Service, or re-apply it (replicas, template)."""
        sts = copy.deepcopy(sts)
        sts["metadata"]["namespace"] = self.namespace
        sts["spec"]["podManagementPolicy"] = policy
        sts = self._keep_immutable(sts, "podManagementPolicy", "volumeClaimTemplates", "serviceName")
        name = sts["metadata"]["name"]
        svc = strategies.headless_services(name, sts["spec"]["template"]["metadata"]["labels"],
                                           self.namespace)
        self._apply(sts, svc)

    @precondition(_when("apply_daemonset"))
    @rule(ds=_named(strategies.daemonsets, DAEMONSETS))
    def apply_daemonset(self, ds: Obj) -> None:
        """Create a DaemonSet, or re-apply it with a new template."""
        ds = dict(ds, metadata={**ds["metadata"], "namespace": self.namespace})
        self._apply(self._keep_immutable(ds))

    @precondition(_when("apply_hpa", lambda self: any(k == "Deployment" for k, _ in self.workloads)))
    @rule(pick=st.integers(0, 3), min_replicas=st.integers(1, 3), extra=st.integers(0, 3),
          utilization=st.integers(20, 90))
    def apply_hpa(self, pick: int, min_replicas: int, extra: int, utilization: int) -> None:
        """Autoscale a Deployment on CPU (``kubectl autoscale``)."""
        name = self.choose(self.workload_names("Deployment"), pick)
        hpa = {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
               "metadata": {"name": name, "namespace": self.namespace},
               "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
                        "minReplicas": min_replicas, "maxReplicas": min_replicas + extra,
                        "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {
                            "type": "Utilization", "averageUtilization": utilization}}}]}}
        self._apply(hpa)

    @precondition(_when("scale", lambda self: any(k in ("Deployment", "StatefulSet") for k, _ in self.workloads)))
    @rule(pick=st.integers(0, 3), replicas=st.integers(0, 5))
    def scale(self, pick: int, replicas: int) -> None:
        """``kubectl scale`` a Deployment or StatefulSet (through the scale subresource)."""
        kind, name = self.choose([k for k in self.workloads if k[0] in ("Deployment", "StatefulSet")], pick)
        self.call("patch", "apps/v1", kind, name, {"spec": {"replicas": replicas}}, self.namespace,
                  subresource="scale",
                  kubectl=[f"kubectl scale {kind.lower()}/{name} --replicas={replicas}"])
        self.after_action()

    @precondition(_when("set_image", lambda self: any(k != "HorizontalPodAutoscaler" for k, _ in self.workloads)))
    @rule(pick=st.integers(0, 3), image=st.sampled_from(IMAGES))
    def set_image(self, pick: int, image: str) -> None:
        """``kubectl set image <kind>/<name> *=<image>``: a rolling update."""
        kind, name = self.choose([k for k in self.workloads if k[0] != "HorizontalPodAutoscaler"], pick)
        obj = self.c.client.get("apps/v1", kind, name, self.namespace)
        containers = [{"name": ct["name"], "image": image} for ct in obj["spec"]["template"]["spec"]["containers"]]
        self.call("patch", "apps/v1", kind, name, {"spec": {"template": {"spec": {"containers": containers}}}},
                  self.namespace, patch_type="application/strategic-merge-patch+json",
                  kubectl=[f"kubectl set image {kind.lower()}/{name} '*={image}'"])
        self.after_action()

    @precondition(_when("delete_workload", lambda self: bool(self.workloads)))
    @rule(pick=st.integers(0, 7))
    def delete_workload(self, pick: int) -> None:
        """``kubectl delete`` a workload or HPA (background cascading deletion)."""
        kind, name = self.choose(list(self.workloads), pick)
        api = "autoscaling/v2" if kind == "HorizontalPodAutoscaler" else "apps/v1"
        self.call("delete", api, kind, name, self.namespace, kubectl=[f"kubectl delete {kind.lower()} {name}"])
        del self.workloads[(kind, name)]
        self.applied.pop((kind, name), None)
        self.expected.removed(api, kind, self.namespace, name)
        self.after_action()

    # -- pods ----------------------------------------------------------------------------------------
    @precondition(_when("delete_pod", lambda self: self.pod_names()))
    @rule(pick=st.integers(0, 15))
    def delete_pod(self, pick: int) -> None:
        """``kubectl delete pod`` one of the namespace's pods (its controller replaces it)."""
        name = self.choose(self.pod_names(), pick)
        self.call("delete", "v1", "Pod", name, self.namespace, kubectl=[f"kubectl delete pod {name} --wait=false"])
        self.after_action()

    @precondition(_when("set_usage", lambda self: self.pod_names()))
    @rule(pick=st.integers(0, 15), cpu=strategies.cpu_quantities(0, 1500))
    def set_usage(self, pick: int, cpu: str) -> None:
        """Make a pod use ``cpu`` (the ``minik8s.io/cpu-usage`` annotation the metrics read)."""
        name = self.choose(self.pod_names(), pick)
        self.call("patch", "v1", "Pod", name, {"metadata": {"annotations": {"minik8s.io/cpu-usage": cpu}}},
                  self.namespace,
                  kubectl=[f"kubectl annotate pod {name} minik8s.io/cpu-usage={cpu} --overwrite"])
        self.after_action()

    # -- nodes ---------------------------------------------------------------------------------------
    @precondition(_when("add_node"))
    @rule(node=strategies.nodes(name=st.sampled_from(EXTRA_NODES), zones=("zone-a",), region="minik8s",
                                extra_labels=_node_labels(), node_taints=_node_taints(),
                                cpu=st.integers(1, 8), memory_gi=st.integers(1, 16), pods=st.just(110)))
    def add_node(self, node: Obj) -> None:
        """A node joins (``kubectl create -f node.yaml``; the simulated kubelet takes it over)."""
        if node["metadata"]["name"] in self.node_names():
            return
        self.call("create", node, kubectl=[f"kubectl create -f - <<'EOF'\n{_yaml(node)}\nEOF"])
        self.expected.created(self.c.store.resource("nodes").objects[("", node["metadata"]["name"])])
        self.after_action()

    @precondition(_when("remove_node", lambda self: self.node_names()))
    @rule(pick=st.integers(0, 7))
    def remove_node(self, pick: int) -> None:
        """``kubectl delete node`` a worker (its pods are garbage-collected)."""
        name = self.choose(self.node_names(), pick)
        self.call("delete", "v1", "Node", name, kubectl=[f"kubectl delete node {name}"])
        self.expected.removed("v1", "Node", "", name)
        self.after_action()

    @precondition(_when("label_node", lambda self: self.node_names()))
    @rule(pick=st.integers(0, 7), key=st.sampled_from(sorted(NODE_LABELS)), value=st.integers(0, 2))
    def label_node(self, pick: int, key: str, value: int) -> None:
        """``kubectl label node`` (a value from the pool, or remove the label)."""
        name = self.choose(self.node_names(), pick)
        choices = NODE_LABELS[key]
        v = choices[value] if value < len(choices) else None
        cmd = f"kubectl label node {name} {key}={v} --overwrite" if v else f"kubectl label node {name} {key}-"
        self.call("patch", "v1", "Node", name, {"metadata": {"labels": {key: v}}}, kubectl=[cmd])
        self.after_action()

    @precondition(_when("taint_node", lambda self: self.node_names()))
    @rule(pick=st.integers(0, 7), taint=st.integers(0, len(TAINTS) - 1), add=st.booleans())
    def taint_node(self, pick: int, taint: int, add: bool) -> None:
        """``kubectl taint node`` (add or remove one taint of the pool)."""
        name = self.choose(self.node_names(), pick)
        t = TAINTS[taint]
        current = list((self.c.store.resource("nodes").objects[("", name)].get("spec") or {}).get("taints") or [])
        kept = [x for x in current if (x.get("key"), x.get("effect")) != (t["key"], t["effect"])]
        new = kept + [dict(t)] if add else kept
        if new == current:
            return
        spec = f"{t['key']}{'=' + t['value'] if t.get('value') else ''}:{t['effect']}"
        self.call("patch", "v1", "Node", name, {"spec": {"taints": new or None}},
                  kubectl=[f"kubectl taint node {name} {spec}{'' if add else '-'}"])
        self.after_action()

    @precondition(_when("cordon", lambda self: self.node_names()))
    @rule(pick=st.integers(0, 7), on=st.booleans())
    def cordon(self, pick: int, on: bool) -> None:
        """``kubectl cordon`` / ``uncordon``."""
        name = self.choose(self.node_names(), pick)
        self.call("patch", "v1", "Node", name, {"spec": {"unschedulable": True if on else None}},
                  kubectl=[f"kubectl {'cordon' if on else 'uncordon'} {name}"])
        self.after_action()

    @precondition(_when("set_kubelet", lambda self: self.node_names()))
    @rule(pick=st.integers(0, 7), state=st.sampled_from(["false", "unknown", "true"]))
    def set_kubelet(self, pick: int, state: str) -> None:
        """Stop (``false``: posts NotReady; ``unknown``: goes silent) or restart a node's kubelet."""
        name = self.choose(self.node_names(), pick)
        self.call("patch", "v1", "Node", name,
                  {"metadata": {"annotations": {"minik8s.io/node-ready": None if state == "true" else state}}},
                  kubectl=[f"kubectl annotate node {name} minik8s.io/node-ready={state} --overwrite"])
        self.after_action()
