"""One deployment per device: a Redis lock per device, renewed while held.

The lease lives ``ttl`` seconds and a background thread renews it every
``ttl / 3`` seconds for as long as the holder runs, so a long push keeps it and a
worker killed with -9 loses it within ``ttl`` seconds; the reconciler's next
sweep then redoes the work.
"""

from __future__ import annotations

import contextlib
import threading
import time
from types import TracebackType

import redis
from redis.exceptions import LockError
from redis.lock import Lock

KEY_PREFIX = "fabricgraph:deploy:"
DEFAULT_TTL_S = 20.0


def lease_key(serial: str) -> str:
    return KEY_PREFIX + serial


def lease_expires_at(client: redis.Redis, serial: str, now: float | None = None) -> float | None:
    """When the current holder's lease on ``serial`` expires, or None when it is free."""
    ttl_ms = client.pttl(lease_key(serial))
    if not isinstance(ttl_ms, int) or ttl_ms < 0:
        return None
    return (now if now is not None else time.time()) + ttl_ms / 1000.0


class Lease:
    """``with Lease(client, serial) as held:`` — ``held`` is False when it stayed busy.
    ``key`` names another lock held the same way (e.g. a blueprint's collection round)."""

    def __init__(
        self,
        client: redis.Redis,
        serial: str,
        *,
        wait_s: float = 0.0,
        ttl_s: float = DEFAULT_TTL_S,
        key: str | None = None,
    ) -> None:
        self.serial = serial
        self.wait_s = wait_s
        self.ttl_s = ttl_s
        # not thread-local: the renewer thread must see the token the holder acquired
        self._lock: Lock = client.lock(
            key or lease_key(serial),
            timeout=ttl_s,
            blocking=wait_s > 0,
            blocking_timeout=wait_s or None,
            thread_local=False,
        )
        self._stop = threading.Event()
        self._renewer: threading.Thread | None = None
        self.held = False

    def __enter__(self) -> bool:
        self.held = bool(self._lock.acquire())
        if self.held:
            self._renewer = threading.Thread(
                target=self._renew, daemon=True, name=f"lease-{self.serial}"
            )
            self._renewer.start()
        return self.held

    def _renew(self) -> None:
        while not self._stop.wait(self.ttl_s / 3):
            try:
                self._lock.reacquire()
            except LockError:  # lost (e.g. Redis flushed): the holder finishes regardless
                return

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        if self._renewer is not None:
            self._renewer.join(timeout=1)
        if self.held:
            # already expired or flushed: nothing left to release
            with contextlib.suppress(LockError):
                self._lock.release()
