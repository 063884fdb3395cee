"""The review resources, answered by the real authenticator and authorizer.

SelfSubjectReview (``kubectl auth whoami``: the requester), TokenReview (who a
token is), SubjectAccessReview / LocalSubjectAccessReview / SelfSubjectAccessReview
(``kubectl auth can-i``: would the authorizer allow these attributes), and
SelfSubjectRulesReview (``kubectl auth can-i --list``: the requester's rules in a
namespace). Installed on the registry as ``registry.reviews`` when auth is on;
``subresources.virtual_create`` calls it with the requesting user (None: the
in-process client, which is the API server's own loopback identity).
"""

from __future__ import annotations

from typing import Any

from minik8s.api import errors
from minik8s.api.resources import Resource
from minik8s.auth import requestinfo
from minik8s.auth.authn import API_AUDIENCES, Authenticator, InvalidToken
from minik8s.auth.authorizer import Authorizer
from minik8s.auth.requestinfo import RequestInfo
from minik8s.auth.user import LOOPBACK_USER, UserInfo

Obj = dict[str, Any]
AUTHZ_GROUP = "authorization.k8s.io"


class Reviews:
    def __init__(self, authn: Authenticator, authz: Authorizer) -> None:
        self.authn = authn
        self.authz = authz

    def __call__(self, res: Resource, ns: str, obj: Obj, user: UserInfo | None) -> Obj:
        """The ``status`` of the review ``obj`` (already decoded and kind-checked)."""
        me = user if user is not None else LOOPBACK_USER
        spec: Obj = obj["spec"] if isinstance(obj.get("spec"), dict) else {}
        kind = res.kind
        if kind == "SelfSubjectReview":
            return {"userInfo": me.to_dict()}
        if kind == "TokenReview":
            return self._token_review(spec)
        if kind == "SelfSubjectRulesReview":
            return self._rules_review(spec, me)
        if kind == "SelfSubjectAccessReview":
            return self._decide(me, _attributes(kind, spec, need_subject=False))
        if kind == "SubjectAccessReview":
            return self._decide(_subject(spec), _attributes(kind, spec))
        if kind == "LocalSubjectAccessReview":
            info = _attributes(kind, spec, local=True)
            if not ns:
                raise errors.BadRequest("namespace is required on this type: ")
            if info.namespace != ns:
                raise errors.BadRequest(
                    f"spec.resourceAttributes.namespace must match namespace: {ns}")
            return self._decide(_subject(spec), info)
        raise errors.MethodNotAllowed()

    def _decide(self, user: UserInfo, info: RequestInfo) -> Obj:
        allowed, reason = self.authz.authorize(user, info)
        status: Obj = {"allowed": allowed}
        if reason:
            status["reason"] = reason
        return status

    def _rules_review(self, spec: Obj, user: UserInfo) -> Obj:
        ns = spec.get("namespace") or ""
        if not ns:
            raise errors.BadRequest("no namespace on request")
        resource, non_resource, incomplete, err = self.authz.rules_for(user, str(ns))
        status: Obj = {"resourceRules": resource, "nonResourceRules": non_resource,
                       "incomplete": incomplete}
        if err:
            status["evaluationError"] = err
        return status

    def _token_review(self, spec: Obj) -> Obj:
        token = spec.get("token")
        if not token or not isinstance(token, str):
            raise errors.BadRequest("token is required for TokenReview in authentication")
        try:
            user = self.authn.token(token)
        except InvalidToken as e:
            return {"user": {}, "error": str(e)}
        return {"authenticated": True, "user": user.to_dict(), "audiences": list(API_AUDIENCES)}


def _subject(spec: Obj) -> UserInfo:
    extra: Obj = spec["extra"] if isinstance(spec.get("extra"), dict) else {}
    return UserInfo(str(spec.get("user") or ""), str(spec.get("uid") or ""),
                    tuple(str(g) for g in spec.get("groups") or ()),
                    {str(k): tuple(str(x) for x in v or ()) for k, v in extra.items()})


def _attributes(kind: str, spec: Obj, *, need_subject: bool = True,
                local: bool = False) -> RequestInfo:
    ra, nra = spec.get("resourceAttributes"), spec.get("nonResourceAttributes")
    causes: list[errors.FieldError] = []
    if ra is not None and nra is not None:
        causes.append(errors.FieldError(
            "invalid", "spec.nonResourceAttributes", nra,
            "cannot be specified in combination with resourceAttributes"))
    if ra is None and nra is None:
        causes.append(errors.FieldError(
            "invalid", "spec.resourceAttributes", None,
            "exactly one of nonResourceAttributes or resourceAttributes must be specified"))
    if local and nra is not None:
        causes.append(errors.FieldError("invalid", "spec.nonResourceAttributes", nra,
                                        "disallowed on this kind of request"))
    if need_subject and not spec.get("user") and not spec.get("groups"):
        causes.append(errors.FieldError("invalid", "spec.user", spec.get("user") or "",
                                        "at least one of user or group must be specified"))
    if causes:
        raise errors.Invalid(kind, AUTHZ_GROUP, "", causes)
    if isinstance(ra, dict):
        return requestinfo.resource(
            str(ra.get("verb") or ""), str(ra.get("resource") or ""),
            group=str(ra.get("group") or ""), namespace=str(ra.get("namespace") or ""),
            name=str(ra.get("name") or ""), subresource=str(ra.get("subresource") or ""),
            version=str(ra.get("version") or ""))
    nra = nra if isinstance(nra, dict) else {}
    return requestinfo.non_resource(str(nra.get("verb") or ""), str(nra.get("path") or ""))
