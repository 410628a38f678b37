"""Event-driven rounds: a burst of events from switches becomes one round of those
switches once the first one's settle window has passed, collecting what they reported
(link changes: the link getters; session changes: those and the running config);
every switch a round took from a report is collected whole once more later; pending
work is bounded."""

from __future__ import annotations

from workers.event_batch import SCOPE_GETTERS, Batch, Pending, Scope, backoff_s


def test_nothing_pending_means_no_round() -> None:
    pending = Pending(settle_s=0.05)
    assert pending.wait_s(10.0) is None
    assert pending.take(10.0) == []


def test_a_burst_within_the_settle_window_is_one_round_per_blueprint() -> None:
    pending = Pending(settle_s=0.05)
    pending.add(("bp", "leaf1"), 10.00)
    pending.add(("bp", "spine1"), 10.02)
    pending.add(("bp", "leaf1"), 10.03)  # the same switch again: still one entry
    pending.add(("other", "leaf9"), 10.04)
    assert pending.take(10.04) == []  # the window of the first report is open
    wait = pending.wait_s(10.04)
    assert wait is not None and abs(wait - 0.01) < 1e-9
    assert pending.take(10.05) == [
        Batch("bp", ("leaf1", "spine1"), Scope.WHOLE),
        Batch("other", ("leaf9",), Scope.WHOLE),
    ]
    assert pending.take(10.10) == []  # taken once


def test_a_round_collects_what_its_switches_reported_the_smallest_scope_first() -> None:
    pending = Pending(settle_s=0.0)
    pending.add(("bp", "leaf2"), 1.0)  # a stream reopened: everything
    pending.add(("bp", "leaf1"), 1.0, Scope.LINK)
    pending.add(("bp", "spine1"), 1.0, Scope.LINK)
    pending.add(("bp", "spine1"), 1.0, Scope.BGP)  # and a session change
    assert pending.take(1.0) == [
        Batch("bp", ("leaf1",), Scope.LINK),
        Batch("bp", ("spine1",), Scope.BGP),
        Batch("bp", ("leaf2",), Scope.WHOLE),
    ]


def test_each_scope_collects_at_least_what_the_smaller_ones_do() -> None:
    link, bgp = SCOPE_GETTERS[Scope.LINK], SCOPE_GETTERS[Scope.BGP]
    assert link is not None and bgp is not None and link <= bgp
    # a link or session change's facts are the event's own: no round before the follow-up
    assert not link and not bgp
    assert SCOPE_GETTERS[Scope.WHOLE] is None  # every getter


def test_reports_after_a_round_was_taken_are_the_next_round() -> None:
    pending = Pending(settle_s=0.0)
    pending.add(("bp", "leaf1"), 1.0, Scope.LINK)
    assert pending.take(1.0) == [Batch("bp", ("leaf1",), Scope.LINK)]
    pending.add(("bp", "leaf1"), 1.5, Scope.LINK)
    assert pending.take(1.5) == [Batch("bp", ("leaf1",), Scope.LINK)]


def test_a_switch_a_round_took_is_collected_whole_once_more_after_the_follow_up() -> None:
    pending = Pending(settle_s=0.0, follow_up_s=2.0)
    pending.add(("bp", "leaf1"), 1.0, Scope.LINK)
    assert pending.take(1.0) == [Batch("bp", ("leaf1",), Scope.LINK)]
    assert pending.wait_s(1.5) == 1.5
    assert pending.take(2.9) == []
    assert pending.take(3.0) == [Batch("bp", ("leaf1",), Scope.WHOLE)]
    assert pending.wait_s(3.0) is None  # a follow-up has no follow-up of its own


def test_a_new_report_replaces_the_pending_follow_up() -> None:
    pending = Pending(settle_s=0.0, follow_up_s=2.0)
    pending.add(("bp", "leaf1"), 1.0)
    pending.take(1.0)
    pending.add(("bp", "leaf1"), 2.0)
    pending.add(("bp", "spine1"), 2.0)
    assert pending.take(2.0) == [Batch("bp", ("leaf1", "spine1"), Scope.WHOLE)]
    assert pending.take(3.5) == []  # leaf1's first follow-up (due 3.0) was replaced
    assert pending.take(4.0) == [Batch("bp", ("leaf1", "spine1"), Scope.WHOLE)]


def test_pending_switches_are_bounded() -> None:
    pending = Pending(settle_s=0.0, limit=2)
    assert pending.add(("bp", "a"), 0.0) and pending.add(("bp", "b"), 0.0)
    assert pending.add(("bp", "a"), 0.0)  # already pending
    assert not pending.add(("bp", "c"), 0.0)  # refused: the periodic round has it
    assert pending.take(0.0) == [Batch("bp", ("a", "b"), Scope.WHOLE)]


def test_reconnect_backoff_doubles_up_to_its_cap() -> None:
    assert [backoff_s(n) for n in (0, 1, 2, 3, 4)] == [1.0, 1.0, 2.0, 4.0, 8.0]
    assert backoff_s(20) == 30.0
