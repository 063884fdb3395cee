"""The aiohttp application: routes, the error middleware, health and version.

HTTP only. One middleware turns every ``ApiError`` (and anything unexpected)
into a ``Status`` body, so no request ever gets a traceback.
Neighbours: ``server.rest`` (resources), ``server.discovery``, ``api.openapi``.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from aiohttp import web

from minik8s.api import errors
from minik8s.server import negotiation as neg
from minik8s.server import paths
from minik8s.server.discovery import AGG_CT, Discovery
from minik8s.server.rest import RestHandler

if TYPE_CHECKING:
    from minik8s.aio.clock import Clock
    from minik8s.registry.registry import Registry

log = logging.getLogger("minik8s.server")

VERSION_INFO = {
    "major": "1", "minor": "33", "gitVersion": "v1.33.0-minik8s",
    "gitCommit": "0000000000000000000000000000000000000000", "gitTreeState": "clean",
    "buildDate": "2026-01-01T00:00:00Z", "goVersion": "go1.24.0", "compiler": "gc",
    "platform": "linux/amd64",
}
HEALTH_CHECKS = ("ping", "log", "etcd", "poststarthook/start-apiextensions-controllers",
                 "poststarthook/crd-informer-synced", "poststarthook/bootstrap-controller")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

#: HTTP parser limits (``web.AppRunner`` keywords). kube-apiserver allows 1 MiB of headers
#: in all (Go's ``MaxHeaderBytes``); aiohttp counts per line and per header instead, and
#: its defaults (8 KiB, 128 headers) would refuse a large OIDC token or many headers.
HTTP_LIMITS: dict[str, Any] = {"max_line_size": 64 * 1024, "max_field_size": 64 * 1024,
                               "max_headers": 512}



@web.middleware
async def status_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except errors.ApiError as e:
        return neg.status_response(e)
    except web.HTTPException as e:
        if e.status == 413:
            return neg.status_response(neg.body_too_large())
        if e.status == 404:
            return neg.status_response(errors.NotFound.no_route())
        if e.status == 405:
            return neg.status_response(errors.MethodNotAllowed())
        raise
    except (ConnectionResetError, ConnectionError):
        raise
    except Exception as e:  # never a traceback on the wire
        log.exception("internal error on %s %s", request.method, request.path)
        return neg.status_response(errors.InternalError(
            f"an error on the server ({type(e).__name__}) has prevented the request from succeeding"))


class ApiServer:
    """Builds the app over one registry."""

    def __init__(self, registry: "Registry", clock: "Clock", server_address: str = "127.0.0.1:6443") -> None:
        self.reg = registry
        self.clock = clock
        self.discovery = Discovery(registry.table, server_address)
        self.rest = RestHandler(registry, clock)
        #: extra API groups served by siblings (metrics.k8s.io): prefix -> handler
        self.groups: dict[str, Handler] = {}
        #: authentication/authorization (minik8s.auth), set by the composition root only when
        #: auth is on; it runs inside the Status middleware, so its 401/403 are Status bodies
        self.auth_middleware: Any = None

    def app(self) -> web.Application:
        middlewares: list[Any] = [status_middleware]
        if self.auth_middleware is not None:
            middlewares.append(self.auth_middleware)
        app = web.Application(middlewares=middlewares, client_max_size=neg.MAX_BODY + 1024)
        r = app.router
        for p in ("/healthz", "/livez", "/readyz"):
            r.add_get(p, self.health)
            r.add_get(p + "/{check:.*}", self.health)
        r.add_get("/version", self.version)
        r.add_get("/version/", self.version)
        r.add_get("/openapi/v2", self.openapi_v2)
        r.add_get("/swagger-2.0.0.pb-v1", self.openapi_v2)
        r.add_get("/openapi/v3", self.openapi_v3_index)
        r.add_get("/openapi/v3/{gv:.*}", self.openapi_v3_doc)
        r.add_route("*", "/api", self.api)
        r.add_route("*", "/api/{tail:.*}", self.api)
        r.add_route("*", "/apis", self.api)
        r.add_route("*", "/apis/{tail:.*}", self.api)
        r.add_route("*", "/{tail:.*}", self.not_found)
        return app

    async def not_found(self, request: web.Request) -> web.Response:
        raise errors.NotFound.no_route()

    async def health(self, request: web.Request) -> web.Response:
        check = request.match_info.get("check")
        if check and check not in HEALTH_CHECKS:
            raise errors.NotFound.no_route()
        if "verbose" in request.query:
            lines = [f"[+]{c} ok" for c in HEALTH_CHECKS]
            name = request.path.strip("/").split("/")[0]
            return web.Response(text="\n".join(lines) + f"\n{name} check passed\n",
                                content_type="text/plain")
        return web.Response(text="ok", content_type="text/plain")

    async def version(self, request: web.Request) -> web.Response:
        return neg.json_response(VERSION_INFO)

    async def openapi_v2(self, request: web.Request) -> web.Response:
        from minik8s.api import openapi

        return web.Response(body=openapi.v2_body(), headers={"Content-Type": openapi.V2_CONTENT_TYPE})

    async def openapi_v3_index(self, request: web.Request) -> web.Response:
        from minik8s.api import openapi

        return neg.json_response(openapi.v3_index(self.reg.table, _crd_schema))

    async def openapi_v3_doc(self, request: web.Request) -> web.Response:
        from minik8s.api import openapi

        body = openapi.v3_document_bytes(self.reg.table, request.match_info["gv"].strip("/"),
                                         _crd_schema)
        if body is None:
            raise errors.NotFound.no_route()
        headers = {"Content-Type": neg.JSON}
        if "hash" in request.query:
            headers["Cache-Control"] = "public, immutable"
        return web.Response(body=body, headers=headers)

    async def api(self, request: web.Request) -> web.StreamResponse:
        t = paths.parse(request.path)
        for prefix, handler in self.groups.items():
            if request.path.startswith(prefix):
                return await handler(request)
        if t.kind == "resource":
            return await self.rest.handle(request, t)
        if request.method != "GET":
            raise errors.MethodNotAllowed()
        return self._discovery(request, t)

    def _discovery(self, request: web.Request, t: paths.Target) -> web.Response:
        d = self.discovery
        if t.kind in ("discovery-core", "discovery-groups"):
            core = t.kind == "discovery-core"
            for mt in neg.parse_media_types(request.headers.get("Accept", "")):
                if mt.as_ == "APIGroupDiscoveryList" and mt.group == "apidiscovery.k8s.io" and \
                        mt.version in ("v2", "v2beta1"):
                    return web.Response(body=d.aggregated(core, mt.version), headers={
                        "Content-Type": AGG_CT.format(v=mt.version), "Vary": "Accept"})
            body = d.api_versions() if core else d.api_groups()
            return web.Response(body=body, headers={"Content-Type": neg.JSON, "Vary": "Accept"})
        if t.kind == "discovery-group":
            body_or_none = d.api_group(t.group)
        elif t.kind == "discovery-gv":
            body_or_none = d.resource_list(t.group, t.version)
        else:
            body_or_none = None
        if body_or_none is None:
            raise errors.NotFound.no_route()
        return web.Response(body=body_or_none, headers={"Content-Type": neg.JSON})


def _crd_schema(res: Any, version: str) -> dict[str, Any] | None:
    """OpenAPI's view of a custom resource: its version's openAPIV3Schema."""
    v = (res.crd_versions or {}).get(version)
    return None if v is None else v.schema  # type: ignore[no-any-return]
