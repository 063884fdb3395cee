"""Hypothesis strategies for valid Kubernetes objects, built constructively (no filtering).

Every strategy draws the parts of a value so that the result is valid by
construction: a name is a first character, a middle and a last character from
the allowed alphabets; a selector meant to match some labels is assembled from
those labels; a limit is its request plus a non-negative extra. So examples
shrink quickly and health checks never trip on rejected draws.

Layers, from small to large: names and labels → selectors and quantities →
nodes, taints and tolerations → pod specs (resources, nodeSelector, node and
pod (anti-)affinity) → workloads (Deployment, StatefulSet with its headless
Service, DaemonSet, HPA) → ``workload_sets``, a consistent set of those in
which every selector matches its template's labels, names are unique and each
HPA targets a Deployment of the set. Objects are plain dicts, the same shape
``cluster.apply`` and every client library take.

Example::

    from hypothesis import given
    from minik8s.testing import strategies as k8s

    @given(k8s.deployments(replicas=k8s.st.integers(1, 3)))
    def test_deployment_is_accepted(minik8s_session_cluster, dep):
        ...

Neighbours: ``minik8s.testing.stateful`` uses these to drive a cluster;
``minik8s.api.selectors`` and ``minik8s.api.quantity`` read what they build.
"""

from __future__ import annotations

import functools
import string
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from hypothesis import strategies as st

from minik8s.api import quantity
from minik8s.config import NodeConfig

Obj = dict[str, Any]

__all__ = [
    "HOSTNAME_LABEL",
    "IMAGES",
    "REGION_LABEL",
    "TAINT_EFFECTS",
    "ZONE_LABEL",
    "containers",
    "cpu_quantities",
    "daemonsets",
    "deployments",
    "dns_labels",
    "dns_subdomains",
    "headless_services",
    "hpas",
    "label_keys",
    "label_selectors",
    "label_values",
    "labels",
    "memory_quantities",
    "node_affinities",
    "node_configs",
    "nodes",
    "pod_affinities",
    "pod_specs",
    "pod_templates",
    "pods",
    "resource_requirements",
    "selector_strings",
    "selector_to_string",
    "st",
    "statefulsets",
    "taints",
    "tolerations",
    "workload_sets",
]

ZONE_LABEL = "topology.kubernetes.io/zone"
REGION_LABEL = "topology.kubernetes.io/region"
HOSTNAME_LABEL = "kubernetes.io/hostname"
TAINT_EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")
#: small, pullable-looking images; the simulated kubelet runs any image
IMAGES = ("nginx:1.27", "nginx:1.28", "busybox:1.36", "redis:7", "registry.k8s.io/pause:3.10")

_LOWER_ALNUM = string.ascii_lowercase + string.digits
F = TypeVar("F", bound=Callable[..., Any])


def _cached(fn: F) -> F:
    """Reuse the strategy built for the same (hashable) arguments: building and validating
    nested strategies on every draw would cost more than drawing from them."""
    cached = functools.lru_cache(maxsize=1024)(fn)

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return cached(*args, **kwargs)
        except TypeError:  # an unhashable argument (a list, a dict): build afresh
            return fn(*args, **kwargs)
    return wrapper  # type: ignore[return-value]
_ALNUM = string.ascii_letters + string.digits


#: default draws of numeric arguments (module-level: a strategy is a value, built once)
_SECONDS, _REPLICAS, _STS_REPLICAS, _MIN_REPLICAS = (st.integers(0, 600), st.integers(0, 4),
                                                     st.integers(0, 3), st.integers(1, 3))
_CPUS, _MEMORY_GI, _PODS = st.integers(1, 16), st.integers(1, 64), st.integers(10, 110)
_CONFIG_CPUS, _CONFIG_MEMORY_GI = st.integers(2, 16), st.integers(2, 64)


def _maybe(draw: st.DrawFn, flag: bool | None) -> bool:
    """``flag``, or a drawn boolean when it is None ("draw whether to use it")."""
    return bool(draw(st.booleans())) if flag is None else flag


@_cached
def _word(edge: str, middle: str, min_size: int, max_size: int) -> st.SearchStrategy[str]:
    """Strings of ``min_size..max_size`` chars: edge chars at both ends, ``middle`` inside."""
    assert 1 <= min_size <= max_size
    parts: list[st.SearchStrategy[str]] = []
    if min_size == 1:
        parts.append(st.sampled_from(edge))
    if max_size >= 2:
        parts.append(st.builds(lambda a, m, b: a + m + b, st.sampled_from(edge),
                               st.text(middle, min_size=max(min_size - 2, 0), max_size=max_size - 2),
                               st.sampled_from(edge)))
    return st.one_of(parts)


# --- names and labels -------------------------------------------------------------------------


@_cached
def dns_labels(min_size: int = 1, max_size: int = 63, letter_first: bool = False
               ) -> st.SearchStrategy[str]:
    """RFC 1123 labels: ``[a-z0-9]([-a-z0-9]*[a-z0-9])?``, at most 63 characters; with
    ``letter_first=True`` RFC 1035 labels (Service names), which start with a letter.

    The names of Namespaces, Nodes and (kept short) of workloads::

        >>> dns_labels(max_size=20).example()  # doctest: +SKIP
        'w-3x'
    """
    word = _word(_LOWER_ALNUM, _LOWER_ALNUM + "-", min_size, min(max_size, 63))
    if not letter_first:
        return word
    first = st.sampled_from(string.ascii_lowercase)
    if max_size == 1:
        return first
    rest = _word(_LOWER_ALNUM, _LOWER_ALNUM + "-", max(min_size - 1, 1), min(max_size, 63) - 1)
    return st.one_of(first, st.builds(str.__add__, first, rest)) if min_size == 1 \
        else st.builds(str.__add__, first, rest)


@_cached
def dns_subdomains(max_size: int = 253, max_labels: int = 3) -> st.SearchStrategy[str]:
    """RFC 1123 subdomains: dot-joined labels, at most ``max_size`` characters (e.g. ``a.b-c``)."""
    per = max(1, min(63, (max_size + 1) // max_labels - 1))
    return st.lists(dns_labels(max_size=per), min_size=1, max_size=max_labels).map(".".join)


@_cached
def label_keys(prefix: bool | None = None, max_name: int = 63) -> st.SearchStrategy[str]:
    """Qualified names ``[prefix/]name``: a DNS subdomain prefix (optional; forced by
    ``prefix=True``, forbidden by ``False``) and a name of ``[A-Za-z0-9][-A-Za-z0-9_.]*``
    ending alphanumeric, at most 63 characters (``app``, ``example.com/tier``)."""
    name = _word(_ALNUM, _ALNUM + "-_.", 1, min(max_name, 63))
    with_prefix = st.builds(lambda p, n: f"{p}/{n}", dns_subdomains(max_size=40, max_labels=2), name)
    if prefix is None:
        return st.one_of(name, with_prefix)
    return with_prefix if prefix else name


@_cached
def label_values(allow_empty: bool = True, max_size: int = 63) -> st.SearchStrategy[str]:
    """Label values: empty, or ``[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?`` of ≤ 63 chars."""
    word = _word(_ALNUM, _ALNUM + "-_.", 1, min(max_size, 63))
    return st.one_of(st.just(""), word) if allow_empty else word


@_cached
def labels(min_size: int = 0, max_size: int = 4, keys: st.SearchStrategy[str] | None = None,
           values: st.SearchStrategy[str] | None = None) -> st.SearchStrategy[dict[str, str]]:
    """Label maps: ``{key: value}`` with valid keys and values (``{"app": "web"}``)."""
    return st.dictionaries(keys if keys is not None else label_keys(),
                           values if values is not None else label_values(),
                           min_size=min_size, max_size=max_size)


# --- selectors --------------------------------------------------------------------------------


def _other_value(taken: Sequence[str]) -> st.SearchStrategy[str]:
    """A non-empty label value not in ``taken`` (suffixing a drawn value until it is new)."""
    def fresh(v: str) -> str:
        out, i = v, 0
        while out in taken:
            out, i = f"{v}{i}", i + 1
        return out
    return label_values(allow_empty=False, max_size=50).map(fresh)


@st.composite
def _requirement_matching(draw: st.DrawFn, lbls: Mapping[str, str]) -> Obj:
    """One matchExpressions entry that ``lbls`` satisfies."""
    present = sorted(lbls)
    choices = ["DoesNotExist", "NotIn"] + (["In", "Exists", "NotIn"] if present else [])
    op = draw(st.sampled_from(choices))
    if op in ("In", "Exists") or (op == "NotIn" and present and draw(st.booleans())):
        key = draw(st.sampled_from(present)) if present else draw(label_keys())
    else:
        key = draw(label_keys(max_name=50))
        while key in lbls:  # an absent key was wanted: make it absent
            key += "x"
    if op == "In":
        extra = draw(st.lists(_other_value([lbls[key]]), max_size=2))
        return {"key": key, "operator": "In", "values": sorted({lbls[key], *extra})}
    if op == "NotIn":
        taken = [lbls[key]] if key in lbls else []
        values = draw(st.lists(_other_value(taken), min_size=1, max_size=2, unique=True))
        return {"key": key, "operator": "NotIn", "values": sorted(values)}
    return {"key": key, "operator": op}


@_cached
@st.composite
def _any_requirement(draw: st.DrawFn) -> Obj:
    op = draw(st.sampled_from(["In", "NotIn", "Exists", "DoesNotExist"]))
    key = draw(label_keys())
    if op in ("In", "NotIn"):
        values = draw(st.lists(label_values(allow_empty=False), min_size=1, max_size=3, unique=True))
        return {"key": key, "operator": op, "values": sorted(values)}
    return {"key": key, "operator": op}


@st.composite
def label_selectors(draw: st.DrawFn, matching: Mapping[str, str] | None = None,
                    max_expressions: int = 2, expressions: bool = True,
                    non_empty: bool = False) -> Obj:
    """``metav1.LabelSelector`` dicts: ``matchLabels`` and ``matchExpressions``.

    With ``matching=labels`` every drawn selector selects an object carrying ``labels``
    (matchLabels is a subset of them; In lists their value, NotIn avoids it, Exists names a
    present key, DoesNotExist an absent one). ``non_empty=True`` forces at least one
    matchLabels pair (a workload's selector), taken from ``matching`` when given::

        @given(st.data())
        def test_selector_matches(data):
            lbls = data.draw(labels(min_size=1))
            sel = data.draw(label_selectors(matching=lbls, non_empty=True))
            assert label_selector_from_dict(sel).matches(lbls)
    """
    sel: Obj = {}
    if matching is not None:
        items = sorted(matching.items())
        chosen = draw(st.lists(st.sampled_from(items), unique=True,
                               min_size=1 if non_empty else 0)) if items else []
        if non_empty and not chosen:
            raise ValueError("non_empty selector matching no labels: pass matching labels")
        ml = dict(chosen)
        exprs = draw(st.lists(_requirement_matching(matching), max_size=max_expressions)) \
            if expressions else []
    else:
        ml = draw(labels(min_size=1 if non_empty else 0, max_size=3))
        exprs = draw(st.lists(_any_requirement(), max_size=max_expressions)) if expressions else []
    if ml or non_empty:
        sel["matchLabels"] = ml
    if exprs:
        sel["matchExpressions"] = exprs
    return sel


def selector_to_string(selector: Mapping[str, Any]) -> str:
    """A dict selector in the string form kubectl's ``-l`` and ``?labelSelector=`` take."""
    parts = [f"{k}={v}" for k, v in sorted((selector.get("matchLabels") or {}).items())]
    for e in selector.get("matchExpressions") or ():
        op, key = e["operator"], e["key"]
        if op == "Exists":
            parts.append(key)
        elif op == "DoesNotExist":
            parts.append(f"!{key}")
        else:
            parts.append(f"{key} {op.lower()} ({','.join(e['values'])})")
    return ",".join(parts)


def selector_strings(matching: Mapping[str, str] | None = None,
                     max_expressions: int = 2) -> st.SearchStrategy[str]:
    """String selectors (``app=web,tier in (a,b),!canary``); with ``matching`` they select
    those labels. Values inside ``in``/``notin`` are never empty (unambiguous to parse)."""
    return label_selectors(matching=matching, max_expressions=max_expressions).map(selector_to_string)


# --- quantities -------------------------------------------------------------------------------


@_cached
@st.composite
def cpu_quantities(draw: st.DrawFn, min_milli: int = 1, max_milli: int = 4000) -> str:
    """CPU quantities between ``min_milli`` and ``max_milli`` millicores, in the spellings
    users write: ``250m``, ``1``, ``0.5``, ``1500m``."""
    m = draw(st.integers(min_milli, max_milli))
    forms = [f"{m}m"]
    if m % 1000 == 0:
        forms.append(str(m // 1000))
    elif m % 100 == 0:
        forms.append(f"{m / 1000:g}")
    return draw(st.sampled_from(forms))


_MEMORY_UNITS = (("Mi", 2**20), ("Gi", 2**30), ("Ki", 2**10), ("M", 10**6), ("G", 10**9), ("", 1))


@_cached
@st.composite
def memory_quantities(draw: st.DrawFn, min_bytes: int = 2**20, max_bytes: int = 2**33) -> str:
    """Memory quantities in ``[min_bytes, max_bytes]``: ``64Mi``, ``1Gi``, ``500M``, ``1048576``."""
    units = [(s, f) for s, f in _MEMORY_UNITS if max_bytes // f >= max(1, -(-min_bytes // f))]
    suffix, factor = draw(st.sampled_from(units))
    n = draw(st.integers(max(1, -(-min_bytes // factor)), max_bytes // factor))
    return f"{n}{suffix}"


# --- taints, tolerations, nodes ---------------------------------------------------------------


@_cached
@st.composite
def taints(draw: st.DrawFn, effects: Sequence[str] = TAINT_EFFECTS,
           keys: st.SearchStrategy[str] | None = None) -> Obj:
    """A node taint ``{key, value?, effect}``."""
    taint: Obj = {"key": draw(keys if keys is not None else label_keys()), "effect": draw(st.sampled_from(effects))}
    value = draw(label_values())
    if value:
        taint["value"] = value
    return taint


@st.composite
def tolerations(draw: st.DrawFn, tolerating: Sequence[Mapping[str, Any]] = (),
                max_extra: int = 1, seconds: st.SearchStrategy[int] = _SECONDS) -> list[Obj]:
    """Tolerations that tolerate every taint in ``tolerating`` (by ``Exists`` on the key, or
    ``Equal`` with its value; with its effect or any; a NoExecute one maybe only for
    ``seconds``), plus up to ``max_extra`` unrelated ones."""
    out: list[Obj] = []
    for t in tolerating:
        tol: Obj = {"key": t["key"]}
        if draw(st.booleans()):
            tol["operator"] = "Exists"
        else:
            tol["operator"] = "Equal"
            tol["value"] = t.get("value", "")
        if draw(st.booleans()):
            tol["effect"] = t["effect"]
        if t["effect"] == "NoExecute" and tol.get("effect") == "NoExecute" and draw(st.booleans()):
            tol["tolerationSeconds"] = draw(seconds)
        out.append(tol)
    for _ in range(draw(st.integers(0, max_extra))):
        extra = draw(taints())
        out.append({"key": extra["key"], "operator": "Equal", "value": extra.get("value", ""),
                    "effect": extra["effect"]})
    return out


def _capacity(cpu: st.SearchStrategy[int], memory_gi: st.SearchStrategy[int],
              pods: st.SearchStrategy[int]) -> st.SearchStrategy[dict[str, str]]:
    return st.builds(lambda c, m, p: {"cpu": str(c), "memory": f"{m}Gi", "pods": str(p)},
                     cpu, memory_gi, pods)


@st.composite
def nodes(draw: st.DrawFn, name: str | st.SearchStrategy[str] | None = None,
          zones: Sequence[str] = ("zone-a", "zone-b", "zone-c"), region: str = "region-1",
          max_taints: int = 2, extra_labels: st.SearchStrategy[dict[str, str]] | None = None,
          node_taints: st.SearchStrategy[list[Obj]] | None = None,
          cpu: st.SearchStrategy[int] = _CPUS,
          memory_gi: st.SearchStrategy[int] = _MEMORY_GI,
          pods: st.SearchStrategy[int] = _PODS) -> Obj:
    """Node objects: hostname, zone and region labels plus a few others (``extra_labels``),
    taints (``node_taints``, default up to ``max_taints`` drawn ones), and
    ``status.capacity``/``allocatable`` (cpu, memory, pods), ready to ``create``."""
    nm = name if isinstance(name, str) else draw(name if name is not None else dns_labels(max_size=30))
    lbls = dict(draw(extra_labels if extra_labels is not None else labels(max_size=2)))
    lbls.update({HOSTNAME_LABEL: nm, ZONE_LABEL: draw(st.sampled_from(zones)), REGION_LABEL: region})
    node: Obj = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": nm, "labels": lbls}}
    drawn = draw(node_taints if node_taints is not None else
                 st.lists(taints(), max_size=max_taints, unique_by=lambda t: (t["key"], t["effect"])))
    if drawn:
        node["spec"] = {"taints": drawn}
    cap = draw(_capacity(cpu, memory_gi, pods))
    node["status"] = {"capacity": cap, "allocatable": dict(cap)}
    return node


@st.composite
def node_configs(draw: st.DrawFn, name: str | st.SearchStrategy[str] | None = None,
                 zones: Sequence[str] = ("zone-a", "zone-b", "zone-c"), max_taints: int = 1,
                 cpu: st.SearchStrategy[int] = _CONFIG_CPUS,
                 memory_gi: st.SearchStrategy[int] = _CONFIG_MEMORY_GI) -> NodeConfig:
    """``NodeConfig`` topology entries for ``ClusterConfig(nodes=[...])`` (worker role)."""
    node = draw(nodes(name=name, zones=zones, max_taints=max_taints, cpu=cpu, memory_gi=memory_gi,
                      pods=st.just(110)))
    md = node["metadata"]
    extra = {k: v for k, v in md["labels"].items() if k not in (HOSTNAME_LABEL, ZONE_LABEL)}
    return NodeConfig(md["name"], labels=extra, taints=(node.get("spec") or {}).get("taints", []),
                      capacity=node["status"]["capacity"], zone=md["labels"][ZONE_LABEL])


# --- pod specs ---------------------------------------------------------------------------------


@_cached
@st.composite
def resource_requirements(draw: st.DrawFn, max_cpu_milli: int = 1000, max_memory: int = 2**30,
                          requests: bool | None = None, limits: bool | None = None) -> Obj:
    """Container ``resources``: requests and/or limits with every limit ≥ its request."""
    out: Obj = {}
    want_req = _maybe(draw, requests)
    want_lim = _maybe(draw, limits)
    if want_req:
        out["requests"] = {"cpu": draw(cpu_quantities(1, max_cpu_milli)),
                           "memory": draw(memory_quantities(2**20, max_memory))}
    if want_lim:
        req = out.get("requests", {})
        cpu_lo = quantity.milli(req["cpu"]) if "cpu" in req else 1
        mem_lo = quantity.whole(req["memory"]) if "memory" in req else 2**20
        out["limits"] = {"cpu": draw(cpu_quantities(cpu_lo, cpu_lo + max_cpu_milli)),
                         "memory": draw(memory_quantities(mem_lo, mem_lo + max_memory))}
    return out


@_cached
@st.composite
def containers(draw: st.DrawFn, name: str | None = None,
               resources: st.SearchStrategy[Obj] | None = None,
               images: Sequence[str] = IMAGES, ports: bool | None = None) -> Obj:
    """A container: name, image, optional resources and (``ports``: maybe) a port."""
    c: Obj = {"name": name or draw(dns_labels(max_size=15)), "image": draw(st.sampled_from(images))}
    res = draw(resources if resources is not None else resource_requirements())
    if res:
        c["resources"] = res
    if _maybe(draw, ports):
        c["ports"] = [{"containerPort": draw(st.integers(1, 65535))}]
    return c


def _node_requirement(lbls: Mapping[str, str]) -> st.SearchStrategy[Obj]:
    """A NodeSelectorRequirement ``lbls`` satisfies (In/NotIn/Exists/DoesNotExist)."""
    return _requirement_matching(lbls)


@st.composite
def node_affinities(draw: st.DrawFn, matching: Mapping[str, str] | None = None,
                    required: bool | None = None, preferred: bool | None = None) -> Obj:
    """``affinity.nodeAffinity``: required terms (one term satisfied by a node with labels
    ``matching``, when given) and weighted preferred terms."""
    out: Obj = {}
    if required if required is not None else draw(st.booleans()):
        base = matching if matching is not None else draw(labels(min_size=1, max_size=2))
        terms = [{"matchExpressions": draw(st.lists(_node_requirement(base), min_size=1, max_size=2))}]
        if matching is None:
            terms += [{"matchExpressions": [draw(_any_requirement())]}
                      for _ in range(draw(st.integers(0, 1)))]
        out["requiredDuringSchedulingIgnoredDuringExecution"] = {"nodeSelectorTerms": terms}
    if preferred if preferred is not None else draw(st.booleans()):
        out["preferredDuringSchedulingIgnoredDuringExecution"] = [
            {"weight": draw(st.integers(1, 100)),
             "preference": {"matchExpressions": [draw(_any_requirement())]}}
            for _ in range(draw(st.integers(1, 2)))]
    return out


@st.composite
def _pod_affinity_term(draw: st.DrawFn, target: Mapping[str, str] | None) -> Obj:
    sel = draw(label_selectors(matching=target, non_empty=bool(target), max_expressions=1)) \
        if target else draw(label_selectors(non_empty=True, max_expressions=1))
    return {"labelSelector": sel, "topologyKey": draw(st.sampled_from([HOSTNAME_LABEL, ZONE_LABEL]))}


@st.composite
def pod_affinities(draw: st.DrawFn, target: Mapping[str, str] | None = None,
                   anti: bool | None = None, required: bool | None = None) -> Obj:
    """``affinity.podAffinity`` or ``podAntiAffinity`` (``anti``) with one term selecting pods
    labelled ``target`` (when given) over hostname or zone; required or preferred (weight)."""
    term = draw(_pod_affinity_term(target))
    is_anti = _maybe(draw, anti)
    key = "podAntiAffinity" if is_anti else "podAffinity"
    if required if required is not None else draw(st.booleans()):
        return {key: {"requiredDuringSchedulingIgnoredDuringExecution": [term]}}
    return {key: {"preferredDuringSchedulingIgnoredDuringExecution": [
        {"weight": draw(st.integers(1, 100)), "podAffinityTerm": term}]}}


@st.composite
def pod_specs(draw: st.DrawFn, max_containers: int = 2,
              resources: st.SearchStrategy[Obj] | None = None,
              node_labels: Mapping[str, str] | None = None,
              tolerate: Sequence[Mapping[str, Any]] = (),
              node_selector: bool | None = None, node_affinity: bool | None = None,
              pod_affinity: bool | None = None, own_labels: Mapping[str, str] | None = None,
              images: Sequence[str] = IMAGES, container_names: Sequence[str] | None = None,
              ports: bool | None = None,
              toleration_seconds: st.SearchStrategy[int] = _SECONDS) -> Obj:
    """Pod specs: 1..``max_containers`` containers (unique names, drawn or the first of
    ``container_names``) with requests/limits and maybe a port (``ports``),
    and optionally a ``nodeSelector`` and required node affinity that a node labelled
    ``node_labels`` satisfies, preferred node affinity, pod (anti-)affinity towards pods
    labelled ``own_labels``, and tolerations of the taints in ``tolerate``.

    ``None`` for a feature means "draw whether to use it"; ``False`` leaves it out.
    """
    if container_names is not None:
        max_containers = min(max_containers, len(container_names))
    n = draw(st.integers(1, max_containers))
    cnames = list(container_names[:n]) if container_names is not None else \
        draw(st.lists(dns_labels(max_size=12), min_size=n, max_size=n, unique=True))
    spec: Obj = {"containers": [draw(containers(name=cn, resources=resources, images=tuple(images),
                                                ports=ports)) for cn in cnames]}
    pool: Mapping[str, str] = node_labels if node_labels is not None else \
        draw(labels(min_size=1, max_size=2))
    if pool and (_maybe(draw, node_selector)):
        chosen = draw(st.lists(st.sampled_from(sorted(pool.items())), min_size=1, unique=True))
        spec["nodeSelector"] = dict(chosen)
    affinity: Obj = {}
    if _maybe(draw, node_affinity):
        na = draw(node_affinities(matching=pool if node_labels is not None else None))
        if na:
            affinity["nodeAffinity"] = na
    if _maybe(draw, pod_affinity):
        affinity.update(draw(pod_affinities(target=own_labels)))
    if affinity:
        spec["affinity"] = affinity
    tols = draw(tolerations(tolerating=tolerate, max_extra=1 if not tolerate else 0,
                            seconds=toleration_seconds))
    if tols:
        spec["tolerations"] = tols
    return spec


@st.composite
def pod_templates(draw: st.DrawFn, template_labels: Mapping[str, str],
                  spec: st.SearchStrategy[Obj] | None = None) -> Obj:
    """``spec.template``: the given labels and a pod spec."""
    return {"metadata": {"labels": dict(template_labels)},
            "spec": draw(spec if spec is not None else pod_specs(own_labels=template_labels))}


@st.composite
def pods(draw: st.DrawFn, name: str | None = None, namespace: str = "default",
         spec: st.SearchStrategy[Obj] | None = None) -> Obj:
    """Bare Pod objects (labels ``app: <name>`` plus drawn ones)."""
    nm = name or draw(dns_labels(max_size=40))
    lbls = {**draw(labels(max_size=2)), "app": nm}
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": nm, "namespace": namespace, "labels": lbls},
            "spec": draw(spec if spec is not None else pod_specs(own_labels=lbls))}


# --- workloads ---------------------------------------------------------------------------------

#: room for "-<hash>-<suffix>" and revision hashes; a letter first, since a StatefulSet's
#: governing Service takes its name
_WORKLOAD_NAME = dns_labels(max_size=30, letter_first=True)
_EXTRA_TEMPLATE_LABELS = labels(max_size=2, keys=label_keys(prefix=True))


@st.composite
def _workload(draw: st.DrawFn, kind: str, name: str | None, namespace: str,
              replicas: st.SearchStrategy[int] | None, spec: st.SearchStrategy[Obj] | None,
              extra_labels: st.SearchStrategy[dict[str, str]] | None) -> Obj:
    nm = name or draw(_WORKLOAD_NAME)
    extra = draw(extra_labels if extra_labels is not None else _EXTRA_TEMPLATE_LABELS)
    tlabels = {**extra, "app": nm}
    selector = draw(label_selectors(matching=tlabels, non_empty=True, max_expressions=1))
    selector.setdefault("matchLabels", {})["app"] = nm  # disjoint from every other workload
    obj: Obj = {"apiVersion": "apps/v1", "kind": kind,
                "metadata": {"name": nm, "namespace": namespace, "labels": {"app": nm}},
                "spec": {"selector": selector,
                         "template": draw(pod_templates(tlabels, spec))}}
    if replicas is not None:
        obj["spec"]["replicas"] = draw(replicas)
    return obj


def deployments(name: str | None = None, namespace: str = "default",
                replicas: st.SearchStrategy[int] = _REPLICAS,
                spec: st.SearchStrategy[Obj] | None = None,
                extra_labels: st.SearchStrategy[dict[str, str]] | None = None
                ) -> st.SearchStrategy[Obj]:
    """apps/v1 Deployments whose selector matches their template labels (``app: <name>``
    plus ``extra_labels``, default up to two drawn prefixed ones), so two Deployments never
    select each other's pods. ``spec`` draws the pod spec (default ``pod_specs()``)."""
    return _workload("Deployment", name, namespace, replicas, spec, extra_labels)


def headless_services(name: str, selector: Mapping[str, str], namespace: str = "default",
                      port: int = 80) -> Obj:
    """The governing headless Service of a StatefulSet (``clusterIP: None``)."""
    return {"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": name, "namespace": namespace, "labels": {"app": name}},
            "spec": {"clusterIP": "None", "selector": dict(selector),
                     "ports": [{"name": "web", "port": port}]}}


@st.composite
def statefulsets(draw: st.DrawFn, name: str | None = None, namespace: str = "default",
                 replicas: st.SearchStrategy[int] = _STS_REPLICAS,
                 spec: st.SearchStrategy[Obj] | None = None,
                 volume_claims: bool | None = None,
                 extra_labels: st.SearchStrategy[dict[str, str]] | None = None) -> Obj:
    """apps/v1 StatefulSets governed by a Service of the same name (build it with
    ``headless_services(sts_name, {"app": sts_name})``), optionally with a
    ``volumeClaimTemplates`` entry."""
    sts = draw(_workload("StatefulSet", name, namespace, replicas, spec, extra_labels))
    sts["spec"]["serviceName"] = sts["metadata"]["name"]
    if _maybe(draw, volume_claims):
        sts["spec"]["volumeClaimTemplates"] = [{
            "metadata": {"name": "data"},
            "spec": {"accessModes": ["ReadWriteOnce"],
                     "resources": {"requests": {"storage": draw(memory_quantities(2**20, 2**31))}}}}]
    return sts


def daemonsets(name: str | None = None, namespace: str = "default",
               spec: st.SearchStrategy[Obj] | None = None,
               extra_labels: st.SearchStrategy[dict[str, str]] | None = None
               ) -> st.SearchStrategy[Obj]:
    """apps/v1 DaemonSets (no ``replicas``), otherwise as ``deployments``."""
    return _workload("DaemonSet", name, namespace, None, spec, extra_labels)


@st.composite
def hpas(draw: st.DrawFn, target: Mapping[str, Any] | str,
         min_replicas: st.SearchStrategy[int] = _MIN_REPLICAS,
         max_extra: st.SearchStrategy[int] = _REPLICAS) -> Obj:
    """autoscaling/v2 HPAs scaling the Deployment ``target`` (an object or a name) on CPU
    utilization, with ``1 ≤ minReplicas ≤ maxReplicas``. The target's containers need cpu
    requests for utilization to be computable."""
    if isinstance(target, str):
        tname, ns = target, "default"
    else:
        tname, ns = target["metadata"]["name"], target["metadata"].get("namespace", "default")
    lo = draw(min_replicas)
    return {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
            "metadata": {"name": tname, "namespace": ns},
            "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": tname},
                     "minReplicas": lo, "maxReplicas": lo + draw(max_extra),
                     "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {
                         "type": "Utilization", "averageUtilization": draw(st.integers(10, 90))}}}]}}


def _cpu_requests() -> st.SearchStrategy[Obj]:
    return resource_requirements(max_cpu_milli=200, max_memory=2**27, requests=True)


@st.composite
def workload_sets(draw: st.DrawFn, namespace: str = "default", max_deployments: int = 2,
                  max_statefulsets: int = 1, max_daemonsets: int = 1,
                  spec: st.SearchStrategy[Obj] | None = None) -> list[Obj]:
    """A consistent set of manifests, in apply order: Deployments (some with an HPA that
    names them), StatefulSets with their headless Services, DaemonSets. Names are unique
    across kinds; every selector matches its template; HPA targets request cpu.

    ``cluster.apply(draw(workload_sets()))`` creates them all::

        @given(workload_sets())
        def test_everything_applies(minik8s_session_cluster, objs): ...
    """
    counts = [draw(st.integers(0, m)) for m in (max_deployments, max_statefulsets, max_daemonsets)]
    all_names = draw(st.lists(_WORKLOAD_NAME, min_size=sum(counts), max_size=sum(counts), unique=True))
    it = iter(all_names)
    pod_spec = spec if spec is not None else pod_specs(resources=_cpu_requests(), node_selector=False,
                                                       node_affinity=False, pod_affinity=False)
    out: list[Obj] = []
    for _ in range(counts[0]):
        dep = draw(deployments(name=next(it), namespace=namespace, spec=pod_spec))
        out.append(dep)
        if draw(st.booleans()):
            out.append(draw(hpas(dep)))
    for _ in range(counts[1]):
        sts = draw(statefulsets(name=next(it), namespace=namespace, spec=pod_spec))
        out.append(headless_services(sts["metadata"]["name"], sts["spec"]["template"]["metadata"]["labels"],
                                     namespace))
        out.append(sts)
    for _ in range(counts[2]):
        out.append(draw(daemonsets(name=next(it), namespace=namespace, spec=pod_spec)))
    return out
