"""The garbage collector is off while any read holds the pause, and only then."""

from __future__ import annotations

import gc
import threading

from blueprint_engine.graph import collector


def test_the_collector_is_off_inside_a_pause_and_on_again_after() -> None:
    assert gc.isenabled()
    with collector.paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_overlapping_pauses_turn_it_on_only_when_the_last_one_ends() -> None:
    inside, release = threading.Event(), threading.Event()

    def other_read() -> None:
        with collector.paused():
            inside.set()
            release.wait(10)

    thread = threading.Thread(target=other_read)
    with collector.paused():
        thread.start()
        assert inside.wait(10)
    assert not gc.isenabled()  # the other read still holds it
    release.set()
    thread.join(10)
    assert gc.isenabled()


def test_a_collector_turned_off_before_stays_off() -> None:
    gc.disable()
    try:
        with collector.paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_an_error_in_the_read_still_ends_the_pause() -> None:
    try:
        with collector.paused():
            raise ValueError("the read failed")
    except ValueError:
        pass
    assert gc.isenabled()
