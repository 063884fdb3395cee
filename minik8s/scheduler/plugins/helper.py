"""Shared plugin helpers: ``DefaultNormalizeScore`` and the max node score.

Neighbours: NodeAffinity and TaintToleration normalize with it.
"""

from __future__ import annotations

MAX_NODE_SCORE = 100


def default_normalize_score(scores: list[int], reverse: bool = False,
                            max_priority: int = MAX_NODE_SCORE) -> list[int]:
    """Scale to [0, max_priority] by the highest score; ``reverse`` flips (fewer is better).

    All zero: all stay 0, or all become ``max_priority`` when reversed.
    """
    top = max(scores, default=0)
    if top <= 0:
        return [max_priority] * len(scores) if reverse else [0] * len(scores)
    if reverse:
        return [max_priority - max_priority * s // top for s in scores]
    return [max_priority * s // top for s in scores]
