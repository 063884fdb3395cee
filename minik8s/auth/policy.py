"""The bootstrap RBAC policy as data: the ClusterRoles and ClusterRoleBindings a real
cluster creates at start when RBAC is on (plugin/pkg/auth/authorizer/rbac/bootstrappolicy).

The user-facing roles (``cluster-admin``; ``admin``, ``edit``, ``view`` aggregated
from the ``system:aggregate-to-*`` roles by the clusterrole-aggregation controller),
the discovery and self-review roles every user is bound to, and the ``system:*``
component roles of a kubeadm cluster. The per-controller ``system:controller:*``
roles are left out: minik8s's controllers run in-process as the API server itself.
``bootstrap`` creates these objects through the in-process client.
"""

from __future__ import annotations

from typing import Any

Obj = dict[str, Any]
API_VERSION = "rbac.authorization.k8s.io/v1"
LABELS = {"kubernetes.io/bootstrapping": "rbac-defaults"}
ANNOTATIONS = {"rbac.authorization.kubernetes.io/autoupdate": "true"}
AGGREGATE_TO = "rbac.authorization.k8s.io/aggregate-to-"

READ = ["get", "list", "watch"]
WRITE = ["create", "delete", "deletecollection", "patch", "update"]
READ_WRITE = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]
EVENTS_WRITE = ["create", "patch", "update"]


def rule(verbs: list[str], groups: str | None = None, resources: str | None = None, *,
         urls: str | None = None, names: str | None = None) -> Obj:
    """A PolicyRule; space-separated names (``""`` is the core group)."""
    r: Obj = {}
    if groups is not None:
        r["apiGroups"] = ["" if g == '""' else g for g in groups.split()] or [""]
    if resources is not None:
        r["resources"] = resources.split()
    if names is not None:
        r["resourceNames"] = names.split()
    if urls is not None:
        r["nonResourceURLs"] = urls.split()
    r["verbs"] = list(verbs)
    return r


CORE = '""'


def _role(name: str, rules: list[Obj] | None = None, *, aggregate_from: str | None = None,
          aggregate_to: str | None = None) -> Obj:
    labels = dict(LABELS)
    if aggregate_to:
        labels[AGGREGATE_TO + aggregate_to] = "true"
    role: Obj = {"apiVersion": API_VERSION, "kind": "ClusterRole",
                 "metadata": {"name": name, "labels": labels, "annotations": dict(ANNOTATIONS)}}
    if aggregate_from:
        role["aggregationRule"] = {"clusterRoleSelectors": [
            {"matchLabels": {AGGREGATE_TO + aggregate_from: "true"}}]}
    else:
        role["rules"] = rules or []
    return role


def cluster_roles() -> list[Obj]:
    return [
        _role("cluster-admin", [rule(["*"], "*", "*"), rule(["*"], urls="*")]),
        _role("admin", aggregate_from="admin"),
        _role("edit", aggregate_from="edit", aggregate_to="admin"),
        _role("view", aggregate_from="view", aggregate_to="edit"),
        _role("system:aggregate-to-admin", [
            rule(["create"], "authorization.k8s.io", "localsubjectaccessreviews"),
            rule(READ_WRITE, "rbac.authorization.k8s.io", "rolebindings roles"),
        ], aggregate_to="admin"),
        _role("system:aggregate-to-edit", [
            rule(READ, CORE, "pods/attach pods/exec pods/portforward pods/proxy secrets "
                             "services/proxy"),
            rule(["impersonate"], CORE, "serviceaccounts"),
            rule(WRITE, CORE, "pods pods/attach pods/exec pods/portforward pods/proxy"),
            rule(["create"], CORE, "pods/eviction"),
            rule(WRITE, CORE, "configmaps events persistentvolumeclaims replicationcontrollers "
                              "replicationcontrollers/scale secrets serviceaccounts services "
                              "services/proxy"),
            rule(["create"], CORE, "serviceaccounts/token"),
            rule(WRITE, "apps", "daemonsets deployments deployments/rollback deployments/scale "
                                "replicasets replicasets/scale statefulsets statefulsets/scale"),
            rule(WRITE, "autoscaling", "horizontalpodautoscalers"),
            rule(WRITE, "batch", "cronjobs jobs"),
            rule(WRITE, "extensions", "daemonsets deployments deployments/rollback "
                                      "deployments/scale ingresses networkpolicies replicasets "
                                      "replicasets/scale replicationcontrollers/scale"),
            rule(WRITE, "policy", "poddisruptionbudgets"),
            rule(WRITE, "networking.k8s.io", "ingresses networkpolicies"),
            rule(READ_WRITE, "coordination.k8s.io", "leases"),
        ], aggregate_to="edit"),
        _role("system:aggregate-to-view", [
            rule(READ, CORE, "configmaps endpoints persistentvolumeclaims "
                             "persistentvolumeclaims/status pods replicationcontrollers "
                             "replicationcontrollers/scale serviceaccounts services "
                             "services/status"),
            rule(READ, CORE, "bindings events limitranges namespaces/status pods/log pods/status "
                             "replicationcontrollers/status resourcequotas resourcequotas/status"),
            rule(READ, CORE, "namespaces"),
            rule(READ, "discovery.k8s.io", "endpointslices"),
            rule(READ, "apps", "controllerrevisions daemonsets daemonsets/status deployments "
                               "deployments/scale deployments/status replicasets "
                               "replicasets/scale replicasets/status statefulsets "
                               "statefulsets/scale statefulsets/status"),
            rule(READ, "autoscaling", "horizontalpodautoscalers horizontalpodautoscalers/status"),
            rule(READ, "batch", "cronjobs cronjobs/status jobs jobs/status"),
            rule(READ, "extensions", "daemonsets daemonsets/status deployments deployments/scale "
                                     "deployments/status ingresses ingresses/status "
                                     "networkpolicies replicasets replicasets/scale "
                                     "replicasets/status replicationcontrollers/scale"),
            rule(READ, "policy", "poddisruptionbudgets poddisruptionbudgets/status"),
            rule(READ, "networking.k8s.io", "ingresses ingresses/status networkpolicies"),
        ], aggregate_to="view"),
        _role("system:auth-delegator", [
            rule(["create"], "authentication.k8s.io", "tokenreviews"),
            rule(["create"], "authorization.k8s.io", "subjectaccessreviews"),
        ]),
        _role("system:basic-user", [
            rule(["create"], "authorization.k8s.io",
                 "selfsubjectaccessreviews selfsubjectrulesreviews"),
            rule(["create"], "authentication.k8s.io", "selfsubjectreviews"),
        ]),
        _role("system:discovery", [rule(["get"], urls="/api /api/* /apis /apis/* /healthz /livez "
                                                      "/openapi /openapi/* /readyz /version "
                                                      "/version/")]),
        _role("system:public-info-viewer", [
            rule(["get"], urls="/healthz /livez /readyz /version /version/")]),
        _role("system:monitoring", [
            rule(["get"], urls="/healthz /healthz/* /livez /livez/* /metrics /metrics/slis "
                               "/readyz /readyz/*")]),
        _role("system:service-account-issuer-discovery", [
            rule(["get"], urls="/.well-known/openid-configuration /openid/v1/jwks")]),
        _role("system:kube-dns", [rule(["list", "watch"], CORE, "endpoints services")]),
        _role("system:node-proxier", [
            rule(["list", "watch"], CORE, "endpoints services"),
            rule(READ, CORE, "nodes"),
            rule(EVENTS_WRITE, '"" events.k8s.io', "events"),
            rule(["list", "watch"], "discovery.k8s.io", "endpointslices"),
        ]),
        _role("system:volume-scheduler", [
            rule(["get", "list", "patch", "update", "watch"], CORE, "persistentvolumes"),
            rule(READ, "storage.k8s.io", "storageclasses"),
            rule(["get", "list", "patch", "update", "watch"], CORE, "persistentvolumeclaims"),
        ]),
        _role("system:kube-scheduler", [
            rule(EVENTS_WRITE, '"" events.k8s.io', "events"),
            rule(["create"], "coordination.k8s.io", "leases"),
            rule(["get", "update"], "coordination.k8s.io", "leases", names="kube-scheduler"),
            rule(READ, CORE, "nodes"),
            rule(["delete", "get", "list", "watch"], CORE, "pods"),
            rule(["create"], CORE, "bindings pods/binding"),
            rule(["patch", "update"], CORE, "pods/status"),
            rule(READ, CORE, "replicationcontrollers services"),
            rule(READ, "apps extensions", "replicasets"),
            rule(READ, "apps", "statefulsets"),
            rule(READ, "policy", "poddisruptionbudgets"),
            rule(READ, CORE, "persistentvolumeclaims persistentvolumes"),
            rule(["create"], "authentication.k8s.io", "tokenreviews"),
            rule(["create"], "authorization.k8s.io", "subjectaccessreviews"),
            rule(READ, "storage.k8s.io", "csinodes"),
            rule(READ, CORE, "namespaces"),
            rule(READ, "storage.k8s.io", "csidrivers"),
            rule(READ, "storage.k8s.io", "csistoragecapacities"),
        ]),
        _role("system:kube-controller-manager", [
            rule(EVENTS_WRITE, '"" events.k8s.io', "events"),
            rule(["create"], "coordination.k8s.io", "leases"),
            rule(["get", "update"], "coordination.k8s.io", "leases",
                 names="kube-controller-manager"),
            rule(["create"], CORE, "secrets serviceaccounts"),
            rule(["delete"], CORE, "secrets"),
            rule(["get"], CORE, "configmaps namespaces secrets serviceaccounts"),
            rule(["update"], CORE, "secrets serviceaccounts"),
            rule(["create"], "authentication.k8s.io", "tokenreviews"),
            rule(["create"], "authorization.k8s.io", "subjectaccessreviews"),
            rule(["list", "watch"], "*", "*"),
            rule(["create"], CORE, "serviceaccounts/token"),
        ]),
        _role("system:node", [
            rule(["create"], "authentication.k8s.io", "tokenreviews"),
            rule(["create"], "authorization.k8s.io",
                 "localsubjectaccessreviews subjectaccessreviews"),
            rule(READ, CORE, "services"),
            rule(["create", "get", "list", "watch"], CORE, "nodes"),
            rule(["patch", "update"], CORE, "nodes/status"),
            rule(["patch", "update"], CORE, "nodes"),
            rule(EVENTS_WRITE, CORE, "events"),
            rule(READ, CORE, "pods"),
            rule(["create", "delete"], CORE, "pods"),
            rule(["patch", "update"], CORE, "pods/status"),
            rule(["create"], CORE, "pods/eviction"),
            rule(READ, CORE, "configmaps secrets"),
            rule(["get"], CORE, "persistentvolumeclaims persistentvolumes"),
            rule(["get"], CORE, "endpoints"),
            rule(["create", "get", "list", "watch"], "certificates.k8s.io",
                 "certificatesigningrequests"),
            rule(["create", "delete", "get", "patch", "update"], "coordination.k8s.io", "leases"),
            rule(["get"], "storage.k8s.io", "volumeattachments"),
            rule(["create"], CORE, "serviceaccounts/token"),
            rule(["get", "patch", "update"], CORE, "persistentvolumeclaims/status"),
            rule(READ, "storage.k8s.io", "csidrivers"),
            rule(["create", "delete", "get", "patch", "update"], "storage.k8s.io", "csinodes"),
            rule(READ, "node.k8s.io", "runtimeclasses"),
        ]),
    ]


def _subject(kind: str, name: str, namespace: str = "") -> Obj:
    if kind == "ServiceAccount":
        return {"kind": kind, "name": name, "namespace": namespace}
    return {"apiGroup": "rbac.authorization.k8s.io", "kind": kind, "name": name}


def _binding(name: str, *subjects: Obj, role: str | None = None) -> Obj:
    b: Obj = {"apiVersion": API_VERSION, "kind": "ClusterRoleBinding",
              "metadata": {"name": name, "labels": dict(LABELS),
                           "annotations": dict(ANNOTATIONS)},
              "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                          "name": role or name}}
    if subjects:
        b["subjects"] = list(subjects)
    return b


def cluster_role_bindings() -> list[Obj]:
    return [
        _binding("cluster-admin", _subject("Group", "system:masters")),
        _binding("system:basic-user", _subject("Group", "system:authenticated")),
        _binding("system:discovery", _subject("Group", "system:authenticated")),
        _binding("system:public-info-viewer", _subject("Group", "system:authenticated"),
                 _subject("Group", "system:unauthenticated")),
        _binding("system:monitoring", _subject("Group", "system:monitoring")),
        _binding("system:service-account-issuer-discovery",
                 _subject("Group", "system:serviceaccounts")),
        _binding("system:kube-controller-manager",
                 _subject("User", "system:kube-controller-manager")),
        _binding("system:kube-dns", _subject("ServiceAccount", "kube-dns", "kube-system")),
        _binding("system:kube-scheduler", _subject("User", "system:kube-scheduler")),
        _binding("system:volume-scheduler", _subject("User", "system:kube-scheduler")),
        _binding("system:node-proxier", _subject("User", "system:kube-proxy")),
        _binding("system:node"),
    ]
