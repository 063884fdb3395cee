"""Authorization: the RBAC authorizer over the store, and the ``--authorization-mode`` chain.

``RBACAuthorizer`` resolves a user's rules like the real rule resolver: every
ClusterRoleBinding naming the user (its ClusterRole's rules), then, for a
namespaced request, every RoleBinding in that namespace naming the user (its Role's
or ClusterRole's rules). Resolved rules are cached per (user, groups, namespace)
and the cache is dropped whenever an RBAC object is written (``invalidate``, called
from a registry after-write hook), so a decision costs a dict look-up and a scan of
the user's compiled rules.

``Authorizer`` is the union kube-apiserver builds: ``system:masters`` is always
allowed, then each mode in order (``AlwaysAllow`` allows, ``AlwaysDeny`` has no
opinion, ``RBAC`` allows or has no opinion); no allow means forbidden.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from minik8s.auth import rbac
from minik8s.auth.requestinfo import RequestInfo
from minik8s.auth.user import PRIVILEGED_GROUP, UserInfo
from minik8s.memo import remember
from minik8s.store.store import Store

Obj = dict[str, Any]
GROUP = "rbac.authorization.k8s.io"
ROLES = f"roles.{GROUP}"
CLUSTER_ROLES = f"clusterroles.{GROUP}"
ROLE_BINDINGS = f"rolebindings.{GROUP}"
CLUSTER_ROLE_BINDINGS = f"clusterrolebindings.{GROUP}"
MODES = ("AlwaysAllow", "AlwaysDeny", "RBAC")
#: resolved (user, namespace) entries kept at most (the oldest make room: ``remember``)
CACHE_SIZE = 4096


@dataclasses.dataclass
class Resolved:
    """One user's rules in one namespace, with where each came from."""

    rules: list[tuple[rbac.Rule, str]]
    errors: list[str]


def aggregate_error(errs: Sequence[str]) -> str:
    """utilerrors.NewAggregate's text: one error as is, several as ``[a, b]``."""
    uniq = list(dict.fromkeys(errs))
    return uniq[0] if len(uniq) == 1 else "[" + ", ".join(uniq) + "]"


class RBACAuthorizer:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._cache: dict[tuple[str, tuple[str, ...], str], Resolved] = {}

    def invalidate(self) -> None:
        self._cache.clear()

    def role_ref_rules(self, ref: Obj, namespace: str) -> tuple[list[Obj] | None, str]:
        """The rules a roleRef points at, or (None, the lister's error text)."""
        kind, name = ref.get("kind"), str(ref.get("name", ""))
        if kind == "Role":
            role = self.store.get(ROLES, namespace, name) if namespace else None
            if role is None:
                return None, f'role.{GROUP} {rbac.goq(name)} not found'
        elif kind == "ClusterRole":
            role = self.store.get(CLUSTER_ROLES, "", name)
            if role is None:
                return None, f'clusterrole.{GROUP} {rbac.goq(name)} not found'
        else:
            return None, f"unsupported role reference kind: {rbac.goq(str(kind))}"
        return [r for r in role.get("rules") or () if isinstance(r, dict)], ""

    def resolve(self, user: UserInfo, namespace: str) -> Resolved:
        key = (user.name, user.groups, namespace)
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        out = Resolved([], [])
        crbs = self.store.resource(CLUSTER_ROLE_BINDINGS).objects
        for k in sorted(crbs):
            self._visit(user, crbs[k], "", out)
        if namespace:
            rbs = self.store.resource(ROLE_BINDINGS).by_namespace.get(namespace, {})
            for n in sorted(rbs):
                self._visit(user, rbs[n], namespace, out)
        return remember(self._cache, key, out, CACHE_SIZE)

    def _visit(self, user: UserInfo, binding: Obj, namespace: str, out: Resolved) -> None:
        subjects = binding.get("subjects") or ()
        i = rbac.applies_to(user, subjects, namespace)
        if i < 0:
            return
        rules, err = self.role_ref_rules(binding.get("roleRef") or {}, namespace)
        if rules is None:
            out.errors.append(err)
            return
        source = rbac.describe_binding(binding, subjects[i])
        out.rules.extend((rbac.Rule.of(r), source) for r in rules)

    def authorize(self, user: UserInfo, info: RequestInfo) -> tuple[bool, str]:
        resolved = self.resolve(user, info.namespace)
        for rule, source in resolved.rules:
            if rule.allows(info):
                return True, f"RBAC: allowed by {source}"
        return False, f"RBAC: {aggregate_error(resolved.errors)}" if resolved.errors else ""

    def rules_for(self, user: UserInfo, namespace: str) -> tuple[list[Obj], list[str]]:
        resolved = self.resolve(user, namespace)
        return [r.spec for r, _ in resolved.rules], list(resolved.errors)


class Authorizer:
    """The mode chain; ``system:masters`` first, as kube-apiserver's superuser authorizer."""

    def __init__(self, modes: Sequence[str], store: Store) -> None:
        for m in modes:
            if m not in MODES:
                raise ValueError(f"authorization mode {m!r} is not supported "
                                 f"(supported: {', '.join(MODES)})")
        self.modes = tuple(modes)
        #: resolves anyone's RBAC rules (escalation checks use it whatever the modes)
        self.resolver = RBACAuthorizer(store)
        self.rbac = self.resolver if "RBAC" in self.modes else None

    def authorize(self, user: UserInfo, info: RequestInfo) -> tuple[bool, str]:
        if PRIVILEGED_GROUP in user.groups:
            return True, ""
        reasons: list[str] = []
        for m in self.modes:
            if m == "AlwaysAllow":
                return True, ""
            if m == "RBAC" and self.rbac is not None:
                ok, reason = self.rbac.authorize(user, info)
                if ok:
                    return True, reason
                if reason:
                    reasons.append(reason)
        return False, "\n".join(reasons)

    def allowed(self, user: UserInfo, info: RequestInfo) -> bool:
        return self.authorize(user, info)[0]

    def rules_for(self, user: UserInfo, namespace: str) -> tuple[list[Obj], list[Obj], bool, str]:
        """(resourceRules, nonResourceRules, incomplete, evaluationError) as SelfSubjectRulesReview
        reports them: the union of every mode's rules."""
        resource: list[Obj] = []
        non_resource: list[Obj] = []
        errs: list[str] = []
        for m in self.modes:
            if m == "AlwaysAllow":
                resource.append({"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]})
                non_resource.append({"verbs": ["*"], "nonResourceURLs": ["*"]})
            elif m == "RBAC" and self.rbac is not None:
                rules, rule_errs = self.rbac.rules_for(user, namespace)
                if rule_errs:
                    errs.append(aggregate_error(rule_errs))
                for r in rules:
                    if r.get("resources"):
                        resource.append(_resource_rule(r))
                    if r.get("nonResourceURLs"):
                        non_resource.append({"verbs": list(r.get("verbs") or []),
                                             "nonResourceURLs": list(r["nonResourceURLs"])})
        return resource, non_resource, False, aggregate_error(errs) if errs else ""


def _resource_rule(r: Obj) -> Obj:
    out: Obj = {"verbs": list(r.get("verbs") or [])}
    for k in ("apiGroups", "resources", "resourceNames"):
        if r.get(k):
            out[k] = list(r[k])
    return out
