"""Label and field selectors: the public module (parse, validate, print and match).

Semantics, canonical strings and error texts follow Kubernetes 1.33
(k8s.io/apimachinery v0.33): ``labels.Parse`` / ``NewRequirement``,
``fields.ParseSelector``, ``metav1.LabelSelectorAsSelector``, and kube-apiserver's
per-kind field label conversion funcs and ``ToSelectableFields``.

This module only re-exports: label selectors live in ``api.labelselector``,
field selectors and the per-kind field-label tables in ``api.fieldselector``.
Import this one (``from minik8s.api import selectors``).

Neighbours: ``api.resources`` says which field labels a resource accepts;
``api.errors`` supplies ``BadRequest`` for query-string selectors; the store
narrows candidates with ``exact_pairs()`` and filters with ``matches``.
"""

from __future__ import annotations

from minik8s.api.fieldselector import (
    FieldSelector,
    FieldTerm,
    Getter,
    escape_field_value,
    field_value,
    parse_field_selector,
)
from minik8s.api.labelselector import (
    DOES_NOT_EXIST,
    DOUBLE_EQUALS,
    EQUALS,
    EVERYTHING,
    EXISTS,
    GT,
    IN,
    LT,
    NOT_EQUALS,
    NOT_IN,
    NOTHING,
    Labels,
    LabelSelector,
    Requirement,
    SelectorError,
    everything,
    go_quote,
    label_selector_from_dict,
    nothing,
    parse_label_selector,
)

__all__ = [
    "DOES_NOT_EXIST", "DOUBLE_EQUALS", "EQUALS", "EVERYTHING", "EXISTS", "GT", "IN", "LT",
    "NOTHING", "NOT_EQUALS", "NOT_IN", "FieldSelector", "FieldTerm", "Getter", "LabelSelector",
    "Labels", "Requirement", "SelectorError", "escape_field_value", "everything", "field_value",
    "go_quote", "label_selector_from_dict", "nothing", "parse_field_selector",
    "parse_label_selector",
]
