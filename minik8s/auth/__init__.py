"""minik8s.auth: optional authentication, authorization and TLS, off by default.

``user`` (who is asking), ``requestinfo`` (what is asked, from the HTTP request),
``authn`` (bearer tokens: static file, service-account tokens, anonymous),
``rbac`` (pure rule evaluation), ``authorizer`` (RBAC over the store, the mode chain),
``escalation`` (role/binding write checks), ``reviews`` (the access and token reviews),
``filters`` (the aiohttp middleware, impersonation), ``tls`` (generated CA and serving cert),
``policy`` (the bootstrap roles as data) and ``component`` (wires them onto a registry).

Sits above ``registry`` and below ``server``: the registry never imports it; the
composition root installs callables on the registry (``write_admission``, ``reviews``,
``token_signer``) and the middleware on the API server.
"""
