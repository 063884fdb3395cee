"""RBAC rule evaluation: pure functions over PolicyRule dicts and ``RequestInfo``.

Matching follows the real authorizer (plugin/pkg/auth/authorizer/rbac and
pkg/apis/rbac/v1 evaluation helpers): a rule allows a request when a verb matches
(or ``*``), and for resource requests an API group (or ``*``), the resource
(``*``, exact ``pods`` or ``pods/log``, or ``*/log`` for any resource's ``log``) and,
when the rule lists resourceNames, the name; for non-resource requests a URL
(exact, ``*``, or a ``/prefix*`` wildcard). Subjects match as the rule resolver
does (User by name, Group by membership, ServiceAccount by its username, its
namespace defaulting to the binding's). ``covers`` is the escalation check's
"do the owner's rules include every servant rule" comparison.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Sequence
from typing import Any

from minik8s.auth.requestinfo import RequestInfo
from minik8s.auth.user import UserInfo, sa_username

Obj = dict[str, Any]
ALL = "*"
#: what a ClusterRole's aggregationRule needs: * on everything
FULL_AUTHORITY: tuple[Obj, ...] = (
    {"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]},
    {"verbs": ["*"], "nonResourceURLs": ["*"]},
)


@dataclasses.dataclass(frozen=True, slots=True)
class Rule:
    """A PolicyRule compiled to sets, so matching a request is a few set look-ups."""

    verbs: frozenset[str]
    groups: frozenset[str]
    resources: frozenset[str]
    names: frozenset[str]
    urls: frozenset[str]
    #: nonResourceURLs ending in ``*``, without the stars
    url_prefixes: tuple[str, ...]
    #: the rule as written
    spec: Obj = dataclasses.field(compare=False, hash=False)

    @classmethod
    def of(cls, rule: Obj) -> Rule:
        urls = _strs(rule.get("nonResourceURLs"))
        return cls(frozenset(_strs(rule.get("verbs"))), frozenset(_strs(rule.get("apiGroups"))),
                   frozenset(_strs(rule.get("resources"))),
                   frozenset(_strs(rule.get("resourceNames"))), frozenset(urls),
                   tuple(u.rstrip("*") for u in urls if u.endswith("*")), rule)

    def allows(self, info: RequestInfo) -> bool:
        if ALL not in self.verbs and info.verb not in self.verbs:
            return False
        if info.is_resource:
            if ALL not in self.groups and info.api_group not in self.groups:
                return False
            res = self.resources
            if ALL not in res:
                if info.subresource:
                    if f"{info.resource}/{info.subresource}" not in res and \
                            f"*/{info.subresource}" not in res:
                        return False
                elif info.resource not in res:
                    return False
            return not self.names or info.name in self.names
        urls = self.urls
        return ALL in urls or info.path in urls or any(
            info.path.startswith(p) for p in self.url_prefixes)


def _strs(v: Any) -> list[str]:
    return [str(x) for x in v] if isinstance(v, list) else []


def rule_allows(info: RequestInfo, rule: Obj) -> bool:
    return Rule.of(rule).allows(info)


# ------------------------------------------------------------------ subjects
def subject_applies(user: UserInfo, subject: Obj, namespace: str) -> bool:
    kind, name = subject.get("kind"), subject.get("name")
    if kind == "User":
        return user.name == name
    if kind == "Group":
        return name in user.groups
    if kind == "ServiceAccount":
        ns = subject.get("namespace") or namespace
        return bool(ns) and user.name == sa_username(ns, str(name))
    return False


def applies_to(user: UserInfo, subjects: Iterable[Obj] | None, namespace: str) -> int:
    """Index of the first subject that is this user, or -1."""
    for i, s in enumerate(subjects or ()):
        if isinstance(s, dict) and subject_applies(user, s, namespace):
            return i
    return -1


def describe_subject(subject: Obj, binding_namespace: str) -> str:
    kind, name = str(subject.get("kind", "")), str(subject.get("name", ""))
    if kind == "ServiceAccount":
        return f"{kind} {goq(name + '/' + (subject.get('namespace') or binding_namespace))}"
    return f"{kind} {goq(name)}"


def describe_binding(binding: Obj, subject: Obj) -> str:
    """The source a rule came from, as the RBAC authorizer's "allowed by" reason words it."""
    md = binding.get("metadata") or {}
    ref = binding.get("roleRef") or {}
    ns = md.get("namespace") or ""
    if binding.get("kind") == "RoleBinding" or ns:
        who = goq(f"{md.get('name', '')}/{ns}")
        kind = "RoleBinding"
    else:
        who, kind = goq(str(md.get("name", ""))), "ClusterRoleBinding"
    return (f"{kind} {who} of {ref.get('kind', '')} {goq(str(ref.get('name', '')))} to "
            f"{describe_subject(subject, ns)}")


# ------------------------------------------------------------------ escalation
def breakdown(rule: Obj) -> list[Obj]:
    """One rule per (group, resource, verb[, name]) and per (url, verb)."""
    out: list[Obj] = []
    verbs, names = _strs(rule.get("verbs")), _strs(rule.get("resourceNames"))
    for g in _strs(rule.get("apiGroups")):
        for r in _strs(rule.get("resources")):
            for v in verbs:
                if names:
                    out += [{"apiGroups": [g], "resources": [r], "verbs": [v],
                             "resourceNames": [n]} for n in names]
                else:
                    out.append({"apiGroups": [g], "resources": [r], "verbs": [v]})
    for u in _strs(rule.get("nonResourceURLs")):
        out += [{"nonResourceURLs": [u], "verbs": [v]} for v in verbs]
    return out


def _resources_cover(owner: list[str], wanted: list[str]) -> bool:
    if ALL in owner or all(w in owner for w in wanted):
        return True
    for w in wanted:
        if w in owner:
            continue
        if "/" not in w or "*/" + w.split("/", 1)[1] not in owner:
            return False
    return True


def _url_covers(owner: str, sub: str) -> bool:
    return owner == sub or (owner.endswith("*") and sub.startswith(owner.rstrip("*")))


def rule_covers(owner: Obj, sub: Obj) -> bool:
    """Does ``owner`` allow everything the broken-down ``sub`` rule allows?"""
    ov, og = _strs(owner.get("verbs")), _strs(owner.get("apiGroups"))
    onames = _strs(owner.get("resourceNames"))
    snames = _strs(sub.get("resourceNames"))
    if not (ALL in ov or all(v in ov for v in _strs(sub.get("verbs")))):
        return False
    if not (ALL in og or all(g in og for g in _strs(sub.get("apiGroups")))):
        return False
    if not _resources_cover(_strs(owner.get("resources")), _strs(sub.get("resources"))):
        return False
    ourls = _strs(owner.get("nonResourceURLs"))
    if not all(any(_url_covers(o, s) for o in ourls) for s in _strs(sub.get("nonResourceURLs"))):
        return False
    if snames:
        return not onames or all(n in onames for n in snames)
    return not onames


def covers(owner_rules: Sequence[Obj], servant_rules: Iterable[Obj]) -> tuple[bool, list[Obj]]:
    """Whether the owner's rules include the servant's, and the broken-down rules they miss."""
    missing = [sub for rule in servant_rules for sub in breakdown(rule)
               if not any(rule_covers(o, sub) for o in owner_rules)]
    return not missing, missing


def compact(rules: Iterable[Obj]) -> list[Obj]:
    """Merge single-group, single-resource rules that differ only in verbs."""
    out: list[Obj] = []
    simple: dict[tuple[str, str, str | None], Obj] = {}
    for r in rules:
        names = _strs(r.get("resourceNames"))
        keys = {k for k, v in r.items() if v}
        if len(names) <= 1 and not r.get("nonResourceURLs") and \
                len(_strs(r.get("apiGroups"))) == 1 and len(_strs(r.get("resources"))) == 1 and \
                keys <= {"apiGroups", "resources", "verbs", "resourceNames"}:
            key = (r["apiGroups"][0], r["resources"][0], names[0] if names else None)
            if key in simple:
                simple[key]["verbs"] = [*simple[key].get("verbs", []), *_strs(r.get("verbs"))]
            else:
                simple[key] = {**r, "verbs": _strs(r.get("verbs"))}
        else:
            out.append(r)
    return out + list(simple.values())


def compact_string(rule: Obj) -> str:
    """``{APIGroups:[""], Resources:["pods"], Verbs:["get"]}`` (rbac's CompactString)."""
    parts = []
    for field, label in (("apiGroups", "APIGroups"), ("resources", "Resources"),
                         ("nonResourceURLs", "NonResourceURLs"),
                         ("resourceNames", "ResourceNames"), ("verbs", "Verbs")):
        vals = _strs(rule.get(field))
        if vals:
            parts.append(f"{label}:{goq_list(vals)}")
    return "{" + ", ".join(parts) + "}"


def goq(s: str) -> str:
    """Go's ``%q`` of a string (close enough: JSON escaping for the odd control character)."""
    return json.dumps(s, ensure_ascii=False)


def goq_list(values: Iterable[str]) -> str:
    """Go's ``%q`` of a []string: ``["a" "b"]``."""
    return "[" + " ".join(goq(v) for v in values) + "]"
