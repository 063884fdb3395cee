"""The scheduling profile as data: which plugins run, in what order, with what score weight.

``DEFAULT_PROFILE`` is kube-scheduler's v1 default MultiPoint list
(``pkg/scheduler/apis/config/v1/default_plugins.go``) minus what has no meaning
here: ImageLocality (there are no images to be local), the in-tree volume limit
plugins (EBS/GCE PD/Azure/CSI limits), VolumeRestrictions and VolumeZone (the
storage work plugs into VolumeBinding's checker instead). PrioritySort lives in
the controller's queue (``queuesort.less``), DefaultPreemption in ``preemption``,
DefaultBinder in the controller.

``load_profile(cfg)`` reads a ``KubeSchedulerProfile``-shaped dict (``plugins.multiPoint``
/ ``score`` / ``filter`` ... with ``enabled``/``disabled``, ``pluginConfig``,
``percentageOfNodesToScore``) and merges it into the defaults the way kube-scheduler's
``mergePluginSet`` does; a shorthand ``{"weights": {...}, "disabled": [...]}`` works too.

Neighbours: ``framework.Framework(profile, cache)`` instantiates the plugins by name
from ``plugins.REGISTRY``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

EXTENSION_POINTS = ("preFilter", "filter", "preScore", "score")


@dataclasses.dataclass(frozen=True)
class PluginSpec:
    """One enabled plugin: ``weight`` applies to its score; ``disabled`` lists extension points
    where it must not run (e.g. ``{"score"}`` keeps it as a filter only)."""

    name: str
    weight: int = 1
    disabled: frozenset[str] = frozenset()


@dataclasses.dataclass(frozen=True)
class Profile:
    scheduler_name: str = "default-scheduler"
    """Pods whose ``spec.schedulerName`` is this use the profile."""
    plugins: tuple[PluginSpec, ...] = ()
    """Enabled plugins in run order (filters stop at the first rejection)."""
    percentage_of_nodes_to_score: int = 0
    """0: adaptive (50% - nodes/125, at least 5%, at least 100 nodes); 100: every node."""
    plugin_args: Mapping[str, Mapping[str, Any]] = dataclasses.field(default_factory=dict)
    """``pluginConfig`` args by plugin name (e.g. NodeResourcesFit scoringStrategy)."""

    def spec(self, name: str) -> PluginSpec | None:
        return next((p for p in self.plugins if p.name == name), None)


DEFAULT_PLUGINS: tuple[PluginSpec, ...] = (
    PluginSpec("NodeUnschedulable"),
    PluginSpec("NodeName"),
    PluginSpec("TaintToleration", 3),
    PluginSpec("NodeAffinity", 2),
    PluginSpec("NodePorts"),
    PluginSpec("NodeResourcesFit", 1),
    PluginSpec("VolumeBinding"),
    PluginSpec("PodTopologySpread", 2),
    PluginSpec("InterPodAffinity", 2),
    PluginSpec("NodeResourcesBalancedAllocation", 1),
)

DEFAULT_PROFILE = Profile(plugins=DEFAULT_PLUGINS)

# Plugins kube-scheduler enables by default that are implemented outside the framework here
# or have nothing to act on; naming them in a config is accepted and ignored.
NOT_FRAMEWORK_PLUGINS = frozenset({
    "SchedulingGates", "PrioritySort", "DefaultPreemption", "DefaultBinder", "ImageLocality",
    "VolumeRestrictions", "EBSLimits", "GCEPDLimits", "NodeVolumeLimits", "AzureDiskLimits",
    "VolumeZone"})


def _names(entries: Any) -> list[str]:
    return [str(e["name"] if isinstance(e, Mapping) else e) for e in entries or ()]


def _merge(plugins: list[PluginSpec], enabled: Any, disabled: Any) -> list[PluginSpec]:
    """``mergePluginSet``: drop disabled ("*" = all defaults), re-weight in place, append new."""
    off = set(_names(disabled))
    out = [] if "*" in off else [p for p in plugins if p.name not in off]
    by_name = {p.name: i for i, p in enumerate(out)}
    for e in enabled or ():
        name = str(e["name"] if isinstance(e, Mapping) else e)
        weight = e.get("weight") if isinstance(e, Mapping) else None
        if name in by_name:
            old = out[by_name[name]]
            out[by_name[name]] = dataclasses.replace(old, weight=int(weight or old.weight))
        else:
            by_name[name] = len(out)
            out.append(PluginSpec(name, int(weight or 1)))
    return out


def load_profile(cfg: Mapping[str, Any] | None, base: Profile = DEFAULT_PROFILE) -> Profile:
    """A profile from cluster config, merged into ``base`` (the defaults)."""
    if not cfg:
        return base
    plugins = list(base.plugins)
    raw = cfg.get("plugins") or {}
    multi = raw.get("multiPoint") or {}
    plugins = _merge(plugins, multi.get("enabled"), multi.get("disabled"))
    for point in EXTENSION_POINTS:
        section = raw.get(point) or {}
        off = set(_names(section.get("disabled")))
        if "*" in off:
            off = {p.name for p in plugins}
        plugins = [dataclasses.replace(p, disabled=p.disabled | {point}) if p.name in off else p
                   for p in plugins]
        for e in section.get("enabled") or ():
            name, weight = str(e["name"]), e.get("weight")
            for i, p in enumerate(plugins):
                if p.name == name:
                    plugins[i] = dataclasses.replace(
                        p, weight=int(weight or p.weight), disabled=p.disabled - {point})
                    break
            else:
                plugins.append(PluginSpec(name, int(weight or 1),
                                          frozenset(EXTENSION_POINTS) - {point}))
    # shorthand: {"weights": {"NodeAffinity": 5}, "disabled": ["NodePorts"]}
    weights = [{"name": n, "weight": w} for n, w in (cfg.get("weights") or {}).items()]
    plugins = _merge(plugins, weights, cfg.get("disabled"))
    args = dict(base.plugin_args)
    for pc in cfg.get("pluginConfig") or ():
        args[str(pc["name"])] = pc.get("args") or {}
    pct = cfg.get("percentageOfNodesToScore")
    return Profile(
        scheduler_name=str(cfg.get("schedulerName") or base.scheduler_name),
        plugins=tuple(p for p in plugins if p.name not in NOT_FRAMEWORK_PLUGINS),
        percentage_of_nodes_to_score=base.percentage_of_nodes_to_score if pct is None else int(pct),
        plugin_args=args,
    )
