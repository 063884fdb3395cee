"""Helpers for scenario replays: apply YAML with kubectl, poll until a condition holds."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from served import ServedCluster


def kubectl_apply(sc: ServedCluster, manifest: str, version: str | None = None) -> str:
    return sc.kubectl("apply", "-f", "-", input=manifest, version=version).stdout


def get_json(sc: ServedCluster, *args: str) -> Any:
    return json.loads(sc.kubectl("get", *args, "-o", "json").stdout)


def eventually(fn: Callable[[], Any], timeout: float = 20.0, interval: float = 0.1) -> Any:
    deadline = time.time() + timeout
    last: Any = None
    while time.time() < deadline:
        try:
            last = fn()
            if last:
                return last
        except AssertionError as e:  # a kubectl that failed: try again
            last = e
        time.sleep(interval)
    raise AssertionError(f"condition not met in {timeout}s; last value: {last!r}")


def pods(sc: ServedCluster, selector: str) -> list[dict[str, Any]]:
    return get_json(sc, "pods", "-l", selector)["items"]  # type: ignore[no-any-return]
