"""Which printer prints a resource, and the ``Table`` itself.

``BUILTIN_PRINTERS`` maps ``Resource.key`` to the printers of the kind modules
(``pods``, ``workloads``, ``network``, ``cluster``, ``storage``); anything else gets
``DEFAULT_PRINTER`` (name and creation time), and a CRD its columns from ``crd``.
``Printers`` lets a server register printers of its own. ``to_table`` is what the
list/get/watch handlers call. Neighbours: ``api.resources`` (what is printed),
``api.errors`` (the 400 for a bad ``includeObject``).
"""

from __future__ import annotations

import json
import types
from collections.abc import Iterable, Mapping
from typing import Any

from minik8s.api import errors, resources
from minik8s.memo import remember
from minik8s.server.tables import cluster, crd, docs, network, pods, storage, workloads
from minik8s.server.tables import format as fmt
from minik8s.server.tables import printer as pr

Obj = dict[str, Any]


def _default_cells(obj: Obj, now: float) -> list[Any]:
    """The apiserver's default convertor: the name and the raw creation time."""
    return [fmt.name(obj), fmt.rfc3339(fmt.meta(obj).get("creationTimestamp"))]


DEFAULT_PRINTER = pr.Printer((
    pr.NAME_COL,
    pr.col("Created At", docs.DOCS["meta.ObjectMeta.creationTimestamp"], "date"),
), _default_cells)

#: Built-in printers by ``Resource.key``. Anything else (roles, clusterroles,
#: limitranges, customresourcedefinitions, podpresets, reviews...) gets DEFAULT_PRINTER.
BUILTIN_PRINTERS: Mapping[str, pr.Printer] = types.MappingProxyType({
    "pods": pods.POD,
    "podtemplates": pods.POD_TEMPLATE,
    "replicationcontrollers": workloads.RC,
    "services": network.SERVICE,
    "endpoints": network.ENDPOINTS,
    "nodes": cluster.NODE,
    "namespaces": cluster.NAMESPACE,
    "events": cluster.EVENT,
    "events.events.k8s.io": cluster.EVENT_V1,
    "secrets": cluster.SECRET,
    "serviceaccounts": cluster.SERVICE_ACCOUNT,
    "configmaps": cluster.CONFIGMAP,
    "componentstatuses": cluster.COMPONENT_STATUS,
    "persistentvolumes": storage.PV,
    "persistentvolumeclaims": storage.PVC,
    "resourcequotas": cluster.RESOURCE_QUOTA,
    "deployments.apps": workloads.DEPLOYMENT,
    "replicasets.apps": workloads.RS,
    "statefulsets.apps": workloads.STATEFULSET,
    "daemonsets.apps": workloads.DAEMONSET,
    "controllerrevisions.apps": workloads.CONTROLLER_REVISION,
    "jobs.batch": workloads.JOB,
    "cronjobs.batch": workloads.CRONJOB,
    "horizontalpodautoscalers.autoscaling": workloads.HPA,
    "poddisruptionbudgets.policy": workloads.PDB,
    "ingresses.networking.k8s.io": network.INGRESS,
    "ingressclasses.networking.k8s.io": network.INGRESS_CLASS,
    "networkpolicies.networking.k8s.io": network.NETWORK_POLICY,
    "endpointslices.discovery.k8s.io": network.ENDPOINTSLICE,
    "leases.coordination.k8s.io": cluster.LEASE,
    "rolebindings.rbac.authorization.k8s.io": cluster.binding_printer(
        "rbacb1.RoleBinding.roleRef", "roleBinding"),
    "clusterrolebindings.rbac.authorization.k8s.io": cluster.binding_printer(
        "rbacb1.ClusterRoleBinding.roleRef", "clusterRoleBinding"),
    "priorityclasses.scheduling.k8s.io": cluster.PRIORITY_CLASS,
    "storageclasses.storage.k8s.io": storage.STORAGE_CLASS,
    "csidrivers.storage.k8s.io": storage.CSI_DRIVER,
    "csinodes.storage.k8s.io": storage.CSI_NODE,
    "volumeattachments.storage.k8s.io": storage.VOLUME_ATTACHMENT,
})


class Printers:
    """The printers a server uses: the built-ins plus registered ones (custom
    resources). Registration replaces the built-in or default printer for a key."""

    def __init__(self) -> None:
        self._registered: dict[str, pr.Printer] = {}

    def register_columns(self, key: str, columns: Iterable[Mapping[str, Any]],
                         cells_fn: pr.CellsFn) -> None:
        """Print resource ``key`` (``plural.group``) with these columns and cells."""
        cols = tuple(types.MappingProxyType(dict(c)) for c in columns)
        self._registered[key] = pr.Printer(cols, cells_fn)

    def unregister(self, key: str) -> None:
        self._registered.pop(key, None)

    def printer_for(self, res: resources.Resource) -> pr.Printer:
        printer = self._registered.get(res.key)
        if printer is not None:
            return printer
        return _builtin_printer(res)


def _builtin_printer(res: resources.Resource) -> pr.Printer:
    printer = BUILTIN_PRINTERS.get(res.key)
    if printer is not None:
        return printer
    if res.crd is not None:  # a CRD always has at least the Age column
        return _crd_printer(res)
    return DEFAULT_PRINTER


_CRD_PRINTERS: dict[int, tuple[resources.Resource, pr.Printer]] = {}


def _crd_printer(res: resources.Resource) -> pr.Printer:
    """The additionalPrinterColumns of the preferred version (cached per Resource row)."""
    hit = _CRD_PRINTERS.get(id(res))
    if hit is not None and hit[0] is res:
        return hit[1]
    cols = None
    versions = res.crd_versions or {}
    v = versions.get(res.preferred_version)
    if v is not None:
        cols = v.printer_columns
    try:
        columns, cells = crd.crd_columns(cols)
    except ValueError:
        return DEFAULT_PRINTER
    printer = pr.Printer(tuple(columns), cells)
    remember(_CRD_PRINTERS, id(res), (res, printer), 1024)
    return printer


def _printer(res: resources.Resource, printers: Printers | None) -> pr.Printer:
    return printers.printer_for(res) if printers is not None else _builtin_printer(res)


def column_definitions(res: resources.Resource, *,
                       printers: Printers | None = None) -> list[Obj]:
    """The Table's ``columnDefinitions`` for ``res``, as fresh dicts."""
    return [dict(c) for c in _printer(res, printers).columns]


def row_cells(res: resources.Resource, obj: Obj, now: float, *,
              printers: Printers | None = None) -> list[Any]:
    """One row's cells for ``obj`` at epoch time ``now`` (wide cells included)."""
    return _printer(res, printers).cells(obj, now)


INCLUDE_OBJECT_VALUES = ("Metadata", "", "Object", "None")


def to_table(res: resources.Resource, objs: Iterable[Obj], now: float, *,
             include_object: str = "Metadata", resource_version: str = "",
             continue_token: str = "", api_version: str = "meta.k8s.io/v1",
             no_headers: bool = False, remaining_item_count: int | None = None,
             object_version: str | None = None,
             printers: Printers | None = None) -> Obj:
    """A ``Table`` of ``objs`` (a list answer, or one object for a get).

    ``include_object``: ``Metadata`` (default; rows carry a PartialObjectMetadata with
    the whole ``metadata``, managedFields included, as the real server sends),
    ``None`` (``object: null``) or ``Object`` (the object itself, stamped with
    ``kind``/``apiVersion`` of ``object_version``). Anything else is a 400.
    ``no_headers`` drops ``columnDefinitions`` (the server does this for every
    watch event after the first). ``resource_version``/``continue_token`` go to
    ``metadata``: the list's, or the object's own resourceVersion for a get.
    """
    if include_object not in INCLUDE_OBJECT_VALUES:
        raise errors.BadRequest(f"unrecognized includeObject value: {json.dumps(include_object)}")
    printer = _printer(res, printers)
    rows: list[Obj] = []
    for obj in objs:
        row: Obj = {"cells": printer.cells(obj, now)}
        conditions = printer.conditions(obj) if printer.conditions is not None else None
        if conditions:
            row["conditions"] = conditions
        if include_object == "None":
            row["object"] = None
        elif include_object == "Object":
            row["object"] = {"kind": res.kind, "apiVersion": res.api_version(object_version),
                             **obj}
        else:
            row["object"] = {"kind": "PartialObjectMetadata", "apiVersion": api_version,
                             "metadata": dict(fmt.meta(obj))}
        rows.append(row)
    metadata: Obj = {}
    if resource_version:
        metadata["resourceVersion"] = resource_version
    if continue_token:
        metadata["continue"] = continue_token
    if remaining_item_count is not None:
        metadata["remainingItemCount"] = remaining_item_count
    return {
        "kind": "Table", "apiVersion": api_version, "metadata": metadata,
        "columnDefinitions": None if no_headers else [dict(c) for c in printer.columns],
        "rows": rows,
    }
