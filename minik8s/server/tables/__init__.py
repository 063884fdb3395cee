"""Server-side Table printing: the ``meta.k8s.io/v1`` Tables that ``kubectl get`` shows.

Column sets, cell values and column descriptions follow kube-apiserver 1.33
(``pkg/printers/internalversion``, ``apimachinery/util/duration``, the apiserver's
default table convertor and the CRD table convertor), re-written for plain dicts.
The real server always prints with ``Wide`` on, so every row carries the cells of
the ``priority: 1`` columns too; kubectl hides them unless ``-o wide``.

Everything here is a pure function of (resource, object, now). Built-in printers
are looked up by ``Resource.key``; custom resources plug in through a
``Printers`` registry (``Printers.register_columns`` with ``crd_columns``).

Modules: ``registry`` (``Printers``, ``BUILTIN_PRINTERS``, ``to_table``),
``printer`` (``Printer`` and the column builders), ``format`` (durations,
quantities, labels, selectors), ``docs`` (column descriptions, data), one module
of printers per group of kinds (``pods``, ``workloads``, ``network``, ``cluster``,
``storage``), and ``jsonpath`` + ``crd`` (custom resource columns). This file only
re-exports. Neighbours: ``api.resources`` (what is printed), the list/get/watch
handlers (call ``to_table``), ``api.errors`` (the 400 for a bad ``includeObject``).
"""

from __future__ import annotations

from minik8s.server.tables.cluster import node_roles, node_status
from minik8s.server.tables.crd import DEFAULT_CRD_COLUMNS, crd_cell, crd_columns
from minik8s.server.tables.format import (
    NONE,
    UNKNOWN,
    UNSET,
    Obj,
    format_label_selector,
    format_labels,
    format_quantity,
    human_duration,
    parse_time,
    translate_timestamp_since,
)
from minik8s.server.tables.jsonpath import jsonpath_first
from minik8s.server.tables.network import format_endpoints, service_external_ip, service_ports
from minik8s.server.tables.pods import NODE_UNREACHABLE_POD_REASON
from minik8s.server.tables.printer import CellsFn, ConditionsFn, Printer
from minik8s.server.tables.registry import (
    BUILTIN_PRINTERS,
    DEFAULT_PRINTER,
    INCLUDE_OBJECT_VALUES,
    Printers,
    column_definitions,
    row_cells,
    to_table,
)
from minik8s.server.tables.storage import access_modes, is_default_storage_class
from minik8s.server.tables.workloads import format_hpa_metrics

__all__ = [
    "BUILTIN_PRINTERS", "DEFAULT_CRD_COLUMNS", "DEFAULT_PRINTER", "INCLUDE_OBJECT_VALUES",
    "NODE_UNREACHABLE_POD_REASON", "NONE", "UNKNOWN", "UNSET", "CellsFn", "ConditionsFn", "Obj",
    "Printer", "Printers", "access_modes", "column_definitions", "crd_cell", "crd_columns",
    "format_endpoints", "format_hpa_metrics", "format_label_selector", "format_labels",
    "format_quantity", "human_duration", "is_default_storage_class", "jsonpath_first",
    "node_roles", "node_status", "parse_time", "row_cells", "service_external_ip",
    "service_ports", "to_table", "translate_timestamp_since",
]
