"""Discovery documents, aggregated (v2, v2beta1) and legacy, from the resource table.

Documents are cached and rebuilt when the table changes (a CRD appears).
"""

from __future__ import annotations

from typing import Any

import orjson

from minik8s.api.resources import Resource, ResourceTable

AGG_CT = "application/json;g=apidiscovery.k8s.io;v={v};as=APIGroupDiscoveryList"


class Discovery:
    def __init__(self, table: ResourceTable, server_address: str = "127.0.0.1:6443") -> None:
        self.table = table
        self.server_address = server_address
        self._cache: dict[Any, bytes] = {}
        self.extra_groups: list[tuple[str, str, list[dict[str, Any]]]] = []  # metrics etc.
        table.on_change(self._cache.clear)

    def add_static_group(self, group: str, version: str, resources: list[dict[str, Any]]) -> None:
        """A group served outside the table (metrics.k8s.io): aggregated-discovery items."""
        self.extra_groups.append((group, version, resources))
        self._cache.clear()

    def _cached(self, key: Any, build: Any) -> bytes:
        raw = self._cache.get(key)
        if raw is None:
            raw = self._cache[key] = orjson.dumps(build())
        return raw

    # ---- aggregated -------------------------------------------------------
    def _agg_resource(self, r: Resource, version: str) -> dict[str, Any]:
        d: dict[str, Any] = {
            "resource": r.plural,
            "responseKind": {"group": r.group, "version": version, "kind": r.kind},
            "scope": "Namespaced" if r.namespaced else "Cluster",
            "singularResource": r.singular,
            "verbs": sorted(r.verbs),
        }
        if r.short_names:
            d["shortNames"] = list(r.short_names)
        if r.categories:
            d["categories"] = list(r.categories)
        subs = []
        for s in r.subresources:
            subs.append({"subresource": s.name,
                         "responseKind": {"group": s.group if s.group is not None else r.group,
                                          "version": s.version or version, "kind": s.kind},
                         "verbs": sorted(s.verbs)})
        if subs:
            d["subresources"] = sorted(subs, key=lambda s: s["subresource"])
        return d

    def _agg_group(self, group: str, versions: list[str]) -> dict[str, Any]:
        return {"metadata": {"name": group} if group else {},
                "versions": [{"version": v, "freshness": "Current", "resources": sorted(
                    (self._agg_resource(r, v) for r in self.table.in_group_version(group, v)),
                    key=lambda d: d["resource"])} for v in versions]}

    def aggregated(self, core: bool, api_version: str) -> bytes:
        def build() -> dict[str, Any]:
            items = []
            for g, vs in self.table.groups():
                if (g == "") != core:
                    continue
                items.append(self._agg_group(g, vs))
            if not core:
                for g, v, resources in self.extra_groups:
                    items.append({"metadata": {"name": g}, "versions": [
                        {"version": v, "freshness": "Current", "resources": resources}]})
            return {"kind": "APIGroupDiscoveryList", "apiVersion": f"apidiscovery.k8s.io/{api_version}",
                    "metadata": {}, "items": items}
        return self._cached(("agg", core, api_version), build)

    # ---- legacy -----------------------------------------------------------
    def api_versions(self) -> bytes:
        return self._cached("api", lambda: {
            "kind": "APIVersions", "versions": ["v1"],
            "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0",
                                            "serverAddress": self.server_address}]})

    def _group_doc(self, g: str, vs: list[str]) -> dict[str, Any]:
        gvs = [{"groupVersion": f"{g}/{v}", "version": v} for v in vs]
        return {"name": g, "versions": gvs, "preferredVersion": gvs[0]}

    def _all_groups(self) -> list[tuple[str, list[str]]]:
        groups = [(g, vs) for g, vs in self.table.groups() if g]
        groups += [(g, [v]) for g, v, _ in self.extra_groups]
        return groups

    def api_groups(self) -> bytes:
        return self._cached("apis", lambda: {
            "kind": "APIGroupList", "apiVersion": "v1",
            "groups": [self._group_doc(g, vs) for g, vs in self._all_groups()]})

    def api_group(self, group: str) -> bytes | None:
        for g, vs in self._all_groups():
            if g == group:
                return self._cached(("group", g), lambda: {
                    "kind": "APIGroup", "apiVersion": "v1", **self._group_doc(g, vs)})
        return None

    def resource_list(self, group: str, version: str) -> bytes | None:
        resources = self.table.in_group_version(group, version)
        extra = [r for g, v, r in self.extra_groups if g == group and v == version]
        if not resources and not extra:
            return None

        def build() -> dict[str, Any]:
            out = []
            for r in sorted(resources, key=lambda r: r.plural):
                d: dict[str, Any] = {"name": r.plural, "singularName": r.singular,
                                     "namespaced": r.namespaced, "kind": r.kind,
                                     "verbs": sorted(r.verbs)}
                if r.short_names:
                    d["shortNames"] = list(r.short_names)
                if r.categories:
                    d["categories"] = list(r.categories)
                out.append(d)
                for s in r.subresources:
                    sd: dict[str, Any] = {"name": f"{r.plural}/{s.name}", "singularName": "",
                                          "namespaced": r.namespaced, "kind": s.kind,
                                          "verbs": sorted(s.verbs)}
                    if s.group is not None:
                        sd["group"] = s.group
                        sd["version"] = s.version
                    out.append(sd)
            for rs in extra:
                for a in rs:
                    out.append({"name": a["resource"], "singularName": a.get("singularResource", ""),
                                "namespaced": a["scope"] == "Namespaced",
                                "kind": a["responseKind"]["kind"], "verbs": a["verbs"]})
            return {"kind": "APIResourceList", "apiVersion": "v1",
                    "groupVersion": f"{group}/{version}" if group else version, "resources": out}
        return self._cached(("list", group, version), build)
