"""What a controller's ``setup`` receives: the manager, informers, client, clock and settings."""

from __future__ import annotations

import dataclasses
import random
import zlib
from typing import Any

from minik8s.aio.clock import Clock
from minik8s.client.client import Client
from minik8s.config import ClusterConfig
from minik8s.runtime.informer import InformerFactory
from minik8s.runtime.manager import Manager


@dataclasses.dataclass
class ControllerContext:
    manager: Manager
    informers: InformerFactory
    client: Client
    clock: Clock
    config: ClusterConfig
    #: None on the real clock (random), an int on the virtual clock (reproducible)
    seed: int | None = None
    #: components publish things here for others (e.g. the scheduler's cache)
    shared: dict[str, Any] = dataclasses.field(default_factory=dict)

    def rng(self, component: str) -> random.Random:
        """A random source per component: same seed, same sequence, whatever else runs."""
        if self.seed is None:
            return random.Random()
        return random.Random(self.seed * 1_000_003 + zlib.crc32(component.encode()))

    def settings(self, section: str) -> dict[str, Any]:
        """The raw settings dict of one component (``ClusterConfig.components``)."""
        return dict(self.config.components.get(section) or {})
