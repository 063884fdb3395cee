"""Bounded memos: one eviction policy, written and tested once.

minik8s keeps many small memos (parsed timestamps, validated labels, field sets of an
object shape, ...). Each is a plain dict read with ``memo.get(key)`` (plus whatever identity
check the site needs) and filled through ``remember``, so how a full memo makes room is
decided here and nowhere else.

The policy: when the memo is full, the oldest entries (dicts keep insertion order) go first.
Memos are transparent caches: what they hold never changes a result, only how soon it is
found, so any eviction is correct and the policy is only about hits. Oldest-first keeps the
recent entries, which are the ones asked for again (the stamp just written, the pods of the
current sync), so it hits at least as often as starting over with an empty memo when full.

Room is made an eighth of the memo at a time, not one entry at a time: deleting a plain
dict's first key leaves a dead slot at the front of its entry table that every later
``iter`` walks past until the next resize, so dropping one oldest key per insert costs
O(size) each time (~2 µs at 4096 entries, against ~0.05 µs for ``clear``). In batches the
walk is paid once per ``limit // 8`` inserts, and the memo stays a plain dict, whose lookups
are the cheapest there are.
"""

from __future__ import annotations

from itertools import islice
from typing import TypeVar

K = TypeVar("K")
V = TypeVar("V")

#: a full memo drops this fraction of its entries (the oldest) to make room
_DROP = 8


def remember(memo: dict[K, V], key: K, value: V, limit: int) -> V:
    """Store ``value`` under ``key`` in ``memo`` and return it, keeping at most ``limit``
    entries: when a new key finds the memo full, its oldest ``limit // 8`` entries (at least
    one) are dropped first. Replacing the value of a key already held drops nothing."""
    if len(memo) >= limit and key not in memo:
        for old in list(islice(memo, len(memo) - limit + max(1, limit // _DROP))):
            del memo[old]
    memo[key] = value
    return value
