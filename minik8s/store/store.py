"""Versioned object store: objects, one global revision, watch history, indexes.

Like etcd under kube-apiserver, every write gets the next global revision and
that revision is the object's ``metadata.resourceVersion``. Stored dicts are
never mutated after they are stored: a write replaces the dict. That lets
readers, watchers and caches share them without copying.

Neighbours: ``store.watch`` (per-watcher queues), ``registry`` (the only writer).
"""

from __future__ import annotations

import collections
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import orjson

from minik8s.store import watch as _watch

Obj = dict[str, Any]
Key = tuple[str, str]  # (namespace, name); namespace "" for cluster-scoped

ADDED, MODIFIED, DELETED = "ADDED", "MODIFIED", "DELETED"

#: Events kept per resource for watch resume; older resourceVersions get 410.
DEFAULT_HISTORY = 10_000
#: Bytes of encoded JSON kept for stored objects, all resources together (see ``EncodeBudget``).
DEFAULT_ENCODE_BUDGET = 256 * 1024 * 1024


class Event:
    __slots__ = ("type", "obj", "old", "rv", "item")

    def __init__(self, type: str, obj: Obj, old: Obj | None, rv: int) -> None:
        self.type, self.obj, self.old, self.rv = type, obj, old, rv
        #: what a watcher queues for it, one tuple shared by every watcher that takes it as is
        self.item = (type, obj, rv)


class EncodeBudget:
    """How many bytes of encoded objects every resource's cache may hold together.

    The caches fill until the budget is spent and never evict: an entry goes only
    when its object is replaced or deleted. That keeps a hit to one dict lookup
    and a fill to one comparison; a store whose objects outgrow the budget serves
    the rest by encoding them on each request (correct, only slower).
    """

    __slots__ = ("limit", "used")

    def __init__(self, limit: int = DEFAULT_ENCODE_BUDGET) -> None:
        self.limit = limit
        self.used = 0


def _same_labels(old: Obj, new: Obj) -> bool:
    """Whether two stored revisions (both have metadata: ``commit_put`` reads it) carry
    the same labels; the very dict (a write that kept the stored metadata's) needs no
    compare."""
    a, b = old["metadata"].get("labels"), new["metadata"].get("labels")
    return a is b or (a or {}) == (b or {})


class ResourceStore:
    """All objects of one resource, with indexes and a bounded event history."""

    def __init__(self, key: str, history: int, budget: EncodeBudget | None = None) -> None:
        self.key = key
        self.objects: dict[Key, Obj] = {}
        self.by_namespace: dict[str, dict[str, Obj]] = {}
        self.by_label: dict[tuple[str, str], set[Key]] = {}
        self.by_field: dict[str, dict[str, set[Key]]] = {}
        self.history: collections.deque[Event] = collections.deque(maxlen=history)
        #: history holds every event with rv > compacted
        self.compacted = 0
        self.watchers: set[_watch.Watcher] = set()
        #: id(stored object) -> its orjson bytes; an entry lives exactly as long as its
        #: object is the stored one (``put``/``remove`` drop it), so an id cannot be reused
        self._encoded: dict[int, bytes] = {}
        self._budget = budget if budget is not None else EncodeBudget()
        self._sorted: list[Key] | None = None
        #: namespace -> its keys in order, rebuilt only after a create or delete there
        self._sorted_ns: dict[str, list[Key]] = {}
        self.indexed_fields: dict[str, Callable[[Obj], str]] = {}

    # -- indexes -----------------------------------------------------------
    def add_field_index(self, field: str, fn: Callable[[Obj], str]) -> None:
        self.indexed_fields[field] = fn
        idx: dict[str, set[Key]] = {}
        for k, o in self.objects.items():
            idx.setdefault(fn(o), set()).add(k)
        self.by_field[field] = idx

    def _index(self, k: Key, obj: Obj) -> None:
        self.by_namespace.setdefault(k[0], {})[k[1]] = obj
        labels = obj.get("metadata", {}).get("labels") or {}
        for lk, lv in labels.items():
            self.by_label.setdefault((lk, lv), set()).add(k)
        for field, fn in self.indexed_fields.items():
            self.by_field[field].setdefault(fn(obj), set()).add(k)

    def _unindex(self, k: Key, obj: Obj) -> None:
        ns = self.by_namespace.get(k[0])
        if ns is not None:
            ns.pop(k[1], None)
            if not ns:
                del self.by_namespace[k[0]]
        labels = obj.get("metadata", {}).get("labels") or {}
        for lk, lv in labels.items():
            s = self.by_label.get((lk, lv))
            if s is not None:
                s.discard(k)
                if not s:
                    del self.by_label[(lk, lv)]
        for field, fn in self.indexed_fields.items():
            idx = self.by_field[field]
            v = fn(obj)
            s = idx.get(v)
            if s is not None:
                s.discard(k)
                if not s:
                    del idx[v]

    def sorted_keys(self) -> list[Key]:
        if self._sorted is None:
            self._sorted = sorted(self.objects)
        return self._sorted

    def sorted_keys_in(self, ns: str) -> list[Key]:
        """One namespace's keys in order (read-only: a LIST in a namespace walks it)."""
        keys = self._sorted_ns.get(ns)
        if keys is None:
            keys = self._sorted_ns[ns] = [(ns, n) for n in sorted(self.by_namespace.get(ns, {}))]
        return keys

    def encoded(self, obj: Obj) -> bytes:
        """``orjson.dumps(obj)``, computed once per revision for a stored object.

        Stored dicts are immutable, so the bytes of the stored revision can be
        shared by GET, LIST and every watcher. Any other dict (an older revision,
        a deleted object's final state, a converted copy) is encoded and not kept.
        """
        raw = self._encoded.get(id(obj))
        if raw is None:
            raw = orjson.dumps(obj)
            self.remember_encoded(obj, raw)
        return raw

    def remember_encoded(self, obj: Obj, raw: bytes) -> None:
        """Keep ``raw`` as ``obj``'s encoding when ``obj`` is the stored revision and the
        budget has room (the write path hands over the bytes its size check made to
        ``Store.commit_put``, which knows it is)."""
        md = obj.get("metadata")
        if md is not None and \
                self.objects.get((md.get("namespace") or "", md.get("name"))) is obj:
            self._keep_encoded(obj, raw)

    def _keep_encoded(self, obj: Obj, raw: bytes) -> None:
        """``remember_encoded`` of what is known to be the stored revision."""
        b = self._budget
        if id(obj) not in self._encoded and b.used + len(raw) <= b.limit:
            self._encoded[id(obj)] = raw
            b.used += len(raw)

    def cached_bytes(self) -> int:
        """Bytes this resource's encoded-object cache holds."""
        return sum(map(len, self._encoded.values()))

    def _forget_encoded(self, obj: Obj) -> None:
        raw = self._encoded.pop(id(obj), None)
        if raw is not None:
            self._budget.used -= len(raw)

    def clear_encoded(self) -> None:
        """Drop every cached encoding (the resource goes away)."""
        self._budget.used -= sum(map(len, self._encoded.values()))
        self._encoded.clear()

    # -- mutation (called by Store only) ----------------------------------
    def put(self, k: Key, obj: Obj) -> Obj | None:
        old = self.objects.get(k)
        if old is not None:
            if self._encoded:
                self._forget_encoded(old)
            fields = self.indexed_fields
            if _same_labels(old, obj) and (not fields or all(
                    fn(old) == fn(obj) for fn in fields.values())):
                # the same labels and indexed fields (a status write, a renewal): the
                # indexes hold keys, so only the object moves
                self.objects[k] = self.by_namespace[k[0]][k[1]] = obj
                return old
            self._unindex(k, old)
        else:
            self._sorted = None
            self._sorted_ns.pop(k[0], None)
        self.objects[k] = obj
        self._index(k, obj)
        return old

    def remove(self, k: Key) -> Obj | None:
        old = self.objects.pop(k, None)
        if old is not None:
            self._unindex(k, old)
            if self._encoded:
                self._forget_encoded(old)
            self._sorted = None
            self._sorted_ns.pop(k[0], None)
        return old

    def record(self, ev: Event) -> None:
        if len(self.history) == self.history.maxlen:
            self.compacted = self.history[0].rv
        self.history.append(ev)
        if not self.watchers:
            return
        dead = []
        for w in self.watchers:
            if not w.offer(ev):
                dead.append(w)
        for w in dead:
            self.watchers.discard(w)

    def events_since(self, rv: int) -> Iterator[Event]:
        for ev in self.history:
            if ev.rv > rv:
                yield ev


class Store:
    """Every resource's objects under one revision counter."""

    def __init__(self, history: int = DEFAULT_HISTORY, watch_queue: int = _watch.DEFAULT_QUEUE,
                 encode_budget: int = DEFAULT_ENCODE_BUDGET) -> None:
        self.revision = 0
        #: shared by every resource's cache of encoded objects (``ResourceStore.encoded``)
        self.encode_budget = EncodeBudget(encode_budget)
        self._history = history
        self._watch_queue = watch_queue
        self._resources: dict[str, ResourceStore] = {}
        self._write_hooks: list[Callable[[str, Event], None]] = []
        #: no resource's history reaches back to or before this revision (restored state)
        self.floor = 0

    def resource(self, key: str) -> ResourceStore:
        rs = self._resources.get(key)
        if rs is None:
            rs = self._resources[key] = ResourceStore(key, self._history, self.encode_budget)
            rs.compacted = self.floor
        return rs

    def set_floor(self, revision: int) -> None:
        """History up to ``revision`` is gone, for every resource, present or future:
        a watch from before it gets 410 (a restored snapshot, a compacted database)."""
        self.floor = revision
        for rs in self._resources.values():
            rs.compacted = max(rs.compacted, revision)

    def resources(self) -> Iterable[tuple[str, ResourceStore]]:
        return list(self._resources.items())

    def on_write(self, fn: Callable[[str, Event], None]) -> None:
        """Called after every committed write (durability, metrics)."""
        self._write_hooks.append(fn)

    def next_revision(self) -> int:
        self.revision += 1
        return self.revision

    # -- reads -------------------------------------------------------------
    def get(self, key: str, ns: str, name: str) -> Obj | None:
        rs = self._resources.get(key)
        return None if rs is None else rs.objects.get((ns, name))

    def encoded(self, key: str, obj: Obj) -> bytes:
        """``orjson.dumps(obj)``, from the resource's cache when ``obj`` is a stored
        revision (see ``ResourceStore.encoded``); creates no resource."""
        rs = self._resources.get(key)
        return orjson.dumps(obj) if rs is None else rs.encoded(obj)

    # -- writes: callers set metadata.resourceVersion = str(rv) first -------
    def commit_put(self, key: str, obj: Obj, rv: int, encoded: bytes | None = None) -> Event:
        """``encoded``: ``obj``'s encoding, if the writer has it (kept as
        ``ResourceStore.remember_encoded`` keeps it)."""
        md = obj["metadata"]
        k = (md.get("namespace", ""), md["name"])
        rs = self.resource(key)
        old = rs.put(k, obj)
        if encoded is not None:
            rs._keep_encoded(obj, encoded)
        ev = Event(MODIFIED if old is not None else ADDED, obj, old, rv)
        rs.record(ev)
        for fn in self._write_hooks:
            fn(key, ev)
        return ev

    def commit_delete(self, key: str, obj: Obj, rv: int) -> Event:
        """Remove an object; ``obj`` is its final state (with the new rv)."""
        md = obj["metadata"]
        k = (md.get("namespace", ""), md["name"])
        rs = self.resource(key)
        old = rs.remove(k)
        ev = Event(DELETED, obj, old, rv)
        rs.record(ev)
        for fn in self._write_hooks:
            fn(key, ev)
        return ev

    def drop_resource(self, key: str) -> None:
        """Forget a resource entirely (a CRD was deleted); watchers are closed."""
        rs = self._resources.pop(key, None)
        if rs is not None:
            rs.clear_encoded()
            for w in list(rs.watchers):
                w.close()

    # -- watch -------------------------------------------------------------
    def watch(self, key: str, since: int | None,
              matches: Callable[[Obj], bool] | None = None,
              initial: Iterable[Obj] = (), queue_size: int | None = None) -> _watch.Watcher:
        """Start a watch. ``since`` None: only live events after the synthetic
        ADDED ``initial`` objects; otherwise replay history after ``since``.

        Raises ``store.watch.TooOld`` when history no longer reaches back.
        """
        rs = self.resource(key)
        w = _watch.Watcher(matches, queue_size or self._watch_queue, rs.watchers)
        if since is not None:
            if since < rs.compacted:
                raise _watch.TooOld(since, self.revision)
            for ev in rs.events_since(since):
                w.offer(ev)
        else:
            for obj in initial:
                w.offer(Event(ADDED, obj, None, 0))
        rs.watchers.add(w)
        return w
