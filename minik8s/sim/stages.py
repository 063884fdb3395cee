"""Stages: the pod lifecycle as data, like KWOK's ``Stage`` objects.

A stage file (``sim/stages/*.yaml``) says *when* something happens to a pod
or to one of its containers, *how long after*, and *what* happens::

    name: container-start
    scope: container            # pod | container (each init, then each app container)
    order: 50                   # among the stages that match a target, the lowest runs
    match:                      # every fact must hold (see docs/simulation.md for the facts)
      pod.deleting: false
      container.state: waiting
      container.reason: [ContainerCreating, PodInitializing]   # a list: any of these
      container.restartCount: {gt: 0}                           # also: not, exists
    delay: startDelay           # seconds: a number, a kubelet setting, a fact, or
                                # {after: <timestamp fact>, seconds: <number|setting|fact>}
    repeat: {every: 10, max: 300}   # run again while it still matches, doubling the wait
    then:
      events:                   # emitted in order; `when` filters on facts, `for` repeats
      - {reason: Created, message: "Created container: {name}"}
      pullImage: true           # the node now has the image
      container: {state: running, started: true, ready: false}   # or waiting / terminated
      pod: {initialize: true}   # or sandbox / delete
      log: "container {name} started (image {image})"

A stage whose effects leave it still matching is *spent*: it does not run
again (unless it has ``repeat``) until it has stopped matching once. The
engine that applies stages is ``sim.pods``; this module only loads and
matches them.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib.resources
import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

import yaml

SCOPES = ("pod", "container")
STAGE_KEYS = {"name", "description", "scope", "order", "match", "delay", "repeat", "then"}
THEN_KEYS = {"events", "pullImage", "container", "pod", "log"}
EVENT_KEYS = {"reason", "type", "message", "when", "for"}
CONTAINER_KEYS = {"state", "reason", "message", "exitCode", "ready", "started", "restart"}
POD_KEYS = {"initialize", "sandbox", "delete"}
_PLACEHOLDER = re.compile(r"\{([A-Za-z][A-Za-z0-9_.]*)\}")


@dataclasses.dataclass(frozen=True)
class Stage:
    name: str
    scope: str
    order: int
    match: Mapping[str, Any]
    delay: Any
    repeat: Mapping[str, Any] | None
    then: Mapping[str, Any]
    description: str = ""


class StageError(ValueError):
    pass


def _check_keys(where: str, d: Any, allowed: set[str]) -> None:
    if not isinstance(d, dict):
        raise StageError(f"{where}: expected a mapping")
    extra = set(d) - allowed
    if extra:
        raise StageError(f"{where}: unknown keys {sorted(extra)}")


def parse(doc: Any, source: str = "<stage>") -> Stage:
    _check_keys(source, doc, STAGE_KEYS)
    name = doc.get("name")
    if not isinstance(name, str) or not name:
        raise StageError(f"{source}: a stage needs a name")
    scope = doc.get("scope", "pod")
    if scope not in SCOPES:
        raise StageError(f"{source}: scope must be one of {SCOPES}")
    then = doc.get("then") or {}
    _check_keys(f"{source}: then", then, THEN_KEYS)
    for ev in then.get("events") or ():
        _check_keys(f"{source}: event", ev, EVENT_KEYS)
        if "reason" not in ev or "message" not in ev:
            raise StageError(f"{source}: an event needs a reason and a message")
    if "container" in then:
        if scope != "container":
            raise StageError(f"{source}: container effects need scope: container")
        _check_keys(f"{source}: then.container", then["container"], CONTAINER_KEYS)
        if then["container"].get("state") not in (None, "running", "waiting", "terminated"):
            raise StageError(f"{source}: container.state must be running, waiting or terminated")
    if "pod" in then:
        _check_keys(f"{source}: then.pod", then["pod"], POD_KEYS)
    match = doc.get("match") or {}
    if not isinstance(match, dict):
        raise StageError(f"{source}: match must be a mapping")
    repeat = doc.get("repeat")
    if repeat is not None:
        _check_keys(f"{source}: repeat", repeat, {"every", "max"})
    return Stage(name=name, scope=scope, order=int(doc.get("order", 100)), match=match,
                 delay=doc.get("delay", 0), repeat=repeat, then=then,
                 description=str(doc.get("description") or "").strip())


def builtin_texts() -> list[tuple[str, str]]:
    """(file name, text) of every stage shipped in ``minik8s/sim/stages``."""
    root = importlib.resources.files("minik8s.sim") / "stages"
    return sorted((p.name, p.read_text()) for p in root.iterdir() if p.name.endswith(".yaml"))


#: libyaml's safe loader when PyYAML has it: the same documents, ~10x faster (cold start)
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _parse_texts(texts: Iterable[tuple[str, str]]) -> list[Stage]:
    out = []
    for source, text in texts:
        for doc in yaml.load_all(text, Loader=_LOADER):  # noqa: S506 - a safe loader
            if doc is not None:
                out.append(parse(doc, source))
    return out


@functools.lru_cache(maxsize=1)
def _builtin() -> tuple[Stage, ...]:
    """Parsed once per process: every cluster (one per test) shares the built-in stages."""
    return tuple(_parse_texts(builtin_texts()))


def load(extra_paths: Iterable[str] = ()) -> list[Stage]:
    """The built-in stages, then those of ``extra_paths`` (same name: replaces)."""
    by_name: dict[str, Stage] = {st.name: st for st in _builtin()}
    texts = []
    for path in extra_paths:
        with open(path) as f:
            texts.append((path, f.read()))
    for st in _parse_texts(texts):
        by_name[st.name] = st
    return sorted(by_name.values(), key=lambda s: (s.order, s.name))


# -- matching -------------------------------------------------------------------------

def holds(cond: Any, value: Any) -> bool:
    """One ``match`` entry: a value, a list of values, or {not|exists|gt|lt: ...}."""
    if isinstance(cond, list):
        return value in cond
    if isinstance(cond, dict):
        for op, arg in cond.items():
            if op == "not":
                if (value in arg) if isinstance(arg, list) else (value == arg):
                    return False
            elif op == "exists":
                if (value is not None) != bool(arg):
                    return False
            elif op == "gt":
                if value is None or not value > arg:
                    return False
            elif op == "lt":
                if value is None or not value < arg:
                    return False
            else:
                raise StageError(f"unknown match operator {op!r}")
        return True
    return bool(value == cond)


def matches(match: Mapping[str, Any], facts: Mapping[str, Any]) -> bool:
    for key, cond in match.items():
        if not holds(cond, facts[key]):
            return False
    return True


#: how a compiled ``match`` entry is tested: ``==`` a value, ``in`` a list, or ``holds``
EQUALS, ONE_OF, OPERATORS = 0, 1, 2


def compile_match(match: Mapping[str, Any]) -> tuple[tuple[str, int, Any], ...]:
    """``match`` as (fact, test, argument) entries in file order.

    The kubelet tests every stage against every container on every pass; with the test
    kind decided here it compares plain values and lists inline and only hands operator
    mappings to ``holds``, with the same results as ``matches``.
    """
    out = []
    for key, cond in match.items():
        kind = ONE_OF if isinstance(cond, list) else OPERATORS if isinstance(cond, dict) else EQUALS
        out.append((key, kind, cond))
    return tuple(out)


def render(template: str, variables: Mapping[str, Any]) -> str:
    """``{name}`` placeholders (dotted names allowed) filled from ``variables``."""
    return _PLACEHOLDER.sub(lambda m: str(variables[m.group(1)]), template)


def render_value(value: Any, variables: Mapping[str, Any]) -> Any:
    """A template that is exactly one placeholder keeps the variable's type."""
    if isinstance(value, str):
        m = _PLACEHOLDER.fullmatch(value)
        if m:
            return variables[m.group(1)]
        return render(value, variables)
    return value


INFINITE = math.inf
