"""Garbage collector: ownerReferences cascade (Background, Foreground, Orphan).

Keys are owner uids. An owner that is gone → its dependents are deleted
(background). An owner being deleted with the ``orphan`` finalizer → its
dependents lose the reference, then the finalizer goes. With
``foregroundDeletion`` → dependents are deleted first, then the finalizer
goes. Dangling references (owner never existed) are treated as gone.
"""

from __future__ import annotations

from typing import Any

from minik8s.api import errors
from minik8s.api.resources import Resource
from minik8s.registry.registry import FINALIZER_FOREGROUND, FINALIZER_ORPHAN, WriteOptions
from minik8s.runtime.controller import Result
from minik8s.runtime.context import ControllerContext
from minik8s.api import objects

Obj = dict[str, Any]


class OwnerIndex:
    """owner uid → set of (resource key, namespace, name) of its dependents; uid → owner."""

    def __init__(self) -> None:
        self.dependents: dict[str, set[tuple[str, str, str]]] = {}
        self.owners: dict[str, tuple[str, str, str]] = {}

    def update(self, res: Resource, etype: str, obj: Obj, old: Obj | None) -> None:
        md = obj["metadata"]
        ref = (res.key, md.get("namespace", ""), md["name"])
        if old is not None and etype != "DELETED" and self.owners.get(md["uid"]) == ref and \
                old["metadata"].get("ownerReferences") == md.get("ownerReferences"):
            # Most updates keep the owners. The index has seen this object (``owners``), so it
            # holds the entries of its last write, ``old`` (every commit reaches it, in order);
            # dropping and re-adding the same ones would change nothing (readers look sets up by
            # uid and never iterate ``dependents`` in order). An object written before the
            # collector started is not in ``owners`` and takes the full path below.
            return
        if old is not None:
            for o in (old["metadata"].get("ownerReferences") or ()):
                s = self.dependents.get(o.get("uid"))
                if s is not None:
                    s.discard(ref)
                    if not s:
                        del self.dependents[o.get("uid")]
        if etype == "DELETED":
            self.owners.pop(md.get("uid"), None)
            return
        self.owners[md["uid"]] = ref
        for o in md.get("ownerReferences") or ():
            if isinstance(o, dict) and o.get("uid"):
                self.dependents.setdefault(o["uid"], set()).add(ref)


def setup(ctx: ControllerContext) -> None:
    mgr, informers, client = ctx.manager, ctx.informers, ctx.client
    reg = client.reg
    index = OwnerIndex()

    def reconcile(uid: str) -> Result | None:
        owner_ref = index.owners.get(uid)
        owner = None
        res = None
        if owner_ref is not None:
            res = reg.table.by_key(owner_ref[0])
            owner = reg.store.get(*owner_ref)
        deps = sorted(index.dependents.get(uid, ()))
        if owner is None:
            for key, ns, name in deps:
                dres = reg.table.by_key(key)
                dep = reg.store.get(key, ns, name)
                if dres is None or dep is None or dep["metadata"].get("deletionTimestamp"):
                    continue
                refs = [o for o in dep["metadata"].get("ownerReferences") or ()]
                if any(o.get("uid") != uid and o.get("uid") in index.owners for o in refs):
                    _drop_ref(reg, dres, dep, uid)  # other owners remain: just drop ours
                    continue
                try:
                    reg.delete(dres, ns, name, {"propagationPolicy": "Background"})
                except errors.NotFound:
                    pass
            return None
        assert res is not None
        fins = owner["metadata"].get("finalizers") or []
        if not owner["metadata"].get("deletionTimestamp"):
            return None
        if FINALIZER_ORPHAN in fins:
            for key, ns, name in deps:
                dres = reg.table.by_key(key)
                dep = reg.store.get(key, ns, name)
                if dres is not None and dep is not None:
                    _drop_ref(reg, dres, dep, uid)
            _remove_finalizer(reg, res, owner, FINALIZER_ORPHAN)
            return None
        if FINALIZER_FOREGROUND in fins:
            live = 0
            for key, ns, name in deps:
                dres = reg.table.by_key(key)
                dep = reg.store.get(key, ns, name)
                if dres is None or dep is None:
                    continue
                live += 1
                if not dep["metadata"].get("deletionTimestamp"):
                    try:
                        reg.delete(dres, ns, name, {"propagationPolicy": "Foreground"})
                    except errors.NotFound:
                        pass
            if live == 0:
                _remove_finalizer(reg, res, owner, FINALIZER_FOREGROUND)
        return None

    ctrl = mgr.add("garbage-collector-controller", reconcile)

    def on_event(res: Resource, etype: str, obj: Obj, old: Obj | None) -> None:
        index.update(res, etype, obj, old)
        md = obj["metadata"]
        if etype == "DELETED" or md.get("deletionTimestamp"):
            ctrl.enqueue(md["uid"])
        for o in md.get("ownerReferences") or ():
            if isinstance(o, dict) and o.get("uid"):
                if etype == "DELETED" or o["uid"] not in index.owners:
                    ctrl.enqueue(o["uid"])

    informers.add_global_handler(on_event)


def _drop_ref(reg: Any, res: Resource, obj: Obj, uid: str) -> None:
    new = objects.deep_copy(obj)
    refs = [o for o in new["metadata"].get("ownerReferences") or () if o.get("uid") != uid]
    if refs:
        new["metadata"]["ownerReferences"] = refs
    else:
        new["metadata"].pop("ownerReferences", None)
    try:
        reg._update_from(res, new, obj, WriteOptions(), None)
    except errors.ApiError:
        pass


def _remove_finalizer(reg: Any, res: Resource, obj: Obj, fin: str) -> None:
    new = objects.deep_copy(obj)
    new["metadata"]["finalizers"] = [f for f in new["metadata"].get("finalizers") or () if f != fin]
    if not new["metadata"]["finalizers"]:
        del new["metadata"]["finalizers"]
    try:
        reg._update_from(res, new, obj, WriteOptions(), None)
    except errors.ApiError:
        pass
