"""The resource table: every served resource, described once.

Discovery, routing, Table printing, OpenAPI and the store all read this table;
CustomResourceDefinitions extend it at run time (``ResourceTable.add``).
Neighbours: ``api.errors`` (what lookups raise), ``server.discovery`` (renders it).
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Iterable, Iterator
from typing import Any

ALL_VERBS: tuple[str, ...] = (
    "create", "delete", "deletecollection", "get", "list", "patch", "update", "watch",
)
NO_COLLECTION_DELETE: tuple[str, ...] = (
    "create", "delete", "get", "list", "patch", "update", "watch",
)
CREATE_ONLY: tuple[str, ...] = ("create",)
SUB_RW: tuple[str, ...] = ("get", "patch", "update")


@dataclasses.dataclass(frozen=True)
class Subresource:
    """A sub-path of an object (``status``, ``scale``, ``binding``...)."""

    name: str
    kind: str
    verbs: tuple[str, ...] = SUB_RW
    group: str | None = None  # None: the parent's group/version
    version: str | None = None


@dataclasses.dataclass(frozen=True)
class Resource:
    """One REST resource. ``versions`` is in preference order; objects are
    stored in ``storage_version`` and converted on the way out."""

    group: str
    versions: tuple[str, ...]
    kind: str
    plural: str
    singular: str
    namespaced: bool
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    verbs: tuple[str, ...] = ALL_VERBS
    subresources: tuple[Subresource, ...] = ()
    storage_version: str = ""
    #: field selectors beyond metadata.name/metadata.namespace
    field_labels: tuple[str, ...] = ()
    #: not stored: a create is answered and forgotten (reviews)
    virtual: bool = False
    #: objects of this resource carry spec/status and a generation
    has_generation: bool = True
    #: set for CustomResourceDefinitions: the CRD's name
    crd: str | None = None
    #: CRDs: per-version schema, printer columns, subresources (api.crd.CrdVersion)
    crd_versions: Any = dataclasses.field(default=None, compare=False, hash=False)

    def __post_init__(self) -> None:
        if not self.storage_version:
            object.__setattr__(self, "storage_version", self.versions[0])

    @functools.cached_property
    def key(self) -> str:
        """``plural.group`` (``pods`` for core): the store's and RBAC's name. Cached: every
        write asks for it several times (a frozen dataclass's fields never change)."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    @functools.cached_property
    def has_status(self) -> bool:
        """Whether it has a ``status`` subresource. Cached as ``key`` is: every update asks."""
        return self.subresource("status") is not None

    @property
    def preferred_version(self) -> str:
        return self.versions[0]

    def api_version(self, version: str | None = None) -> str:
        v = version or self.preferred_version
        return f"{self.group}/{v}" if self.group else v

    def subresource(self, name: str) -> Subresource | None:
        for sub in self.subresources:
            if sub.name == name:
                return sub
        return None

    @property
    def group_resource(self) -> str:
        """What error messages call it: ``deployments.apps``, ``pods``."""
        return self.key


STATUS = Subresource("status", "")  # kind filled in per resource by _with_status
SCALE = Subresource("scale", "Scale", SUB_RW, "autoscaling", "v1")


def _res(group: str, versions: str, kind: str, plural: str, *, ns: bool = True,
         short: str = "", cats: str = "", verbs: tuple[str, ...] = ALL_VERBS,
         subs: Iterable[Subresource] = (), fields: str = "", virtual: bool = False,
         generation: bool = True, storage: str = "") -> Resource:
    subs = tuple(
        dataclasses.replace(s, kind=kind) if s.name == "status" else s for s in subs
    )
    return Resource(
        group=group, versions=tuple(versions.split()), kind=kind, plural=plural,
        singular=kind.lower(), namespaced=ns, short_names=tuple(short.split()),
        categories=tuple(cats.split()), verbs=verbs, subresources=subs,
        field_labels=tuple(fields.split()), virtual=virtual,
        has_generation=generation, storage_version=storage,
    )


POD_FIELDS = (
    "spec.nodeName spec.restartPolicy spec.schedulerName spec.serviceAccountName "
    "spec.hostNetwork status.phase status.podIP status.podIPs status.nominatedNodeName"
)
EVENT_FIELDS = (
    "involvedObject.kind involvedObject.namespace involvedObject.name involvedObject.uid "
    "involvedObject.apiVersion involvedObject.resourceVersion involvedObject.fieldPath "
    "reason reportingComponent source type"
)


def builtin_resources() -> list[Resource]:
    """The built-in resources, in discovery order (as a real 1.33 server lists them)."""
    return [
        # core/v1
        _res("", "v1", "Binding", "bindings", verbs=CREATE_ONLY, virtual=True, generation=False),
        _res("", "v1", "ComponentStatus", "componentstatuses", ns=False, short="cs",
             verbs=("get", "list"), virtual=True, generation=False),
        _res("", "v1", "ConfigMap", "configmaps", short="cm", generation=False),
        _res("", "v1", "Endpoints", "endpoints", short="ep", generation=False),
        _res("", "v1", "Event", "events", short="ev", fields=EVENT_FIELDS, generation=False),
        _res("", "v1", "LimitRange", "limitranges", short="limits", generation=False),
        _res("", "v1", "Namespace", "namespaces", ns=False, short="ns",
             verbs=NO_COLLECTION_DELETE, fields="status.phase",
             subs=(STATUS, Subresource("finalize", "Namespace", ("update",))),
             generation=False),
        _res("", "v1", "Node", "nodes", ns=False, short="no", fields="spec.unschedulable",
             subs=(STATUS, Subresource("proxy", "NodeProxyOptions", ("create", "delete", "get", "patch", "update"))),
             generation=False),
        _res("", "v1", "PersistentVolumeClaim", "persistentvolumeclaims", short="pvc",
             subs=(STATUS,), generation=False),
        _res("", "v1", "PersistentVolume", "persistentvolumes", ns=False, short="pv",
             subs=(STATUS,), generation=False),
        _res("", "v1", "Pod", "pods", short="po", cats="all", fields=POD_FIELDS,
             subs=(
                 Subresource("attach", "PodAttachOptions", ("create", "get")),
                 Subresource("binding", "Binding", CREATE_ONLY),
                 Subresource("ephemeralcontainers", "Pod", SUB_RW),
                 Subresource("eviction", "Eviction", CREATE_ONLY, "policy", "v1"),
                 Subresource("exec", "PodExecOptions", ("create", "get")),
                 Subresource("log", "Pod", ("get",)),
                 Subresource("portforward", "PodPortForwardOptions", ("create", "get")),
                 STATUS,
             ), generation=False),
        _res("", "v1", "PodTemplate", "podtemplates", generation=False),
        _res("", "v1", "ReplicationController", "replicationcontrollers", short="rc",
             cats="all", fields="status.replicas", subs=(SCALE, STATUS)),
        _res("", "v1", "ResourceQuota", "resourcequotas", short="quota", subs=(STATUS,),
             generation=False),
        _res("", "v1", "Secret", "secrets", fields="type", generation=False),
        _res("", "v1", "ServiceAccount", "serviceaccounts", short="sa",
             subs=(Subresource("token", "TokenRequest", CREATE_ONLY, "authentication.k8s.io", "v1"),),
             generation=False),
        _res("", "v1", "Service", "services", short="svc", cats="all",
             verbs=NO_COLLECTION_DELETE, subs=(STATUS,), fields="spec.clusterIP spec.type",
             generation=False),
        # apiextensions
        _res("apiextensions.k8s.io", "v1", "CustomResourceDefinition",
             "customresourcedefinitions", ns=False, short="crd crds", cats="api-extensions",
             subs=(STATUS,)),
        # apps
        _res("apps", "v1", "ControllerRevision", "controllerrevisions", generation=False),
        _res("apps", "v1", "DaemonSet", "daemonsets", short="ds", cats="all", subs=(STATUS,)),
        _res("apps", "v1", "Deployment", "deployments", short="deploy", cats="all",
             subs=(SCALE, STATUS)),
        _res("apps", "v1", "ReplicaSet", "replicasets", short="rs", cats="all",
             subs=(SCALE, STATUS)),
        _res("apps", "v1", "StatefulSet", "statefulsets", short="sts", cats="all",
             subs=(SCALE, STATUS)),
        # events.k8s.io
        _res("events.k8s.io", "v1", "Event", "events", short="ev", generation=False,
             fields="regarding.kind regarding.namespace regarding.name regarding.uid "
                    "reason reportingController type"),
        # authentication / authorization
        _res("authentication.k8s.io", "v1", "SelfSubjectReview", "selfsubjectreviews",
             ns=False, verbs=CREATE_ONLY, virtual=True, generation=False),
        _res("authentication.k8s.io", "v1", "TokenReview", "tokenreviews",
             ns=False, verbs=CREATE_ONLY, virtual=True, generation=False),
        _res("authorization.k8s.io", "v1", "LocalSubjectAccessReview",
             "localsubjectaccessreviews", verbs=CREATE_ONLY, virtual=True, generation=False),
        _res("authorization.k8s.io", "v1", "SelfSubjectAccessReview",
             "selfsubjectaccessreviews", ns=False, verbs=CREATE_ONLY, virtual=True,
             generation=False),
        _res("authorization.k8s.io", "v1", "SelfSubjectRulesReview",
             "selfsubjectrulesreviews", ns=False, verbs=CREATE_ONLY, virtual=True,
             generation=False),
        _res("authorization.k8s.io", "v1", "SubjectAccessReview",
             "subjectaccessreviews", ns=False, verbs=CREATE_ONLY, virtual=True,
             generation=False),
        # autoscaling: one object, stored as v2, served as v2 and v1
        _res("autoscaling", "v2 v1", "HorizontalPodAutoscaler", "horizontalpodautoscalers",
             short="hpa", cats="all", subs=(STATUS,)),
        # batch
        _res("batch", "v1", "CronJob", "cronjobs", short="cj", cats="all", subs=(STATUS,)),
        _res("batch", "v1", "Job", "jobs", cats="all", subs=(STATUS,),
             fields="status.successful"),
        # coordination
        _res("coordination.k8s.io", "v1", "Lease", "leases", generation=False),
        # discovery
        _res("discovery.k8s.io", "v1", "EndpointSlice", "endpointslices", generation=False),
        # networking
        _res("networking.k8s.io", "v1", "IngressClass", "ingressclasses", ns=False),
        _res("networking.k8s.io", "v1", "Ingress", "ingresses", short="ing", subs=(STATUS,)),
        _res("networking.k8s.io", "v1", "NetworkPolicy", "networkpolicies", short="netpol"),
        # policy
        _res("policy", "v1", "PodDisruptionBudget", "poddisruptionbudgets", short="pdb",
             subs=(STATUS,)),
        # rbac
        _res("rbac.authorization.k8s.io", "v1", "ClusterRoleBinding", "clusterrolebindings",
             ns=False, generation=False),
        _res("rbac.authorization.k8s.io", "v1", "ClusterRole", "clusterroles", ns=False,
             generation=False),
        _res("rbac.authorization.k8s.io", "v1", "RoleBinding", "rolebindings",
             generation=False),
        _res("rbac.authorization.k8s.io", "v1", "Role", "roles", generation=False),
        # scheduling
        _res("scheduling.k8s.io", "v1", "PriorityClass", "priorityclasses", ns=False,
             short="pc", generation=False),
        # settings (removed upstream in 1.20; kept for the course material)
        _res("settings.k8s.io", "v1alpha1", "PodPreset", "podpresets", generation=False),
        # storage
        _res("storage.k8s.io", "v1", "CSIDriver", "csidrivers", ns=False),
        _res("storage.k8s.io", "v1", "CSINode", "csinodes", ns=False, generation=False),
        _res("storage.k8s.io", "v1", "StorageClass", "storageclasses", ns=False, short="sc",
             generation=False),
        _res("storage.k8s.io", "v1", "VolumeAttachment", "volumeattachments", ns=False,
             subs=(STATUS,)),
    ]


#: Group preference order in /apis, as a real server orders them.
GROUP_ORDER: tuple[str, ...] = (
    "", "apiregistration.k8s.io", "apps", "events.k8s.io", "authentication.k8s.io",
    "authorization.k8s.io", "autoscaling", "batch", "certificates.k8s.io",
    "networking.k8s.io", "policy", "rbac.authorization.k8s.io", "storage.k8s.io",
    "admissionregistration.k8s.io", "apiextensions.k8s.io", "scheduling.k8s.io",
    "coordination.k8s.io", "node.k8s.io", "discovery.k8s.io", "flowcontrol.apiserver.k8s.io",
    "settings.k8s.io", "metrics.k8s.io",
)


class ResourceTable:
    """Lookups over the served resources; CRDs add and remove entries.

    Listeners are told of every change so caches (discovery documents,
    OpenAPI) can be rebuilt lazily.
    """

    def __init__(self, resources: Iterable[Resource] = ()) -> None:
        self._by_gvr: dict[tuple[str, str, str], Resource] = {}
        self._by_gk: dict[tuple[str, str], Resource] = {}
        self._by_key: dict[str, Resource] = {}
        self._order: list[Resource] = []
        self._listeners: list[Callable[[], None]] = []
        self.generation = 0
        for r in resources:
            self.add(r)

    def add(self, res: Resource) -> None:
        old = self._by_key.get(res.key)
        if old is not None:
            self._remove(old)
        self._order.append(res)
        self._by_key[res.key] = res
        self._by_gk[(res.group, res.kind)] = res
        for v in res.versions:
            self._by_gvr[(res.group, v, res.plural)] = res
        self._changed()

    def remove(self, key: str) -> Resource | None:
        res = self._by_key.get(key)
        if res is not None:
            self._remove(res)
            self._changed()
        return res

    def _remove(self, res: Resource) -> None:
        self._order.remove(res)
        self._by_key.pop(res.key, None)
        if self._by_gk.get((res.group, res.kind)) is res:
            del self._by_gk[(res.group, res.kind)]
        for v in res.versions:
            if self._by_gvr.get((res.group, v, res.plural)) is res:
                del self._by_gvr[(res.group, v, res.plural)]

    def _changed(self) -> None:
        self.generation += 1
        for fn in list(self._listeners):
            fn()

    def on_change(self, fn: Callable[[], None]) -> None:
        self._listeners.append(fn)

    def lookup(self, group: str, version: str, plural: str) -> Resource | None:
        return self._by_gvr.get((group, version, plural))

    def by_kind(self, group: str, kind: str) -> Resource | None:
        return self._by_gk.get((group, kind))

    def by_key(self, key: str) -> Resource | None:
        return self._by_key.get(key)

    def by_api_version_kind(self, api_version: str, kind: str) -> Resource | None:
        group, _, version = api_version.rpartition("/")
        res = self._by_gk.get((group, kind))
        if res is not None and version in res.versions:
            return res
        return None

    def __iter__(self) -> Iterator[Resource]:
        return iter(list(self._order))

    def groups(self) -> list[tuple[str, list[str]]]:
        """(group, versions in preference order) in preference order."""
        seen: dict[str, list[str]] = {}
        for r in self._order:
            vs = seen.setdefault(r.group, [])
            for v in r.versions:
                if v not in vs:
                    vs.append(v)
        rank = {g: i for i, g in enumerate(GROUP_ORDER)}
        return sorted(seen.items(), key=lambda gv: (rank.get(gv[0], len(rank)), gv[0]))

    def in_group_version(self, group: str, version: str) -> list[Resource]:
        return [r for r in self._order if r.group == group and version in r.versions]


def parse_api_version(api_version: str) -> tuple[str, str]:
    group, _, version = api_version.rpartition("/")
    return group, version
