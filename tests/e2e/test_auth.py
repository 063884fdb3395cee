"""Authentication, RBAC and TLS end to end: kubectl and raw HTTPS against a served cluster.

The cluster runs with ``--authorization-mode=RBAC --anonymous-auth=false`` and a token
file; TLS comes on with auth, and the kubeconfig holds the generated CA and an admin
token (``system:masters``). An operator's RBAC manifest is applied, and its
service-account token (``kubectl create token``) must be able to do exactly what the
manifest grants: every row of one table is checked with ``kubectl auth can-i --as`` and
with a real request carrying the token.
"""

from __future__ import annotations

import json
import os
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from e2e_support import EDGE_VERSIONS
from served import ServedCluster

from minik8s.config import AuthConfig, ClusterConfig

pytestmark = pytest.mark.kubectl
Obj = dict[str, Any]
SA = "system:serviceaccount:shop:db-operator"
TOKENS = 'alice-token,alice,1001,"devs,qa"\ndev-token,dev,1002,devs\n'

OPERATOR = """
apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: db-operator, namespace: shop}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: db-operator, namespace: shop}
rules:
- apiGroups: [""]
  resources: [configmaps]
  verbs: [get, list, watch, create, update, patch]
- apiGroups: [""]
  resources: [secrets]
  resourceNames: [db-credentials]
  verbs: [get]
- apiGroups: [""]
  resources: [pods, pods/log]
  verbs: [get, list]
- apiGroups: [apps]
  resources: [statefulsets, statefulsets/scale]
  verbs: ["*"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: db-operator, namespace: shop}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: db-operator}
subjects:
- {kind: ServiceAccount, name: db-operator, namespace: shop}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: db-operator-cluster}
rules:
- apiGroups: [""]
  resources: [nodes]
  verbs: [get, list, watch]
- apiGroups: [apiextensions.k8s.io]
  resources: [customresourcedefinitions]
  verbs: [get, list]
- nonResourceURLs: [/metrics]
  verbs: [get]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: db-operator-cluster}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: db-operator-cluster}
subjects:
- {kind: ServiceAccount, name: db-operator, namespace: shop}
"""


@pytest.fixture(scope="module")
def rbac(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedCluster]:
    d = tmp_path_factory.mktemp("auth")
    (d / "tokens.csv").write_text(TOKENS)
    (d / "operator.yaml").write_text(OPERATOR)
    cfg = ClusterConfig(auth=AuthConfig(authorization_mode="RBAC", anonymous_auth=False,
                                        token_auth_file=str(d / "tokens.csv")))
    sc = ServedCluster(config=cfg)
    try:
        sc.kubectl("apply", "-f", str(d / "operator.yaml"))
        sc.kubectl("create", "secret", "generic", "db-credentials", "-n", "shop",
                   "--from-literal=password=s3cret")
        sc.kubectl("create", "secret", "generic", "other", "-n", "shop", "--from-literal=a=b")
        sc.kubectl("create", "configmap", "settings", "-n", "shop", "--from-literal=a=b")
        sc.kubectl("run", "db-0", "-n", "shop", "--image=postgres:16")
        sc.kubectl("create", "deployment", "web", "-n", "shop", "--image=nginx", "--replicas=0")
        sc.kubectl("apply", "-f", "-", input=yaml.safe_dump({
            "apiVersion": "apps/v1", "kind": "StatefulSet",
            "metadata": {"name": "db", "namespace": "shop"},
            "spec": {"replicas": 0, "serviceName": "db",
                     "selector": {"matchLabels": {"app": "db"}},
                     "template": {"metadata": {"labels": {"app": "db"}},
                                  "spec": {"containers": [{"name": "db",
                                                           "image": "postgres:16"}]}}}}))
        yield sc
    finally:
        sc.close()


@pytest.fixture(scope="module")
def sa_token(rbac: ServedCluster) -> str:
    return rbac.kubectl("create", "token", "db-operator", "-n", "shop").stdout.strip()


def _tls(sc: ServedCluster) -> ssl.SSLContext | None:
    ca = sc.cluster.ca_pem
    return ssl.create_default_context(cadata=ca.decode()) if ca else None


def api(sc: ServedCluster, method: str, path: str, token: str | None = None,
        body: Obj | None = None) -> tuple[int, Obj]:
    ct = "application/merge-patch+json" if method == "PATCH" else "application/json"
    headers = {"Content-Type": ct, "Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(sc.cluster.url + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=10, context=_tls(sc)) as r:
            raw = r.read()
            status = r.status
    except urllib.error.HTTPError as e:
        raw, status = e.read(), e.code
    try:
        return status, json.loads(raw) if raw else {}
    except ValueError:
        return status, {"text": raw.decode()}


# --------------------------------------------------------------------------- authentication
def test_tls_is_on_and_the_kubeconfig_carries_the_ca_and_an_admin_token(
        rbac: ServedCluster) -> None:
    assert rbac.cluster.url.startswith("https://")
    cfg = yaml.safe_load(Path(rbac.cluster.kubeconfig_path).read_text())
    assert cfg["clusters"][0]["cluster"]["certificate-authority-data"]
    assert cfg["users"][0]["user"]["token"] == rbac.cluster.admin_token
    assert "Ready" in rbac.kubectl("get", "nodes").stdout


def test_a_request_without_a_token_is_401_when_anonymous_auth_is_off(rbac: ServedCluster) -> None:
    for path in ("/api/v1/namespaces", "/version", "/healthz"):
        assert api(rbac, "GET", path) == (401, {
            "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": "Unauthorized", "reason": "Unauthorized", "code": 401})


def test_a_bad_token_is_401(rbac: ServedCluster) -> None:
    assert api(rbac, "GET", "/api/v1/namespaces", token="not-a-token")[0] == 401
    p = rbac.kubectl("--token=not-a-token", "get", "pods", check=False)
    assert p.returncode == 1
    assert "error: You must be logged in to the server (Unauthorized)" in p.stderr


def test_whoami_answers_the_real_identity(rbac: ServedCluster, sa_token: str) -> None:
    assert rbac.kubectl("auth", "whoami").stdout == (
        "ATTRIBUTE   VALUE\nUsername    kubernetes-admin\n"
        "Groups      [system:masters system:authenticated]\n")
    assert rbac.kubectl("--token=alice-token", "auth", "whoami").stdout == (
        "ATTRIBUTE   VALUE\nUsername    alice\nUID         1001\n"
        "Groups      [devs qa system:authenticated]\n")
    me = json.loads(rbac.kubectl(f"--token={sa_token}", "auth", "whoami", "-o", "json").stdout)
    info = me["status"]["userInfo"]
    sa = rbac.client.get("v1", "ServiceAccount", "db-operator", "shop")
    assert info["username"] == SA and info["uid"] == sa["metadata"]["uid"]
    assert info["groups"] == ["system:serviceaccounts", "system:serviceaccounts:shop",
                              "system:authenticated"]
    assert info["extra"]["authentication.kubernetes.io/credential-id"][0].startswith("JTI=")


# --------------------------------------------------------------------------- the operator
#: (sentence, can-i arguments, method, path, body, allowed)
TABLE: list[tuple[str, list[str], str, str, Obj | None, bool]] = [
    ("lists configmaps in its namespace", ["list", "configmaps", "-n", "shop"],
     "GET", "/api/v1/namespaces/shop/configmaps", None, True),
    ("creates a configmap", ["create", "configmaps", "-n", "shop"],
     "POST", "/api/v1/namespaces/shop/configmaps",
     {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "made-by-operator"}}, True),
    ("patches a configmap", ["patch", "configmaps", "-n", "shop"],
     "PATCH", "/api/v1/namespaces/shop/configmaps/settings", {"data": {"b": "c"}}, True),
    ("cannot delete a configmap", ["delete", "configmaps", "-n", "shop"],
     "DELETE", "/api/v1/namespaces/shop/configmaps/settings", None, False),
    ("cannot list configmaps in another namespace", ["list", "configmaps", "-n", "default"],
     "GET", "/api/v1/namespaces/default/configmaps", None, False),
    ("reads the one secret its role names", ["get", "secrets/db-credentials", "-n", "shop"],
     "GET", "/api/v1/namespaces/shop/secrets/db-credentials", None, True),
    ("cannot read another secret", ["get", "secrets/other", "-n", "shop"],
     "GET", "/api/v1/namespaces/shop/secrets/other", None, False),
    ("cannot list secrets", ["list", "secrets", "-n", "shop"],
     "GET", "/api/v1/namespaces/shop/secrets", None, False),
    ("reads pod logs", ["get", "pods", "--subresource=log", "-n", "shop"],
     "GET", "/api/v1/namespaces/shop/pods/db-0/log", None, True),
    ("cannot delete pods", ["delete", "pods", "-n", "shop"],
     "DELETE", "/api/v1/namespaces/shop/pods/db-0", None, False),
    ("cannot exec into pods", ["create", "pods", "--subresource=exec", "-n", "shop"],
     "POST", "/api/v1/namespaces/shop/pods/db-0/exec", None, False),
    ("reads the scale of its statefulsets", ["get", "statefulsets.apps", "--subresource=scale",
                                             "-n", "shop"],
     "GET", "/apis/apps/v1/namespaces/shop/statefulsets/db/scale", None, True),
    ("cannot list deployments", ["list", "deployments.apps", "-n", "shop"],
     "GET", "/apis/apps/v1/namespaces/shop/deployments", None, False),
    ("lists nodes", ["list", "nodes"], "GET", "/api/v1/nodes", None, True),
    ("cannot delete a node", ["delete", "nodes"],
     "DELETE", "/api/v1/nodes/minik8s-worker2", None, False),
    ("reads CRDs", ["list", "customresourcedefinitions.apiextensions.k8s.io"],
     "GET", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", None, True),
    ("cannot list namespaces", ["list", "namespaces"], "GET", "/api/v1/namespaces", None, False),
    ("may get /metrics", ["get", "/metrics"], "GET", "/metrics", None, True),
    ("cannot get /logs", ["get", "/logs"], "GET", "/logs", None, False),
    ("reads discovery, as every authenticated user", ["get", "/apis"], "GET", "/apis", None, True),
]


@pytest.mark.parametrize("args,allowed", [(r[1], r[5]) for r in TABLE],
                         ids=[r[0] for r in TABLE])
def test_can_i_as_the_service_account(rbac: ServedCluster, args: list[str],
                                      allowed: bool) -> None:
    p = rbac.kubectl("auth", "can-i", *args, f"--as={SA}", check=False)
    assert (p.stdout.strip(), p.returncode) == (("yes", 0) if allowed else ("no", 1)), p.stderr


@pytest.mark.parametrize("method,path,body,allowed", [r[2:] for r in TABLE],
                         ids=[r[0] for r in TABLE])
def test_real_requests_with_the_service_account_token(
        rbac: ServedCluster, sa_token: str, method: str, path: str, body: Obj | None,
        allowed: bool) -> None:
    status, out = api(rbac, method, path, sa_token, body)
    if allowed:
        # /metrics is authorized, then not served (404), as on a server without the endpoint
        assert status in ((404,) if path == "/metrics" else (200, 201)), out
    else:
        assert (status, out.get("reason")) == (403, "Forbidden"), out


def test_can_i_list_shows_the_service_accounts_rules(rbac: ServedCluster) -> None:
    out = rbac.kubectl("auth", "can-i", "--list", "-n", "shop", f"--as={SA}").stdout
    rows = {tuple(line.split()) for line in out.splitlines()[1:]}
    for row in [
        ("configmaps", "[]", "[]", "[get", "list", "watch", "create", "update", "patch]"),
        ("secrets", "[]", "[db-credentials]", "[get]"),
        ("pods/log", "[]", "[]", "[get", "list]"),
        ("pods", "[]", "[]", "[get", "list]"),
        ("statefulsets.apps/scale", "[]", "[]", "[*]"),
        ("nodes", "[]", "[]", "[get", "list", "watch]"),
        ("customresourcedefinitions.apiextensions.k8s.io", "[]", "[]", "[get", "list]"),
        ("selfsubjectaccessreviews.authorization.k8s.io", "[]", "[]", "[create]"),
        ("[/metrics]", "[]", "[get]"),
        ("[/apis/*]", "[]", "[get]"),
    ]:
        assert row in rows, out
    assert not any(r[0] in ("deployments.apps", "namespaces") for r in rows), out
    # in another namespace only the cluster-wide rules remain
    other = rbac.kubectl("auth", "can-i", "--list", "-n", "default", f"--as={SA}").stdout
    assert "configmaps" not in other and "nodes" in other


def test_the_403_bodies_are_kube_apiservers(rbac: ServedCluster, sa_token: str) -> None:
    who = f'User "{SA}"'
    assert api(rbac, "GET", "/apis/apps/v1/namespaces/shop/deployments", sa_token)[1] == {
        "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
        "message": f'deployments.apps is forbidden: {who} cannot list resource "deployments" '
                   'in API group "apps" in the namespace "shop"',
        "reason": "Forbidden", "details": {"group": "apps", "kind": "deployments"}, "code": 403}
    _, named = api(rbac, "GET", "/api/v1/namespaces/shop/secrets/other", sa_token)
    assert (named["message"], named["details"]) == (
        (f'secrets "other" is forbidden: {who} cannot get resource "secrets" in API group "" '
         'in the namespace "shop"'), {"name": "other", "kind": "secrets"})
    _, cluster = api(rbac, "GET", "/api/v1/namespaces", sa_token)
    assert cluster["message"] == (f'namespaces is forbidden: {who} cannot list resource '
                                  '"namespaces" in API group "" at the cluster scope')
    _, sub = api(rbac, "POST", "/api/v1/namespaces/shop/pods/db-0/exec", sa_token)
    assert sub["message"] == (f'pods "db-0" is forbidden: {who} cannot create resource '
                              '"pods/exec" in API group "" in the namespace "shop"')
    _, path = api(rbac, "GET", "/logs", sa_token)
    assert (path["message"], path["details"]) == (f'forbidden: {who} cannot get path "/logs"', {})
    p = rbac.kubectl(f"--token={sa_token}", "get", "deployments", "-n", "shop", check=False)
    assert p.stderr.strip() == (
        f'Error from server (Forbidden): deployments.apps is forbidden: {who} cannot list '
        'resource "deployments" in API group "apps" in the namespace "shop"')


@pytest.mark.parametrize("version", EDGE_VERSIONS)
def test_old_and_new_kubectl_see_the_same_answers(rbac: ServedCluster, sa_token: str,
                                                  version: str) -> None:
    can_i = rbac.kubectl("auth", "can-i", "get", "secrets/db-credentials", "-n", "shop",
                         f"--as={SA}", version=version)
    assert can_i.stdout.strip() == "yes"
    cannot = rbac.kubectl("auth", "can-i", "list", "secrets", "-n", "shop", f"--as={SA}",
                          version=version, check=False)
    assert (cannot.stdout.strip(), cannot.returncode) == ("no", 1)
    p = rbac.kubectl(f"--token={sa_token}", "get", "secrets", "-n", "shop", version=version,
                     check=False)
    assert p.stderr.strip() == (
        f'Error from server (Forbidden): secrets is forbidden: User "{SA}" cannot list resource '
        '"secrets" in API group "" in the namespace "shop"')
    assert "db-credentials" in rbac.kubectl("auth", "can-i", "--list", "-n", "shop",
                                            f"--as={SA}", version=version).stdout


def test_a_deleted_service_account_token_stops_working(rbac: ServedCluster) -> None:
    rbac.kubectl("create", "serviceaccount", "short-lived", "-n", "shop")
    token = rbac.kubectl("create", "token", "short-lived", "-n", "shop").stdout.strip()
    assert api(rbac, "GET", "/apis", token)[0] == 200
    rbac.kubectl("delete", "serviceaccount", "short-lived", "-n", "shop")
    assert api(rbac, "GET", "/apis", token)[0] == 401


# --------------------------------------------------------------------------- escalation
def test_no_one_grants_what_they_do_not_hold(rbac: ServedCluster) -> None:
    rbac.kubectl("create", "role", "rbac-writer", "-n", "shop", "--verb=create,update,get",
                 "--resource=roles,rolebindings")
    rbac.kubectl("create", "rolebinding", "dev-rbac-writer", "-n", "shop", "--role=rbac-writer",
                 "--user=dev")
    p = rbac.kubectl("--token=dev-token", "create", "role", "pod-reader", "-n", "shop",
                     "--verb=get", "--resource=pods", check=False)
    assert p.stderr.strip() == (
        'Error from server (Forbidden): roles.rbac.authorization.k8s.io "pod-reader" is '
        'forbidden: user "dev" (groups=["devs" "system:authenticated"]) is attempting to grant '
        'RBAC permissions not currently held:\n{APIGroups:[""], Resources:["pods"], '
        'Verbs:["get"]}')
    # a role within dev's own rules is fine; so is binding it
    rbac.kubectl("--token=dev-token", "create", "role", "role-reader", "-n", "shop",
                 "--verb=get", "--resource=roles")
    rbac.kubectl("--token=dev-token", "create", "rolebinding", "alice-reads-roles", "-n", "shop",
                 "--role=role-reader", "--user=alice")
    p = rbac.kubectl("--token=dev-token", "create", "rolebinding", "dev-admin", "-n", "shop",
                     "--clusterrole=admin", "--user=dev", check=False)
    assert 'rolebindings.rbac.authorization.k8s.io "dev-admin" is forbidden: user "dev"' in \
        p.stderr
    # with the bind verb on that ClusterRole the binding is allowed
    rbac.kubectl("create", "role", "bind-admin", "-n", "shop", "--verb=bind",
                 "--resource=clusterroles", "--resource-name=admin")
    rbac.kubectl("create", "rolebinding", "dev-bind-admin", "-n", "shop", "--role=bind-admin",
                 "--user=dev")
    rbac.kubectl("--token=dev-token", "create", "rolebinding", "dev-admin", "-n", "shop",
                 "--clusterrole=admin", "--user=dev")
    assert rbac.kubectl("--token=dev-token", "auth", "can-i", "delete", "pods", "-n",
                        "shop").stdout.strip() == "yes"


def test_impersonation_needs_the_impersonate_verb(rbac: ServedCluster) -> None:
    p = rbac.kubectl("--token=alice-token", "get", "pods", "--as=bob", check=False)
    assert p.stderr.strip().endswith(
        'users "bob" is forbidden: User "alice" cannot impersonate resource "users" in API '
        'group "" at the cluster scope')
    p = rbac.kubectl("--token=alice-token", "get", "pods", "--as=alice", "--as-group=admins",
                     check=False)
    assert 'User "alice" cannot impersonate resource "users"' in p.stderr
    rbac.kubectl("create", "clusterrole", "impersonate-ops", "--verb=impersonate",
                 "--resource=users,groups", "--resource-name=ops-bot",
                 "--resource-name=system:masters")
    rbac.kubectl("create", "clusterrolebinding", "alice-impersonates", "--user=alice",
                 "--clusterrole=impersonate-ops")
    who = json.loads(rbac.kubectl("--token=alice-token", "auth", "whoami", "--as=ops-bot",
                                  "-o", "json").stdout)["status"]["userInfo"]
    assert who == {"username": "ops-bot", "groups": ["system:authenticated"]}
    p = rbac.kubectl("--token=alice-token", "auth", "whoami", "--as=ops-bot",
                     "--as-group=system:masters")
    assert "Groups      [system:masters system:authenticated]" in p.stdout
    p = rbac.kubectl("--token=alice-token", "get", "pods", "--as=ops-bot", "--as-group=devs",
                     check=False)
    assert 'groups "devs" is forbidden: User "alice" cannot impersonate resource "groups"' in \
        p.stderr


def test_an_admin_asks_about_others_with_can_i_as(rbac: ServedCluster) -> None:
    assert rbac.kubectl("auth", "can-i", "create", "deployments", "--as=nobody",
                        check=False).stdout.strip() == "no"
    assert rbac.kubectl("auth", "can-i", "create", "deployments", "--as=nobody",
                        "--as-group=system:masters").stdout.strip() == "yes"
    assert rbac.kubectl("auth", "can-i", "*", "*").stdout.strip() == "yes"


# --------------------------------------------------------------------------- other setups
def test_anonymous_requests_see_only_public_info() -> None:
    sc = ServedCluster(config=ClusterConfig(auth=AuthConfig(authorization_mode="RBAC")))
    try:
        assert api(sc, "GET", "/version")[0] == 200
        assert api(sc, "GET", "/healthz")[0] == 200
        status, out = api(sc, "GET", "/api/v1/pods")
        assert (status, out["message"]) == (403, ('pods is forbidden: User "system:anonymous" '
                                                  'cannot list resource "pods" in API group "" '
                                                  "at the cluster scope"))
        assert api(sc, "GET", "/apis")[1]["message"] == \
            'forbidden: User "system:anonymous" cannot get path "/apis"'
        # the access review itself is made as the anonymous user, who may not create one
        p = sc.kubectl("auth", "can-i", "get", "/version", "--as=system:anonymous", check=False)
        assert 'User "system:anonymous" cannot create resource "selfsubjectaccessreviews"' in \
            p.stderr
    finally:
        sc.close()


def test_tls_without_auth_serves_https_to_anyone() -> None:
    sc = ServedCluster(config=ClusterConfig(auth=AuthConfig(tls=True)))
    try:
        assert sc.cluster.url.startswith("https://") and sc.cluster.auth is None
        cfg = yaml.safe_load(Path(sc.cluster.kubeconfig_path).read_text())
        assert cfg["clusters"][0]["cluster"]["certificate-authority-data"]
        assert "Ready" in sc.kubectl("get", "nodes").stdout
        assert "kubernetes-admin" in sc.kubectl("auth", "whoami").stdout
    finally:
        sc.close()


def test_the_default_cluster_has_no_auth(served_module: ServedCluster) -> None:
    c = served_module.cluster
    assert c.url.startswith("http://") and c.auth is None and c.api.auth_middleware is None
    assert c.registry.reviews is None and c.registry.write_admission is None
    assert served_module.kubectl("auth", "can-i", "delete", "nodes").stdout.strip() == "yes"


def test_minik8s_serve_flags(tmp_path: Path) -> None:
    kc = tmp_path / "kubeconfig"
    (tmp_path / "tokens.csv").write_text(TOKENS)
    proc = subprocess.Popen(
        [sys.executable, "-m", "minik8s.cli", "serve", "--port", "0", "--kubeconfig", str(kc),
         "--authorization-mode=RBAC", "--anonymous-auth=false",
         f"--token-auth-file={tmp_path / 'tokens.csv'}"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])})
    try:
        assert proc.stdout is not None
        banner = []
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            banner.append(line)
            if "stop with Ctrl-C" in line or not line:
                break
        text = "".join(banner)
        assert "serving the Kubernetes API at https://127.0.0.1:" in text, text
        assert "auth: authorization RBAC; requests without a token: 401 Unauthorized" in text
        run = ["kubectl", "--kubeconfig", str(kc)]
        who = subprocess.run([*run, "auth", "whoami"], capture_output=True, text=True,
                             check=True)
        assert "kubernetes-admin" in who.stdout, who.stderr
        p = subprocess.run([*run, "--token=alice-token", "get", "pods"], capture_output=True,
                           text=True, check=False)
        assert 'User "alice" cannot list resource "pods"' in p.stderr
    finally:
        proc.terminate()
        proc.wait(10)
        if proc.stdout is not None:
            proc.stdout.close()
