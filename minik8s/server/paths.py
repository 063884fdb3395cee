"""URL parsing: ``/api/v1/...`` and ``/apis/{g}/{v}/...`` into a ``Target``.

Pure; no aiohttp. Keeps the namespace-object paths (``/api/v1/namespaces/x``,
``.../x/status``, ``.../x/finalize``) apart from namespaced collections.
"""

from __future__ import annotations

import dataclasses

NAMESPACE_SUBS = ("status", "finalize")


@dataclasses.dataclass
class Target:
    kind: str  # "discovery-core" | "discovery-group" | "discovery-gv" | "resource" | "none"
    group: str = ""
    version: str = ""
    plural: str = ""
    namespace: str | None = None  # None: all namespaces / cluster scope
    name: str = ""
    sub: str = ""
    watch: bool = False  # legacy /watch/ prefix


def parse(path: str) -> Target:
    parts = [p for p in path.split("/") if p]
    if not parts:
        return Target("none")
    if parts[0] == "api":
        if len(parts) == 1:
            return Target("discovery-core")
        group, version, rest = "", parts[1], parts[2:]
    elif parts[0] == "apis":
        if len(parts) == 1:
            return Target("discovery-groups")
        if len(parts) == 2:
            return Target("discovery-group", group=parts[1])
        group, version, rest = parts[1], parts[2], parts[3:]
    else:
        return Target("none")
    if not rest:
        return Target("discovery-gv", group=group, version=version)
    t = Target("resource", group=group, version=version)
    if rest[0] == "watch":
        t.watch = True
        rest = rest[1:]
        if not rest:
            return Target("none")
    if rest[0] == "namespaces" and group == "":
        if len(rest) == 1:
            t.plural = "namespaces"
            return t
        if len(rest) == 2:
            t.plural, t.name = "namespaces", rest[1]
            return t
        if len(rest) == 3 and rest[2] in NAMESPACE_SUBS:
            t.plural, t.name, t.sub = "namespaces", rest[1], rest[2]
            return t
    if rest[0] == "namespaces" and len(rest) >= 3:
        t.namespace = rest[1]
        rest = rest[2:]
    elif rest[0] == "namespaces" and len(rest) == 2 and group != "":
        return Target("none")
    t.plural = rest[0]
    if len(rest) >= 2:
        t.name = rest[1]
    if len(rest) >= 3:
        t.sub = rest[2]
    if len(rest) > 3:
        # node/pod proxy paths carry more segments; nothing else does
        if t.sub != "proxy":
            return Target("none")
    return t
