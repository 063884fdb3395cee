"""One cluster's auth: the authenticator, the authorizer chain, and where they plug in.

``Auth(config, registry)`` reads the token file, mints the admin token (user
``kubernetes-admin`` in ``system:masters``, for the kubeconfig) and a per-cluster key
for service-account tokens; ``install()`` puts the escalation check, the review
answers and the token signer on the registry and drops the RBAC rule cache whenever
an RBAC object is written; ``middleware()`` is what the API server adds to its app.
Built by ``minik8s.cluster`` only when ``AuthConfig.enabled``.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from minik8s.api.resources import Resource
from minik8s.auth import filters
from minik8s.auth.authn import Authenticator, ServiceAccountTokens, read_token_file
from minik8s.auth.authorizer import GROUP, Authorizer
from minik8s.auth.escalation import EscalationCheck
from minik8s.auth.reviews import Reviews
from minik8s.auth.user import ADMIN, PRIVILEGED_GROUP, UserInfo
from minik8s.config import AuthConfig
from minik8s.registry.registry import Registry


class Auth:
    def __init__(self, config: AuthConfig, registry: Registry) -> None:
        self.config = config
        static = read_token_file(config.token_auth_file) if config.token_auth_file else {}
        #: the bearer token of the kubeconfig ``minik8s serve`` writes: a cluster admin
        self.admin_token = secrets.token_urlsafe(32)
        static[self.admin_token] = UserInfo(ADMIN, groups=(PRIVILEGED_GROUP,))
        self.sa_tokens = ServiceAccountTokens(secrets.token_bytes(32), registry.store,
                                              registry.clock)
        self.authn = Authenticator(static, self.sa_tokens, config.anonymous_auth)
        self.authz = Authorizer(config.modes, registry.store)
        self.escalation = EscalationCheck(self.authz, self.authz.resolver)
        self.reviews = Reviews(self.authn, self.authz)

    def install(self, registry: Registry) -> None:
        registry.write_admission = self.escalation
        registry.reviews = self.reviews
        registry.token_signer = self.sa_tokens.sign
        registry.after_write(self._on_write)

    def _on_write(self, res: Resource, etype: str, obj: Any, old: Any) -> None:
        if res.group == GROUP:
            self.authz.resolver.invalidate()

    def middleware(self) -> Callable[[web.Request, filters.Handler],
                                     Awaitable[web.StreamResponse]]:
        return filters.middleware(self)
