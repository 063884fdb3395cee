"""The HPA replica calculator against the worked examples of the Kubernetes HPA docs."""

from __future__ import annotations

import pytest

from minik8s.controllers import replica_calculator as rc


def pods(*usages: int | None, request: int = 100, unready: tuple[int, ...] = ()) -> list[rc.PodFacts]:
    return [rc.PodFacts(f"p{i}", request, u, True, i in unready) for i, u in enumerate(usages)]


@pytest.mark.parametrize("facts,target,current,expected", [
    (pods(200, 200), 100, 2, 4),
    (pods(50, 50, 50, 50), 100, 4, 2),
    (pods(105, 105), 100, 2, 2),
    (pods(276, request=200), 50, 1, 3),
    (pods(276, 276, 276, request=200), 50, 3, 9),
    (pods(0, 0, 0, request=200), 50, 3, 0),
], ids=["usage at twice the target doubles the replicas",
        "usage at half the target halves them",
        "a ratio within the 0.1 tolerance changes nothing",
        "the seed's 138% of one 200m pod against 50% asks for ceil(1 x 2.76) = 3",
        "the same load per pod on three pods asks for nine",
        "no load asks for zero (min replicas clamps it later)"])
def test_utilization_proposals(facts: list[rc.PodFacts], target: int, current: int, expected: int) -> None:
    assert rc.utilization(facts, target, current)[0] == expected


def test_missing_metrics_count_as_full_request_when_scaling_down() -> None:
    # two pods at 20% and one without metrics: 20/50 → down, but the missing pod at 100%
    # makes (20+20+100)/300 = 46.7% ≈ within tolerance of 50% → no change
    assert rc.utilization(pods(20, 20, None), 50, 3)[0] == 3


def test_missing_metrics_count_as_zero_when_scaling_up() -> None:
    # (100+100+0)/300 = 66.7% over a 50% target → ceil(1.33 x 3) = 4
    assert rc.utilization(pods(100, 100, None), 50, 3)[0] == 4


def test_unready_pods_are_ignored_for_scale_up_then_counted_as_zero() -> None:
    # ready pod at 150% of 50: ratio 3; with the unready pod at 0: (150+0)/200 = 75% → ratio 1.5 → 3
    assert rc.utilization(pods(150, 150, unready=(1,)), 50, 2)[0] == 3


def test_a_flip_in_direction_after_filling_in_changes_nothing() -> None:
    # 60% over 50% scales up on its own, but two silent pods at 0 pull it to 20% → no change
    assert rc.utilization(pods(60, None, None), 50, 3)[0] == 3


def test_average_value_targets() -> None:
    assert rc.average_value(pods(300, 300), 200, 2)[0] == 3


def test_no_samples_is_an_error() -> None:
    with pytest.raises(rc.MetricsUnavailable):
        rc.utilization(pods(None, None), 50, 2)


@pytest.mark.parametrize("facts, message", [
    ([rc.PodFacts("p0", 100, 50, active=False)], "no pods"),
    ([rc.PodFacts("p0", 100, 50), rc.PodFacts("p1", 0, None)], "missing request for cpu"),
    ([rc.PodFacts("p0", 100, None), rc.PodFacts("p1", 100, 50, unready=True)],
     "no metrics returned from resource metrics API"),
])
def test_errors_in_the_real_order(facts: list[rc.PodFacts], message: str) -> None:
    """No active pods, then a pod without a request, then no ready pod with a metric."""
    with pytest.raises(rc.MetricsUnavailable, match=message):
        rc.utilization(facts, 50, 1)
