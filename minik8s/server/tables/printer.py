"""One kind's table: the ``Printer`` record and the column-definition builders.

A ``Printer`` pairs a kind's ``columnDefinitions`` with the function that computes a
row's cells (and, for pods, the row conditions). ``col``/``doc_col`` build one
column (``doc_col`` quotes a text of ``docs``); ``cols`` puts the ``Name`` column
first, as every built-in printer does. Used by the kind modules, ``crd`` and
``registry``.
"""

from __future__ import annotations

import dataclasses
import types
from collections.abc import Callable, Mapping
from typing import Any

from minik8s.server.tables import docs

Obj = dict[str, Any]

CellsFn = Callable[[Obj, float], list[Any]]
ConditionsFn = Callable[[Obj], "list[Obj] | None"]


@dataclasses.dataclass(frozen=True)
class Printer:
    """One kind's table: its column definitions, the cells of a row and (pods only)
    the row conditions."""

    columns: tuple[Mapping[str, Any], ...]
    cells: CellsFn
    conditions: ConditionsFn | None = None


def col(name: str, description: str, type_: str = "string", *, priority: int = 0,
        format_: str = "") -> Mapping[str, Any]:
    return types.MappingProxyType({"name": name, "type": type_, "format": format_,
                                   "description": description, "priority": priority})


def doc_col(name: str, doc: str, type_: str = "string", *,
            priority: int = 0) -> Mapping[str, Any]:
    return col(name, docs.DOCS[doc], type_, priority=priority)


NAME_COL = col("Name", docs.DOCS["meta.ObjectMeta.name"], format_="name")
AGE_COL = doc_col("Age", "meta.ObjectMeta.creationTimestamp")
CONTAINERS_COL = col("Containers", "Names of each container in the template.", priority=1)
IMAGES_COL = col("Images", "Images referenced by each container in the template.", priority=1)


def cols(*columns: Mapping[str, Any]) -> tuple[Mapping[str, Any], ...]:
    return (NAME_COL, *columns)
