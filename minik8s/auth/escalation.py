"""Escalation prevention on RBAC writes, as pkg/registry/rbac's policy-based storages do it.

Installed on the registry as ``registry.write_admission``; the registry calls it for
writes that carry a requesting user (HTTP requests when auth is on), before
validation. Writes without a user (the in-process client) and members of
``system:masters`` are never checked.

- Role / ClusterRole: allowed with the ``escalate`` verb on the role resource;
  otherwise the writer must already hold every rule the role grants (in the role's
  namespace, or cluster-wide for a ClusterRole), and setting or keeping an
  ``aggregationRule`` needs ``*`` on everything.
- RoleBinding / ClusterRoleBinding: allowed with the ``bind`` verb on the referenced
  role; otherwise the writer must hold every rule of the referenced role.
- An update that changes only ownerReferences/finalizers (what the garbage collector
  writes) is not checked.
"""

from __future__ import annotations

import copy
from typing import Any

from minik8s.api import errors
from minik8s.api.resources import Resource
from minik8s.auth import rbac, requestinfo
from minik8s.auth.authorizer import (
    CLUSTER_ROLE_BINDINGS,
    CLUSTER_ROLES,
    GROUP,
    ROLE_BINDINGS,
    ROLES,
    Authorizer,
    RBACAuthorizer,
    aggregate_error,
)
from minik8s.auth.user import PRIVILEGED_GROUP, UserInfo

Obj = dict[str, Any]
GC_FIELDS = ("ownerReferences", "finalizers", "selfLink", "managedFields", "resourceVersion",
             "generation")


class EscalationCheck:
    def __init__(self, authz: Authorizer, resolver: RBACAuthorizer) -> None:
        self.authz = authz
        self.resolver = resolver

    def __call__(self, res: Resource, obj: Obj, old: Obj | None, user: Any) -> None:
        key = res.key
        if key not in (ROLES, CLUSTER_ROLES, ROLE_BINDINGS, CLUSTER_ROLE_BINDINGS):
            return
        if not isinstance(user, UserInfo) or PRIVILEGED_GROUP in user.groups:
            return
        md = obj.get("metadata") or {}
        name, ns = str(md.get("name") or ""), str(md.get("namespace") or "")
        if key in (ROLES, CLUSTER_ROLES):
            escalate = requestinfo.resource("escalate", res.plural, group=GROUP, version="*",
                                            namespace=ns, name=name if old is not None else "")
            if self.authz.allowed(user, escalate):
                return
            if old is not None and only_gc_fields(obj, old):
                return
            self.confirm(user, ns, obj.get("rules") or [], res.plural, name)
            if key == CLUSTER_ROLES and (_aggregates(obj) or _aggregates(old)):
                ok, _ = rbac.covers(self.resolver.rules_for(user, "")[0], rbac.FULL_AUTHORITY)
                if not ok:
                    raise errors.Forbidden.for_resource(
                        GROUP, res.plural, name,
                        "must have cluster-admin privileges to use the aggregationRule")
            return
        if old is not None and only_gc_fields(obj, old):
            return
        ref = obj.get("roleRef") or {}
        kind = ref.get("kind")
        if kind in ("Role", "ClusterRole"):
            bind = requestinfo.resource(
                "bind", "roles" if kind == "Role" else "clusterroles",
                group=str(ref.get("apiGroup") or ""), namespace=ns, name=str(ref.get("name") or ""))
            if self.authz.allowed(user, bind):
                return
        rules, _ = self.resolver.role_ref_rules(ref, ns)
        if rules is None:
            if kind not in ("Role", "ClusterRole"):
                raise errors.BadRequest(f"unsupported role reference kind: {rbac.goq(str(kind))}")
            raise errors.NotFound.for_resource(GROUP, "roles" if kind == "Role" else "clusterroles",
                                               str(ref.get("name") or ""))
        self.confirm(user, ns, rules, res.plural, name)

    def confirm(self, user: UserInfo, ns: str, rules: list[Obj], plural: str, name: str) -> None:
        """ConfirmNoEscalation: the user's own rules in ``ns`` cover ``rules``, or 403."""
        owner, errs = self.resolver.rules_for(user, ns)
        ok, missing = rbac.covers(owner, [r for r in rules if isinstance(r, dict)])
        if ok:
            return
        held = sorted({rbac.compact_string(m) for m in rbac.compact(missing)})
        msg = (f"user {rbac.goq(user.name)} (groups={rbac.goq_list(user.groups)}) is attempting "
               "to grant RBAC permissions not currently held:\n" + "\n".join(held))
        if errs:
            msg += f"; resolution errors: [{aggregate_error(errs)}]"
        raise errors.Forbidden.for_resource(GROUP, plural, name, msg)


def _aggregates(role: Obj | None) -> bool:
    return bool(role and ((role.get("aggregationRule") or {}).get("clusterRoleSelectors")))


def only_gc_fields(new: Obj, old: Obj) -> bool:
    """IsOnlyMutatingGCFields: the update changes nothing but what the GC writes."""
    a, b = copy.copy(new), copy.copy(old)
    a["metadata"] = {k: v for k, v in (new.get("metadata") or {}).items() if k not in GC_FIELDS}
    b["metadata"] = {k: v for k, v in (old.get("metadata") or {}).items() if k not in GC_FIELDS}
    return a == b
