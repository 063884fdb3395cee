"""What a request asks for, in the authorizer's terms: kube-apiserver's RequestInfo.

``parse(method, path, query)`` follows k8s.io/apiserver's RequestInfoFactory:
paths under ``/api`` and ``/apis/<group>`` with at least a version and a resource are
resource requests (verb from the method: get/list/watch/create/update/patch/delete/
deletecollection; namespace, resource, name, subresource from the path; a list or
watch narrowed by ``fieldSelector=metadata.name=x`` names that object); everything
else (``/healthz``, ``/version``, ``/api``, ``/apis/apps/v1``, ``/openapi/v2``) is a
non-resource request whose verb is the lower-cased HTTP method. Pure.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

API_PREFIXES = ("api", "apis")
#: path segments after the version that are verbs, not resources
SPECIAL_VERBS = ("proxy", "watch")
NAMESPACE_SUBRESOURCES = ("status", "finalize")
METHOD_VERBS = {"POST": "create", "GET": "get", "HEAD": "get", "PUT": "update",
                "PATCH": "patch", "DELETE": "delete"}


@dataclasses.dataclass(frozen=True, slots=True)
class RequestInfo:
    """The authorizer's view of one request (or of one access review's attributes)."""

    is_resource: bool
    verb: str
    path: str = ""
    api_group: str = ""
    api_version: str = ""
    namespace: str = ""
    resource: str = ""
    subresource: str = ""
    name: str = ""


def resource(verb: str, resource: str, *, group: str = "", namespace: str = "", name: str = "",
             subresource: str = "", version: str = "") -> RequestInfo:
    """A resource request built by hand (reviews, escalation and impersonation checks)."""
    return RequestInfo(True, verb, api_group=group, api_version=version, namespace=namespace,
                       resource=resource, subresource=subresource, name=name)


def non_resource(verb: str, path: str) -> RequestInfo:
    return RequestInfo(False, verb, path=path)


def parse(method: str, path: str, query: Mapping[str, str]) -> RequestInfo:
    trimmed = path.strip("/")
    parts = trimmed.split("/") if trimmed else []
    nonres = RequestInfo(False, method.lower(), path=path)
    if len(parts) < 3 or parts[0] not in API_PREFIXES:
        return nonres
    prefix, parts = parts[0], parts[1:]
    group = ""
    if prefix == "apis":
        if len(parts) < 3:
            return nonres
        group, parts = parts[0], parts[1:]
    version, parts = parts[0], parts[1:]
    if parts[0] in SPECIAL_VERBS:
        if len(parts) < 2:  # the real server errors out; nothing is served there either
            return nonres
        verb, parts = parts[0], parts[1:]
    else:
        verb = METHOD_VERBS.get(method, "")
    namespace = ""
    if parts[0] == "namespaces" and len(parts) > 1:
        namespace = parts[1]
        if len(parts) > 2 and parts[2] not in NAMESPACE_SUBRESOURCES:
            parts = parts[2:]
    subresource = name = ""
    if len(parts) >= 3 and verb != "proxy":
        subresource = parts[2]
    if len(parts) >= 2:
        name = parts[1]
    res = parts[0]
    if not name and verb == "get":
        # the server watches only for watch=true|1 (rest._query_bool); authorize what it does
        verb = "watch" if str(query.get("watch", "")).lower() in ("true", "1") else "list"
        selected = _selected_name(query.get("fieldSelector"))
        if selected:
            name = selected
    if not name and verb == "delete":
        verb = "deletecollection"
    return RequestInfo(True, verb, path=path, api_group=group, api_version=version,
                       namespace=namespace, resource=res, subresource=subresource, name=name)


def _selected_name(selector: str | None) -> str:
    """The name a field selector pins with ``metadata.name=x`` (RequiresExactMatch), if any."""
    if not selector:
        return ""
    for term in selector.split(","):
        field, op, value = _split_term(term.strip())
        if field == "metadata.name" and op in ("=", "==") and _valid_segment(value):
            return value
    return ""


def _split_term(term: str) -> tuple[str, str, str]:
    for op in ("!=", "==", "="):
        i = term.find(op)
        if i > 0:
            return term[:i].strip(), op, term[i + len(op):].strip()
    return term, "", ""


def _valid_segment(name: str) -> bool:
    return bool(name) and name not in (".", "..") and "/" not in name and "%" not in name
