"""Observation digests: when one read settles an observer's batch, and what it leaves."""

from __future__ import annotations

from typing import Any

from telemetry.digest import Counts, Held, Triaged, after, fingerprint, unchanged

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
