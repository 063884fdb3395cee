"""The in-process client: the REST verbs, over the registry, for controllers and tests.

Addresses resources by ``apiVersion`` + kind or plural, like a dynamic
client. Writes go through the same ``Registry`` methods as HTTP requests, so
validation, defaulting and admission cannot be skipped by being in-process.
Returned objects are deep copies: callers may mutate them freely.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Literal, overload

import orjson

from minik8s.api import errors
from minik8s.api.resources import Resource
from minik8s.registry.registry import ListResult, Registry, WriteOptions
from minik8s.store import watch as _watch
from minik8s.api import objects

Obj = dict[str, Any]


class Client:
    def __init__(self, registry: Registry, field_manager: str = "kube-controller-manager") -> None:
        self.reg = registry
        self.field_manager = field_manager
        #: (apiVersion, kind or plural) → (table generation, resource, version): valid while
        #: the table is unchanged (CRDs come and go through ``ResourceTable.add``/``remove``,
        #: which move its generation)
        self._resolved: dict[tuple[str, str], tuple[int, Resource, str]] = {}
        #: (version, dry run, manager) → the WriteOptions of such writes: nothing mutates a
        #: WriteOptions once made (``patch`` copies one to set ``force``), so one serves all
        self._options: dict[tuple[str, bool, str], WriteOptions] = {}

    # -- resolution --------------------------------------------------------
    def resource(self, api_version: str, kind_or_plural: str) -> Resource:
        group, _, version = api_version.rpartition("/")
        res = self.reg.table.lookup(group, version, kind_or_plural)
        if res is None:
            res = self.reg.table.by_kind(group, kind_or_plural)
            if res is None or version not in res.versions:
                raise errors.NotFound(f"no resource {kind_or_plural} in {api_version}")
        return res

    def _res_ver(self, api_version: str, kind: str) -> tuple[Resource, str]:
        gen = self.reg.table.generation
        hit = self._resolved.get((api_version, kind))
        if hit is not None and hit[0] == gen:
            return hit[1], hit[2]
        res, version = self.resource(api_version, kind), api_version.rpartition("/")[2]
        self._resolved[(api_version, kind)] = (gen, res, version)
        return res, version

    def _opts(self, version: str, dry_run: bool, manager: str | None) -> WriteOptions:
        key = (version, dry_run, manager or self.field_manager)
        opts = self._options.get(key)
        if opts is None:
            opts = self._options[key] = WriteOptions(
                dry_run=dry_run, field_manager=key[2], field_validation="Strict", version=version)
        return opts

    def _copy(self, res: Resource, obj: Obj) -> Obj:
        """The caller's own copy of a stored object: decoded from the store's encoding of
        that revision (made once, at commit), which saves re-encoding it here."""
        try:
            return orjson.loads(self.reg.store.resource(res.key).encoded(obj))  # type: ignore[no-any-return]
        except (TypeError, orjson.JSONEncodeError):  # a dry run's object orjson cannot encode
            return objects.deep_copy(obj)

    # -- verbs ---------------------------------------------------------------
    def get(self, api_version: str, kind: str, name: str, namespace: str = "") -> Obj:
        res, v = self._res_ver(api_version, kind)
        return self._copy(res, self.reg.get(res, namespace, name, v))

    def get_or_none(self, api_version: str, kind: str, name: str, namespace: str = "") -> Obj | None:
        try:
            return self.get(api_version, kind, name, namespace)
        except errors.NotFound:
            return None

    def list(self, api_version: str, kind: str, namespace: str | None = None, *,
             label_selector: str | None = None, field_selector: str | None = None,
             limit: int | None = None, continue_token: str | None = None) -> ListResult:
        res, v = self._res_ver(api_version, kind)
        r = self.reg.list(res, namespace, label_selector=label_selector,
                          field_selector=field_selector, limit=limit,
                          continue_token=continue_token, version=v)
        r.items = objects.deep_copy(r.items)
        return r

    def create(self, obj: Obj, namespace: str = "", *, dry_run: bool = False,
               manager: str | None = None, copy: bool = True) -> Obj:
        """``copy=False``: the created object as stored, shared with the store and the
        informers (as their objects are): for a controller that only reads what it made
        (a ReplicaSet counting its new pods). Never mutate it."""
        res, v = self._res_ver(obj["apiVersion"], obj["kind"])
        ns = namespace or (obj.get("metadata") or {}).get("namespace", "")
        out = self.reg.create(res, ns, obj, self._opts(v, dry_run, manager))
        return self._copy(res, out) if copy else out

    @overload
    def update(self, obj: Obj, *, subresource: str | None = None, dry_run: bool = False,
               manager: str | None = None, copy: Literal[True] = True) -> Obj: ...

    @overload
    def update(self, obj: Obj, *, subresource: str | None = None, dry_run: bool = False,
               manager: str | None = None, copy: Literal[False]) -> None: ...

    def update(self, obj: Obj, *, subresource: str | None = None, dry_run: bool = False,
               manager: str | None = None, copy: bool = True) -> Obj | None:
        """``copy=False``: the caller does not read the result (a kubelet's status write, a
        lease renewal), so none is made; the write itself is the same."""
        res, v = self._res_ver(obj["apiVersion"], obj["kind"])
        md = obj["metadata"]
        out = self.reg.update(res, md.get("namespace", ""), md["name"], obj,
                              self._opts(v, dry_run, manager), None, subresource)
        return self._copy(res, out) if copy else None

    @overload
    def update_status(self, obj: Obj, manager: str | None = None,
                      copy: Literal[True] = True) -> Obj: ...

    @overload
    def update_status(self, obj: Obj, manager: str | None = None, *,
                      copy: Literal[False]) -> None: ...

    def update_status(self, obj: Obj, manager: str | None = None,
                      copy: bool = True) -> Obj | None:
        return self.update(obj, subresource="status", manager=manager, copy=copy)  # type: ignore[call-overload,no-any-return]

    def patch(self, api_version: str, kind: str, name: str, patch: Any, namespace: str = "", *,
              patch_type: str = "application/merge-patch+json", subresource: str | None = None,
              dry_run: bool = False, manager: str | None = None, force: bool = False) -> Obj:
        res, v = self._res_ver(api_version, kind)
        opts = self._opts(v, dry_run, manager)
        if force:
            opts = dataclasses.replace(opts, force=True)  # the shared one stays as it is
        if subresource == "scale":
            return self.reg.sub.patch_scale(res, namespace, name, patch_type, patch, opts)
        return self._copy(res, self.reg.patch(res, namespace, name, patch_type, patch, opts,
                                              None, subresource))

    def apply(self, obj: Obj, *, manager: str | None = None, force: bool = False) -> Obj:
        md = obj.get("metadata") or {}
        return self.patch(obj["apiVersion"], obj["kind"], md["name"], obj, md.get("namespace", ""),
                          patch_type="application/apply-patch+yaml", manager=manager, force=force)

    def delete(self, api_version: str, kind: str, name: str, namespace: str = "", *,
               propagation_policy: str | None = None, grace_period_seconds: int | None = None,
               preconditions: Obj | None = None, dry_run: bool = False) -> Obj:
        res, v = self._res_ver(api_version, kind)
        opts: Obj = {}
        if propagation_policy:
            opts["propagationPolicy"] = propagation_policy
        if grace_period_seconds is not None:
            opts["gracePeriodSeconds"] = grace_period_seconds
        if preconditions:
            opts["preconditions"] = preconditions
        return objects.deep_copy(self.reg.delete(res, namespace, name, opts, dry_run, v))

    def bind(self, namespace: str, pod: str, node: str) -> Obj:
        return self.reg.sub.bind(namespace, pod, {
            "apiVersion": "v1", "kind": "Binding", "metadata": {"name": pod, "namespace": namespace},
            "target": {"apiVersion": "v1", "kind": "Node", "name": node}}, WriteOptions())

    def watch(self, api_version: str, kind: str, namespace: str | None = None, *,
              resource_version: str | None = None, label_selector: str | None = None,
              field_selector: str | None = None) -> _watch.Watcher:
        """A watcher over stored objects (shared dicts: do not mutate them)."""
        res, _ = self._res_ver(api_version, kind)
        return self.reg.watch(res, namespace, resource_version, label_selector=label_selector,
                              field_selector=field_selector)

    def event(self, involved: Obj, reason: str, message: str, *, type: str = "Normal",
              component: str = "", host: str = "") -> None:
        self.reg.record_event(involved, reason, message, type=type, component=component, host=host)
