"""RBAC rule evaluation (pure): matching, subjects, escalation coverage and wording."""

from __future__ import annotations

from typing import Any

import pytest

from minik8s.auth import rbac, requestinfo
from minik8s.auth.user import UserInfo

Obj = dict[str, Any]
R = requestinfo.resource
N = requestinfo.non_resource


def rule(verbs: str, groups: str = "", resources: str = "", names: str = "", urls: str = "") -> Obj:
    r: Obj = {"verbs": verbs.split()}
    if groups or resources:
        r["apiGroups"] = ["" if g == "core" else g for g in groups.split()]
        r["resources"] = resources.split()
    if names:
        r["resourceNames"] = names.split()
    if urls:
        r["nonResourceURLs"] = urls.split()
    return r


MATCHING = [
    ("a verb, group and resource that are all listed match",
     rule("get list", "core", "pods"), R("list", "pods", namespace="ns"), True),
    ("a verb the rule does not list does not match",
     rule("get list", "core", "pods"), R("delete", "pods", name="a"), False),
    ("the * verb matches every verb, escalate and bind included",
     rule("*", "core", "pods"), R("escalate", "pods"), True),
    ("a rule for one group does not match another group",
     rule("get", "apps", "deployments"), R("get", "deployments", group="extensions"), False),
    ("the * group matches any group",
     rule("get", "*", "deployments"), R("get", "deployments", group="apps"), True),
    ("the core group is the empty string, not *",
     rule("get", "core", "deployments"), R("get", "deployments", group="apps"), False),
    ("a resource does not grant its subresources",
     rule("get", "core", "pods"), R("get", "pods", subresource="log", name="p"), False),
    ("a subresource is granted as resource/subresource",
     rule("get", "core", "pods/log"), R("get", "pods", subresource="log", name="p"), True),
    ("a subresource rule does not grant the parent",
     rule("get", "core", "pods/log"), R("get", "pods", name="p"), False),
    ("*/subresource grants that subresource of every resource",
     rule("get", "*", "*/scale"), R("get", "deployments", group="apps", subresource="scale"), True),
    ("*/subresource does not grant another subresource",
     rule("get", "*", "*/scale"), R("get", "deployments", group="apps", subresource="status"),
     False),
    ("the * resource grants resources and subresources alike",
     rule("get", "core", "*"), R("get", "pods", subresource="exec"), True),
    ("resourceNames restrict the rule to those names",
     rule("get", "core", "secrets", names="db"), R("get", "secrets", name="db"), True),
    ("another name is not granted by resourceNames",
     rule("get", "core", "secrets", names="db"), R("get", "secrets", name="other"), False),
    ("a list (no name) is not granted by a rule with resourceNames",
     rule("list", "core", "secrets", names="db"), R("list", "secrets"), False),
    ("a resource rule never matches a non-resource request",
     rule("get", "*", "*"), N("get", "/healthz"), False),
    ("an exact nonResourceURL matches that path",
     rule("get", urls="/healthz"), N("get", "/healthz"), True),
    ("an exact nonResourceURL does not match a longer path",
     rule("get", urls="/healthz"), N("get", "/healthz/etcd"), False),
    ("a trailing * in a nonResourceURL matches the prefix",
     rule("get", urls="/apis/*"), N("get", "/apis/apps/v1"), True),
    ("a prefix rule does not match the path without its slash",
     rule("get", urls="/apis/*"), N("get", "/apis"), False),
    ("the * nonResourceURL matches every path",
     rule("get", urls="*"), N("get", "/logs/x"), True),
    ("non-resource verbs are the lower-case HTTP method",
     rule("get", urls="/metrics"), N("post", "/metrics"), False),
    ("a non-resource rule never matches a resource request",
     rule("*", urls="*"), R("get", "pods"), False),
]


@pytest.mark.parametrize("r,info,allowed", [c[1:] for c in MATCHING],
                         ids=[c[0] for c in MATCHING])
def test_rule_matching(r: Obj, info: requestinfo.RequestInfo, allowed: bool) -> None:
    assert rbac.rule_allows(info, r) is allowed


ALICE = UserInfo("alice", groups=("devs", "system:authenticated"))
SA = UserInfo("system:serviceaccount:shop:op", groups=("system:serviceaccounts",))
SUBJECTS = [
    ("a User subject names the user", ALICE, {"kind": "User", "name": "alice"}, "", True),
    ("a User subject for someone else does not apply", ALICE, {"kind": "User", "name": "bob"},
     "", False),
    ("a Group subject applies to its members", ALICE, {"kind": "Group", "name": "devs"}, "",
     True),
    ("a ServiceAccount subject matches the service account's username", SA,
     {"kind": "ServiceAccount", "name": "op", "namespace": "shop"}, "", True),
    ("a ServiceAccount subject's namespace defaults to the RoleBinding's", SA,
     {"kind": "ServiceAccount", "name": "op"}, "shop", True),
    ("without a namespace anywhere a ServiceAccount subject applies to no one", SA,
     {"kind": "ServiceAccount", "name": "op"}, "", False),
    ("a ServiceAccount of another namespace does not apply", SA,
     {"kind": "ServiceAccount", "name": "op", "namespace": "other"}, "", False),
    ("a user named like a service account is not a ServiceAccount subject",
     UserInfo("op"), {"kind": "ServiceAccount", "name": "op", "namespace": "shop"}, "", False),
]


@pytest.mark.parametrize("user,subject,ns,applies", [c[1:] for c in SUBJECTS],
                         ids=[c[0] for c in SUBJECTS])
def test_subjects(user: UserInfo, subject: Obj, ns: str, applies: bool) -> None:
    assert rbac.subject_applies(user, subject, ns) is applies


COVERS = [
    ("the same rule covers itself", [rule("get list", "core", "pods")],
     [rule("get list", "core", "pods")], True),
    ("* on everything covers anything", list(rbac.FULL_AUTHORITY),
     [rule("escalate", "rbac.authorization.k8s.io", "roles"), rule("get", urls="/x")], True),
    ("holding fewer verbs does not cover more", [rule("get", "core", "pods")],
     [rule("get list", "core", "pods")], False),
    ("rules held in two roles cover one rule asking for both",
     [rule("get", "core", "pods"), rule("list", "core", "pods")],
     [rule("get list", "core", "pods")], True),
    ("a resource covers a name-restricted rule", [rule("get", "core", "secrets")],
     [rule("get", "core", "secrets", names="db")], True),
    ("a name-restricted rule does not cover the whole resource",
     [rule("get", "core", "secrets", names="db")], [rule("get", "core", "secrets")], False),
    ("*/subresource covers that subresource", [rule("get", "*", "*/scale")],
     [rule("get", "apps", "deployments/scale")], True),
    ("a prefix URL covers longer URLs", [rule("get", urls="/apis/*")],
     [rule("get", urls="/apis/apps")], True),
    ("a resource rule does not cover a URL", [rule("*", "*", "*")],
     [rule("get", urls="/healthz")], False),
]


@pytest.mark.parametrize("owner,servant,covered", [c[1:] for c in COVERS],
                         ids=[c[0] for c in COVERS])
def test_covers(owner: list[Obj], servant: list[Obj], covered: bool) -> None:
    assert rbac.covers(owner, servant)[0] is covered


def test_missing_rules_are_broken_down_then_compacted_by_verb() -> None:
    ok, missing = rbac.covers([rule("get", "core", "pods")],
                              [rule("get list watch", "core", "pods configmaps")])
    assert not ok
    assert sorted(rbac.compact_string(r) for r in rbac.compact(missing)) == [
        '{APIGroups:[""], Resources:["configmaps"], Verbs:["get" "list" "watch"]}',
        '{APIGroups:[""], Resources:["pods"], Verbs:["list" "watch"]}',
    ]


def test_allowed_by_reason_names_the_binding_role_and_subject() -> None:
    crb = {"kind": "ClusterRoleBinding", "metadata": {"name": "cluster-admin"},
           "roleRef": {"kind": "ClusterRole", "name": "cluster-admin"}}
    rb = {"kind": "RoleBinding", "metadata": {"name": "op", "namespace": "shop"},
          "roleRef": {"kind": "Role", "name": "op"}}
    assert rbac.describe_binding(crb, {"kind": "Group", "name": "system:masters"}) == \
        ('ClusterRoleBinding "cluster-admin" of ClusterRole "cluster-admin" to Group '
         '"system:masters"')
    assert rbac.describe_binding(rb, {"kind": "ServiceAccount", "name": "op"}) == \
        'RoleBinding "op/shop" of Role "op" to ServiceAccount "op/shop"'
