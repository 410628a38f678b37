"""Observation digests: when one read settles an observer's batch, and what it leaves."""

from __future__ import annotations

from typing import Any

from telemetry.digest import (
    Counts,
    Held,
    Triaged,
    after,
    fingerprint,
    held_by_kind,
    held_lists,
    refreshed,
    unchanged,
)
from telemetry.ingest import Pending, confirmed, unsettled

REFRESH_MS = 30_000


def _row(subject: str, value: str, at: float) -> dict[str, Any]:
    return {"uid": f"bp/interface/leaf1/{subject}", "value": value, "at": at, "kind": "interface"}


UP = '{"admin_up":true,"oper_up":true}'
DOWN = '{"admin_up":true,"oper_up":false}'


def test_the_fingerprint_ignores_the_order_of_the_facts_and_sees_every_value() -> None:
    one = [_row("swp1", UP, 10.0), _row("swp2", UP, 10.0)]
    assert fingerprint(one) == fingerprint(list(reversed(one)))
    assert fingerprint(one) != fingerprint([_row("swp1", UP, 10.0), _row("swp2", DOWN, 10.0)])
    assert fingerprint(one) != fingerprint(one[:1])  # a fact fewer is another set


def test_a_batch_equal_to_its_digest_and_not_due_for_a_refresh_is_settled() -> None:
    rows = [_row("swp1", UP, 12.0), _row("swp2", UP, 12.0)]
    held = Held(fingerprint(rows), 10_000)
    assert unchanged(rows, held, REFRESH_MS)


def test_a_changed_value_a_due_refresh_or_no_digest_needs_the_fact_by_fact_triage() -> None:
    rows = [_row("swp1", UP, 12.0), _row("swp2", UP, 12.0)]
    held = Held(fingerprint(rows), 10_000)
    changed = [_row("swp1", UP, 12.0), _row("swp2", DOWN, 12.0)]
    assert not unchanged(changed, held, REFRESH_MS)
    late = [_row("swp1", UP, 40.0), _row("swp2", UP, 40.0)]  # 30 s past the oldest
    assert not unchanged(late, held, REFRESH_MS)
    assert not unchanged(rows, Held(), REFRESH_MS)
    assert not unchanged([], held, REFRESH_MS)


def test_after_a_triage_the_oldest_time_is_the_oldest_fact_left_unrefreshed() -> None:
    rows = [_row("swp1", DOWN, 20.0), _row("swp2", UP, 20.0), _row("swp3", UP, 20.0)]
    triaged = [
        Triaged(True, 8_000, False),  # changed: written now
        Triaged(None, 9_000, True),  # unchanged, fresh: keeps its time
        Triaged(None, None, False),  # not in the graph before... but new facts are due
    ]
    held = after(rows, triaged)
    assert held == Held(fingerprint(rows), 9_000)


def test_an_older_fact_that_differs_from_the_stored_one_leaves_the_digest_unknown() -> None:
    rows = [_row("swp1", DOWN, 5.0), _row("swp2", UP, 20.0)]
    triaged = [Triaged(None, 9_000, False), Triaged(None, 10_000, True)]
    assert after(rows, triaged) == Held()
    # an older fact equal to the stored one changes nothing: the digest stays known
    same = [Triaged(None, 9_000, True), Triaged(None, 10_000, True)]
    assert after(rows, same) == Held(fingerprint(rows), 9_000)


def test_counts_add_created_observations_and_keep_the_newest_time_per_kind() -> None:
    counts = Counts.of(["bgp", "interface"], [4, 10], [5_000, 6_000])
    counts.add("interface", 2, 7_000)
    counts.add("interface", 0, 6_500)  # an older refresh never moves the newest back
    counts.add("lldp", 3, 7_000)
    assert counts.lists() == (
        ["bgp", "interface", "lldp"],
        [4, 12, 3],
        [5_000, 7_000, 7_000],
    )
    assert Counts.of(None, None, None).lists() == ([], [], [])


def test_digests_by_kind_round_trip_through_the_graphs_parallel_lists() -> None:
    held = {"interface": Held("a" * 32, 10_000), "bgp": Held("b" * 32, 9_000), "lldp": Held()}
    lists = held_lists(held)
    assert lists == (["bgp", "interface"], ["b" * 32, "a" * 32], [9_000, 10_000])
    assert held_by_kind(*lists) == {"bgp": held["bgp"], "interface": held["interface"]}
    # missing (a digest written before kinds had their own) or misaligned: none known
    assert held_by_kind(None, None, None) == {}
    assert held_by_kind(["bgp", "lldp"], ["b" * 32], [9_000]) == {}


def test_only_the_kinds_whose_digest_does_not_settle_them_are_triaged() -> None:
    ports = [_row("swp1", UP, 12.0), _row("swp2", UP, 12.0)]
    counters = [
        {"uid": "bp/counters/leaf1/swp1", "value": '{"rx_octets":2}', "at": 12.0, "kind": "c"}
    ]
    grouped = {"leaf1": {"interface": ports, "c": counters}, "leaf2": {"interface": ports}}
    held = {
        "leaf1": {"interface": Held(fingerprint(ports), 10_000), "c": Held("0" * 32, 10_000)},
        "leaf2": {"interface": Held(fingerprint(ports), 10_000)},
    }
    # leaf1's counters moved on; its ports and all of leaf2 are settled by their digests
    assert unsettled(grouped, held, REFRESH_MS) == Pending({"leaf1": {"c": counters}})
    # an observer without digests (or a kind without one) is triaged whole
    assert unsettled(grouped, {}, REFRESH_MS) == Pending(grouped)


def test_facts_the_digest_holds_but_due_for_a_refresh_are_refreshed_without_a_read() -> None:
    ports = [_row("swp1", UP, 12.0), _row("swp2", UP, 12.0)]
    later = [_row("swp1", UP, 45.0), _row("swp2", UP, 45.0)]  # 35 s past the oldest
    moved = [_row("swp1", UP, 45.0), _row("swp2", DOWN, 45.0)]
    held = {"leaf1": {"interface": Held(fingerprint(ports), 10_000)}}
    due = unsettled({"leaf1": {"interface": later}}, held, REFRESH_MS)
    assert due == Pending({"leaf1": {"interface": later}}, {"leaf1/interface"})
    # what the triage would have found: each refreshed, none changed; the digest's oldest
    # time becomes the refresh's
    assert [t.due for t in refreshed(later)] == [False, False]
    assert after(later, refreshed(later)) == Held(fingerprint(later), 45_000)
    # a value that moved is triaged fact by fact, refresh or not
    changed = unsettled({"leaf1": {"interface": moved}}, held, REFRESH_MS)
    assert changed == Pending({"leaf1": {"interface": moved}})


def test_a_refresh_is_triaged_after_all_when_another_writer_moved_the_digest_meanwhile() -> None:
    later = [_row("swp1", UP, 45.0), _row("swp2", UP, 45.0)]
    before = {"leaf1": {"interface": Held(fingerprint(later), 10_000)}}
    due = unsettled({"leaf1": {"interface": later}}, before, REFRESH_MS)
    # read again under the lock: unchanged, the refresh stands ...
    assert confirmed(due, before, before).refresh_only == {"leaf1/interface"}
    # ... another writer's facts: the rows are compared with the graph one by one
    moved = {"leaf1": {"interface": Held("f" * 32, 20_000)}}
    assert confirmed(due, before, moved) == Pending({"leaf1": {"interface": later}})
