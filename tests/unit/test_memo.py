"""``minik8s.memo.remember``: the one eviction policy of the bounded memos."""

from __future__ import annotations

from minik8s.memo import remember


def test_returns_the_value_it_stores() -> None:
    memo: dict[str, int] = {}
    assert remember(memo, "a", 1, 4) == 1
    assert memo == {"a": 1}


def test_the_bound_is_respected() -> None:
    memo: dict[int, int] = {}
    for i in range(1000):
        remember(memo, i, i, 64)
        assert len(memo) <= 64
    assert 999 in memo


def test_the_oldest_go_out_first() -> None:
    memo: dict[int, str] = {}
    for i in range(16):
        remember(memo, i, str(i), 16)
    remember(memo, 16, "16", 16)
    # the oldest eighth (0 and 1) made room; everything newer is still there, in order
    assert list(memo) == list(range(2, 17))
    remember(memo, 17, "17", 16)
    assert list(memo) == list(range(2, 18))


def test_a_small_memo_drops_one_entry() -> None:
    memo: dict[str, int] = {}
    for k in "abc":
        remember(memo, k, 0, 3)
    remember(memo, "d", 0, 3)
    assert list(memo) == ["b", "c", "d"]


def test_reinserting_a_held_key_evicts_nothing() -> None:
    memo: dict[int, int] = {i: i for i in range(8)}
    assert remember(memo, 3, 30, 8) == 30
    assert memo == {**{i: i for i in range(8)}, 3: 30}
    assert list(memo) == list(range(8))  # the key keeps its place


def test_an_overfull_memo_is_brought_back_under_the_bound() -> None:
    memo: dict[int, int] = {i: i for i in range(20)}
    remember(memo, 20, 20, 8)
    assert len(memo) <= 8
    assert list(memo) == sorted(memo) and 20 in memo
