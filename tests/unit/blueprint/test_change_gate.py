"""The change gate of a blueprint's staged log: one change at a time, a stale edit
refused without waiting, a wait bounded (busy)."""

from __future__ import annotations

import threading

import pytest

from blueprint_engine.change.gate import ChangeGate, StaleBase
from blueprint_engine.errors import BusyError


def test_an_edit_on_a_version_older_than_one_written_is_stale_at_once() -> None:
    gate = ChangeGate(wait_s=30)
    with gate.enter("bp", 4) as wrote:
        wrote(5)
    with pytest.raises(StaleBase) as caught, gate.enter("bp", 4):
        pass
    assert caught.value.known == 5
    with gate.enter("bp", 5):  # the current version passes
        pass


def test_a_waiting_edit_leaves_as_soon_as_the_change_ahead_makes_it_stale() -> None:
    gate = ChangeGate(wait_s=60)
    inside, leave = threading.Event(), threading.Event()
    outcome: list[object] = []

    def ahead() -> None:
        with gate.enter("bp", 7) as wrote:
            inside.set()
            leave.wait(timeout=60)
            wrote(8)

    def behind() -> None:
        try:
            with gate.enter("bp", 7):
                outcome.append("entered")
        except StaleBase as exc:
            outcome.append(exc.known)

    first = threading.Thread(target=ahead)
    first.start()
    assert inside.wait(timeout=60)
    second = threading.Thread(target=behind)
    second.start()
    leave.set()
    first.join(timeout=60)
    second.join(timeout=60)
    assert outcome == [8]


def test_a_wait_behind_a_change_that_does_not_end_is_refused_as_busy() -> None:
    gate = ChangeGate(wait_s=0.2)
    inside, leave = threading.Event(), threading.Event()

    def holder() -> None:
        with gate.enter("bp", 1):
            inside.set()
            leave.wait(timeout=60)

    thread = threading.Thread(target=holder)
    thread.start()
    assert inside.wait(timeout=60)
    try:
        with pytest.raises(BusyError) as caught, gate.enter("bp", 1):
            pass
        with gate.enter("other", 1):  # another blueprint is not held
            pass
    finally:
        leave.set()
        thread.join(timeout=60)
    assert caught.value.code == "busy" and "retry" in caught.value.allowed


def test_a_version_read_from_the_graph_corrects_what_the_gate_knows() -> None:
    gate = ChangeGate(wait_s=30)
    with gate.enter("bp", 9) as wrote:
        wrote(10)
    gate.saw("bp", 0)  # the blueprint was deleted and built again
    with gate.enter("bp", 0):
        pass
    gate.saw("bp", 12)  # another process wrote 11 and 12
    with pytest.raises(StaleBase), gate.enter("bp", 11):
        pass
