"""The review resources answered by the real authorizer, and ClusterRole aggregation."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from minik8s.api import errors
from minik8s.auth.user import UserInfo
from minik8s.cluster import Cluster
from minik8s.config import AuthConfig, ClusterConfig
from minik8s.registry.registry import WriteOptions

Obj = dict[str, Any]
RBAC = "rbac.authorization.k8s.io/v1"
AUTHZ = "authorization.k8s.io/v1"


@pytest.fixture
async def cluster() -> AsyncIterator[Cluster]:
    cfg = ClusterConfig(controllers=["namespace", "clusterroleaggregation"],
                        auth=AuthConfig(authorization_mode="RBAC"))
    async with Cluster(cfg, clock="virtual", serve=False) as c:
        c.client.create({"apiVersion": RBAC, "kind": "RoleBinding",
                         "metadata": {"name": "dev-view", "namespace": "default"},
                         "roleRef": {"apiGroup": "rbac.authorization.k8s.io",
                                     "kind": "ClusterRole", "name": "view"},
                         "subjects": [{"kind": "User", "name": "dev"}]})
        await c.settle()
        yield c


def review(c: Cluster, kind: str, spec: Obj, *, user: UserInfo | None = None,
           ns: str = "", api_version: str = AUTHZ) -> Obj:
    res = c.client.resource(api_version, kind)
    body = {"apiVersion": api_version, "kind": kind, "spec": spec}
    return c.registry.create(res, ns, body, WriteOptions(user=user))["status"]  # type: ignore[no-any-return]


def sar(verb: str, resource: str, ns: str = "default", group: str = "", **kw: str) -> Obj:
    return {"user": "dev", "resourceAttributes": {"verb": verb, "resource": resource,
                                                  "namespace": ns, "group": group, **kw}}


async def test_a_subject_access_review_answers_by_rbac(cluster: Cluster) -> None:
    assert review(cluster, "SubjectAccessReview", sar("list", "pods")) == {
        "allowed": True,
        "reason": 'RBAC: allowed by RoleBinding "dev-view/default" of ClusterRole "view" to '
                  'User "dev"'}
    assert review(cluster, "SubjectAccessReview", sar("delete", "pods")) == {"allowed": False}
    assert review(cluster, "SubjectAccessReview", sar("list", "pods", ns="kube-system")) == {
        "allowed": False}


async def test_the_aggregated_view_role_grants_what_its_parts_grant(cluster: Cluster) -> None:
    assert review(cluster, "SubjectAccessReview",
                  sar("watch", "deployments", group="apps"))["allowed"] is True
    assert review(cluster, "SubjectAccessReview", sar("get", "secrets"))["allowed"] is False


async def test_a_review_needs_exactly_one_kind_of_attributes(cluster: Cluster) -> None:
    with pytest.raises(errors.Invalid) as e:
        review(cluster, "SubjectAccessReview", {"user": "dev"})
    assert "exactly one of nonResourceAttributes or resourceAttributes must be specified" in \
        e.value.message
    with pytest.raises(errors.Invalid, match="at least one of user or group"):
        review(cluster, "SubjectAccessReview", {"nonResourceAttributes": {"path": "/x",
                                                                          "verb": "get"}})


async def test_a_local_review_must_name_its_own_namespace(cluster: Cluster) -> None:
    assert review(cluster, "LocalSubjectAccessReview", sar("list", "pods"),
                  ns="default")["allowed"] is True
    with pytest.raises(errors.BadRequest, match="must match namespace: kube-system"):
        review(cluster, "LocalSubjectAccessReview", sar("list", "pods"), ns="kube-system")


async def test_self_reviews_answer_for_the_requester(cluster: Cluster) -> None:
    dev = UserInfo("dev", groups=("system:authenticated",))
    spec = {"resourceAttributes": {"verb": "get", "resource": "pods", "namespace": "default"}}
    assert review(cluster, "SelfSubjectAccessReview", spec, user=dev)["allowed"] is True
    assert review(cluster, "SelfSubjectAccessReview", {"nonResourceAttributes": {
        "verb": "get", "path": "/logs"}}, user=dev) == {"allowed": False}
    assert review(cluster, "SelfSubjectReview", {}, user=dev,
                  api_version="authentication.k8s.io/v1") == {
        "userInfo": {"username": "dev", "groups": ["system:authenticated"]}}


async def test_a_rules_review_lists_the_requesters_rules(cluster: Cluster) -> None:
    dev = UserInfo("dev", groups=("system:authenticated",))
    status = review(cluster, "SelfSubjectRulesReview", {"namespace": "default"}, user=dev)
    assert status["incomplete"] is False
    assert {"verbs": ["get", "list", "watch"], "apiGroups": [""], "resources": ["namespaces"]} \
        in status["resourceRules"]
    assert {"verbs": ["get"], "nonResourceURLs": ["/healthz", "/livez", "/readyz", "/version",
                                                  "/version/"]} in status["nonResourceRules"]
    other = review(cluster, "SelfSubjectRulesReview", {"namespace": "kube-system"}, user=dev)
    assert not any("namespaces" in r.get("resources", ()) for r in other["resourceRules"])


async def test_a_binding_to_a_missing_role_is_an_evaluation_error(cluster: Cluster) -> None:
    cluster.client.create({"apiVersion": RBAC, "kind": "RoleBinding",
                           "metadata": {"name": "dangling", "namespace": "default"},
                           "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role",
                                       "name": "gone"},
                           "subjects": [{"kind": "User", "name": "dev"}]})
    assert review(cluster, "SubjectAccessReview", sar("get", "secrets")) == {
        "allowed": False, "reason": 'RBAC: role.rbac.authorization.k8s.io "gone" not found'}


async def test_aggregation_follows_labels_in_and_out(cluster: Cluster) -> None:
    extra = {"apiVersion": RBAC, "kind": "ClusterRole",
             "metadata": {"name": "widgets-view",
                          "labels": {"rbac.authorization.k8s.io/aggregate-to-view": "true"}},
             "rules": [{"apiGroups": ["example.com"], "resources": ["widgets"],
                        "verbs": ["get"]}]}
    cluster.client.create(extra)
    await cluster.settle()
    for name in ("view", "edit", "admin"):  # view → edit → admin
        rules = cluster.client.get(RBAC, "ClusterRole", name)["rules"]
        assert extra["rules"][0] in rules, name
    widget = sar("get", "widgets", group="example.com")
    assert review(cluster, "SubjectAccessReview", widget)["allowed"] is True
    cur = cluster.client.get(RBAC, "ClusterRole", "widgets-view")
    cur["metadata"]["labels"] = {}
    cluster.client.update(cur)
    await cluster.settle()
    assert extra["rules"][0] not in cluster.client.get(RBAC, "ClusterRole", "admin")["rules"]
    assert review(cluster, "SubjectAccessReview", widget)["allowed"] is False
