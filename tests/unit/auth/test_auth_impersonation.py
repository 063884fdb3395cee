"""Impersonation headers: who a request acts as, and who may ask for it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from multidict import CIMultiDict

from minik8s.api import errors
from minik8s.auth import filters
from minik8s.auth.user import UserInfo
from minik8s.cluster import Cluster
from minik8s.config import AuthConfig, ClusterConfig

ROOT = UserInfo("root", groups=("system:masters", "system:authenticated"))
NOBODY = UserInfo("nobody", groups=("system:authenticated",))


@pytest.fixture
async def cluster() -> AsyncIterator[Cluster]:
    cfg = ClusterConfig(controllers=["namespace"], auth=AuthConfig(authorization_mode="RBAC"))
    async with Cluster(cfg, clock="virtual", serve=False) as c:
        yield c


def act(c: Cluster, who: UserInfo, *headers: tuple[str, str]) -> UserInfo:
    assert c.auth is not None
    return filters.impersonate(c.auth, who, CIMultiDict(headers))


CASES = [
    ("a user gets system:authenticated", [("Impersonate-User", "bob")],
     UserInfo("bob", groups=("system:authenticated",))),
    ("named groups come first, then system:authenticated",
     [("Impersonate-User", "bob"), ("Impersonate-Group", "a"), ("Impersonate-Group", "b")],
     UserInfo("bob", groups=("a", "b", "system:authenticated"))),
    ("naming system:unauthenticated keeps system:authenticated out",
     [("Impersonate-User", "bob"), ("Impersonate-Group", "system:unauthenticated")],
     UserInfo("bob", groups=("system:unauthenticated",))),
    ("the anonymous user gets system:unauthenticated", [("Impersonate-User", "system:anonymous")],
     UserInfo("system:anonymous", groups=("system:unauthenticated",))),
    ("a service account without groups gets its service-account groups",
     [("Impersonate-User", "system:serviceaccount:shop:op")],
     UserInfo("system:serviceaccount:shop:op", groups=(
         "system:serviceaccounts", "system:serviceaccounts:shop", "system:authenticated"))),
    ("uid and extras are carried",
     [("Impersonate-User", "bob"), ("Impersonate-Uid", "42"),
      ("Impersonate-Extra-Scopes", "view"), ("Impersonate-Extra-Scopes", "edit")],
     UserInfo("bob", "42", ("system:authenticated",), {"scopes": ("view", "edit")})),
]


@pytest.mark.parametrize("headers,want", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
async def test_who_a_request_acts_as(cluster: Cluster, headers: list[tuple[str, str]],
                                     want: UserInfo) -> None:
    got = act(cluster, ROOT, *headers)
    assert (got, dict(got.extra)) == (want, dict(want.extra))


async def test_groups_without_a_user_are_refused(cluster: Cluster) -> None:
    with pytest.raises(errors.InternalError, match="without impersonating a user"):
        act(cluster, ROOT, ("Impersonate-Group", "a"))


FORBIDDEN = [
    ("a user", [("Impersonate-User", "bob")],
     ('users "bob" is forbidden: User "nobody" cannot impersonate resource "users" in API group '
     '"" at the cluster scope')),
    ("a service account, in its namespace", [("Impersonate-User", "system:serviceaccount:a:b")],
     ('serviceaccounts "b" is forbidden: User "nobody" cannot impersonate resource '
     '"serviceaccounts" in API group "" in the namespace "a"')),
    ("a uid", [("Impersonate-User", "nobody"), ("Impersonate-Uid", "7")],
     ('users "nobody" is forbidden: User "nobody" cannot impersonate resource "users" in API '
     'group "" at the cluster scope')),
]


@pytest.mark.parametrize("headers,message", [c[1:] for c in FORBIDDEN],
                         ids=[f"impersonating {c[0]} needs the impersonate verb"
                              for c in FORBIDDEN])
async def test_impersonation_needs_the_verb(cluster: Cluster, headers: list[tuple[str, str]],
                                            message: str) -> None:
    with pytest.raises(errors.Forbidden) as e:
        act(cluster, NOBODY, *headers)
    assert e.value.message == message


async def test_each_part_is_checked_on_its_own(cluster: Cluster) -> None:
    cluster.client.create({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
                           "metadata": {"name": "imp"}, "rules": [
                               {"apiGroups": [""], "resources": ["users"], "verbs": ["impersonate"],
                                "resourceNames": ["bob"]}]})
    cluster.client.create({"apiVersion": "rbac.authorization.k8s.io/v1",
                           "kind": "ClusterRoleBinding", "metadata": {"name": "imp"},
                           "roleRef": {"apiGroup": "rbac.authorization.k8s.io",
                                       "kind": "ClusterRole", "name": "imp"},
                           "subjects": [{"kind": "User", "name": "nobody"}]})
    assert act(cluster, NOBODY, ("Impersonate-User", "bob")).name == "bob"
    with pytest.raises(errors.Forbidden) as e:
        act(cluster, NOBODY, ("Impersonate-User", "bob"), ("Impersonate-Uid", "1"))
    assert e.value.message == ('uids.authentication.k8s.io "1" is forbidden: User "nobody" '
                               'cannot impersonate resource "uids" in API group '
                               '"authentication.k8s.io" at the cluster scope')
