"""Escalation prevention on Role, ClusterRole and binding writes, through the write path."""

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
DEV = UserInfo("dev", groups=("devs", "system:authenticated"))


@pytest.fixture
async def cluster() -> AsyncIterator[Cluster]:
    cfg = ClusterConfig(controllers=["namespace", "clusterroleaggregation"],
                        auth=AuthConfig(authorization_mode="RBAC"))
    async with Cluster(cfg, clock="virtual", serve=False) as c:
        # dev may write roles and bindings in "default" and read configmaps there
        grant(c, "dev-rbac", [rule("create update get", "rbac.authorization.k8s.io",
                                   "roles rolebindings"),
                              rule("get list", "", "configmaps")])
        await c.settle()
        yield c


def rule(verbs: str, group: str, resources: str, names: str = "") -> Obj:
    r: Obj = {"apiGroups": [group], "resources": resources.split(), "verbs": verbs.split()}
    if names:
        r["resourceNames"] = names.split()
    return r


def role(name: str, rules: list[Obj], ns: str = "default") -> Obj:
    return {"apiVersion": RBAC, "kind": "Role", "metadata": {"name": name, "namespace": ns},
            "rules": rules}


def binding(name: str, kind: str, role_name: str, user: str = "dev", ns: str = "default") -> Obj:
    return {"apiVersion": RBAC, "kind": "RoleBinding",
            "metadata": {"name": name, "namespace": ns},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": kind, "name": role_name},
            "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": user}]}


def grant(c: Cluster, name: str, rules: list[Obj]) -> None:
    c.client.create(role(name, rules))
    c.client.create(binding(name, "Role", name))


def write_as(c: Cluster, user: UserInfo, obj: Obj) -> Obj:
    res = c.client.resource(obj["apiVersion"], obj["kind"])
    ns = obj["metadata"].get("namespace", "")
    if c.registry.get_or_none(res, ns, obj["metadata"]["name"]) is not None:
        return c.registry.update(res, ns, obj["metadata"]["name"], obj, WriteOptions(user=user))
    return c.registry.create(res, ns, obj, WriteOptions(user=user))


async def test_a_role_within_the_writers_own_rules_is_allowed(cluster: Cluster) -> None:
    write_as(cluster, DEV, role("reader", [rule("get", "", "configmaps")]))


async def test_a_role_granting_more_than_the_writer_holds_is_forbidden(cluster: Cluster) -> None:
    with pytest.raises(errors.Forbidden) as e:
        write_as(cluster, DEV, role("pods", [rule("get list", "", "pods configmaps")]))
    assert e.value.message == (
        'roles.rbac.authorization.k8s.io "pods" is forbidden: user "dev" '
        '(groups=["devs" "system:authenticated"]) is attempting to grant RBAC permissions not '
        'currently held:\n{APIGroups:[""], Resources:["pods"], Verbs:["get" "list"]}')
    assert e.value.details == {"name": "pods", "group": "rbac.authorization.k8s.io",
                               "kind": "roles"}


async def test_the_escalate_verb_lifts_the_check(cluster: Cluster) -> None:
    grant(cluster, "escalator", [rule("escalate", "rbac.authorization.k8s.io", "roles")])
    write_as(cluster, DEV, role("pods", [rule("*", "*", "*")]))


async def test_an_update_is_checked_too(cluster: Cluster) -> None:
    write_as(cluster, DEV, role("reader", [rule("get", "", "configmaps")]))
    with pytest.raises(errors.Forbidden):
        write_as(cluster, DEV, role("reader", [rule("get", "", "secrets")]))


async def test_an_update_of_garbage_collector_fields_only_is_not_checked(
        cluster: Cluster) -> None:
    cluster.client.create(role("big", [rule("*", "*", "*")]))
    big = cluster.client.get(RBAC, "Role", "big", "default")
    big["metadata"]["finalizers"] = ["example.com/keep"]
    write_as(cluster, DEV, big)
    big = cluster.client.get(RBAC, "Role", "big", "default")
    big["metadata"]["labels"] = {"a": "b"}
    with pytest.raises(errors.Forbidden):
        write_as(cluster, DEV, big)


async def test_binding_a_role_the_writer_holds_is_allowed(cluster: Cluster) -> None:
    cluster.client.create(role("cm-reader", [rule("get", "", "configmaps")]))
    write_as(cluster, DEV, binding("b", "Role", "cm-reader", user="someone"))


async def test_binding_a_role_with_more_is_forbidden(cluster: Cluster) -> None:
    with pytest.raises(errors.Forbidden) as e:
        write_as(cluster, DEV, binding("b", "ClusterRole", "view", user="someone"))
    assert e.value.message.startswith(
        'rolebindings.rbac.authorization.k8s.io "b" is forbidden: user "dev" ')


async def test_the_bind_verb_on_that_role_lifts_the_check(cluster: Cluster) -> None:
    grant(cluster, "binder", [rule("bind", "rbac.authorization.k8s.io", "clusterroles",
                                   names="view")])
    write_as(cluster, DEV, binding("b", "ClusterRole", "view", user="someone"))
    with pytest.raises(errors.Forbidden):
        write_as(cluster, DEV, binding("c", "ClusterRole", "edit", user="someone"))


async def test_binding_a_missing_role_is_not_found(cluster: Cluster) -> None:
    with pytest.raises(errors.NotFound) as e:
        write_as(cluster, DEV, binding("b", "Role", "nope"))
    assert e.value.message == 'roles.rbac.authorization.k8s.io "nope" not found'


async def test_an_aggregation_rule_needs_cluster_admin(cluster: Cluster) -> None:
    crb = {"apiVersion": RBAC, "kind": "ClusterRoleBinding", "metadata": {"name": "dev-cr"},
           "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                       "name": "cr-writer"},
           "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "dev"}]}
    cluster.client.create({"apiVersion": RBAC, "kind": "ClusterRole",
                           "metadata": {"name": "cr-writer"},
                           "rules": [rule("create", "rbac.authorization.k8s.io", "clusterroles")]})
    cluster.client.create(crb)
    agg = {"apiVersion": RBAC, "kind": "ClusterRole", "metadata": {"name": "agg"},
           "aggregationRule": {"clusterRoleSelectors": [{"matchLabels": {"x": "y"}}]}}
    with pytest.raises(errors.Forbidden) as e:
        write_as(cluster, DEV, agg)
    assert e.value.message == ('clusterroles.rbac.authorization.k8s.io "agg" is forbidden: '
                               "must have cluster-admin privileges to use the aggregationRule")


async def test_system_masters_and_the_in_process_client_are_never_checked(
        cluster: Cluster) -> None:
    admin = UserInfo("root", groups=("system:masters",))
    write_as(cluster, admin, role("all", [rule("*", "*", "*")]))
    cluster.client.create(role("all2", [rule("*", "*", "*")]))
