"""managedFields: which manager owns which fields, kept on every write.

Role: kube-apiserver's field manager (k8s.io/apimachinery
``pkg/util/managedfields``) over plain dicts. ``Registry`` calls ``track``
on every create and update (operation ``Update``); ``registry.apply`` calls
``apply`` for server-side apply (operation ``Apply``). Below it:
``registry.fieldschema`` (types), ``registry.fieldvalues`` (walks over
objects), ``registry.fieldpath`` (field sets, FieldsV1).

An Update makes the manager own what it changed (added or modified, never
``status`` through the main resource nor anything but ``status`` through
``/status``); whoever owned those fields, or fields it removed, loses
them. An Apply makes the manager own exactly its configuration, removes
fields it applied last time and no one owns now, and refuses (409) to
change a field another manager owns unless forced. Entries are keyed by
(manager, operation, apiVersion for Update, subresource); an entry's time
moves only when its manager changed something; at most ten Update entries
are kept (older ones fold into ``ancient-changes``).

kubectl's client-side to server-side apply migration is honoured as the
real server does: for manager ``kubectl`` a conflict is forgiven on fields
whose live value still matches the ``last-applied-configuration``
annotation, and that annotation is rewritten to the applied configuration.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import orjson

from minik8s.api import errors
from minik8s.api.resources import Resource
from minik8s.memo import remember
from minik8s.registry import fieldpath, fieldschema, fieldvalues, strategy

if TYPE_CHECKING:
    from minik8s.registry.registry import Registry, WriteOptions

Obj = dict[str, Any]
Node = fieldpath.Node

LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
MAX_UPDATE_MANAGERS = 10
MAX_MANAGER_LENGTH = 128
#: the manager name kubectl uses for ``apply --server-side``
KUBECTL_APPLY = "kubectl"

#: never owned: identity and bookkeeping (stripMeta)
_SKIP_ROOT = frozenset({"apiVersion", "kind"})
_SKIP_ROOT_STATUS = _SKIP_ROOT | {"status"}
_SKIP_META = frozenset({"name", "namespace", "creationTimestamp", "selfLink", "uid", "clusterName",
                        "generation", "managedFields", "resourceVersion"})
_STRIP: Node = {"f:apiVersion": {}, "f:kind": {},
                "f:metadata": {".": {}, **{"f:" + k: {} for k in sorted(_SKIP_META)}}}


class Entry:
    """One managedFields entry while it is being worked on."""

    __slots__ = ("api_version", "encoded", "fields", "manager", "operation", "raw", "subresource",
                 "time")

    def __init__(self, manager: str, operation: str, api_version: str, time: str | None,
                 subresource: str, fields: Node, raw: Obj | None = None,
                 encoded: bool = False) -> None:
        self.manager = manager
        self.operation = operation
        self.api_version = api_version
        self.time = time
        self.subresource = subresource
        self.fields = fields
        #: the stored dict this came from, reused while nothing changes
        self.raw = raw
        #: ``fields`` is already in FieldsV1 order (read from storage, unchanged)
        self.encoded = encoded or raw is not None

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.manager, self.operation,
                "" if self.operation == "Apply" else self.api_version, self.subresource)

    def identifier(self) -> str:
        """BuildManagerIdentifier: the JSON the real server keys and sorts managers by."""
        d: Obj = {"manager": self.manager, "operation": self.operation}
        if self.operation != "Apply" and self.api_version:
            d["apiVersion"] = self.api_version
        if self.subresource:
            d["subresource"] = self.subresource
        return json.dumps(d, separators=(",", ":"))

    def describe(self) -> str:
        """printManager: ``"mgr" with subresource "scale" using apps/v1``."""
        s = json.dumps(self.manager, ensure_ascii=False)
        if self.subresource:
            s += f" with subresource {json.dumps(self.subresource, ensure_ascii=False)}"
        if self.operation == "Update":
            s += f" using {self.api_version}"
        return s

    def encode(self) -> Obj:
        if self.raw is not None:
            return self.raw
        return _entry_dict(self.manager, self.operation, self.api_version, self.time,
                           self.subresource,
                           self.fields if self.encoded else fieldpath.encode(self.fields))

    def with_fields(self, fields: Node, same_order: bool = False) -> Entry:
        """This entry owning ``fields`` (``same_order``: a subset of its fields,
        as ``difference`` makes, so still in FieldsV1 order if it was)."""
        if fields is self.fields:
            return self
        return Entry(self.manager, self.operation, self.api_version, self.time,
                      self.subresource, fields, encoded=same_order and self.encoded)


def _entry_dict(manager: str, operation: str, api_version: str, time: str | None,
                subresource: str, fields_v1: Node) -> Obj:
    """A managedFields entry as stored (``fields_v1`` already in FieldsV1 order)."""
    e: Obj = {"manager": manager, "operation": operation, "apiVersion": api_version}
    if time:
        e["time"] = time
    e["fieldsType"] = "FieldsV1"
    e["fieldsV1"] = fields_v1
    if subresource:
        e["subresource"] = subresource
    return e


def _decode(mf: Any, trusted: bool) -> list[Entry] | None:
    """Entries of a managedFields list; None if one is malformed (``trusted``:
    written by us, so FieldsV1 is used as is)."""
    if not isinstance(mf, list):
        return None
    out: dict[tuple[str, str, str, str], Entry] = {}
    for raw in mf:
        if not isinstance(raw, dict):
            return None
        op = raw.get("operation")
        av = raw.get("apiVersion")
        if op not in ("Apply", "Update") or not isinstance(av, str) or not av \
                or raw.get("fieldsType") != "FieldsV1":
            return None
        fields = raw.get("fieldsV1") if trusted else fieldpath.decode(raw.get("fieldsV1") or {})
        if not isinstance(fields, dict):
            return None
        e = Entry(str(raw.get("manager") or ""), op, av, raw.get("time") or None,
                   str(raw.get("subresource") or ""), fields, raw if trusted else None)
        out[e.key] = e
    return list(out.values())


def _is_reset(mf: Any) -> bool:
    """``managedFields: []`` (or one empty entry) in a request clears them."""
    return isinstance(mf, list) and (not mf or (len(mf) == 1 and mf[0] == {}))


def _encode(entries: list[Entry]) -> list[Obj]:
    # sortEncodedManagedFields: operation, time, manager, apiVersion, subresource
    entries.sort(key=lambda e: (e.operation, e.time or "", e.manager, e.api_version,
                                e.subresource))
    return [e.encode() for e in entries]


#: recent single-entry managedFields lists, shared by the objects they describe alike
#: (same manager, time and field set: creates of one shape within a second)
_SHARED_LISTS: dict[tuple[Any, ...], tuple[Node, list[Obj]]] = {}
SHARED_LISTS_SIZE = 64


def _store(md: Obj, entries: list[Entry]) -> None:
    if not entries:
        md.pop("managedFields", None)
        return
    if len(entries) == 1 and entries[0].raw is None and entries[0].encoded:
        e = entries[0]
        md["managedFields"] = _single_list(e.manager, e.operation, e.api_version, e.time,
                                           e.subresource, e.fields)
        return
    md["managedFields"] = _encode(entries)


def _single_list(manager: str, operation: str, api_version: str, time: str | None,
                 subresource: str, fields_v1: Node) -> list[Obj]:
    """The managedFields list of one entry (``fields_v1`` in FieldsV1 order), shared
    with the objects written alike (``_SHARED_LISTS``)."""
    key = (manager, operation, api_version, time, subresource, id(fields_v1))
    hit = _SHARED_LISTS.get(key)
    if hit is None or hit[0] is not fields_v1:
        hit = remember(_SHARED_LISTS, key, (fields_v1, [_entry_dict(
            manager, operation, api_version, time, subresource, fields_v1)]), SHARED_LISTS_SIZE)
    return hit[1]


def _reset_fields(s: Node, has_status: bool, subresource: str | None) -> Node:
    """Fields the write may not own: ``status`` through the main resource of a
    kind with a status subresource, everything but ``status`` through it."""
    if subresource == "status":
        st = s.get("f:status")
        return {"f:status": st} if st is not None else {}
    if has_status and "f:status" in s:
        return {k: v for k, v in s.items() if k != "f:status"}
    return s


def _compare(t: fieldschema.Type, old: Obj | None, new: Obj, has_status: bool,
             subresource: str | None) -> tuple[Node, Node, Node]:
    """What changed that the write may own (see ``_reset_fields``)."""
    if subresource == "status":
        return fieldvalues.compare(t, old, new, only="status")
    return fieldvalues.compare(t, old, new, _SKIP_ROOT_STATUS if has_status else _SKIP_ROOT, _SKIP_META)


#: create's field sets by object shape: (id(type), has_status, fingerprint) →
#: (type, added, modified, removed, owned in FieldsV1 order). Bounded, oldest out first.
_CREATED: dict[tuple[int, bool, bytes], tuple[fieldschema.Type, Node, Node, Node, Node]] = {}
CREATED_MEMO_SIZE = 512


def _fingerprint(new: Obj, has_status: bool) -> bytes | None:
    """What a create's field sets depend on: the object without the keys compare
    skips (name, uid, creationTimestamp...), as JSON (exact: the registry's decode
    step made the body plain JSON, and defaulting adds only JSON values); None when
    it cannot be encoded."""
    md = new.get("metadata")
    skip = _SKIP_ROOT_STATUS if has_status else _SKIP_ROOT
    shape = {k: v for k, v in new.items() if k not in skip}
    if type(md) is dict:
        shape["metadata"] = {k: v for k, v in md.items() if k not in _SKIP_META}
    try:
        return orjson.dumps(shape)
    except TypeError:  # ints beyond 64 bits, non-str keys
        return None


def _created_sets(t: fieldschema.Type, new: Obj, has_status: bool
                  ) -> tuple[Node, Node, Node, Node]:
    """``_compare`` of a create, plus the creator's fields (``added`` and ``modified``
    without what is never owned) in FieldsV1 order, memoized by object shape.

    Objects of one shape (the pods of a ReplicaSet, a benchmark's pods) have the same
    field sets, so the walk runs once per shape and every such object stores the same
    ``fieldsV1`` dict. That is safe because field sets are never mutated once built
    (``fieldpath``) and stored objects are immutable by convention."""
    fp = _fingerprint(new, has_status)
    key = (id(t), has_status, fp) if fp is not None else None
    if key is not None:
        hit = _CREATED.get(key)
        if hit is not None and hit[0] is t:
            return hit[1], hit[2], hit[3], hit[4]
    added, modified, removed = _compare(t, None, new, has_status, None)
    owned = fieldpath.encode(fieldpath.difference(fieldpath.union(added, modified), _STRIP))
    if key is not None:
        remember(_CREATED, key, (t, added, modified, removed, owned), CREATED_MEMO_SIZE)
    return added, modified, removed, owned


def _cap(entries: list[Entry]) -> list[Entry]:
    """Fold the oldest Update entries into ``ancient-changes`` beyond ten."""
    updaters = [e for e in entries if e.operation == "Update"]
    if len(updaters) <= MAX_UPDATE_MANAGERS:
        return entries
    updaters.sort(key=lambda e: (e.time or "", e.identifier()))
    buckets = {e.api_version: e for e in updaters if e.manager == "ancient-changes"
               and not e.subresource}
    first: dict[str, Entry] = {}
    drop: set[int] = set()
    length = len(updaters)
    for e in updaters:
        if length <= MAX_UPDATE_MANAGERS:
            break
        v = e.api_version
        if v not in first:
            first[v] = e
            continue
        bucket = buckets.get(v)
        if bucket is e:
            continue
        if bucket is None:  # the oldest entry of this version becomes the bucket
            head = first[v]
            drop.add(id(head))
            bucket = buckets[v] = Entry("ancient-changes", "Update", v, head.time, "",
                                         head.fields)
            entries.append(bucket)
        bucket.fields = fieldpath.union(e.fields, bucket.fields)
        bucket.time = e.time
        bucket.raw = None
        drop.add(id(e))
        length -= 1
    return [e for e in entries if id(e) not in drop]


# --------------------------------------------------------------------------- Update


def update_managed_fields(old: Obj | None, new: Obj, *, manager: str, api_version: str, now: str,
                          meta: fieldschema.Type, subresource: str | None = None,
                          operation: str = "Update", has_status: bool = False,
                          modified: Node | None = None) -> None:
    """Record an Update by ``manager`` on ``new`` (in place): it owns what it
    changed from ``old`` (None: a create), others lose what it changed or removed.

    ``new["metadata"]["managedFields"]`` on entry is what the request sent:
    absent (or for subresources, ignored) means "keep the live ones", ``[]``
    resets them (the object is then no longer tracked), a valid list replaces them.
    ``modified``: the write changed only scalar leaves, none of them one the write may
    not own (the registry's leaf update), and this is the compare's ``modified`` set of
    them (``fieldvalues.leaves_modified``; nothing added or removed), so it is not run.
    """
    if operation != "Update":
        raise ValueError("update_managed_fields records Update operations; use apply()")
    md = new.setdefault("metadata", {})
    live_mf = ((old or {}).get("metadata") or {}).get("managedFields")
    sent = md.get("managedFields")
    key = (manager or "unknown", "Update", api_version, subresource or "")
    compared: tuple[Node, Node, Node] | None = None
    if old is not None and type(live_mf) is list and live_mf and subresource != "scale" and (
            subresource or sent is None or sent is live_mf or sent == live_mf):
        # the live entries stay: first see whether the manager only modified its own leaves
        if modified is None:
            compared = _compare(meta, old, new, has_status, subresource)
            if not compared[0] and not compared[2] and compared[1] and \
                    _owned_leaves(md, live_mf, key, compared[1], now):
                return
        elif modified and _owned_leaves(md, live_mf, key, modified, now):
            return
    if compared is None and modified is not None and old is not None:
        compared = {}, modified, {}
    entries: list[Entry] | None = None
    if not (subresource or sent is None or sent is live_mf):
        entries = [] if _is_reset(sent) else _decode(sent, sent == live_mf) or None
    if entries is None:  # keep the live ones
        entries = (_decode(live_mf, True) or []) if live_mf else []
    if not entries and old is not None and (old.get("metadata") or {}).get("uid"):
        md.pop("managedFields", None)  # an untracked object stays untracked
        return
    owned: Node | None = None
    if compared is not None:
        added, modified, removed = compared
    elif old is None and not subresource:
        added, modified, removed, owned = _created_sets(meta, new, has_status)
    else:
        added, modified, removed = _compare(meta, old, new, has_status, subresource)
    if not added and not modified and not removed:
        if entries and live_mf is not None and all(e.raw is not None for e in entries) \
                and len(entries) == len(live_mf):
            md["managedFields"] = live_mf
        else:
            _store(md, entries)
        return
    changed = fieldpath.union(added, modified)
    lose = fieldpath.union(changed, removed)
    current = fieldpath.difference(changed, _STRIP) if owned is None else owned
    mine: Entry | None = None
    kept: list[Entry] = []
    for e in entries:
        if e.key == key:
            mine = e
            continue
        e = e.with_fields(fieldpath.difference(e.fields, lose), same_order=True)
        if e.fields:
            kept.append(e)
    if mine is not None and not fieldpath.difference(current, mine.fields) \
            and not fieldpath.intersection(removed, mine.fields):
        fields, encoded = mine.fields, mine.encoded  # owns it all already: reuse the encoding
    elif mine is None:
        # compare's sets come in FieldsV1 order, and union and difference keep it
        fields, encoded = current, True
    else:
        fields = fieldpath.union(fieldpath.difference(mine.fields, lose), current)
        encoded = mine.encoded
    if current:
        # the scale handler copies entry times from the parent: new ones have none
        time = (mine.time if mine else None) if subresource == "scale" else now
        mine = Entry(key[0], "Update", api_version, time, key[3], fields, encoded=encoded)
    elif mine is not None:
        mine = mine.with_fields(fields, same_order=True)
    if mine is not None and mine.fields:
        kept.append(mine)
    _store(md, _cap(kept))


def _owned_leaves(md: Obj, live: list[Any], key: tuple[str, str, str, str], modified: Node,
                  now: str) -> bool:
    """The general path's result, stored in ``md``, for an Update that only modified
    fields (nothing added or removed) its manager already owns and no other manager
    does (a lease renewal, a controller's counters): every other entry and the
    manager's field set stay as they are, only the manager's time moves to ``now``.
    False, storing nothing, when the write is not that or an entry is one ``_decode``
    would drop or merge (the general path then decides)."""
    hit = _OWNED.get(id(live))
    mine: Obj | None
    if hit is not None and hit[0] is live and hit[1] == key and hit[2] is modified:
        mine = hit[3]  # remembered only once passed with a non-empty ``current``
    else:
        # most writes modify nothing at the root that is never owned: ``modified`` as it is
        current = modified if modified.keys().isdisjoint(_STRIP) else \
            fieldpath.difference(modified, _STRIP)
        if not current:
            return False
        mine = _owned_entry(live, key, modified, current)
        if mine is None:
            return False
    if (mine.get("time") or None) == now:
        md["managedFields"] = live  # nothing moved: the stored list as it is
        return True
    if len(live) == 1:
        # what ``_store`` makes of the one re-timed entry, but not looked up in
        # ``_SHARED_LISTS``: the list is the same JSON either way, and one re-timed in the
        # same second with the very same field set is rare (a Lease's names its Node's uid)
        stored = md["managedFields"] = [_entry_dict(key[0], "Update", key[2], now, key[3],
                                                    mine["fieldsV1"])]
        _OWNED.pop(id(live), None)  # superseded by ``stored`` (or re-checked if met again)
        _remember_owned(stored, key, modified, stored[0])
        return True
    updated = Entry(key[0], "Update", key[2], now, key[3], mine["fieldsV1"], encoded=True)
    enc = updated.raw = updated.encode()
    entries = _decode(live, True)  # well formed, one per manager: ``_owned_entry`` saw to it
    assert entries is not None
    md["managedFields"] = _encode([updated if e.key == key else e for e in entries])
    _OWNED.pop(id(live), None)
    _remember_owned(md["managedFields"], key, modified, enc)
    return True


#: managedFields lists ``_owned_entry`` passes, by id: (the list, key, modified set, the
#: key's entry). Stored lists are never mutated and each is held here, so an id found
#: with the same list, key and (memoized, shared) modified set is passed again. The list
#: ``_owned_leaves`` stores passes too (the same entries, the manager's only re-timed:
#: the same keys, field sets and shapes), so it is remembered as it is made: the next
#: renewal of the same Lease skips the walk.
_OWNED: dict[int, tuple[list[Any], tuple[str, str, str, str], Node, Obj]] = {}
OWNED_SIZE = 256


def _remember_owned(live: list[Any], key: tuple[str, str, str, str], modified: Node,
                    mine: Obj) -> None:
    # bounded: a list met again after its entry was dropped is checked again
    remember(_OWNED, id(live), (live, key, modified, mine), OWNED_SIZE)


def _owned_entry(live: list[Any], key: tuple[str, str, str, str], modified: Node,
                 current: Node) -> Obj | None:
    """The entry of ``key`` in ``live`` when ``_owned_leaves`` applies (remembered),
    else None: every entry well formed and distinct, no other manager owning a field
    in ``modified``, ``key`` owning ``current`` (``modified`` less what no one owns)."""
    entries = _decode(live, True)
    if entries is None or len(entries) != len(live):
        return None  # malformed, or two entries of one manager (the general path merges them)
    mine: Obj | None = None
    updaters = 0
    for e in entries:
        if not e.fields:
            return None  # empty: the general path drops it
        updaters += e.operation == "Update"
        if e.key == key:
            mine = e.raw
        elif fieldpath.difference(e.fields, modified) is not e.fields:
            return None  # another manager loses fields
    if mine is None or updaters > MAX_UPDATE_MANAGERS or \
            not fieldpath.is_subset(current, mine["fieldsV1"]):
        return None
    _remember_owned(live, key, modified, mine)
    return mine


# --------------------------------------------------------------------------- Apply


def apply(live: Obj | None, applied: Obj, *, manager: str, force: bool, api_version: str,
          now: str, meta: fieldschema.Type, subresource: str | None = None,
          has_status: bool = False) -> Obj:
    """Server-side apply of the configuration ``applied`` by ``manager`` onto
    ``live`` (None: the object does not exist yet). Returns the new object with
    its managedFields; raises ``errors.Conflict`` listing every field another
    manager owns with a different value, unless ``force``.

    Both inputs become part of the result: pass copies you own."""
    if (applied.get("metadata") or {}).get("managedFields") is not None:
        raise errors.BadRequest("metadata.managedFields must be nil")
    sub = subresource or ""
    if live is not None:
        live_md = live.get("metadata") or {}
        entries = _decode(live_md.get("managedFields"), True) or []
        live = {**live, "metadata": {k: v for k, v in live_md.items() if k != "managedFields"}}
        if not entries:  # fields set before anyone applied belong to "before-first-apply"
            a, m, _ = _compare(meta, None, live, has_status, subresource)
            owned = fieldpath.difference(fieldpath.union(a, m), _STRIP)
            if owned:
                entries = [Entry("before-first-apply", "Update", api_version, now, sub, owned)]
    else:
        entries = []
    key = (manager, "Apply", "", sub)
    previous = next((e for e in entries if e.key == key), None)
    config_set = _reset_fields(fieldvalues.field_set(meta, applied), has_status, subresource)
    mine = Entry(manager, "Apply", api_version, previous.time if previous else None, sub,
                  config_set)
    others = [e for e in entries if e.key != key]
    merged: Obj = fieldvalues.merge(meta, live if live is not None else fieldvalues.MISSING, applied)
    if previous is not None and fieldpath.difference(previous.fields, config_set):
        merged = _prune(meta, merged, [mine, *others], previous.fields)
    added, modified, removed = _compare(meta, live, merged, has_status, subresource)
    changed = fieldpath.union(added, modified)
    conflicts = [(e, c) for e in others if (c := fieldpath.intersection(e.fields, changed))]
    if conflicts and not force:
        allowed = _allowed_by_last_applied(meta, live) if manager == KUBECTL_APPLY else None
        if allowed is None or any(not fieldpath.has(allowed, p) for _, c in conflicts
                                  for p in fieldpath.paths(c)):
            raise conflict_error([(e, [p for p in fieldpath.paths(c)
                                       if allowed is None or not fieldpath.has(allowed, p)])
                                  for e, c in conflicts])
        force = True
    if force:
        lose = {id(e): fieldpath.union(c, removed) for e, c in conflicts}
    else:
        lose = {}
    kept = []
    for e in others:
        e = e.with_fields(fieldpath.difference(e.fields, lose.get(id(e), removed)), same_order=True)
        if e.fields:
            kept.append(e)
    mine.fields = fieldpath.difference(mine.fields, _STRIP)
    if live is None or merged != live:
        mine.time = now
    if mine.fields:
        kept.append(mine)
    md = merged.setdefault("metadata", {})
    annotations = md.get("annotations")
    if manager == KUBECTL_APPLY and isinstance(annotations, dict) and annotations.get(LAST_APPLIED):
        md["annotations"] = {**annotations, LAST_APPLIED: last_applied(applied)}
    _store(md, _cap(kept))
    return merged


def _prune(t: fieldschema.Type, merged: Obj, managers: list[Entry], last: Node) -> Obj:
    """Drop what the applier set last time and no manager owns any more
    (merge.Updater.prune with addBackOwnedItems and addBackDanglingItems)."""
    def remove(s: Node) -> Obj:
        r = fieldvalues.remove(t, merged, s)
        return {} if r is fieldvalues.MISSING else r

    def named(s: Node) -> Node:
        return fieldvalues.ensure_named_fields(t, s)

    last_n = named(last)
    pruned = remove(last_n)
    managed: Node = {}
    for e in managers:
        managed = fieldpath.union(managed, e.fields)
    merged_n = named(fieldvalues.field_set(t, merged))
    pruned = remove(fieldpath.difference(merged_n, fieldpath.union(named(fieldvalues.field_set(t, pruned)),
                                                     named(managed))))
    pruned_n = named(fieldvalues.field_set(t, pruned))
    return remove(fieldpath.intersection(fieldpath.difference(merged_n, pruned_n), last_n))


def _allowed_by_last_applied(t: fieldschema.Type, live: Obj | None) -> Node | None:
    """Fields of the last-applied annotation whose live value still matches it."""
    if live is None:
        return None
    raw = ((live.get("metadata") or {}).get("annotations") or {}).get(LAST_APPLIED)
    if not raw:
        return None
    try:
        last = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(last, dict) or last.get("apiVersion") != live.get("apiVersion"):
        return None
    added, modified, removed = fieldvalues.compare(t, last, live)
    s = fieldvalues.field_set(t, last)
    return fieldpath.difference(fieldpath.difference(fieldpath.difference(s, modified), added), removed)


def last_applied(config: Obj) -> str:
    """The annotation value the server writes for kubectl: the configuration
    without the annotation, as Go's json.Encoder writes it."""
    md = config.get("metadata")
    if isinstance(md, dict) and isinstance(md.get("annotations"), dict):
        config = {**config, "metadata": {**md, "annotations": {
            k: v for k, v in md["annotations"].items() if k != LAST_APPLIED}}}
    s = json.dumps(config, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    s = s.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return s + "\n"


def conflict_error(conflicts: list[tuple[Entry, list[tuple[str, ...]]]]) -> errors.Conflict:
    """The 409 Status: ``Apply failed with N conflict(s): ...``, one
    FieldManagerConflict cause per field."""
    conflicts = sorted(((e, ps) for e, ps in conflicts if ps), key=lambda c: c[0].identifier())
    causes = [{"reason": "FieldManagerConflict", "message": f"conflict with {e.describe()}",
               "field": fieldpath.render_path(p)} for e, ps in conflicts for p in ps]
    n = len(causes)
    if n == 1:
        e, ps = conflicts[0]
        msg = f"Apply failed with 1 conflict: conflict with {e.describe()}: {fieldpath.render_path(ps[0])}"
    else:
        lines = []
        for e, ps in conflicts:
            lines.append(f"conflicts with {e.describe()}:")
            lines += [f"- {fieldpath.render_path(p)}" for p in ps]
        msg = f"Apply failed with {n} conflicts: " + "\n".join(lines)
    return errors.Conflict(msg, details={"causes": causes})


# --------------------------------------------------------------------------- registry glue


def manager_name(opts: WriteOptions) -> str:
    """``fieldManager``, else the User-Agent's product (``kubectl``,
    ``OpenAPI-Generator``), else ``unknown``."""
    if opts.field_manager:
        return opts.field_manager
    ua = getattr(opts, "user_agent", None) or ""
    prefix = "".join(ch for ch in ua.split("/", 1)[0] if ch.isprintable())
    return prefix[:MAX_MANAGER_LENGTH] or "unknown"


def type_of(reg: Registry, res: Resource, version: str | None = None) -> fieldschema.Type:
    version = version or res.storage_version
    if res.crd:
        return fieldschema.type_for_crd(reg._crd_schema(res, version))
    return fieldschema.type_for(res.group, version, res.kind)


def track(reg: Registry, res: Resource, old: Obj | None, new: Obj, opts: WriteOptions,
          subresource: str | None, modified: Node | None = None,
          meta: fieldschema.Type | None = None) -> None:
    """The registry's hook on create and update (objects in storage version);
    ``modified``: see ``update_managed_fields``; ``meta``: ``type_of(reg, res)``, when
    the caller has it."""
    update_managed_fields(
        old, new, manager=manager_name(opts),
        api_version=res.api_version(opts.version or res.storage_version), now=reg._now(),
        meta=type_of(reg, res) if meta is None else meta, subresource=subresource,
        has_status=strategy.has_status_subresource(res), modified=modified)
