"""Informers: a cache of one resource, kept current from the store's commits, with indexers.

In-process, the "watch" is the registry's after-write hook: every committed
write reaches every informer synchronously, in commit order, so a
controller's cache is never behind the store when its reconcile runs, and
runs are deterministic. Objects are the stored dicts (shared, never mutated).
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Iterable
from typing import Any

from minik8s.api.resources import Resource
from minik8s.registry.registry import Registry

Obj = dict[str, Any]
Handler = Callable[[str, Obj, "Obj | None"], None]
IndexFn = Callable[[Obj], Iterable[str]]


class Informer:
    def __init__(self, registry: Registry, res: Resource) -> None:
        self.res = res
        self._store = registry.store.resource(res.key)
        self._handlers: list[Handler] = []
        self._indexers: dict[str, IndexFn] = {}
        self._indexes: dict[str, dict[str, set[tuple[str, str]]]] = {}
        #: per indexer, the values each object was filed under: an update compares them
        #: with the new object's instead of recomputing the old object's
        self._filed: dict[str, dict[tuple[str, str], tuple[str, ...]]] = {}

    # -- cache reads --------------------------------------------------------
    def get(self, namespace: str, name: str) -> Obj | None:
        return self._store.objects.get((namespace if self.res.namespaced else "", name))

    def list(self, namespace: str | None = None) -> builtins.list[Obj]:
        if namespace is not None and self.res.namespaced:
            return list(self._store.by_namespace.get(namespace, {}).values())
        return list(self._store.objects.values())

    def by_label(self, key: str, value: str) -> builtins.list[Obj]:
        objs = self._store.objects
        return [objs[k] for k in self._store.by_label.get((key, value), ())]

    def add_indexer(self, name: str, fn: IndexFn) -> None:
        self._indexers[name] = fn
        idx: dict[str, set[tuple[str, str]]] = {}
        filed: dict[tuple[str, str], tuple[str, ...]] = {}
        for k, o in self._store.objects.items():
            vals = tuple(fn(o))
            if vals:
                filed[k] = vals
            for v in vals:
                idx.setdefault(v, set()).add(k)
        self._indexes[name] = idx
        self._filed[name] = filed

    def has_index(self, name: str) -> bool:
        return name in self._indexers

    def by_index(self, name: str, value: str) -> builtins.list[Obj]:
        objs = self._store.objects
        return [objs[k] for k in sorted(self._indexes[name].get(value, ())) if k in objs]

    def add_handler(self, fn: Handler, replay: bool = True) -> None:
        """Register for events; ``replay`` delivers the current objects as ADDED first."""
        self._handlers.append(fn)
        if replay:
            for o in list(self._store.objects.values()):
                fn("ADDED", o, None)

    # -- fed by the informer factory -------------------------------------
    def _deliver(self, etype: str, obj: Obj, old: Obj | None) -> None:
        if self._indexers:
            md = obj["metadata"]
            k = (md.get("namespace", ""), md["name"])
            for name, fn in self._indexers.items():
                filed = self._filed[name]
                was = filed.get(k, ())
                now = tuple(fn(obj)) if etype != "DELETED" else ()
                if now == was:
                    continue
                idx = self._indexes[name]
                for v in was:
                    s = idx.get(v)
                    if s is not None:
                        s.discard(k)
                        if not s:
                            del idx[v]
                for v in now:
                    idx.setdefault(v, set()).add(k)
                if now:
                    filed[k] = now
                else:
                    filed.pop(k, None)
        for h in self._handlers:
            h(etype, obj, old)


class InformerFactory:
    """One shared informer per resource, fed by the registry's commits."""

    def __init__(self, registry: Registry) -> None:
        self.reg = registry
        self._informers: dict[str, Informer] = {}
        self._global: list[Callable[[Resource, str, Obj, Obj | None], None]] = []
        registry.after_write(self._on_write)

    def add_global_handler(self, fn: Callable[[Resource, str, Obj, "Obj | None"], None]) -> None:
        """Events of every resource (garbage collector, namespace controller)."""
        self._global.append(fn)

    def informer(self, api_version: str, kind_or_plural: str) -> Informer:
        group, _, version = api_version.rpartition("/")
        res = self.reg.table.lookup(group, version, kind_or_plural) or \
            self.reg.table.by_kind(group, kind_or_plural)
        if res is None:
            raise KeyError(f"no resource {kind_or_plural} in {api_version}")
        inf = self._informers.get(res.key)
        if inf is None:
            inf = self._informers[res.key] = Informer(self.reg, res)
        return inf

    def _on_write(self, res: Resource, etype: str, obj: Obj, old: Obj | None) -> None:
        inf = self._informers.get(res.key)
        if inf is not None:
            inf._deliver(etype, obj, old)
        for fn in self._global:
            fn(res, etype, obj, old)
