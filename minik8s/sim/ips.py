"""Pod IPs from each node's podCIDR, handed out like CNI host-local IPAM.

Sequential from ``<network>.2`` (``.1`` is the node's bridge), continuing after
the last address handed out and wrapping around, so a released address is not
reused at once. Addresses already in pod statuses are adopted with ``reserve``.
"""

from __future__ import annotations

import ipaddress


def _text(n: int) -> str:
    """``str(ipaddress.ip_address(n))``, without building the object for IPv4 (one per pod)."""
    if n < 1 << 32:
        return f"{n >> 24}.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"
    return str(ipaddress.ip_address(n))


class NodeRange:
    def __init__(self, cidr: str) -> None:
        net = ipaddress.ip_network(cidr, strict=False)
        self.first = int(net.network_address) + 2
        self.last = int(net.broadcast_address) - 1
        self.cursor = self.first - 1
        self.used: dict[int, str] = {}

    def allocate(self, owner: str) -> int | None:
        """The next free address after the cursor (as an int), now owned by ``owner``."""
        size = self.last - self.first + 1
        for i in range(1, size + 1):
            cand = self.first + (self.cursor - self.first + i) % size
            if cand not in self.used:
                self.used[cand] = owner
                self.cursor = cand
                return cand
        return None


class PodIPs:
    """Per-node ranges; owners are pod uids."""

    def __init__(self) -> None:
        self._ranges: dict[str, NodeRange] = {}
        self._cidrs: dict[str, str] = {}
        self._owned: dict[str, tuple[str, int]] = {}

    def _range(self, node: str, cidr: str) -> NodeRange:
        r = self._ranges.get(node)
        if r is None or self._cidrs.get(node) != cidr:
            r = self._ranges[node] = NodeRange(cidr)
            self._cidrs[node] = cidr
        return r

    def allocate(self, node: str, cidr: str, owner: str) -> str | None:
        """The pod's address (the same one if it already has one)."""
        held = self._owned.get(owner)
        if held is not None:
            return _text(held[1])
        r = self._range(node, cidr)
        n = r.allocate(owner)
        if n is None:
            return None
        self._owned[owner] = (node, n)
        return _text(n)

    def reserve(self, node: str, cidr: str, owner: str, ip: str) -> None:
        if owner in self._owned:
            return
        try:
            n = int(ipaddress.ip_address(ip))
        except ValueError:
            return
        r = self._range(node, cidr)
        if r.first <= n <= r.last and n not in r.used:
            r.used[n] = owner
            self._owned[owner] = (node, n)

    def release(self, owner: str) -> None:
        held = self._owned.pop(owner, None)
        if held is None:
            return
        r = self._ranges.get(held[0])
        if r is not None and r.used.get(held[1]) == owner:
            del r.used[held[1]]

    def holds(self, owner: str) -> bool:
        return owner in self._owned

    def forget_node(self, node: str) -> None:
        self._ranges.pop(node, None)
        self._cidrs.pop(node, None)
        for owner in [o for o, (n, _) in self._owned.items() if n == node]:
            del self._owned[owner]
