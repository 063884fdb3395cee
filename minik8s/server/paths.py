"""URL parsing: ``/api/v1/...`` and ``/apis/{g}/{v}/...`` into a ``Target``.

Pure; no aiohttp. Keeps the namespace-object paths (``/api/v1/namespaces/x``,
``.../x/status``, ``.../x/finalize``) apart from namespaced collections.
"""

from __future__ import annotations

import dataclasses
import functools

NAMESPACE_SUBS = ("status", "finalize")


@dataclasses.dataclass(frozen=True)
class Target:
    kind: str  # "discovery-core" | "discovery-group" | "discovery-gv" | "resource" | "none"
    group: str = ""
    version: str = ""
    plural: str = ""
    namespace: str | None = None  # None: all namespaces / cluster scope
    name: str = ""
    sub: str = ""
    watch: bool = False  # legacy /watch/ prefix


#: paths longer than this are parsed every time, so the cache stays small
CACHED_PATH_LEN = 256


def parse(path: str) -> Target:
    """The target of a request path. Cached (clients ask for the same paths over and
    over); a ``Target`` is immutable, so a cached one is shared safely."""
    return _parse_cached(path) if len(path) <= CACHED_PATH_LEN else _parse(path)


def _parse(path: str) -> Target:
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
    t = functools.partial(Target, "resource", group=group, version=version)
    watch = False
    if rest[0] == "watch":
        watch = True
        rest = rest[1:]
        if not rest:
            return Target("none")
    if rest[0] == "namespaces" and group == "":
        if len(rest) == 1:
            return t(plural="namespaces", watch=watch)
        if len(rest) == 2:
            return t(plural="namespaces", name=rest[1], watch=watch)
        if len(rest) == 3 and rest[2] in NAMESPACE_SUBS:
            return t(plural="namespaces", name=rest[1], sub=rest[2], watch=watch)
    namespace = None
    if rest[0] == "namespaces" and len(rest) >= 3:
        namespace = rest[1]
        rest = rest[2:]
    elif rest[0] == "namespaces" and len(rest) == 2 and group != "":
        return Target("none")
    sub = rest[2] if len(rest) >= 3 else ""
    if len(rest) > 3 and sub != "proxy":
        # node/pod proxy paths carry more segments; nothing else does
        return Target("none")
    return t(plural=rest[0], namespace=namespace, name=rest[1] if len(rest) >= 2 else "",
             sub=sub, watch=watch)


_parse_cached = functools.lru_cache(maxsize=4096)(_parse)
