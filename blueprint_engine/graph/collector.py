"""Python's cyclic garbage collector held off while a large read builds its answer.

A read of 28,000 ports allocates hundreds of thousands of lists and dicts (the driver's
decoded rows, then the response maps). Every 700 allocations the collector runs, and
the older generations it walks grow with the answer being built, so most of the
read's CPU went to collections that can free nothing: those rows and maps hold no
cycles, and they are alive until the response is sent.

``paused()`` turns automatic collection off for as long as at least one read holds it
(reads run in threads of one process) and back on when the last one ends, if it was on
before the first began. Garbage made meanwhile by other code is collected as usual
after that: a pause lasts one read, and every read is bounded by its statement timeout.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_holders = 0
_was_enabled = False


@contextmanager
def paused() -> Iterator[None]:
    global _holders, _was_enabled
    with _lock:
        if _holders == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _holders += 1
    try:
        yield
    finally:
        with _lock:
            _holders -= 1
            if _holders == 0 and _was_enabled:
                gc.enable()
