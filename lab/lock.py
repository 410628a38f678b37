"""One lab per machine: an advisory lock held for as long as a lab is in use.

Namespaces are named after the blueprint's nodes, so two labs cannot coexist.
Tests and benchmarks that build a lab hold this lock for its lifetime
(``exclusive_lab``), so parallel runs queue instead of tearing each other down.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from lab.errors import LabAlreadyRunningError

LAB_LOCK = Path(os.environ.get("FG_LAB_LOCK", "/tmp/fabricgraph-lab.lock"))


@contextmanager
def lab_lock(wait_s: float = 1800.0, path: Path = LAB_LOCK) -> Iterator[None]:
    """Hold the machine's lab lock, waiting up to ``wait_s`` for another holder."""
    with path.open("w") as handle:
        deadline = time.monotonic() + wait_s
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise LabAlreadyRunningError(
                        f"another lab run has held {path} for {wait_s:.0f} s",
                        allowed="wait for it to finish, or stop it with `python -m lab down`",
                    ) from None
                time.sleep(1)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
