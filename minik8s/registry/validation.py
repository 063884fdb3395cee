"""Semantic validation per kind, worded as the real API server words it.

Returns a list of ``FieldError``; the registry raises one 422 Invalid with a
cause per problem. Schema (type/shape) checks live in ``api.schemas``.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable
from typing import Any

import orjson

from minik8s.api import crd
from minik8s.api.errors import FieldError
from minik8s.memo import remember

Obj = dict[str, Any]
Validator = Callable[[Obj, Obj | None], list[FieldError]]


def _containers(spec: Obj, path: str) -> list[FieldError]:
    errs: list[FieldError] = []
    containers = spec.get("containers")
    if not containers:
        errs.append(FieldError("required", f"{path}.containers"))
        return errs
    seen: set[str] = set()
    for key in ("initContainers", "containers"):
        for i, c in enumerate(spec.get(key) or ()):
            p = f"{path}.{key}[{i}]"
            if not isinstance(c, dict):
                continue
            name = c.get("name")
            if not name:
                errs.append(FieldError("required", f"{p}.name"))
            elif name in seen:
                errs.append(FieldError("duplicate", f"{p}.name", name))
            else:
                seen.add(name)
            if not c.get("image"):
                errs.append(FieldError("required", f"{p}.image"))
            res_spec = c.get("resources")
            if isinstance(res_spec, dict):
                errs += _quantities(res_spec, f"{p}.resources")
            port_names: set[str] = set()
            for j, port in enumerate(c.get("ports") or ()):
                if not isinstance(port, dict):
                    continue
                cp = port.get("containerPort")
                if not isinstance(cp, int) or not 1 <= cp <= 65535:
                    errs.append(FieldError("invalid", f"{p}.ports[{j}].containerPort", cp,
                                           "must be between 1 and 65535, inclusive"))
                pn = port.get("name")
                if pn:
                    if pn in port_names:
                        errs.append(FieldError("duplicate", f"{p}.ports[{j}].name", pn))
                    port_names.add(pn)
    return errs


#: ``resources`` (requests, limits) found valid, by their JSON (which tells ``1`` from
#: ``true``; bodies are plain JSON by now): containers repeat a handful of resource specs,
#: and the Fraction arithmetic of checking one costs more than the rest of a container's
#: validation. Bounded (a dict, not a set: ``remember`` drops the oldest keys).
_VALID_RESOURCES: dict[bytes, bool] = {}
VALID_RESOURCES_SIZE = 1024


def _resources_key(res_spec: Obj) -> bytes | None:
    try:
        return orjson.dumps((res_spec.get("requests"), res_spec.get("limits")))
    except TypeError:
        return None


def _quantities(res_spec: Obj, path: str) -> list[FieldError]:
    key = _resources_key(res_spec)
    if key is not None and key in _VALID_RESOURCES:
        return []
    errs = _check_quantities(res_spec, path)
    if key is not None and not errs:
        remember(_VALID_RESOURCES, key, True, VALID_RESOURCES_SIZE)
    return errs


def _check_quantities(res_spec: Obj, path: str) -> list[FieldError]:
    from minik8s.api import quantity

    errs: list[FieldError] = []
    for kind in ("requests", "limits"):
        vals = res_spec.get(kind)
        if not isinstance(vals, dict):
            continue
        for name, v in vals.items():
            if not quantity.valid(v):
                errs.append(FieldError("invalid", f"{path}.{kind}[{name}]", v, quantity.QUANTITY_MSG))
            elif quantity.parse(v) < 0:
                errs.append(FieldError("invalid", f"{path}.{kind}[{name}]", v,
                                       "must be greater than or equal to 0"))
    req, lim = res_spec.get("requests"), res_spec.get("limits")
    if isinstance(req, dict) and isinstance(lim, dict):
        for name, v in req.items():
            if name in lim and quantity.valid(v) and quantity.valid(lim[name]) and \
                    quantity.parse(v) > quantity.parse(lim[name]):
                errs.append(FieldError("invalid", f"{path}.requests", v,
                                       f"must be less than or equal to {name} limit of {lim[name]}"))
    return errs


def pod(obj: Obj, old: Obj | None) -> list[FieldError]:
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        return [FieldError("required", "spec")]
    if old is not None and spec is old.get("spec"):
        return []  # a status write keeps the stored spec itself, checked when written
    errs = _containers(spec, "spec")
    rp = spec.get("restartPolicy")
    if rp not in (None, "Always", "OnFailure", "Never"):
        errs.append(FieldError("not_supported", "spec.restartPolicy", rp,
                               supported=["Always", "OnFailure", "Never"]))
    if old is not None and isinstance(old.get("spec"), dict):
        errs += _pod_spec_update(spec, old["spec"])
    return errs


POD_UPDATABLE = ("`spec.containers[*].image`,`spec.initContainers[*].image`,"
                 "`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing "
                 "tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if "
                 "it was previously negative)")


def _pod_spec_update(spec: Obj, old: Obj) -> list[FieldError]:
    """ValidatePodUpdate: a pod's spec is immutable but for a few fields, which are
    copied over from the old spec before comparing (the real "munging")."""
    for key in ("containers", "initContainers"):
        if len(spec.get(key) or ()) != len(old.get(key) or ()):
            return [FieldError("forbidden", f"spec.{key}",
                               detail="pod updates may not add or remove containers")]
    errs: list[FieldError] = []
    munged = dict(spec)
    for key in ("containers", "initContainers"):
        if spec.get(key):
            munged[key] = [dict(c, image=o.get("image")) if isinstance(c, dict) and
                           isinstance(o, dict) else c
                           for c, o in zip(spec[key], old.get(key) or ())]
    new_ads, old_ads = spec.get("activeDeadlineSeconds"), old.get("activeDeadlineSeconds")
    if new_ads is not None:
        if isinstance(old_ads, int) and isinstance(new_ads, int) and new_ads > old_ads:
            return [FieldError("invalid", "spec.activeDeadlineSeconds", new_ads,
                               "must be less than or equal to previous value")]
    elif old_ads is not None:
        errs.append(FieldError("invalid", "spec.activeDeadlineSeconds", None,
                               "must not update from a positive integer to nil value"))
    _copy(munged, old, "activeDeadlineSeconds")
    if (old.get("terminationGracePeriodSeconds") or 0) < 0 and \
            spec.get("terminationGracePeriodSeconds") == 1:
        _copy(munged, old, "terminationGracePeriodSeconds")
    # tolerations: existing ones stay (only tolerationSeconds may change), new ones may be added
    new_tol = [_no_seconds(t) for t in spec.get("tolerations") or ()]
    for i, t in enumerate(old.get("tolerations") or ()):
        if _no_seconds(t) not in new_tol:
            errs.append(FieldError("forbidden", f"spec.tolerations[{i}]",
                                   detail="existing toleration can not be modified except its "
                                   "tolerationSeconds"))
    _copy(munged, old, "tolerations")
    # scheduling gates may only be removed; while gated, node selection may be added to
    gates = [g.get("name") for g in old.get("schedulingGates") or () if isinstance(g, dict)]
    for i, g in enumerate(spec.get("schedulingGates") or ()):
        if isinstance(g, dict) and g.get("name") not in gates:
            errs.append(FieldError("forbidden", f"spec.schedulingGates[{i}]",
                                   detail="only deletion is allowed, but found new scheduling "
                                   f"gate '{g.get('name')}'"))
    _copy(munged, old, "schedulingGates")
    if gates:
        _copy(munged, old, "nodeSelector")
        _copy(munged, old, "affinity")
    _copy(munged, old, "ephemeralContainers")  # written through their own subresource
    if _set_fields(munged) != _set_fields(old):
        errs.append(FieldError("forbidden", "spec",
                               detail=f"pod updates may not change fields other than "
                               f"{POD_UPDATABLE}"))
    return errs


def _set_fields(spec: Obj) -> Obj:
    """Empty and unset compare equal, as they do once Go drops ``omitempty`` fields."""
    return {k: v for k, v in spec.items() if v not in (None, [], {})}


def _copy(dst: Obj, src: Obj, key: str) -> None:
    if key in src:
        dst[key] = src[key]
    else:
        dst.pop(key, None)


def _no_seconds(t: Any) -> Any:
    return {k: v for k, v in t.items() if k != "tolerationSeconds"} if isinstance(t, dict) else t


def _template(obj: Obj, kind_path: str = "spec") -> list[FieldError]:
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        return [FieldError("required", "spec")]
    errs: list[FieldError] = []
    tpl = spec.get("template")
    if not isinstance(tpl, dict):
        return [FieldError("required", f"{kind_path}.template")]
    tspec = tpl.get("spec")
    if not isinstance(tspec, dict):
        errs.append(FieldError("required", f"{kind_path}.template.spec"))
    else:
        errs += _containers(tspec, f"{kind_path}.template.spec")
    return errs


def _selector_matches_template(obj: Obj, required: bool = True) -> list[FieldError]:
    from minik8s.api import selectors

    spec = obj.get("spec") or {}
    sel = spec.get("selector")
    labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels") or {}
    if sel is None:
        return [FieldError("required", "spec.selector")] if required else []
    if not isinstance(sel, dict):
        return []
    if not sel.get("matchLabels") and not sel.get("matchExpressions"):
        return [FieldError("invalid", "spec.selector", sel,
                           "empty selector is invalid for deployment")]
    try:
        s = selectors.label_selector_from_dict(sel)
    except ValueError as e:
        return [FieldError("invalid", "spec.selector", sel, str(e))]
    if not s.matches(labels):
        return [FieldError("invalid", "spec.template.metadata.labels", labels,
                           "`selector` does not match template `labels`")]
    return []


def _replicas(obj: Obj) -> list[FieldError]:
    r = (obj.get("spec") or {}).get("replicas")
    if isinstance(r, int) and r < 0:
        return [FieldError("invalid", "spec.replicas", r, "must be greater than or equal to 0")]
    return []


def _immutable_selector(obj: Obj, old: Obj | None) -> list[FieldError]:
    if old is None:
        return []
    new_sel = (obj.get("spec") or {}).get("selector")
    old_sel = (old.get("spec") or {}).get("selector")
    if new_sel != old_sel:
        return [FieldError("invalid", "spec.selector", new_sel, "field is immutable")]
    return []


def _sts_immutable(obj: Obj, old: Obj | None) -> list[FieldError]:
    if old is None:
        return []
    spec, ospec = obj.get("spec") or {}, old.get("spec") or {}
    mutable = ("replicas", "ordinals", "template", "updateStrategy", "persistentVolumeClaimRetentionPolicy",
               "minReadySeconds")
    if {k: v for k, v in spec.items() if k not in mutable} != {k: v for k, v in ospec.items() if k not in mutable}:
        return [FieldError("forbidden", "spec", detail="updates to statefulset spec for fields other than "
                           "'replicas', 'ordinals', 'template', 'updateStrategy', "
                           "'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden")]
    return []


def _job_immutable(obj: Obj, old: Obj | None) -> list[FieldError]:
    if old is None:
        return []
    spec, ospec = obj.get("spec") or {}, old.get("spec") or {}
    errs = []
    if spec.get("selector") != ospec.get("selector"):
        errs.append(FieldError("invalid", "spec.selector", spec.get("selector"), "field is immutable"))
    if spec.get("template") != ospec.get("template") and not ospec.get("suspend"):
        errs.append(FieldError("invalid", "spec.template", spec.get("template"), "field is immutable"))
    if spec.get("completions") != ospec.get("completions") and spec.get("completionMode") != "Indexed":
        errs.append(FieldError("invalid", "spec.completions", spec.get("completions"), "field is immutable"))
    return errs


def workload(obj: Obj, old: Obj | None) -> list[FieldError]:
    if old is not None and isinstance(obj.get("spec"), dict) and obj["spec"] is old.get("spec"):
        return []  # a status write keeps the stored spec itself, checked when written
    return (_replicas(obj) + _template(obj) + _selector_matches_template(obj)
            + _immutable_selector(obj, old))


def service(obj: Obj, old: Obj | None) -> list[FieldError]:
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        return [FieldError("required", "spec")]
    errs: list[FieldError] = []
    stype = spec.get("type", "ClusterIP")
    if stype not in ("ClusterIP", "NodePort", "LoadBalancer", "ExternalName"):
        errs.append(FieldError("not_supported", "spec.type", stype,
                               supported=["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"]))
    ports = spec.get("ports") or []
    if not ports and stype != "ExternalName" and spec.get("clusterIP") != "None":
        errs.append(FieldError("required", "spec.ports"))
    names: set[str] = set()
    for i, p in enumerate(ports):
        if not isinstance(p, dict):
            continue
        port = p.get("port")
        if not isinstance(port, int) or not 1 <= port <= 65535:
            errs.append(FieldError("invalid", f"spec.ports[{i}].port", port,
                                   "must be between 1 and 65535, inclusive"))
        if len(ports) > 1 and not p.get("name"):
            errs.append(FieldError("required", f"spec.ports[{i}].name"))
        if p.get("name"):
            if p["name"] in names:
                errs.append(FieldError("duplicate", f"spec.ports[{i}].name", p["name"]))
            names.add(p["name"])
    if old is not None:
        oc = (old.get("spec") or {}).get("clusterIP")
        nc = spec.get("clusterIP")
        if oc and nc and oc != nc and stype != "ExternalName":
            errs.append(FieldError("invalid", "spec.clusterIPs[0]", [nc],
                                   "may not change once set"))
    if stype == "ExternalName" and not spec.get("externalName"):
        errs.append(FieldError("required", "spec.externalName"))
    return errs


MAX_SECRET_SIZE = 1024 * 1024
_CONFIG_KEY_RE = re.compile(r"^[-._a-zA-Z0-9]+$")
_IMMUTABLE_SET = "field is immutable when `immutable` is set"


def config_key_errors(key: str) -> list[str]:
    """IsConfigMapKey: the keys of ConfigMap and Secret data."""
    msgs = []
    if len(key) > 253:
        msgs.append("must be no more than 253 characters")
    if not _CONFIG_KEY_RE.match(key):
        msgs.append("a valid config key must consist of alphanumeric characters, '-', '_' or "
                    "'.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for "
                    "validation is '[-._a-zA-Z0-9]+')")
    if key == ".":
        msgs.append("must not be '.'")
    elif key == "..":
        msgs.append("must not be '..'")
    elif key.startswith(".."):
        msgs.append("must not start with '..'")
    return msgs


def _keys(bag: Any, path: str) -> list[FieldError]:
    if not isinstance(bag, dict):
        return []
    return [FieldError("invalid", f"{path}[{k}]", k, msg)
            for k in sorted(bag) for msg in config_key_errors(str(k))]


def _immutable_bags(obj: Obj, old: Obj | None, bags: tuple[str, ...]) -> list[FieldError]:
    if old is None or old.get("immutable") is not True:
        return []
    errs = []
    if obj.get("immutable") is not True:
        errs.append(FieldError("forbidden", "immutable", detail=_IMMUTABLE_SET))
    for bag in bags:
        if (obj.get(bag) or {}) != (old.get(bag) or {}):
            errs.append(FieldError("forbidden", bag, detail=_IMMUTABLE_SET))
    return errs


def configmap(obj: Obj, old: Obj | None) -> list[FieldError]:
    errs = _immutable_bags(obj, old, ("data", "binaryData"))
    data = obj.get("data") or {}
    binary = obj.get("binaryData") or {}
    errs += _keys(data, "data")
    if isinstance(data, dict) and isinstance(binary, dict):
        for k in sorted(data):
            if k in binary:
                errs.append(FieldError("invalid", f"data[{k}]", k,
                                       "duplicate of key present in binaryData"))
    errs += _keys(binary, "binaryData")
    return errs


def _decoded(value: Any) -> bytes:
    try:
        return base64.b64decode(str(value), validate=False)
    except (ValueError, TypeError):
        return b""


def _json_object_error(raw: bytes) -> str | None:
    """Why encoding/json would not unmarshal ``raw`` into a map, in its words."""
    text = raw.decode("utf-8", "replace").strip()
    if not text:
        return "unexpected end of JSON input"
    try:
        val = json.loads(text)
    except ValueError:
        for literal in ("null", "true", "false"):
            if text[0] == literal[0]:
                for i, ch in enumerate(literal):
                    if i >= len(text):
                        return "unexpected end of JSON input"
                    if text[i] != ch:
                        return (f"invalid character '{text[i]}' in literal {literal} "
                                f"(expecting '{ch}')")
        if text[0] not in '{["-0123456789':
            return f"invalid character '{text[0]}' looking for beginning of value"
        return "unexpected end of JSON input"
    if not isinstance(val, dict) and val is not None:
        kind = {list: "array", str: "string", bool: "bool"}.get(type(val), "number")
        return f"json: cannot unmarshal {kind} into Go value of type map[string]interface {{}}"
    return None


#: secret type -> required data keys (all of them, or any one for basic-auth)
_SECRET_KEYS = {
    "kubernetes.io/dockercfg": (".dockercfg",),
    "kubernetes.io/dockerconfigjson": (".dockerconfigjson",),
    "kubernetes.io/ssh-auth": ("ssh-privatekey",),
    "kubernetes.io/tls": ("tls.crt", "tls.key"),
}


def secret(obj: Obj, old: Obj | None) -> list[FieldError]:
    """ValidateSecret / ValidateSecretUpdate."""
    errs: list[FieldError] = []
    stype = obj.get("type") or "Opaque"
    if old is not None and stype != (old.get("type") or "Opaque"):
        errs.append(FieldError("invalid", "type", stype, "field is immutable"))
    errs += _immutable_bags(obj, old, ("data",))
    data = obj.get("data") or {}
    if not isinstance(data, dict):
        return errs
    errs += _keys(data, "data")
    if sum(len(_decoded(v)) for v in data.values()) > MAX_SECRET_SIZE:
        errs.append(FieldError("too_long", "data", "", f"must have at most {MAX_SECRET_SIZE} bytes"))
    if stype == "kubernetes.io/service-account-token":
        ann = (obj.get("metadata") or {}).get("annotations") or {}
        if not ann.get("kubernetes.io/service-account.name"):
            errs.append(FieldError(
                "required", "metadata.annotations[kubernetes.io/service-account.name]"))
    elif stype == "kubernetes.io/basic-auth":
        if "username" not in data and "password" not in data:
            errs += [FieldError("required", "data[username]"),
                     FieldError("required", "data[password]")]
    elif stype in _SECRET_KEYS:
        keys = _SECRET_KEYS[stype]
        missing = [k for k in keys if k not in data or (
            stype == "kubernetes.io/ssh-auth" and not _decoded(data[k]))]
        errs += [FieldError("required", f"data[{k}]") for k in missing]
        if not missing and stype in ("kubernetes.io/dockercfg",
                                     "kubernetes.io/dockerconfigjson"):
            why = _json_object_error(_decoded(data[keys[0]]))
            if why:
                errs.append(FieldError("invalid", f"data[{keys[0]}]",
                                       "<secret contents redacted>", why))
    return errs


def namespace_immutable(obj: Obj, old: Obj | None) -> list[FieldError]:
    return []


def pvc(obj: Obj, old: Obj | None) -> list[FieldError]:
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        return [FieldError("required", "spec")]
    errs: list[FieldError] = []
    if not spec.get("accessModes"):
        errs.append(FieldError("required", "spec.accessModes", detail="at least 1 access mode is required"))
    for i, m in enumerate(spec.get("accessModes") or ()):
        if m not in ("ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany", "ReadWriteOncePod"):
            errs.append(FieldError("not_supported", f"spec.accessModes[{i}]", m, supported=[
                "ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod"]))
    req = ((spec.get("resources") or {}).get("requests") or {}).get("storage")
    if req is None:
        errs.append(FieldError("required", "spec.resources[storage]"))
    else:
        from minik8s.api import quantity

        if not quantity.valid(req):
            errs.append(FieldError("invalid", "spec.resources.requests[storage]", req,
                                   quantity.QUANTITY_MSG))
    if old is not None:
        o = old.get("spec") or {}

        def strip(s: Obj) -> Obj:
            s = dict(s)
            s.pop("resources", None)
            s.pop("volumeAttributesClassName", None)
            if not o.get("volumeName"):
                s.pop("volumeName", None)
            return s
        if strip(spec) != strip(o):
            errs.append(FieldError("forbidden", "spec", detail="spec is immutable after creation except "
                                   "resources.requests and volumeAttributesClassName for bound claims"))
    return errs


PATH_TYPES = ["Exact", "ImplementationSpecific", "Prefix"]


def _ingress_backend(b: Any, path: str) -> list[FieldError]:
    if not isinstance(b, dict):
        return [FieldError("required", path)]
    svc, res = b.get("service"), b.get("resource")
    if svc and res:
        return [FieldError("invalid", path, "", "cannot set both resource and service backends")]
    if not svc and not res:
        return [FieldError("invalid", path, "", "resource or service backend is required")]
    errs: list[FieldError] = []
    if svc:
        if not svc.get("name"):
            errs.append(FieldError("required", f"{path}.service.name"))
        port = svc.get("port") or {}
        if port.get("name") and port.get("number"):
            errs.append(FieldError("invalid", f"{path}.service.port", port,
                                   "cannot set both port name & port number"))
        elif not port.get("name") and not port.get("number"):
            errs.append(FieldError("invalid", f"{path}.service.port", port,
                                   "port name or number is required"))
    return errs


def ingress(obj: Obj, old: Obj | None) -> list[FieldError]:
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        return [FieldError("required", "spec")]
    errs: list[FieldError] = []
    if not spec.get("rules") and not spec.get("defaultBackend"):
        errs.append(FieldError("invalid", "spec.rules", spec.get("rules") or [],
                               "either `defaultBackend` or `rules` must be specified"))
    if spec.get("defaultBackend") is not None:
        errs += _ingress_backend(spec["defaultBackend"], "spec.defaultBackend")
    for i, rule in enumerate(spec.get("rules") or ()):
        if not isinstance(rule, dict):
            continue
        host = rule.get("host")
        if host:
            h = host[2:] if host.startswith("*.") else host
            from minik8s.registry import names

            for msg in names.check_subdomain(h):
                errs.append(FieldError("invalid", f"spec.rules[{i}].host", host, msg))
        for j, p in enumerate(((rule.get("http") or {}).get("paths")) or ()):
            base = f"spec.rules[{i}].http.paths[{j}]"
            pt = p.get("pathType")
            if pt is None:
                errs.append(FieldError("required", f"{base}.pathType", detail="pathType must be specified"))
            elif pt not in PATH_TYPES:
                errs.append(FieldError("not_supported", f"{base}.pathType", pt, supported=PATH_TYPES))
            path = p.get("path")
            if pt in ("Exact", "Prefix") and (not path or not str(path).startswith("/")):
                errs.append(FieldError("invalid", f"{base}.path", path or "", "must be an absolute path"))
            errs += _ingress_backend(p.get("backend"), f"{base}.backend")
    for i, tls in enumerate(spec.get("tls") or ()):
        for j, h in enumerate((tls or {}).get("hosts") or ()):
            from minik8s.registry import names

            for msg in names.check_subdomain(h[2:] if str(h).startswith("*.") else str(h)):
                errs.append(FieldError("invalid", f"spec.tls[{i}].hosts[{j}]", h, msg))
    return errs


def cronjob(obj: Obj, old: Obj | None) -> list[FieldError]:
    """CronJob schedule and time zone, as the batch validation checks them."""
    from minik8s.api import cron

    spec = obj.get("spec")
    if not isinstance(spec, dict):
        return [FieldError("required", "spec")]
    errs: list[FieldError] = []
    sched = spec.get("schedule")
    if not sched:
        errs.append(FieldError("required", "spec.schedule"))
    elif isinstance(sched, str):
        if old is None and ("TZ=" in sched):
            errs.append(FieldError("invalid", "spec.schedule", sched,
                                   "cannot use TZ or CRON_TZ in schedule, use timeZone field instead"))
        else:
            try:
                cron.parse(sched)
            except cron.CronError as e:
                errs.append(FieldError("invalid", "spec.schedule", sched, str(e)))
    tz = spec.get("timeZone")
    if tz:
        try:
            cron.load_zone(tz)
        except cron.CronError:
            errs.append(FieldError("invalid", "spec.timeZone", tz, "unknown time zone " + tz))
    jt = (spec.get("jobTemplate") or {})
    if isinstance(jt, dict) and isinstance(jt.get("spec"), dict):
        tspec = ((jt["spec"].get("template") or {}).get("spec"))
        if isinstance(tspec, dict):
            errs += _containers(tspec, "spec.jobTemplate.spec.template.spec")
    return errs


VALIDATORS: dict[str, Validator] = {
    "cronjobs.batch": cronjob,
    "ingresses.networking.k8s.io": ingress,
    "persistentvolumeclaims": pvc,
    "pods": pod,
    "services": service,
    "configmaps": configmap,
    "secrets": secret,
    "deployments.apps": workload,
    "replicasets.apps": workload,
    "statefulsets.apps": lambda o, old: (_replicas(o) + _template(o)
                                         + _selector_matches_template(o) + _sts_immutable(o, old)),
    "jobs.batch": lambda o, old: _template(o) + _job_immutable(o, old),
    "daemonsets.apps": lambda o, old: (_template(o) + _selector_matches_template(o)
                                       + _immutable_selector(o, old)),
    "replicationcontrollers": lambda o, old: _replicas(o) + _template(o),
    "customresourcedefinitions.apiextensions.k8s.io": lambda o, old: crd.validate_crd(o),
}


def validate(key: str, obj: Obj, old: Obj | None) -> list[FieldError]:
    fn = VALIDATORS.get(key)
    return fn(obj, old) if fn is not None else []


# -- metadata: labels and annotations (apimachinery's ValidateLabels/ValidateAnnotations) --
import re as _re  # noqa: E402

_QNAME_RE = _re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
_LABEL_VALUE_RE = _re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
_QNAME_MSG = ("name part must consist of alphanumeric characters, '-', '_' or '.', and must "
              "start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or "
              "'123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')")
_LABEL_VALUE_MSG = ("a valid label must be an empty string or consist of alphanumeric characters, "
                    "'-', '_' or '.', and must start and end with an alphanumeric character (e.g. "
                    "'MyValue',  or 'my_value',  or '12345', regex used for validation is "
                    "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')")
TOTAL_ANNOTATION_SIZE = 256 * 1024


def qualified_name_errors(key: str) -> list[str]:
    from minik8s.registry import names

    prefix, slash, name = key.rpartition("/")
    errs: list[str] = []
    if slash:
        if not prefix:
            errs.append("prefix part must be non-empty")
        else:
            errs += ["prefix part " + m for m in names.check_subdomain(prefix)]
    if not name:
        errs.append("name part must be non-empty")
    else:
        if len(name) > 63:
            errs.append("name part must be no more than 63 characters")
        if not _QNAME_RE.match(name):
            errs.append(_QNAME_MSG)
    return errs


#: label (key, value) pairs found valid: objects of one kind repeat a few labels, and
#: the regular expressions cost more than the rest of metadata validation. Bounded (a dict,
#: not a set: ``remember`` drops the oldest keys).
_VALID_LABELS: dict[tuple[str, str], bool] = {}
VALID_LABELS_SIZE = 4096


def validate_labels(labels: dict[str, Any], path: str) -> list[FieldError]:
    errs: list[FieldError] = []
    for k, v in labels.items():
        if type(k) is str and type(v) is str and (k, v) in _VALID_LABELS:
            continue
        n = len(errs)
        _label_errors(k, v, path, errs)
        if len(errs) == n and type(k) is str and type(v) is str:
            remember(_VALID_LABELS, (k, v), True, VALID_LABELS_SIZE)
    return errs


def _label_errors(k: Any, v: Any, path: str, errs: list[FieldError]) -> None:
    """One label's problems, appended to ``errs``."""
    for m in qualified_name_errors(str(k)):
        errs.append(FieldError("invalid", path, k, m))
    if not isinstance(v, str):
        errs.append(FieldError("invalid", path, v, "label values must be strings"))
        return
    if len(v) > 63:
        errs.append(FieldError("invalid", path, v, "must be no more than 63 characters"))
    if not _LABEL_VALUE_RE.match(v):
        errs.append(FieldError("invalid", path, v, _LABEL_VALUE_MSG))


def validate_annotations(ann: dict[str, Any], path: str) -> list[FieldError]:
    errs: list[FieldError] = []
    total = 0
    for k, v in ann.items():
        for m in qualified_name_errors(str(k).lower()):
            errs.append(FieldError("invalid", path, k, m))
        # Go's len(): bytes of the UTF-8 encoding, not characters
        total += len(str(k).encode()) + len(str(v).encode())
    if total > TOTAL_ANNOTATION_SIZE:
        errs.append(FieldError("too_long", path, detail=f"may not be more than {TOTAL_ANNOTATION_SIZE} bytes"))
    return errs
