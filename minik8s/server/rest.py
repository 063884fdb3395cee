"""Resource endpoints: one thin handler mapping HTTP verbs onto the registry.

GET (get/list/watch), POST (create, subresource actions), PUT (update),
PATCH, DELETE (object or collection). Kubernetes semantics live in
``registry``; this module only translates requests and picks encodings.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson
from aiohttp import web

from minik8s.api import errors
from minik8s.api.resources import Resource
from minik8s.auth.filters import USER
from minik8s.registry import strategy
from minik8s.registry.registry import Context, ListResult, Registry, WriteOptions
from minik8s.server import listbody, tables, watchstream
from minik8s.server import negotiation as neg
from minik8s.server.paths import Target

if TYPE_CHECKING:
    from minik8s.aio.clock import Clock

FIELD_VALIDATION = ("Strict", "Warn", "Ignore")

#: resource key -> the Warning every request to it gets, errors and watch streams included
#: (prerelease-lifecycle deprecation, worded by apiserver's deprecation.WarningMessage); set
#: on those requests' responses only (``RestHandler._deprecated``)
DEPRECATED = {
    "endpoints": "v1 Endpoints is deprecated in v1.33+; use discovery.k8s.io/v1 EndpointSlice",
    "componentstatuses": "v1 ComponentStatus is deprecated in v1.19+",
}
def _deprecation_headers(res: Resource) -> dict[str, str] | None:
    warning = DEPRECATED.get(res.key)
    return None if warning is None else {"Warning": _warning(warning)}


def _query_bool(q: Any, name: str) -> bool:
    """apimachinery's query conversion (Convert_Slice_string_To_bool): absent, ``0`` or
    ``false`` (any case) is false; any other value, an empty one too, is true."""
    if name not in q:
        return False
    v = str(q.get(name))
    return not (v == "0" or v.lower() == "false")


def write_options(request: web.Request, version: str, *, body_dry_run: Any = None) -> WriteOptions:
    q = request.query
    dry = q.getall("dryRun", [])
    for d in dry:
        if d != "All":
            raise errors.BadRequest(f'Invalid dry run value: unsupported dry run option "{d}"'
                                    if d else "dryRun value must be All")
    fv = q.get("fieldValidation") or "Warn"
    if fv not in FIELD_VALIDATION:
        raise errors.BadRequest(
            f"fieldValidation: Unsupported value: \"{fv}\": supported values: \"Ignore\", "
            "\"Strict\", \"Warn\"")
    fm = q.get("fieldManager")
    if fm is not None and len(fm) > 128:
        raise errors.Invalid("PatchOptions", "meta.k8s.io", "", [errors.FieldError(
            "too_long", "fieldManager", detail="may not be more than 128 characters")])
    force = q.get("force")
    return WriteOptions(dry_run=bool(dry), field_manager=fm, field_validation=fv,
                        force=force == "true", version=version,
                        user_agent=request.headers.get("User-Agent"),
                        user=request.get(USER))


def _status_ok(details: dict[str, Any] | None = None) -> dict[str, Any]:
    s: dict[str, Any] = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success"}
    if details:
        s["details"] = details
    return s


class RestHandler:
    def __init__(self, registry: Registry, clock: Clock) -> None:
        self.reg = registry
        self.clock = clock

    def _resource(self, t: Target) -> Resource:
        res = self.reg.table.lookup(t.group, t.version, t.plural)
        if res is None:
            raise errors.NotFound.no_route()
        if t.namespace is not None and not res.namespaced:
            raise errors.NotFound.no_route()
        if t.sub and res.subresource(t.sub) is None:
            raise errors.NotFound.no_route()
        return res

    async def handle(self, request: web.Request, t: Target) -> web.StreamResponse:
        res = self._resource(t)
        if res.key in DEPRECATED:
            return await self._deprecated(request, res, t)
        return await self._dispatch(request, res, t)

    async def _deprecated(self, request: web.Request, res: Resource,
                          t: Target) -> web.StreamResponse:
        """A request to a deprecated resource: its answer, an error too, carries the
        deprecation ``Warning`` (kube-apiserver records it before the handler runs). A
        watch sends it with its own headers; the LIST of such a resource is never
        streamed (``_list``), so every other answer is still unsent here."""
        try:
            resp = await self._dispatch(request, res, t)
        except errors.ApiError as e:
            resp = neg.status_response(e)
        if not resp.prepared:
            resp.headers.add("Warning", _warning(DEPRECATED[res.key]))
        return resp

    async def _dispatch(self, request: web.Request, res: Resource,
                        t: Target) -> web.StreamResponse:
        m = request.method
        ns = t.namespace or ""
        if t.watch and m != "GET":
            raise errors.MethodNotAllowed()
        if m == "GET":
            if t.name and not t.watch:
                return self._get(request, res, t)
            q = request.query
            watch = _query_bool(q, "watch")
            if "resourceVersionMatch" in q or "sendInitialEvents" in q:
                validate_list_options(q, watch)
            if t.watch or watch:
                if t.name:
                    return await self._watch(request, res, t, name=t.name)
                return await self._watch(request, res, t)
            if res.virtual and res.kind != "ComponentStatus":
                raise errors.MethodNotAllowed()
            return await self._list(request, res, t)
        if m == "POST":
            return await self._post(request, res, t)
        if m == "PUT":
            return await self._put(request, res, t)
        if m == "PATCH":
            return await self._patch(request, res, t)
        if m == "DELETE":
            return await self._delete(request, res, t, ns)
        raise errors.MethodNotAllowed()

    # ---------------------------------------------------------------- reads
    def _respond_obj(self, request: web.Request, res: Resource, obj: dict[str, Any],
                     status: int = 200, ctx: Context | None = None) -> web.Response:
        accept = neg.negotiate(request)
        headers = _warning_headers(ctx)
        if accept.form == "table" and obj.get("kind") == res.kind:
            table = tables.to_table(res, [obj], self.clock.now(),
                                    include_object=include_object(request.query),
                                    resource_version=obj["metadata"].get("resourceVersion", ""),
                                    api_version=f"meta.k8s.io/{accept.table_version}")
            return neg.json_response(table, status, headers=headers)
        if accept.form in ("partial", "partiallist") and obj.get("kind") == res.kind:
            return neg.json_response(_partial(obj, accept.table_version), status, headers=headers)
        if accept.form == "json":  # a stored revision is encoded once, for GET, LIST and watch
            return neg.bytes_response(self.reg.store.encoded(res.key, obj), status, headers=headers)
        return neg.encode(obj, accept, status, headers)

    def _get(self, request: web.Request, res: Resource, t: Target) -> web.Response:
        ns = t.namespace or ""
        if res.virtual:
            if res.kind == "ComponentStatus":
                return neg.json_response(_component_status(t.name))
            raise errors.MethodNotAllowed()
        if t.sub == "scale":
            return neg.json_response(self.reg.sub.get_scale(res, ns, t.name))
        if t.sub == "log":
            return self._log(request, res, ns, t.name)
        if t.sub in ("exec", "attach", "portforward", "proxy"):
            raise errors.BadRequest(
                f"minik8s simulates pods without containers: {t.sub} is not supported")
        if t.sub not in ("", "status", "ephemeralcontainers"):
            raise errors.MethodNotAllowed()
        obj = self.reg.get(res, ns, t.name, t.version)
        return self._respond_obj(request, res, obj)

    def _log(self, request: web.Request, res: Resource, ns: str, name: str) -> web.Response:
        pod = self.reg.get(res, ns, name)
        containers = [c.get("name") for c in (pod.get("spec") or {}).get("containers") or ()]
        container = request.query.get("container")
        if container and container not in containers and container not in [
                c.get("name") for c in (pod.get("spec") or {}).get("initContainers") or ()]:
            raise errors.BadRequest(
                f"container {container} is not valid for pod {name}")
        if not container and len(containers) > 1:
            raise errors.BadRequest(
                f"a container name must be specified for pod {name}, choose one of: "
                f"[{' '.join(str(c) for c in containers)}]")
        text = ""
        if self.reg.pod_logs is not None:
            q = request.query
            text = self.reg.pod_logs(ns, name, container or (containers[0] if containers else None),
                                     previous=_query_bool(q, "previous"),
                                     tail_lines=_int_param(q, "tailLines"),
                                     timestamps=_query_bool(q, "timestamps"),
                                     since_seconds=_int_param(q, "sinceSeconds"),
                                     limit_bytes=_int_param(q, "limitBytes"))
        return web.Response(text=text, content_type="text/plain")

    async def _list(self, request: web.Request, res: Resource, t: Target) -> web.StreamResponse:
        q = request.query
        if res.virtual:
            items = [_component_status(n) for n in ("controller-manager", "scheduler", "etcd-0")]
            return neg.json_response({"kind": "ComponentStatusList", "apiVersion": "v1",
                                      "metadata": {}, "items": items})
        limit = _int_param(q, "limit")
        if q.get("resourceVersion") == "0" and not q.get("continue"):
            limit = None  # served from the watch cache, which ignores limit (computeListLimit)
        result = self.reg.list(res, t.namespace, label_selector=q.get("labelSelector"),
                               field_selector=q.get("fieldSelector"), limit=limit,
                               continue_token=q.get("continue"), version=t.version)
        accept = neg.negotiate(request)
        if accept.form == "table":
            table = tables.to_table(res, result.items, self.clock.now(),
                                    include_object=include_object(q),
                                    resource_version=result.resource_version,
                                    continue_token=result.continue_token,
                                    api_version=f"meta.k8s.io/{accept.table_version}")
            if result.remaining is not None:
                table["metadata"]["remainingItemCount"] = result.remaining
            return neg.json_response(table)
        if accept.form in ("partial", "partiallist"):
            return neg.json_response({
                "kind": "PartialObjectMetadataList", "apiVersion": f"meta.k8s.io/{accept.table_version}",
                "metadata": _list_meta(result),
                "items": [_partial(o, accept.table_version) for o in result.items]})
        list_kind = f"{res.kind}List"
        api_version = res.api_version(t.version)
        if accept.form == "yaml":
            return neg.encode({"kind": list_kind, "apiVersion": api_version,
                               "metadata": _list_meta(result), "items": result.items}, accept)
        # fast path: each stored revision is encoded once (the store keeps the bytes) and
        # the list is spliced together from them
        if t.version == res.storage_version:
            rs = self.reg.store.resource(res.key)
            parts = list(map(rs.encoded, result.items))
        else:  # converted copies: nothing to share
            parts = list(map(orjson.dumps, result.items))
        head = orjson.dumps({"kind": list_kind, "apiVersion": api_version,
                             "metadata": _list_meta(result)})[:-1] + b',"items":['
        if res.key in DEPRECATED:  # one unsent answer, so that it takes the Warning
            return web.Response(body=head + b",".join(parts) + b"]}",
                                headers={"Content-Type": neg.JSON})
        return await listbody.respond(request, head, parts, b"]}")

    async def _watch(self, request: web.Request, res: Resource, t: Target,
                     name: str = "") -> web.StreamResponse:
        q = request.query
        fs = q.get("fieldSelector")
        if name:
            fs = f"metadata.name={name}" + (f",{fs}" if fs else "")
        accept = neg.negotiate(request)
        # a bad includeObject is a 400 before the stream starts (optionsForTransform)
        include = include_object(q) if accept.form == "table" else "Metadata"
        return await watchstream.stream(request, self.reg, res, t, self.clock,
                                        label_selector=q.get("labelSelector"),
                                        field_selector=fs, accept=accept,
                                        include_object=include,
                                        headers=_deprecation_headers(res))

    # ---------------------------------------------------------------- writes
    async def _read(self, request: web.Request, *, patch: bool = False) -> tuple[Any, bytes, str]:
        raw = await neg.read_body(request)
        ct = neg.content_type_of(request)
        return neg.decode_body(raw, ct, patch=patch), raw, ct

    def _dupes(self, raw: bytes, body: Any, ct: str, opts: WriteOptions) -> list[str] | None:
        """Duplicate keys of a JSON body (``body`` is ``raw`` decoded, so it is parsed
        once); called before the registry sees ``body``."""
        if opts.field_validation == "Ignore" or ct not in ("", neg.JSON, "application/octet-stream"):
            return None
        from minik8s.api import schemas

        return schemas.duplicate_fields(raw, body) or None

    async def _post(self, request: web.Request, res: Resource, t: Target) -> web.Response:
        ns = t.namespace or ""
        if t.sub:
            body, _, _ = await self._read(request)
            opts = write_options(request, t.version)
            if t.sub == "binding":
                _typed(body, "", "v1", "Binding")
                return neg.json_response(self.reg.sub.bind(ns, t.name, body, opts), 201)
            if t.sub == "eviction":
                _typed(body, "policy", "v1", "Eviction")
                return neg.json_response(self.reg.sub.evict(ns, t.name, body, opts), 201)
            if t.sub == "token":
                _typed(body, "authentication.k8s.io", "v1", "TokenRequest")
                return neg.json_response(self.reg.sub.token(ns, t.name, body), 201)
            if t.sub in ("exec", "attach", "portforward", "proxy"):
                raise errors.BadRequest(
                    f"minik8s simulates pods without containers: {t.sub} is not supported")
            raise errors.MethodNotAllowed()
        if t.name:
            raise errors.MethodNotAllowed()
        body, raw, ct = await self._read(request)
        opts = write_options(request, t.version)
        ctx = Context()
        obj = self.reg.create(res, ns, body, opts, ctx, self._dupes(raw, body, ct, opts))
        return self._respond_obj(request, res, obj, 200 if res.virtual else 201, ctx)

    async def _put(self, request: web.Request, res: Resource, t: Target) -> web.Response:
        if not t.name:
            raise errors.MethodNotAllowed()
        ns = t.namespace or ""
        body, raw, ct = await self._read(request)
        opts = write_options(request, t.version)
        ctx = Context()
        if t.sub == "scale":
            _typed(body, "autoscaling", "v1", "Scale")
            return neg.json_response(self.reg.sub.update_scale(res, ns, t.name, body, opts))
        if t.sub == "finalize" and res.key == "namespaces":
            _typed(body, "", "v1", "Namespace")
            fins = ((body or {}).get("spec") or {}).get("finalizers") or [] \
                if isinstance(body, dict) else []
            return neg.json_response(self.reg.finalize_namespace(t.name, list(fins)))
        if t.sub not in ("", "status"):
            raise errors.MethodNotAllowed()
        existed = self.reg.get_or_none(res, ns, t.name) is not None
        obj = self.reg.update(res, ns, t.name, body, opts, ctx, t.sub or None,
                              self._dupes(raw, body, ct, opts))
        return self._respond_obj(request, res, obj, 200 if existed else 201, ctx)

    async def _patch(self, request: web.Request, res: Resource, t: Target) -> web.Response:
        if not t.name:
            raise errors.MethodNotAllowed()
        ns = t.namespace or ""
        ct = neg.content_type_of(request)
        if ct not in neg.PATCH_TYPES:
            from minik8s.registry import patch as patches

            raise patches.unsupported_patch_type(
                ct, patches.CUSTOM_PATCH_TYPES if res.crd else patches.BUILTIN_PATCH_TYPES)
        raw = await neg.read_body(request)
        body = neg.decode_body(raw, ct, patch=True)
        opts = write_options(request, t.version)
        ctx = Context()
        if t.sub == "scale":
            return neg.json_response(self.reg.sub.patch_scale(res, ns, t.name, ct, body, opts))
        if t.sub not in ("", "status"):
            raise errors.MethodNotAllowed()
        existed = self.reg.get_or_none(res, ns, t.name) is not None
        obj = self.reg.patch(res, ns, t.name, ct, body, opts, ctx, t.sub or None)
        return self._respond_obj(request, res, obj, 200 if existed else 201, ctx)

    async def _delete(self, request: web.Request, res: Resource, t: Target, ns: str) -> web.Response:
        raw = await neg.read_body(request)
        options: dict[str, Any] = {}
        if raw.strip():
            body = neg.decode_body(raw, neg.content_type_of(request))
            if not isinstance(body, dict):
                raise errors.BadRequest("DeleteOptions must be a JSON object")
            from minik8s.api import schemas

            bad = schemas.decode_error(body, "", "v1", "DeleteOptions")
            if bad is not None:  # kube-apiserver leaks this one as a 500; it is the client's
                raise errors.BadRequest(bad)
            options = body
        q = request.query
        if "gracePeriodSeconds" in q:
            options["gracePeriodSeconds"] = _int_param(q, "gracePeriodSeconds")
        if "propagationPolicy" in q:
            options["propagationPolicy"] = q["propagationPolicy"]
        if "orphanDependents" in q:
            options["orphanDependents"] = _query_bool(q, "orphanDependents")
        dry = bool(q.getall("dryRun", [])) or "All" in (options.get("dryRun") or ())
        if t.sub:
            raise errors.MethodNotAllowed()
        if not t.name:
            items = self.reg.delete_collection(
                res, t.namespace, label_selector=q.get("labelSelector"),
                field_selector=q.get("fieldSelector"), options=options, dry_run=dry,
                version=t.version)
            return neg.json_response({"kind": f"{res.kind}List", "apiVersion": res.api_version(t.version),
                                      "metadata": {"resourceVersion": str(self.reg.store.revision)},
                                      "items": items})
        obj = self.reg.delete(res, ns, t.name, options, dry, t.version)
        md = obj["metadata"]
        if not md.get("deletionTimestamp") and res.key not in strategy.RETURN_DELETED_OBJECT:
            # gone now (not waiting for finalizers or a kubelet): the real storage answers
            # a Status so clients can tell the two apart
            return neg.json_response(_status_ok({"name": md.get("name", t.name),
                                                 "group": res.group, "kind": res.plural,
                                                 "uid": md.get("uid", "")}))
        return self._respond_obj(request, res, obj)


#: ListOptions.resourceVersionMatch values (metav1.ResourceVersionMatch*)
EXACT, NOT_OLDER_THAN = "Exact", "NotOlderThan"


def validate_list_options(q: Any, watch: bool) -> None:
    """kube-apiserver's ``ValidateListOptions`` (``internalversion/validation``, run by
    ``ListResource`` before listing or watching): a 422 ``ListOptions.meta.k8s.io`` Invalid.
    ``watch`` is the ``watch`` parameter (a ``/watch/`` path alone is validated as a list,
    as there). The watch rules are those with the WatchList feature on (minik8s serves
    ``sendInitialEvents``); 1.33 has it off by default and refuses every
    ``sendInitialEvents`` on a watch."""
    match = q.get("resourceVersionMatch", "")
    send = q.get("sendInitialEvents")  # any value, even empty, sets the pointer
    rv, cont = q.get("resourceVersion", ""), q.get("continue", "")
    errs: list[errors.FieldError] = []

    def forbidden(detail: str, field: str = "resourceVersionMatch") -> None:
        errs.append(errors.FieldError("forbidden", field, detail=detail))

    if watch:
        if send is not None and match != NOT_OLDER_THAN:
            forbidden(f"sendInitialEvents requires setting resourceVersionMatch to {NOT_OLDER_THAN}")
        if match:
            if send is None:
                forbidden("resourceVersionMatch is forbidden for watch unless sendInitialEvents "
                          "is provided")
            if match != NOT_OLDER_THAN:
                errs.append(errors.FieldError("not_supported", "resourceVersionMatch", match,
                                              supported=[NOT_OLDER_THAN]))
            if cont:
                forbidden("resourceVersionMatch is forbidden when continue is provided")
    else:
        if match:
            if not rv:
                forbidden("resourceVersionMatch is forbidden unless resourceVersion is provided")
            if cont:
                forbidden("resourceVersionMatch is forbidden when continue is provided")
            if match not in (EXACT, NOT_OLDER_THAN):
                errs.append(errors.FieldError("not_supported", "resourceVersionMatch", match,
                                              supported=[EXACT, NOT_OLDER_THAN, ""]))
            if match == EXACT and rv == "0":
                forbidden('resourceVersionMatch "exact" is forbidden for resourceVersion "0"')
        if send is not None:
            forbidden("sendInitialEvents is forbidden for list", "sendInitialEvents")
    if errs:
        raise errors.Invalid("ListOptions", "meta.k8s.io", "", errs)


#: TableOptions.includeObject values (metav1.Include*; empty means Metadata)
INCLUDE_OBJECT = ("", "Metadata", "Object", "None")


def include_object(q: Any) -> str:
    """A Table answer's ``includeObject``, checked as ``optionsForTransform`` checks it
    (``ValidateTableOptions``), before anything is sent."""
    value = q.get("includeObject", "")
    if value not in INCLUDE_OBJECT:
        bad = errors.FieldError("invalid", "includeObject", value,
                                "must be 'Metadata', 'Object', 'None', or empty")
        raise errors.BadRequest(f"Unable to convert to Table as requested: {bad.text}")
    return value or "Metadata"


def _typed(body: Any, group: str, version: str, kind: str) -> None:
    """Refuse a subresource body whose values do not fit its Go types, as decoding does."""
    from minik8s.api import schemas

    if isinstance(body, dict):
        bad = schemas.decode_error(body, group, version, kind)
        if bad is not None:
            raise errors.BadRequest(
                f'{kind} in version "{version}" cannot be handled as a {kind}: {bad}')


#: kube-apiserver's warning recorder: past 4096 runes in all, each text is cut to 256
WARNING_TOTAL_RUNES, WARNING_ITEM_RUNES = 4 * 1024, 256


def _warning_headers(ctx: Context | None) -> dict[str, Any] | None:
    """One ``Warning: 299 - "..."`` header per distinct warning, as kube-apiserver's
    recorder sends them (``filters/warning.go``, ``net.NewWarningHeader``): quotes
    and backslashes escaped, CR/LF sent as spaces (Go's ``net/http``), and cut
    short when there are too many."""
    if ctx is None or not ctx.warnings:
        return None
    texts = list(dict.fromkeys(w for w in ctx.warnings if w))
    if sum(len(t) for t in texts) > WARNING_TOTAL_RUNES:
        cut, written = [], 0
        for t in texts:
            if written >= WARNING_TOTAL_RUNES:
                break
            cut.append(t[:WARNING_ITEM_RUNES])
            written += len(cut[-1])
        texts = cut
    return {"Warning": [_warning(t) for t in texts]}


#: control characters cannot go into a header (aiohttp refuses them; Go's net/http
#: sends CR and LF as spaces): each becomes a space
_HEADER_UNSAFE = {c: " " for c in (*range(0x20), 0x7F) if c != 0x09}


def _warning(text: str) -> str:
    quoted = text.replace("\\", "\\\\").replace('"', '\\"')
    return '299 - "' + quoted.translate(_HEADER_UNSAFE) + '"'


def _list_meta(result: ListResult) -> dict[str, Any]:
    md: dict[str, Any] = {"resourceVersion": result.resource_version}
    if result.continue_token:
        md["continue"] = result.continue_token
    if result.remaining is not None:
        md["remainingItemCount"] = result.remaining
    return md


def _partial(obj: dict[str, Any], version: str) -> dict[str, Any]:
    return {"kind": "PartialObjectMetadata", "apiVersion": f"meta.k8s.io/{version}",
            "metadata": obj.get("metadata", {})}


def _int_param(q: Any, name: str) -> int | None:
    return neg.query_int(q, name)


def _component_status(name: str) -> dict[str, Any]:
    return {"kind": "ComponentStatus", "apiVersion": "v1",
            "metadata": {"name": name, "creationTimestamp": None},
            "conditions": [{"type": "Healthy", "status": "True", "message": "ok"}]}
