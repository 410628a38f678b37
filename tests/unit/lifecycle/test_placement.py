"""Worker pool placement rules: spread, moves, liveness (pure)."""

from __future__ import annotations

import pytest

from blueprint_engine.devices.placement import (
    PoolLiveness,
    PoolLoad,
    check_capacity,
    check_move,
    check_name,
    liveness,
    spread,
    workers_per_queue,
)
from blueprint_engine.errors import ConflictError, PoolExhaustedError, ValidationError

UP, DOWN, NEVER = PoolLiveness.UP, PoolLiveness.DOWN, PoolLiveness.NEVER_SEEN


def _pool(name: str, devices: int, capacity: int = 10, live: PoolLiveness = UP) -> PoolLoad:
    return PoolLoad(name, f"q-{name}", capacity, devices, live)


def test_new_devices_go_to_the_least_loaded_pool_that_is_up() -> None:
    pools = [_pool("a", 4), _pool("b", 1), _pool("c", 0, live=DOWN), _pool("d", 0, live=NEVER)]
    assert spread(pools, 5) == ["b", "b", "b", "a", "b"]


def test_load_is_relative_to_capacity() -> None:
    pools = [_pool("big", 10, capacity=100), _pool("small", 1, capacity=5)]
    assert spread(pools, 3) == ["big", "big", "big"]


def test_spread_never_overfills_and_says_what_is_free() -> None:
    with pytest.raises(PoolExhaustedError) as err:
        spread([_pool("a", 9), _pool("b", 10), _pool("c", 0, live=DOWN)], 2)
    assert "a 1/10, b 0/10" in err.value.message
    assert spread([_pool("a", 9), _pool("b", 10)], 1) == ["a"]


def test_no_pool_up_places_nothing() -> None:
    with pytest.raises(PoolExhaustedError, match="no pool up"):
        spread([_pool("a", 0, live=DOWN)], 1)


def test_a_move_needs_an_existing_pool_with_room_other_than_the_current_one() -> None:
    with pytest.raises(ValidationError) as missing:
        check_move("S1", "a", None, ["a", "b"])
    assert missing.value.allowed == "a, b"
    with pytest.raises(ConflictError, match="already placed on pool 'a'"):
        check_move("S1", "a", _pool("a", 1), ["a", "b"])
    with pytest.raises(PoolExhaustedError, match=r"'b' is full \(10/10"):
        check_move("S1", "a", _pool("b", 10), ["a", "b"])
    check_move("S1", "a", _pool("b", 9), ["a", "b"])
    check_move("S1", None, _pool("b", 9), ["b"])


@pytest.mark.parametrize("bad", ["", "A", "-x", "x" * 64, "a b", "a/b", 7, None])
def test_pool_names_follow_the_name_grammar(bad: object) -> None:
    with pytest.raises(ValidationError) as err:
        check_name("pool name", bad)
    assert err.value.allowed == "[a-z0-9][a-z0-9._-]{0,62}"


@pytest.mark.parametrize("bad", [0, -1, 100_001, True, 1.5, "10"])
def test_capacity_is_a_bounded_integer(bad: object) -> None:
    with pytest.raises(ValidationError, match="capacity"):
        check_capacity(bad)
    assert check_capacity(1) == 1


def test_a_pool_is_down_only_when_its_workers_were_seen_before() -> None:
    assert liveness(2, seen_before=False) is UP
    assert liveness(0, seen_before=True) is DOWN
    assert liveness(0, seen_before=False) is NEVER


def test_workers_are_grouped_by_the_queues_they_consume() -> None:
    replies = {"w2@h": ["qa", "qb"], "w1@h": ["qa"], "w3@h": ["other"]}
    assert workers_per_queue(replies, ["qa", "qb", "qc"]) == {
        "qa": ["w1@h", "w2@h"],
        "qb": ["w2@h"],
        "qc": [],
    }
