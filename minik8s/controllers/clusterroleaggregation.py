"""ClusterRole aggregation: an aggregated ClusterRole's rules are the rules of the roles it selects.

Like kube-controller-manager's clusterrole-aggregation controller: for a ClusterRole
with an ``aggregationRule``, every ClusterRole matching one of its
``clusterRoleSelectors`` (in selector order, each selector's roles by name, the role
itself skipped) contributes its rules, each rule once; when that differs from the
role's rules they are replaced by server-side apply (field manager
``clusterrole-aggregation-controller``, forced). Any ClusterRole change re-queues
every aggregated role, so chains (``view`` → ``edit`` → ``admin``) settle.
"""

from __future__ import annotations

from typing import Any

from minik8s.api import selectors
from minik8s.runtime.context import ControllerContext
from minik8s.runtime.controller import Result

Obj = dict[str, Any]
COMPONENT = "clusterrole-aggregation-controller"
API_VERSION = "rbac.authorization.k8s.io/v1"


def _norm(rule: Obj) -> Obj:
    """Semantic equality treats absent and empty lists alike."""
    return {k: v for k, v in rule.items() if v}


def aggregate(role: Obj, roles: list[Obj]) -> list[Obj]:
    """The rules the aggregated ``role`` should have, given every ClusterRole."""
    name = role["metadata"]["name"]
    out: list[Obj] = []
    seen: list[Obj] = []
    by_name = sorted(roles, key=lambda r: r["metadata"]["name"])
    for sel in (role.get("aggregationRule") or {}).get("clusterRoleSelectors") or ():
        try:
            selector = selectors.label_selector_from_dict(sel)
        except ValueError:
            continue
        for other in by_name:
            if other["metadata"]["name"] == name or \
                    not selector.matches(other["metadata"].get("labels") or {}):
                continue
            for rule in other.get("rules") or ():
                if isinstance(rule, dict) and _norm(rule) not in seen:
                    seen.append(_norm(rule))
                    out.append(rule)
    return out


def setup(ctx: ControllerContext) -> None:
    roles = ctx.informers.informer(API_VERSION, "clusterroles")

    def reconcile(name: str) -> Result | None:
        role = roles.get("", name)
        if role is None or not role.get("aggregationRule"):
            return None
        rules = aggregate(role, roles.list())
        if [_norm(r) for r in rules] == [_norm(r) for r in role.get("rules") or ()]:
            return None
        ctx.client.apply({"apiVersion": API_VERSION, "kind": "ClusterRole",
                          "metadata": {"name": name}, "rules": rules},
                         manager=COMPONENT, force=True)
        return None

    ctrl = ctx.manager.add(COMPONENT, reconcile)

    def on_change(etype: str, obj: Obj, old: Obj | None) -> None:
        for r in roles.list():
            if r.get("aggregationRule"):
                ctrl.enqueue(r["metadata"]["name"])

    roles.add_handler(on_change)
