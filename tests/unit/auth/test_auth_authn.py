"""Authentication: the token file, service-account tokens and the anonymous user."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from typing import Any

import orjson
import pytest

from minik8s.api import errors
from minik8s.auth import authn
from minik8s.auth.user import UserInfo
from minik8s.cluster import Cluster
from minik8s.config import AuthConfig, ClusterConfig

CONTROLLERS = ["namespace", "serviceaccount"]


@pytest.fixture
async def cluster() -> AsyncIterator[Cluster]:
    cfg = ClusterConfig(controllers=CONTROLLERS, auth=AuthConfig(authorization_mode="RBAC"))
    async with Cluster(cfg, clock="virtual", serve=False) as c:
        yield c


def token_for(c: Cluster, sa: str, ns: str = "default", **spec: Any) -> str:
    res = c.registry.table.by_key("serviceaccounts")
    assert res is not None
    out = c.registry.sub.token(ns, sa, {"spec": spec})
    return str(out["status"]["token"])


def test_the_token_file_is_kube_apiservers_csv() -> None:
    users = authn.parse_token_csv('t1,alice,1001,"devs,qa"\nt2,bob,1002\n\n')
    assert users == {"t1": UserInfo("alice", "1001", ("devs", "qa")),
                     "t2": UserInfo("bob", "1002")}


def test_a_token_file_line_needs_three_columns() -> None:
    with pytest.raises(ValueError, match="at least 3 columns"):
        authn.parse_token_csv("t1,alice\n")


def test_static_users_are_in_system_authenticated() -> None:
    a = authn.Authenticator({"t": UserInfo("alice", groups=("devs",))},
                            None, anonymous=False)  # type: ignore[arg-type]
    assert a.request({"Authorization": "Bearer t"}).groups == ("devs", "system:authenticated")


def test_no_credentials_is_anonymous_or_401() -> None:
    on = authn.Authenticator({}, None, anonymous=True)  # type: ignore[arg-type]
    off = authn.Authenticator({}, None, anonymous=False)  # type: ignore[arg-type]
    assert on.request({}) == UserInfo("system:anonymous", groups=("system:unauthenticated",))
    with pytest.raises(errors.Unauthorized):
        off.request({})


def test_a_bad_token_is_never_anonymous() -> None:
    on = authn.Authenticator({}, None, anonymous=True)  # type: ignore[arg-type]
    with pytest.raises(errors.Unauthorized) as e:
        on.request({"Authorization": "Bearer nope"})
    assert e.value.to_status()["message"] == "Unauthorized"


async def test_a_service_account_token_names_the_account(cluster: Cluster) -> None:
    await cluster.settle()
    sa = cluster.client.get("v1", "ServiceAccount", "default", "default")
    user = cluster.auth.authn.token(token_for(cluster, "default"))  # type: ignore[union-attr]
    assert user.name == "system:serviceaccount:default:default"
    assert user.uid == sa["metadata"]["uid"]
    assert user.groups == ("system:serviceaccounts", "system:serviceaccounts:default",
                           "system:authenticated")
    assert user.extra["authentication.kubernetes.io/credential-id"][0].startswith("JTI=")


async def test_a_service_account_token_expires(cluster: Cluster) -> None:
    await cluster.settle()
    token = token_for(cluster, "default", expirationSeconds=600)
    auth = cluster.auth.authn  # type: ignore[union-attr]
    auth.token(token)
    await cluster.advance(601)
    with pytest.raises(authn.InvalidToken, match="expired"):
        auth.token(token)


async def test_a_token_dies_with_its_service_account(cluster: Cluster) -> None:
    await cluster.settle()
    cluster.client.create({"apiVersion": "v1", "kind": "ServiceAccount",
                           "metadata": {"name": "op", "namespace": "default"}})
    token = token_for(cluster, "op")
    cluster.auth.authn.token(token)  # type: ignore[union-attr]
    cluster.client.delete("v1", "ServiceAccount", "op", "default")
    with pytest.raises(authn.InvalidToken):
        cluster.auth.authn.token(token)  # type: ignore[union-attr]
    cluster.client.create({"apiVersion": "v1", "kind": "ServiceAccount",
                           "metadata": {"name": "op", "namespace": "default"}})
    with pytest.raises(authn.InvalidToken, match="does not match"):  # same name, new uid
        cluster.auth.authn.token(token)  # type: ignore[union-attr]


def _tamper(token: str, **claims: Any) -> str:
    head, payload, sig = token.split(".")
    body = orjson.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    body.update(claims)
    return ".".join([head, base64.urlsafe_b64encode(orjson.dumps(body)).decode().rstrip("="), sig])


async def test_a_tampered_token_fails_its_signature(cluster: Cluster) -> None:
    await cluster.settle()
    token = _tamper(token_for(cluster, "default"), sub="system:serviceaccount:kube-system:x")
    with pytest.raises(authn.InvalidToken, match="invalid bearer token"):
        cluster.auth.authn.token(token)  # type: ignore[union-attr]


async def test_a_token_for_another_audience_is_refused(cluster: Cluster) -> None:
    await cluster.settle()
    token = token_for(cluster, "default", audiences=["vault"])
    with pytest.raises(authn.InvalidToken, match="audiences"):
        cluster.auth.authn.token(token)  # type: ignore[union-attr]


async def test_another_clusters_token_is_refused(cluster: Cluster) -> None:
    await cluster.settle()
    cfg = ClusterConfig(controllers=CONTROLLERS, auth=AuthConfig(authorization_mode="RBAC"))
    async with Cluster(cfg, clock="virtual", serve=False) as other:
        await other.settle()
        with pytest.raises(authn.InvalidToken):
            other.auth.authn.token(token_for(cluster, "default"))  # type: ignore[union-attr]


async def test_without_auth_tokens_are_issued_as_before() -> None:
    async with Cluster(ClusterConfig(controllers=CONTROLLERS), clock="virtual",
                       serve=False) as c:
        await c.settle()
        assert c.auth is None and c.registry.token_signer is None
        assert token_for(c, "default").endswith(".minik8s")
