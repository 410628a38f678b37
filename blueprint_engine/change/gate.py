"""One change of a blueprint's staged log at a time in this process.

Concurrent changes of one blueprint (staged edits, discards, commits) all lock its node
in Neo4j. Left to queue there, they retry the deadlocks Neo4j detects between them, and
each one that finally gets the lock mostly finds its base version stale. A ``ChangeGate``
lets one change per blueprint through at a time, bounds the wait (``BusyError``), and
remembers the staged version this process last wrote: an edit based on an older version
is stale for sure (versions only grow) and leaves at once, without waiting for the gate
or asking Neo4j. Other processes still serialise on the node's lock, and every change
checks its base version again in its own transaction: the gate only saves the queue.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from blueprint_engine.errors import BusyError


class StaleBase(Exception):
    """The edit's base version is older than one this process already wrote."""

    def __init__(self, known: int) -> None:
        self.known = known
        super().__init__(f"staged version {known} was written already")


@dataclass
class _Slot:
    cond: threading.Condition = field(default_factory=threading.Condition)
    busy: bool = False
    known: int | None = None  # the highest staged version this process wrote or saw


class ChangeGate:
    """Per blueprint: one change at a time, stale ones refused without waiting."""

    def __init__(self, wait_s: float) -> None:
        self.wait_s = wait_s
        self._slots: dict[str, _Slot] = {}
        self._lock = threading.Lock()

    def _slot(self, bp: str) -> _Slot:
        with self._lock:
            return self._slots.setdefault(bp, _Slot())

    @contextmanager
    def enter(self, bp: str, base_version: int) -> Iterator[Callable[[int], None]]:
        """Hold ``bp``'s gate; yields ``wrote(version)`` to record the staged version the
        change left. Raises ``StaleBase`` when ``base_version`` is older than a version
        this process knows (at once, or as soon as a change ahead of it writes one) and
        ``BusyError`` after waiting ``wait_s`` behind other changes."""
        slot = self._slot(bp)

        def stale() -> bool:
            return slot.known is not None and slot.known > base_version

        with slot.cond:
            if not slot.cond.wait_for(lambda: stale() or not slot.busy, timeout=self.wait_s):
                raise BusyError(
                    f"blueprint {bp!r} is busy: its other staged changes kept this one "
                    f"waiting for more than {self.wait_s:g} s",
                    allowed="retry in a moment (re-read the staged version first)",
                )
            if stale():
                raise StaleBase(int(slot.known or 0))
            slot.busy = True
        written: list[int] = []
        try:
            yield written.append
        finally:
            with slot.cond:
                slot.busy = False
                if written:
                    slot.known = max(written[-1], slot.known or 0)
                slot.cond.notify_all()

    def saw(self, bp: str, version: int) -> None:
        """Record the staged version just read from the graph (another process may have
        written it, or the blueprint was deleted and built again: the graph's word wins;
        a read that raced a write only makes the next stale edit ask Neo4j)."""
        slot = self._slot(bp)
        with slot.cond:
            if slot.known != version:
                slot.known = version
                slot.cond.notify_all()
