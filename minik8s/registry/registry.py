"""The write path: decode-checked body → prepare → default → admit → validate → store.

Every write, from an HTTP request or from a controller in-process, passes
through ``Registry``; reads come here too so version conversion and
selectors apply alike. Synchronous on purpose: all state is in memory, so a
write is one uninterrupted step and needs no locks.

Neighbours: ``registry.strategy`` (per-kind data), ``registry.admission``,
``registry.defaults``, ``registry.validation``, ``registry.patch``,
``registry.subresources``, ``store.store``.
"""

from __future__ import annotations

import base64
import collections
import dataclasses
from collections.abc import Callable, Iterable
from typing import Any

import orjson

from minik8s.api import convert, crd, errors, schemas, selectors, structural
from minik8s.api.errors import FieldError
from minik8s.api.resources import Resource, ResourceTable
from minik8s.aio.clock import Clock
from minik8s.registry import (admission, defaults, fieldmanager, fieldvalues, names, podpreset,
                              strategy, validation)
from minik8s.store import watch as _watch
from minik8s.store.store import Obj, Store
from minik8s.api import objects

FINALIZER_FOREGROUND = "foregroundDeletion"
FINALIZER_ORPHAN = "orphan"
#: etcd's --max-request-bytes default (1.5 MiB): a larger object cannot be stored
MAX_OBJECT_BYTES = 1536 * 1024
#: top-level keys an update takes from the stored object, not from its body
#: (``strategy.prepare_for_status_update`` / ``prepare_for_update``): a status write
#: keeps only the body's status, a main write of a kind with a status subresource
#: everything but it. Never read from the body but by the field checks.
_ALL_BUT_STATUS = frozenset({"apiVersion", "kind", "metadata", "spec"})
_STATUS = frozenset({"status"})
#: top-level keys a leaf update (``Registry._leaf_update``) may not change: identity and
#: metadata, which the general path checks, copies from the stored object or rewrites
_NOT_LEAVES = frozenset({"apiVersion", "kind", "metadata"})
#: ... and, for a kind with a status subresource, ``status``: the general path checks a
#: status the body changes, then drops it
_NOT_MAIN_LEAVES = _NOT_LEAVES | _STATUS
#: kinds whose main-resource update does more than the generic steps (port allocation,
#: namespace finalizers): never a leaf update
_SPECIAL_UPDATES = frozenset({"services", "namespaces"})
#: aggregation keys remembered (client-go's EventCorrelator LRU size)
EVENT_LRU = 4096


@dataclasses.dataclass(frozen=True)
class WriteOptions:
    """Query parameters that shape a write. Frozen: the in-process client hands the same
    one to every write of a kind (``dataclasses.replace`` makes a changed copy)."""

    dry_run: bool = False
    field_manager: str | None = None
    #: Strict | Warn | Ignore; the real server's default is Warn
    field_validation: str = "Warn"
    force: bool = False
    #: apiVersion version the caller speaks (None: storage version)
    version: str | None = None
    #: the request's User-Agent: names the field manager when fieldManager is absent
    user_agent: str | None = None
    #: who asks (``minik8s.auth.user.UserInfo``) when auth is on; None: the in-process
    #: client, which is never subject to ``Registry.write_admission``
    user: Any = None


@dataclasses.dataclass
class Context:
    """Per-request side channel: warnings for ``Warning:`` headers."""

    warnings: list[str] = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class ListResult:
    items: list[Obj]
    resource_version: str
    continue_token: str = ""
    remaining: int | None = None


class Registry:
    def __init__(self, table: ResourceTable, store: Store, clock: Clock,
                 namegen: names.NameGenerator, allocators: admission.Allocators) -> None:
        self.table = table
        self.store = store
        self.clock = clock
        self.names = namegen
        self.alloc = allocators
        #: hooks run after a committed write: (resource, event type, obj)
        self._after_write: list[Callable[[Resource, str, Obj, Obj | None], None]] = []
        #: ``pods/log``: (namespace, name, container, *, previous, tail_lines, timestamps,
        #: since_seconds, limit_bytes) -> text; set by the simulated kubelet
        self.pod_logs: Callable[..., str] | None = None
        #: (namespace, involved uid, reason, message, type) → event name, for aggregation; an
        #: LRU of EVENT_LRU entries, as client-go's EventCorrelator keeps (maxLruCacheEntries)
        self._event_index: collections.OrderedDict[tuple[Any, ...], str] = collections.OrderedDict()
        #: events admission wants recorded once the object is stored
        self._pending_events: list[tuple[Obj, str, str]] = []
        #: set by the composition root when auth is on (minik8s.auth.component): a check
        #: (resource, new, old or None, user) run before validation on writes with a user
        #: (RBAC escalation prevention); review answers (resource, namespace, review,
        #: user) -> status; a TokenRequest signer (claims) -> token
        self.write_admission: Callable[[Resource, Obj, Obj | None, Any], None] | None = None
        self.reviews: Callable[[Resource, str, Obj, Any], Obj] | None = None
        self.token_signer: Callable[[Obj], str] | None = None
        from minik8s.registry import subresources  # circular: subresources calls back in
        self.sub = subresources.Subresources(self)

    # ------------------------------------------------------------------ helpers
    def resource(self, group: str, version: str, plural: str) -> Resource:
        res = self.table.lookup(group, version, plural)
        if res is None:
            raise errors.NotFound.no_route()
        return res

    def after_write(self, fn: Callable[[Resource, str, Obj, Obj | None], None]) -> None:
        self._after_write.append(fn)

    def _now(self) -> str:
        """The clock's RFC 3339 time (second precision; the clock remembers the last second's
        stamp, so objects written in one second share the string)."""
        return self.clock.rfc3339()

    def to_version(self, res: Resource, obj: Obj, version: str | None) -> Obj:
        v = version or res.storage_version
        if v == res.storage_version and obj.get("apiVersion") == res.api_version(v):
            return obj
        return convert.convert(res, obj, v)

    def _check_kind(self, res: Resource, body: Any, version: str,
                    share: frozenset[str] = frozenset()) -> Obj:
        """The body as this resource's object, in a copy the write path may mutate (the
        orjson round trip also makes in-process values plain JSON: NaN → null, tuples →
        lists).

        ``share``: top-level keys whose values the write discards unread but for the
        checks they skip (see ``update``): taken as they are, not copied (``metadata``
        is copied one level deep, as the write edits that level)."""
        if not isinstance(body, dict):
            raise errors.BadRequest("the body of the request was not a JSON object")
        kind = body.get("kind")
        api_version = body.get("apiVersion")
        want_av = res.api_version(version)
        if kind and kind != res.kind:
            raise errors.BadRequest(
                f"the kind in the body ({kind}) does not match the kind of the resource "
                f"({res.kind}) on the URL")
        if api_version and api_version != want_av:
            raise errors.BadRequest(
                f"the API version in the data ({api_version}) does not match the expected "
                f"API version ({want_av})")
        if share:
            body = {k: v if k in share else objects.deep_copy(v) for k, v in body.items()}
            if "metadata" in share and type(body["metadata"]) is dict:
                body["metadata"] = dict(body["metadata"])
        else:
            body = objects.deep_copy(body)
        body["kind"] = res.kind
        body["apiVersion"] = want_av
        md = body.get("metadata")
        if md is None:
            body["metadata"] = md = {}
        if not isinstance(md, dict):
            raise errors.BadRequest(
                f'{res.kind} in version "{version}" cannot be handled as a {res.kind}: '
                "json: cannot unmarshal into Go struct field .metadata of type v1.ObjectMeta")
        return body

    def _unchanged_keys(self, res: Resource, body: Any, version: str, opts: WriteOptions,
                        stored: Obj | None) -> frozenset[str]:
        """Top-level keys of an update's body that repeat the stored object's subtree
        exactly (``schemas.unchanged_keys``), when the field checks would use them: a
        built-in kind, in its storage version, checked (not ``Ignore``)."""
        if stored is None or res.crd or version != res.storage_version or \
                opts.field_validation == "Ignore" or not isinstance(body, dict):
            return frozenset()
        return schemas.unchanged_keys(body, stored, res.group, version, res.kind)

    def _shape_error(self, res: Resource, version: str, bad: str) -> errors.BadRequest:
        return errors.BadRequest(
            f'{res.kind} in version "{version}" cannot be handled as a {res.kind}: {bad}')

    def _field_validation(self, res: Resource, obj: Obj, version: str, opts: WriteOptions,
                          ctx: Context | None, raw_dupes: list[str] | None = None,
                          stored: Obj | None = None,
                          same: frozenset[str] | None = None) -> None:
        """Decoding checks, then unknown and duplicate fields per ``fieldValidation``.

        Wrongly typed values fail decoding on a real server: 400, worded like Go's decoder
        (custom resources: their schema, a 422). ``null`` becomes what Go makes of it.
        ``stored``: a stored object of this kind (an update's old one), whose subtrees
        passed these checks; used only when the request speaks the storage version.
        ``same``: its top-level keys the body repeats (``_unchanged_keys``), if known."""

        if res.crd:
            if opts.field_validation == "Ignore":
                self._drop_unknown(res, obj, version)
                return
            unknown = structural.prune(self._crd_schema(res, version), objects.deep_copy(obj))
        elif opts.field_validation == "Ignore":
            bad = schemas.decode_error(obj, res.group, version, res.kind)
            if bad is not None:
                raise self._shape_error(res, version, bad)
            self._drop_unknown(res, obj, version)
            return
        else:  # both checks in one pass (each subtree encoded once for their memo)
            if version != res.storage_version:
                stored = same = None
            bad, unknown = schemas.field_problems(obj, res.group, version, res.kind, stored,
                                                  same)
            if bad is not None:
                raise self._shape_error(res, version, bad)
        problems = [f'unknown field "{p}"' for p in unknown]
        problems += [f'duplicate field "{p}"' for p in raw_dupes or ()]
        if not problems:
            return
        if opts.field_validation == "Strict":
            raise errors.BadRequest(
                f'{res.kind} in version "{version}" cannot be handled as a {res.kind}: '
                f"strict decoding error: {', '.join(problems)}")
        if ctx is not None and opts.field_validation == "Warn":
            ctx.warnings.extend(problems)
        self._drop_unknown(res, obj, version)

    def _crd_schema(self, res: Resource, version: str | None = None) -> Obj | None:
        v = (res.crd_versions or {}).get(version or res.storage_version)
        return None if v is None else v.schema

    def _drop_unknown(self, res: Resource, obj: Obj, version: str) -> None:
        if res.crd:
            structural.prune(self._crd_schema(res, version), obj)
            return
        schemas.drop_unknown_fields(obj, res.group, version, res.kind)

    def _namespace_of(self, res: Resource, ns: str, body: Obj) -> str:
        md = body["metadata"]
        if not res.namespaced:
            md.pop("namespace", None)
            return ""
        bns = md.get("namespace")
        if bns and ns and bns != ns:
            raise errors.BadRequest(
                "the namespace of the provided object does not match the namespace sent on "
                "the request")
        ns = ns or bns or ""
        if not ns:
            raise errors.BadRequest("the server could not find the requested resource")
        md["namespace"] = ns
        return ns

    def _invalid(self, res: Resource, name: str, causes: list[FieldError]) -> errors.Invalid:
        return errors.Invalid(res.kind, res.group, name, causes)

    def _validate_metadata(self, res: Resource, md: Obj,
                           old_md: Obj | None = None) -> list[FieldError]:
        """Name, labels and annotations. ``old_md``: the stored object's metadata (an
        update); what it shares with ``md`` (the name, the very label and annotation
        dicts a status write keeps) passed these checks when it was written."""
        errs: list[FieldError] = []
        name = md.get("name")
        if not isinstance(name, str) or not name:
            errs.append(FieldError("required", "metadata.name",
                                   detail="name or generateName is required"))
        elif old_md is None or name != old_md.get("name"):
            errs += names.validate_name(strategy.name_rule(res), name)
        for field in ("labels", "annotations"):
            val = md.get(field)
            if val is None or (old_md is not None and val is old_md.get(field)):
                continue
            if not isinstance(val, dict):
                errs.append(FieldError("invalid", f"metadata.{field}", val, "must be a map"))
                continue
            if field == "labels":
                errs += validation.validate_labels(val, "metadata.labels")
            else:
                errs += validation.validate_annotations(val, "metadata.annotations")
        return errs

    def _validate(self, res: Resource, obj: Obj, old: Obj | None, *,
                  same_metadata: bool = False) -> None:
        """``same_metadata``: ``obj``'s name, labels and annotations are ``old``'s very
        own (a leaf update), which passed ``_validate_metadata`` when stored."""
        md = obj["metadata"]
        causes = [] if same_metadata else self._validate_metadata(
            res, md, None if old is None else old["metadata"])
        causes += validation.validate(res.key, obj, old)
        if res.crd:
            causes += structural.validate(self._crd_schema(res), obj)
        if causes:
            raise self._invalid(res, md.get("name") or md.get("generateName") or "", causes)

    def _check_size(self, res: Resource, obj: Obj) -> bytes:
        """Refuse an object etcd would refuse, as kube-apiserver 1.33 does: it first
        retries without ``managedFields``, then passes etcd's error on (a 500).

        The object is encoded with the resourceVersion its commit will give it (the writes
        between here and the commit are synchronous), so the bytes are its stored encoding:
        ``_commit`` hands them to the store and readers never encode this revision again."""
        md = obj["metadata"]
        md["resourceVersion"] = str(self.store.revision + 1)
        raw = orjson.dumps(obj)
        if len(raw) <= MAX_OBJECT_BYTES:
            return raw
        if md.get("managedFields"):
            del md["managedFields"]
            raw = orjson.dumps(obj)
        if len(raw) > MAX_OBJECT_BYTES:
            raise errors.StorageError("etcdserver: request is too large")
        return raw

    def _commit(self, res: Resource, obj: Obj, old: Obj | None, *,
                encoded: bytes | None = None) -> Obj:
        if encoded is None:
            encoded = self._check_size(res, obj)
        rv = self.store.next_revision()
        md = obj["metadata"]
        if md.get("resourceVersion") != str(rv):
            md["resourceVersion"] = str(rv)
            encoded = None
        ev = self.store.commit_put(res.key, obj, rv, encoded)
        for fn in self._after_write:
            fn(res, ev.type, obj, old)
        return obj

    def _commit_delete(self, res: Resource, obj: Obj) -> Obj:
        rv = self.store.next_revision()
        final = dict(obj)
        final["metadata"] = dict(obj["metadata"])
        final["metadata"]["resourceVersion"] = str(rv)
        self.store.commit_delete(res.key, final, rv)
        if res.key == "services":
            admission.release_service(self.alloc, obj)
        for fn in self._after_write:
            fn(res, "DELETED", final, obj)
        return final

    # ------------------------------------------------------------------ reads
    def get(self, res: Resource, ns: str, name: str, version: str | None = None) -> Obj:
        obj = self.store.get(res.key, ns if res.namespaced else "", name)
        if obj is None:
            raise errors.NotFound.for_resource(res.group, res.plural, name)
        return self.to_version(res, obj, version)

    def get_or_none(self, res: Resource, ns: str, name: str) -> Obj | None:
        return self.store.get(res.key, ns if res.namespaced else "", name)

    def matcher(self, res: Resource, label_selector: str | None,
                field_selector: str | None) -> Callable[[Obj], bool] | None:
        ls = selectors.parse_label_selector(label_selector) if label_selector else None
        fs = selectors.parse_field_selector(field_selector, res) if field_selector else None
        if ls is not None and ls.empty:
            ls = None
        if fs is not None and not fs.requirements:
            fs = None
        if ls is None and fs is None:
            return None
        if fs is None:
            assert ls is not None
            return lambda o: ls.matches((o.get("metadata") or {}).get("labels"))
        if ls is None:
            return fs.matches
        return lambda o: fs.matches(o) and ls.matches((o.get("metadata") or {}).get("labels"))

    def list(self, res: Resource, ns: str | None = None, *, label_selector: str | None = None,
             field_selector: str | None = None, limit: int | None = None,
             continue_token: str | None = None, version: str | None = None) -> ListResult:
        ls = selectors.parse_label_selector(label_selector) if label_selector else None
        fs = selectors.parse_field_selector(field_selector, res) if field_selector else None
        rs = self.store.resource(res.key)
        rv = str(self.store.revision)
        ns = ns if res.namespaced else None
        start_after: tuple[str, str] | None = None
        if continue_token:
            start_after, rv = _decode_continue(continue_token)
        # candidate keys: narrowest index first
        keys: Iterable[tuple[str, str]]
        cand: set[tuple[str, str]] | None = None
        if ls is not None:
            for k, v in ls.exact_pairs().items():
                s = rs.by_label.get((k, v), set())
                cand = set(s) if cand is None else cand & s
        if fs is not None:
            for field, value in fs.exact_pairs().items():
                if field == "metadata.name":
                    s = {(n, value) for n in ([ns] if ns is not None else rs.by_namespace)
                         if value in rs.by_namespace.get(n, {})}
                elif field == "metadata.namespace":
                    s = {(value, n) for n in rs.by_namespace.get(value, {})}
                elif field in rs.by_field:
                    s = rs.by_field[field].get(value, set())
                else:
                    continue
                cand = set(s) if cand is None else cand & s
        if cand is not None:
            keys = sorted(k for k in cand if ns is None or k[0] == ns)
        elif ns is not None:
            keys = rs.sorted_keys_in(ns)
        else:
            keys = rs.sorted_keys()
        if ls is None and fs is None and limit is None and start_after is None:
            # the common LIST: every object in order, nothing to test per key
            objects = rs.objects
            items = [objects[k] for k in keys]
            if version and version != res.storage_version:
                items = [self.to_version(res, o, version) for o in items]
            return ListResult(items, rv, "", None)
        items: list[Obj] = []
        if limit is not None and limit <= 0:
            limit = None
        next_token = ""
        remaining = None
        objects = rs.objects
        keys = keys if isinstance(keys, list) else list(keys)
        idx = 0
        if start_after is not None:
            import bisect
            idx = bisect.bisect_right(keys, start_after)
        n = len(keys)
        while idx < n:
            k = keys[idx]
            idx += 1
            o = objects.get(k)
            if o is None:
                continue
            if ls is not None and not ls.matches(o["metadata"].get("labels")):
                continue
            if fs is not None and not fs.matches(o):
                continue
            items.append(o)
            if limit is not None and len(items) >= limit:
                if idx < n:
                    next_token = _encode_continue(k, rv)
                    remaining = n - idx
                break
        if version and version != res.storage_version:
            items = [self.to_version(res, o, version) for o in items]
        return ListResult(items, rv, next_token, remaining)

    def watch(self, res: Resource, ns: str | None, resource_version: str | None, *,
              label_selector: str | None = None, field_selector: str | None = None,
              queue_size: int | None = None) -> _watch.Watcher:
        match = self.matcher(res, label_selector, field_selector)
        if ns and res.namespaced:
            inner = match

            def match(o: Obj, inner: Any = inner, ns: str = ns) -> bool:
                return o["metadata"].get("namespace") == ns and (inner is None or inner(o))
        since: int | None
        initial: list[Obj] = []
        if resource_version in (None, "", "0"):
            since = None
            initial = self.list(res, ns, label_selector=label_selector,
                                field_selector=field_selector).items
        else:
            try:
                since = int(str(resource_version))
            except ValueError:
                raise errors.BadRequest(
                    f'invalid resource version "{resource_version}"') from None
            if since > self.store.revision:
                since = self.store.revision
        try:
            return self.store.watch(res.key, since, match, initial, queue_size)
        except _watch.TooOld as e:
            raise errors.Gone(str(e)) from None

    # ------------------------------------------------------------------ create
    def create(self, res: Resource, ns: str, body: Any, opts: WriteOptions | None = None,
               ctx: Context | None = None, raw_dupes: list[str] | None = None, *,
               fields_managed: bool = False) -> Obj:
        opts = opts or WriteOptions()
        if "create" not in res.verbs:
            raise errors.MethodNotAllowed()
        version = opts.version or res.storage_version
        obj = self._check_kind(res, body, version)
        self._field_validation(res, obj, version, opts, ctx, raw_dupes)
        if res.virtual:
            return self.sub.virtual_create(res, ns, obj, opts)
        obj = self.to_version(res, obj, res.storage_version)
        ns = self._namespace_of(res, ns, obj)
        md = obj["metadata"]
        if not md.get("name") and md.get("generateName"):
            md["name"] = self.names.generate(str(md["generateName"]))
        name = md.get("name") or ""
        if res.namespaced:
            admission.check_namespace(res, ns, self.store.get("namespaces", "", ns), name)
        for k in ("resourceVersion", "deletionTimestamp", "deletionGracePeriodSeconds", "selfLink"):
            md.pop(k, None)
        md["uid"] = self.names.uid()
        md["creationTimestamp"] = self._now()
        if res.has_generation or res.crd:
            md["generation"] = 1
        else:
            md.pop("generation", None)
        strategy.prepare_for_create(res, obj)
        defaults.apply_defaults(res.key, obj)
        if res.crd:
            structural.apply_defaults(self._crd_schema(res), obj)
        if not fields_managed:  # server-side apply has settled them already
            fieldmanager.track(self, res, None, obj, opts, None)
        if opts.user is not None and self.write_admission is not None:
            self.write_admission(res, obj, None, opts.user)
        # mutating admission, validation, then storage (undoing allocations on failure)
        self._pending_events.clear()
        undo = self._admit_create(res, obj)
        try:
            self._validate(res, obj, None)
            if self.store.get(res.key, ns, name) is not None:
                raise errors.AlreadyExists.for_resource(res.group, res.plural, name)
        except errors.ApiError:
            undo()
            self._pending_events.clear()
            raise
        if opts.dry_run:
            self._pending_events.clear()
            undo()
            return self.to_version(res, obj, opts.version)
        try:
            self._commit(res, obj, None)
        except errors.ApiError:
            undo()
            self._pending_events.clear()
            raise
        while self._pending_events:
            o, reason, msg = self._pending_events.pop()
            self.record_event(o, reason, msg, type="Warning", component="podpreset-admission")
        return self.to_version(res, obj, opts.version)

    def _admit_create(self, res: Resource, obj: Obj) -> Callable[[], None]:
        if res.key == "pods":
            ns = obj["metadata"].get("namespace", "")
            presets = list(self.store.resource("podpresets.settings.k8s.io").by_namespace.get(ns, {}).values())
            if presets:
                _, conflict = podpreset.apply(obj, presets)
                if conflict:
                    self._pending_events.append((obj, "PodPresetConflict", conflict))
            admission.mutate_pod(obj, self.names.suffix, self._priority_value)
        elif res.key == "services":
            return admission.allocate_service(self.alloc, obj, None)
        elif res.key == "persistentvolumeclaims":
            admission.default_storage_class(
                obj, self.store.resource("storageclasses.storage.k8s.io").objects.values())
            admission.add_finalizer(obj, "kubernetes.io/pvc-protection")
        elif res.key == "persistentvolumes":
            admission.add_finalizer(obj, "kubernetes.io/pv-protection")
        elif res.key == "ingresses.networking.k8s.io":
            admission.default_ingress_class(
                obj, self.store.resource("ingressclasses.networking.k8s.io").objects.values())
        return lambda: None

    def _priority_value(self, name: str) -> int | None:
        if name in admission.SYSTEM_PRIORITIES:
            return admission.SYSTEM_PRIORITIES[name]
        pc = self.store.get("priorityclasses.scheduling.k8s.io", "", name)
        return None if pc is None else int(pc.get("value", 0))

    # ------------------------------------------------------------------ update
    def update(self, res: Resource, ns: str, name: str, body: Any,
               opts: WriteOptions | None = None, ctx: Context | None = None,
               subresource: str | None = None, raw_dupes: list[str] | None = None) -> Obj:
        opts = opts or WriteOptions()
        version = opts.version or res.storage_version
        # the object this most likely updates: its unchanged subtrees need no field checks
        bmd = body.get("metadata") if isinstance(body, dict) else None
        stored = self.store.get(res.key, (ns or (bmd.get("namespace") if isinstance(
            bmd, dict) else None) or "") if res.namespaced else "", name)
        if stored is not None and not raw_dupes and type(body) is dict:
            done = self._leaf_update(res, body, stored, opts, subresource)
            if done is not None:
                return done
        same = self._unchanged_keys(res, body, version, opts, stored)
        obj = self._check_kind(res, body, version, _discarded(res, subresource) & same)
        self._field_validation(res, obj, version, opts, ctx, raw_dupes, stored, same)
        obj = self.to_version(res, obj, res.storage_version)
        ns = self._namespace_of(res, ns, obj)
        md = obj["metadata"]
        if md.get("name") and md["name"] != name:
            raise errors.BadRequest(
                f"the name of the object ({md['name']}) does not match the name on the URL ({name})")
        md["name"] = name
        old = self.store.get(res.key, ns, name)
        if old is None:
            if subresource is None and res.key in strategy.CREATE_ON_UPDATE:
                md.pop("resourceVersion", None)
                return self.create(res, ns, obj, dataclasses.replace(opts, version=None), ctx)
            raise errors.NotFound.for_resource(res.group, res.plural, name)
        return self._update_from(res, obj, old, opts, subresource)

    def _leaf_update(self, res: Resource, body: Obj, old: Obj, opts: WriteOptions,
                     subresource: str | None) -> Obj | None:
        """An update whose body repeats the stored object ``old`` but for some scalar
        leaves (a lease renewal, a counter, a node's heartbeat times inside its
        conditions), done with only the work such a change needs; None, having done
        nothing, when the write is not that or needs a step skipped here (the general
        path then takes it, to the same result).

        ``objects.leaf_changes`` proves what the body is: every dict with the stored
        one's keys in its order, every list of its length, every other value the same
        JSON. So its copy is ``old`` with those leaves set, sharing the rest (stored
        objects are never mutated, and nothing below mutates what it did not copy); the
        field checks look at those leaves only (``schemas.leaves_fit``); the metadata
        steps would find the stored metadata as it is (uid, name, namespace,
        resourceVersion, labels and annotations, all checked when stored); a status
        write keeps all else anyway, a main write of a kind with a status subresource
        finds the stored status; and the managedFields compare is known
        (``fieldvalues.leaves_modified``, which declines leaves in a set, in a list
        item's key, or in a list whose items do not key one by one). Kind validation,
        generation, managedFields, the size check and the commit run as on every
        update."""
        if subresource is None:
            if res.key in _SPECIAL_UPDATES or res.key in defaults.DEFAULTERS:
                return None  # defaulting or admission might read the new leaves
            frozen = _NOT_MAIN_LEAVES if strategy.has_status_subresource(res) else _NOT_LEAVES
        elif subresource == "status":
            frozen = None
        else:
            return None
        if res.crd or opts.dry_run or (opts.version or res.storage_version) != \
                res.storage_version or (opts.user is not None and self.write_admission
                                        is not None) or old["metadata"].get("deletionTimestamp"):
            return None
        changed = objects.leaf_changes(body, old)
        if not changed:
            return None  # more than leaves changed (or nothing: a no-op)
        for path in changed:
            if path[0] in frozen if frozen is not None else path[0] != "status":
                return None
        if not schemas.leaves_fit(body, changed, res.group, res.storage_version, res.kind):
            return None
        meta = fieldmanager.type_of(self, res)
        modified = fieldvalues.leaves_modified(meta, changed, old)
        if modified is None:
            return None
        obj = _with_leaves(old, body, changed)
        self._validate(res, obj, old, same_metadata=True)  # no path in frozen metadata
        strategy.bump_generation(res, obj, old)
        fieldmanager.track(self, res, old, obj, opts, subresource, modified, meta)
        self._commit(res, obj, old)  # which runs the size check
        return obj

    def _update_from(self, res: Resource, obj: Obj, old: Obj, opts: WriteOptions,
                     subresource: str | None, *, fields_managed: bool = False) -> Obj:
        md = obj["metadata"]
        name = old["metadata"]["name"]
        want_rv = md.get("resourceVersion")
        if want_rv and want_rv != old["metadata"]["resourceVersion"]:
            raise errors.Conflict.modified(res.group, res.plural, name)
        old_md = old["metadata"]
        if md.get("uid") and md["uid"] != old_md["uid"]:
            raise errors.Conflict.for_resource(
                res.group, res.plural, name,
                f"Precondition failed: UID in precondition: {md['uid']}, UID in object meta: "
                f"{old_md['uid']}")
        for k in ("uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds",
                  "namespace"):
            if k in old_md:
                md[k] = old_md[k]
            else:
                md.pop(k, None)
        md.pop("generateName", None) if "generateName" not in old_md else md.__setitem__(
            "generateName", old_md["generateName"])
        if subresource == "status":
            obj = strategy.prepare_for_status_update(res, obj, old)
            md = obj["metadata"]
        else:
            strategy.prepare_for_update(res, obj, old)
            defaults.apply_defaults(res.key, obj)
            if res.crd:
                structural.apply_defaults(self._crd_schema(res), obj)
        if opts.user is not None and self.write_admission is not None:
            self.write_admission(res, obj, old, opts.user)
        if res.key == "services" and subresource is None:
            undo = admission.allocate_service(self.alloc, obj, old)
        else:
            undo = lambda: None  # noqa: E731
        if res.key == "namespaces" and subresource is None:
            defaults.namespace(obj)
        try:
            self._validate(res, obj, old)
        except errors.ApiError:
            undo()
            raise
        strategy.bump_generation(res, obj, old)
        md["resourceVersion"] = old_md["resourceVersion"]
        if not fields_managed:  # server-side apply has settled them already
            fieldmanager.track(self, res, old, obj, opts, subresource)
        # a deleting object whose last finalizer went away is gone now — unless it is
        # still in its grace period (a pod: the kubelet deletes it with grace 0)
        if old_md.get("deletionTimestamp") and not md.get("finalizers") and \
                not old_md.get("deletionGracePeriodSeconds"):
            if opts.dry_run:
                return self.to_version(res, obj, opts.version)
            return self.to_version(res, self._commit_delete(res, obj), opts.version)
        if old_md.get("deletionTimestamp"):
            added = set(md.get("finalizers") or ()) - set(old_md.get("finalizers") or ())
            if added:
                raise self._invalid(res, name, [FieldError(
                    "forbidden", "metadata.finalizers",
                    detail="no new finalizers can be added if the object is being deleted, "
                    f"found new finalizers {sorted(added)!r}".replace("'", '"'))])
        if obj == old:  # no-op: no new revision, no event
            undo()
            return self.to_version(res, old, opts.version)
        if opts.dry_run:
            undo()
            return self.to_version(res, obj, opts.version)
        try:
            encoded = self._check_size(res, obj)
        except errors.ApiError:
            undo()
            raise
        if res.key == "services" and subresource is None:
            admission.release_changed_ports(self.alloc, obj, old)
        self._commit(res, obj, old, encoded=encoded)
        return self.to_version(res, obj, opts.version)

    # ------------------------------------------------------------------ patch
    def patch(self, res: Resource, ns: str, name: str, patch_type: str, patch: Any,
              opts: WriteOptions | None = None, ctx: Context | None = None,
              subresource: str | None = None) -> Obj:
        from minik8s.registry import patch as patches

        opts = opts or WriteOptions()
        version = opts.version or res.storage_version
        ns = ns if res.namespaced else ""
        old = self.store.get(res.key, ns, name)
        if patch_type == "application/apply-patch+yaml":
            return self.sub.apply(res, ns, name, patch, old, opts, ctx, subresource)
        if old is None:
            raise errors.NotFound.for_resource(res.group, res.plural, name)
        current = self.to_version(res, old, version)
        if patch_type == "application/json-patch+json":
            if not isinstance(patch, list):
                raise errors.BadRequest("json: cannot unmarshal object into Go value of type jsonpatch.Patch")
            new = patches.apply_json_patch(current, patch)
        elif patch_type == "application/merge-patch+json":
            if not isinstance(patch, dict):
                raise errors.BadRequest("json: cannot unmarshal into Go value of type map[string]interface {}")
            new = patches.apply_merge_patch(current, patch)
        elif patch_type == "application/strategic-merge-patch+json":
            if res.crd:
                raise patches.unsupported_patch_type(patch_type, patches.CUSTOM_PATCH_TYPES)
            if not isinstance(patch, dict):
                raise errors.BadRequest("json: cannot unmarshal into Go value of type map[string]interface {}")
            new = patches.apply_strategic_merge_patch(current, patch, self._patch_meta(res, version))
        else:
            raise patches.unsupported_patch_type(
                patch_type, patches.CUSTOM_PATCH_TYPES if res.crd else patches.BUILTIN_PATCH_TYPES)
        if not isinstance(new, dict):
            raise errors.BadRequest("the patched object is not a JSON object")
        new_md = new.get("metadata")
        if not isinstance(new_md, dict):
            raise errors.BadRequest("metadata must be an object")
        if new_md.get("name") != name:
            raise errors.BadRequest(
                f"the name of the object ({new_md.get('name')}) does not match the name on the URL ({name})")
        # a patch carries a resourceVersion precondition only if it set one
        if new_md.get("resourceVersion") == old["metadata"]["resourceVersion"]:
            new_md.pop("resourceVersion", None)
        new = self._check_kind(res, new, version)
        self._field_validation(res, new, version, opts, ctx, stored=old)
        new = self.to_version(res, new, res.storage_version)
        return self._update_from(res, new, old, opts, subresource)

    def _patch_meta(self, res: Resource, version: str) -> Any:
        return schemas.patch_meta(res.group, version, res.kind)

    # ------------------------------------------------------------------ delete
    def delete(self, res: Resource, ns: str, name: str, options: Obj | None = None,
               dry_run: bool = False, version: str | None = None) -> Obj:
        options = options or {}
        if "delete" not in res.verbs:
            raise errors.MethodNotAllowed()
        ns = ns if res.namespaced else ""
        old = self.store.get(res.key, ns, name)
        if old is None:
            raise errors.NotFound.for_resource(res.group, res.plural, name)
        dry_run = dry_run or "All" in (options.get("dryRun") or ())
        md = old["metadata"]
        pre = options.get("preconditions") or {}
        if pre.get("uid") and pre["uid"] != md.get("uid"):
            raise errors.Conflict.for_resource(
                res.group, res.plural, name,
                f"Precondition failed: UID in precondition: {pre['uid']}, UID in object meta: {md.get('uid')}")
        if pre.get("resourceVersion") and pre["resourceVersion"] != md.get("resourceVersion"):
            raise errors.Conflict.for_resource(
                res.group, res.plural, name,
                "Precondition failed: ResourceVersion in precondition: "
                f"{pre['resourceVersion']}, ResourceVersion in object meta: {md.get('resourceVersion')}")
        if res.key == "namespaces":
            return self.to_version(res, self._delete_namespace(res, old, dry_run), version)
        if res.key == crd.KEY and crd.FINALIZER not in (md.get("finalizers") or ()):
            # like apiextensions' storage: instances are cleaned up before the CRD goes
            old = objects.deep_copy(old)
            old["metadata"]["finalizers"] = [*(md.get("finalizers") or ()), crd.FINALIZER]
            conds = [c for c in (old.get("status") or {}).get("conditions") or ()
                     if c.get("type") != "Terminating"]
            conds.append({"type": "Terminating", "status": "True", "lastTransitionTime": self._now(),
                          "reason": "InstanceDeletionPending",
                          "message": "CustomResourceDefinition marked for deletion; "
                                     "CustomResource deletion will begin soon"})
            old.setdefault("status", {})["conditions"] = conds
            md = old["metadata"]
        policy = options.get("propagationPolicy")
        if policy is None and options.get("orphanDependents") is not None:
            policy = "Orphan" if options["orphanDependents"] else "Background"
        if policy not in (None, "Background", "Foreground", "Orphan"):
            raise self._invalid(res, name, [FieldError(
                "not_supported", "propagationPolicy", policy,
                supported=["Foreground", "Background", "Orphan", "nil"])])
        finalizers = list(md.get("finalizers") or [])
        if policy == "Foreground" and FINALIZER_FOREGROUND not in finalizers:
            finalizers.append(FINALIZER_FOREGROUND)
        if policy == "Orphan" and FINALIZER_ORPHAN not in finalizers:
            finalizers.append(FINALIZER_ORPHAN)
        grace = self._grace_period(res, old, options)
        if not finalizers and grace == 0:
            if dry_run:
                return self.to_version(res, old, version)
            return self.to_version(res, self._commit_delete(res, old), version)
        # graceful or finalized: mark, keep
        new = objects.deep_copy(old)
        nmd = new["metadata"]
        if not nmd.get("deletionTimestamp"):
            nmd["deletionTimestamp"] = self.clock.rfc3339(self.clock.now() + (grace or 0))
            nmd["deletionGracePeriodSeconds"] = grace or 0
        elif grace is not None and grace < (nmd.get("deletionGracePeriodSeconds") or 0):
            nmd["deletionTimestamp"] = self.clock.rfc3339(self.clock.now() + grace)
            nmd["deletionGracePeriodSeconds"] = grace
        if finalizers:
            nmd["finalizers"] = finalizers
        if new == old:
            return self.to_version(res, old, version)
        if dry_run:
            return self.to_version(res, new, version)
        self._commit(res, new, old)
        return self.to_version(res, new, version)

    def _grace_period(self, res: Resource, obj: Obj, options: Obj) -> int:
        """Only pods bound to a node terminate gracefully (the kubelet confirms)."""
        if res.key != "pods":
            return 0
        spec = obj.get("spec") or {}
        phase = (obj.get("status") or {}).get("phase")
        if not spec.get("nodeName") or phase in ("Succeeded", "Failed"):
            return 0
        g = options.get("gracePeriodSeconds")
        if g is None:
            g = spec.get("terminationGracePeriodSeconds", 30)
        try:
            g = int(g)
        except (TypeError, ValueError):
            g = 30
        return max(g, 0)

    def _delete_namespace(self, res: Resource, old: Obj, dry_run: bool) -> Obj:
        name = old["metadata"]["name"]
        if name in admission.IMMORTAL_NAMESPACES:
            raise errors.Forbidden(
                f'namespaces "{name}" is forbidden: this namespace may not be deleted',
                details={"name": name, "group": "", "kind": "namespaces"})
        if old["metadata"].get("deletionTimestamp"):
            return old
        new = objects.deep_copy(old)
        new["metadata"]["deletionTimestamp"] = self._now()
        new["metadata"]["deletionGracePeriodSeconds"] = 0
        new.setdefault("status", {})["phase"] = "Terminating"
        if dry_run:
            return new
        if not (new.get("spec") or {}).get("finalizers") and not new["metadata"].get("finalizers"):
            return self._commit_delete(res, new)
        self._commit(res, new, old)
        return new

    def finalize_namespace(self, name: str, finalizers: list[str]) -> Obj:
        """The namespace ``finalize`` subresource: set spec.finalizers; gone when empty."""
        res = self.table.by_key("namespaces")
        assert res is not None
        old = self.store.get("namespaces", "", name)
        if old is None:
            raise errors.NotFound.for_resource("", "namespaces", name)
        new = objects.deep_copy(old)
        new.setdefault("spec", {})["finalizers"] = finalizers
        if not finalizers and new["metadata"].get("deletionTimestamp") and \
                not new["metadata"].get("finalizers"):
            return self._commit_delete(res, new)
        if new == old:
            return old
        return self._commit(res, new, old)

    def delete_collection(self, res: Resource, ns: str | None, *, label_selector: str | None = None,
                          field_selector: str | None = None, options: Obj | None = None,
                          dry_run: bool = False, version: str | None = None) -> list[Obj]:
        if "deletecollection" not in res.verbs:
            raise errors.MethodNotAllowed()
        out = []
        for o in self.list(res, ns, label_selector=label_selector,
                           field_selector=field_selector).items:
            md = o["metadata"]
            try:
                out.append(self.delete(res, md.get("namespace", ""), md["name"], options,
                                       dry_run, version))
            except errors.NotFound:
                continue
        return out

    # ------------------------------------------------------------------ events
    def record_event(self, involved: Obj, reason: str, message: str, *, type: str = "Normal",
                     component: str = "", host: str = "", action: str = "") -> Obj | None:
        """Create (or bump the count of) a core/v1 Event, as client-go's recorder does."""
        res = self.table.by_key("events")
        if res is None:
            return None
        md = involved.get("metadata") or {}
        ns = md.get("namespace") or "default"
        if self.store.get("namespaces", "", ns) is None:
            return None
        ref = {"kind": involved.get("kind"), "namespace": md.get("namespace"),
               "name": md.get("name"), "uid": md.get("uid"),
               "apiVersion": involved.get("apiVersion"),
               "resourceVersion": md.get("resourceVersion")}
        ref = {k: v for k, v in ref.items() if v}
        now = self._now()
        # aggregate like the recorder: same object, reason, message → count++
        key = (ns, ref.get("uid"), reason, message, type)
        index = self._event_index
        seen = index.get(key)
        if seen is not None:
            index.move_to_end(key)
            ev = self.store.get("events", ns, seen)
            if ev is not None:
                new = objects.deep_copy(ev)
                new["count"] = int(ev.get("count", 1)) + 1
                new["lastTimestamp"] = now
                return self._commit(res, new, ev)
        name = f"{md.get('name', 'unknown')}.{self.names.rng.getrandbits(64):x}"
        index[key] = name
        if len(index) > EVENT_LRU:
            index.popitem(last=False)
        ev = {
            "apiVersion": "v1", "kind": "Event",
            "metadata": {"name": name, "namespace": ns, "uid": self.names.uid(),
                         "creationTimestamp": now},
            "involvedObject": ref, "reason": reason, "message": message,
            "source": {k: v for k, v in (("component", component), ("host", host)) if v},
            "firstTimestamp": now, "lastTimestamp": now, "count": 1, "type": type,
            "eventTime": None, "reportingComponent": component, "reportingInstance": host,
        }
        if action:
            ev["action"] = action
        return self._commit(res, ev, None)


def _discarded(res: Resource, subresource: str | None) -> frozenset[str]:
    """Top-level keys of an update's body the write replaces with the stored object's
    (``_ALL_BUT_STATUS``): those the body repeats exactly need no copy, since the field
    checks skip them (they passed when stored) and nothing else reads them. ``metadata``
    is still copied one level (``_check_kind``): the write edits that level before
    replacing it. Other top-level keys (a Secret's ``data``...) are always copied."""
    if subresource == "status":
        return _ALL_BUT_STATUS
    if subresource is None and strategy.has_status_subresource(res):
        return _STATUS
    return frozenset()


def _with_leaves(old: Obj, body: Obj, paths: list[tuple[str | int, ...]]) -> Obj:
    """``old`` with the leaves at ``paths`` set to ``body``'s: the top level, ``metadata``
    and the dicts and lists on the paths copied, everything else shared."""
    obj = dict(old)
    obj["metadata"] = dict(old["metadata"])  # no path goes through it (frozen)
    for path in paths:
        d: Any = obj
        src: Any = body
        was: Any = old
        for k in path[:-1]:
            src = src[k]
            was = was[k]
            child = d[k]
            if child is was:  # still ``old``'s: a copy made here is never ``old``'s
                child = d[k] = dict(was) if type(was) is dict else list(was)
            d = child
        d[path[-1]] = src[path[-1]]
    return obj


def _encode_continue(last: tuple[str, str], rv: str) -> str:
    raw = orjson.dumps({"v": "meta.k8s.io/v1", "rv": int(rv), "start": f"{last[0]}/{last[1]}"})
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_continue(token: str) -> tuple[tuple[str, str], str]:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        d = orjson.loads(raw)
        ns, _, name = str(d["start"]).partition("/")
        return (ns, name), str(int(d["rv"]))
    except Exception:
        raise errors.BadRequest(
            "continue key is not valid: illegal base64 data at input byte 0") from None
