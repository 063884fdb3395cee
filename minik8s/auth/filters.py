"""The aiohttp middleware that authenticates, impersonates and authorizes every request.

Installed by the composition root only when auth is on, inside the Status middleware,
so a refusal raised here is rendered as a ``Status`` (401 ``Unauthorized``, 403
``Forbidden`` with kube-apiserver's message and details). The effective user is
left on the request under ``USER`` for the write path (``WriteOptions.user``).

Impersonation follows k8s.io/apiserver's filter: ``Impersonate-User`` (a
``system:serviceaccount:ns:name`` user is a ServiceAccount), ``Impersonate-Group``
(repeatable), ``Impersonate-Uid``, ``Impersonate-Extra-<key>``; each needs the
``impersonate`` verb on users/serviceaccounts/groups (core group) or
uids/userextras (authentication.k8s.io).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from aiohttp import web

from minik8s.api import errors
from minik8s.auth import requestinfo
from minik8s.auth.rbac import goq
from minik8s.auth.requestinfo import RequestInfo
from minik8s.auth.user import (
    ALL_AUTHENTICATED,
    ALL_UNAUTHENTICATED,
    ANONYMOUS,
    UserInfo,
    sa_groups,
    split_sa_username,
)
from minik8s.memo import remember

if TYPE_CHECKING:
    from minik8s.auth.component import Auth

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
USER = web.RequestKey("minik8s.user", UserInfo)
AUTHN_GROUP = "authentication.k8s.io"
IMPERSONATE_USER = "Impersonate-User"
IMPERSONATE_GROUP = "Impersonate-Group"
IMPERSONATE_UID = "Impersonate-Uid"
IMPERSONATE_EXTRA = "impersonate-extra-"
#: parsed request attributes kept per (method, path, query) at most
INFO_CACHE = 4096


class Forbidden(errors.Forbidden):
    """403 whose details are present even when empty (non-resource requests), as the real one."""

    def to_status(self) -> dict[str, Any]:
        status = super().to_status()
        status.setdefault("details", {})
        return status


def forbidden(user: UserInfo, info: RequestInfo, reason: str = "") -> Forbidden:
    """responsewriters.Forbidden: the message and details kube-apiserver writes."""
    if not info.is_resource:
        msg = f"User {goq(user.name)} cannot {info.verb} path {goq(info.path)}"
    else:
        res = info.resource + (f"/{info.subresource}" if info.subresource else "")
        msg = f"User {goq(user.name)} cannot {info.verb} resource {goq(res)} in API group " \
              f"{goq(info.api_group)}"
        msg += f" in the namespace {goq(info.namespace)}" if info.namespace else \
            " at the cluster scope"
    if reason:
        msg = f"{msg}: {reason}"
    qualified = f"{info.resource}.{info.api_group}" if info.api_group else info.resource
    if not qualified:
        text = f"forbidden: {msg}"
    elif info.name:
        text = f"{qualified} {goq(info.name)} is forbidden: {msg}"
    else:
        text = f"{qualified} is forbidden: {msg}"
    details = {k: v for k, v in (("name", info.name), ("group", info.api_group),
                                 ("kind", info.resource)) if v}
    return Forbidden(text, details=details)


def impersonate(auth: Auth, requester: UserInfo, headers: Any) -> UserInfo:
    """The user a request acts as, after checking the requester may impersonate each part."""
    name = headers.get(IMPERSONATE_USER, "")
    groups = list(headers.getall(IMPERSONATE_GROUP, []))
    uid = headers.get(IMPERSONATE_UID, "")
    extra: dict[str, list[str]] = {}
    checks: list[RequestInfo] = []
    sa = split_sa_username(name) if name else None
    if name:
        if sa is not None:
            checks.append(requestinfo.resource("impersonate", "serviceaccounts",
                                               namespace=sa[0], name=sa[1]))
        else:
            checks.append(requestinfo.resource("impersonate", "users", name=name))
    checks += [requestinfo.resource("impersonate", "groups", name=g) for g in groups]
    for header in headers:
        if header.lower().startswith(IMPERSONATE_EXTRA):
            key = unquote(header[len(IMPERSONATE_EXTRA):]).lower()
            for value in headers.getall(header):
                extra.setdefault(key, []).append(value)
                checks.append(requestinfo.resource("impersonate", "userextras", group=AUTHN_GROUP,
                                                   subresource=key, name=value))
    if uid:
        checks.append(requestinfo.resource("impersonate", "uids", group=AUTHN_GROUP, name=uid))
    if not name:
        raise errors.InternalError(f"requested {[c.resource for c in checks]} without "
                                   "impersonating a user")
    for check in checks:
        ok, reason = auth.authz.authorize(requester, check)
        if not ok:
            raise forbidden(requester, check, reason)
    if sa is not None and not groups:
        groups = list(sa_groups(sa[0]))
    if name != ANONYMOUS:
        if ALL_AUTHENTICATED not in groups and ALL_UNAUTHENTICATED not in groups:
            groups.append(ALL_AUTHENTICATED)
    elif ALL_UNAUTHENTICATED not in groups:
        groups.append(ALL_UNAUTHENTICATED)
    return UserInfo(name, uid, tuple(groups), {k: tuple(v) for k, v in extra.items()})


def middleware(auth: Auth) -> Callable[[web.Request, Handler], Awaitable[web.StreamResponse]]:
    authn, authz = auth.authn, auth.authz
    #: (method, path, query string) → RequestInfo: clients repeat their requests
    infos: dict[tuple[str, str, str], RequestInfo] = {}

    @web.middleware
    async def authenticate_and_authorize(request: web.Request,
                                         handler: Handler) -> web.StreamResponse:
        headers = request.headers
        user = authn.request(headers)
        if any(k[:12].lower() == b"impersonate-" for k, _ in request.raw_headers):
            user = impersonate(auth, user, headers)
        key = (request.method, request.path, request.query_string)
        info = infos.get(key)
        if info is None:
            info = remember(infos, key, requestinfo.parse(request.method, request.path,
                                                          request.query), INFO_CACHE)
        ok, reason = authz.authorize(user, info)
        if not ok:
            raise forbidden(user, info, reason)
        request[USER] = user
        return await handler(request)

    return authenticate_and_authorize
