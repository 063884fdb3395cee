"""CPython's full (generation-2) collections are deferred while controllers settle.

A settle of a big cluster allocates millions of short-lived dicts while the store
holds long-lived, acyclic JSON trees. CPython answers with full collections that
walk the whole heap and find nothing: 11 of them cost 3.4 s of a 13 s settle of
10k pods (1,000 Deployments × 10). Young generations are still collected, so the
few cycles controllers make (exceptions, futures) go as before; the deferred full
collection runs at its usual threshold once no settle is running. Unlike
``tune_for_serving`` (the long-lived server's policy, also here) nothing is frozen,
so a test process that hosts many clusters frees each one's objects as usual.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator

#: generation-1 collections before a full one while a settle runs: in effect, none
DEFERRED = 1_000_000

_depth = 0
_saved: tuple[int, int, int] | None = None


@contextlib.contextmanager
def full_collections_deferred() -> Iterator[None]:
    """Nestable (settles of several clusters may interleave); the thresholds in force
    before the outermost one are restored when it ends, unless someone changed them
    meanwhile."""
    global _depth, _saved
    if _depth == 0:
        t = gc.get_threshold()
        _saved = t if (t[0] and t[2] < DEFERRED) else None
        if _saved is not None:
            gc.set_threshold(t[0], t[1], DEFERRED)
    _depth += 1
    try:
        yield
    finally:
        _depth -= 1
        if _depth == 0 and _saved is not None:
            if gc.get_threshold() == (_saved[0], _saved[1], DEFERRED):
                gc.set_threshold(*_saved)
            _saved = None


#: generation-0 and -1 thresholds while serving (CPython's defaults)
SERVING_YOUNG = (700, 10)


def tune_for_serving() -> None:
    """What a long-lived server does with CPython's cyclic GC (``minik8s serve``; the bench's
    bare ceiling runs under it too).

    Stored objects are acyclic JSON trees held for good: a full collection over 100k pods
    finds nothing and pauses every request for seconds. So freeze what exists after start
    and leave generation 2 to explicit collections; young garbage (gen 0/1) is still
    collected. Process-wide: not for a test process hosting many clusters.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(*SERVING_YOUNG, DEFERRED)
