"""Request attributes from HTTP requests, as kube-apiserver's RequestInfoFactory derives them."""

from __future__ import annotations

import pytest

from minik8s.auth import requestinfo
from minik8s.auth.requestinfo import RequestInfo

CASES = [
    ("a GET of a namespaced collection is a list",
     "GET", "/api/v1/namespaces/default/pods", {},
     {"verb": "list", "api_version": "v1", "namespace": "default", "resource": "pods"}),
    ("a GET with watch=true is a watch", "GET", "/api/v1/pods", {"watch": "true"},
     {"verb": "watch", "resource": "pods"}),
    ("watch=false stays a list", "GET", "/api/v1/pods", {"watch": "false"},
     {"verb": "list", "resource": "pods"}),
    ("the legacy /watch/ prefix is a watch", "GET", "/api/v1/watch/namespaces/a/pods", {},
     {"verb": "watch", "namespace": "a", "resource": "pods"}),
    ("a GET of one object is a get with its name",
     "GET", "/apis/apps/v1/namespaces/a/deployments/web", {},
     {"verb": "get", "api_group": "apps", "namespace": "a", "resource": "deployments",
      "name": "web"}),
    ("a list narrowed to one name by fieldSelector carries the name",
     "GET", "/api/v1/namespaces/a/pods", {"fieldSelector": "metadata.name=p1", "watch": "1"},
     {"verb": "watch", "namespace": "a", "resource": "pods", "name": "p1"}),
    ("a fieldSelector excluding a name does not name the request",
     "GET", "/api/v1/pods", {"fieldSelector": "metadata.name!=p1"},
     {"verb": "list", "resource": "pods"}),
    ("POST is create", "POST", "/api/v1/namespaces/a/configmaps", {},
     {"verb": "create", "namespace": "a", "resource": "configmaps"}),
    ("PUT is update", "PUT", "/api/v1/namespaces/a/configmaps/c", {},
     {"verb": "update", "namespace": "a", "resource": "configmaps", "name": "c"}),
    ("PATCH is patch", "PATCH", "/api/v1/nodes/n1", {},
     {"verb": "patch", "resource": "nodes", "name": "n1"}),
    ("DELETE of an object is delete", "DELETE", "/api/v1/namespaces/a/pods/p", {},
     {"verb": "delete", "namespace": "a", "resource": "pods", "name": "p"}),
    ("DELETE of a collection is deletecollection", "DELETE", "/api/v1/namespaces/a/pods", {},
     {"verb": "deletecollection", "namespace": "a", "resource": "pods"}),
    ("a subresource is parsed after the name", "GET", "/api/v1/namespaces/a/pods/p/log", {},
     {"verb": "get", "namespace": "a", "resource": "pods", "name": "p", "subresource": "log"}),
    ("creating a token is create on serviceaccounts/token",
     "POST", "/api/v1/namespaces/a/serviceaccounts/sa/token", {},
     {"verb": "create", "namespace": "a", "resource": "serviceaccounts", "name": "sa",
          "subresource": "token"}),
    ("a namespace object is in its own namespace",
     "GET", "/api/v1/namespaces/a", {},
     {"verb": "get", "namespace": "a", "resource": "namespaces", "name": "a"}),
    ("a namespace's status is a subresource, not a resource named status",
     "PUT", "/api/v1/namespaces/a/status", {},
     {"verb": "update", "namespace": "a", "resource": "namespaces", "name": "a",
      "subresource": "status"}),
    ("the namespace list is cluster-scoped", "GET", "/api/v1/namespaces", {},
     {"verb": "list", "resource": "namespaces"}),
    ("a cluster-scoped group resource", "GET",
     "/apis/rbac.authorization.k8s.io/v1/clusterroles/admin", {},
     {"verb": "get", "api_group": "rbac.authorization.k8s.io", "resource": "clusterroles",
          "name": "admin"}),
    ("a review is create at the cluster scope", "POST",
     "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", {},
     {"verb": "create", "api_group": "authorization.k8s.io",
      "resource": "selfsubjectaccessreviews"}),
]


@pytest.mark.parametrize("method,path,query,want", [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_resource_requests(method: str, path: str, query: dict[str, str],
                           want: dict[str, str]) -> None:
    info = requestinfo.parse(method, path, query)
    want.setdefault("api_version", "v1")
    assert info == RequestInfo(True, path=path, **want)


NON_RESOURCE = [
    ("health", "GET", "/healthz", "get"),
    ("a health check", "GET", "/readyz/etcd", "get"),
    ("version", "GET", "/version", "get"),
    ("core discovery", "GET", "/api", "get"),
    ("the core group version", "GET", "/api/v1", "get"),
    ("group discovery", "GET", "/apis", "get"),
    ("one group", "GET", "/apis/apps", "get"),
    ("a group version", "GET", "/apis/apps/v1", "get"),
    ("openapi", "GET", "/openapi/v3/apis/apps/v1", "get"),
    ("a POST elsewhere keeps its method as verb", "POST", "/logs", "post"),
    ("the root", "GET", "/", "get"),
]


@pytest.mark.parametrize("method,path,verb", [c[1:] for c in NON_RESOURCE],
                         ids=[f"{c[0]} is a non-resource request" for c in NON_RESOURCE])
def test_non_resource_requests(method: str, path: str, verb: str) -> None:
    assert requestinfo.parse(method, path, {}) == RequestInfo(False, verb, path=path)
