"""Health of the services the product stands on: Neo4j, Redis, Celery workers.

Liveness (``/health/live``) touches nothing. Readiness (``/health``) comes from one
``HealthMonitor`` per process, built so that no number of concurrent probes can wedge
the API:

- each check runs on the monitor's own small thread pool (never the request pool) and
  is waited for at most ``CHECK_DEADLINE_S``; a check still running then is reported
  down, and is not started again until it returns (at most one thread per check);
- one refresh at a time: concurrent callers share the refresh in flight; a report is
  reused for ``CACHE_S``, then refreshed in the background while callers still get it
  (for up to ``STALE_S``), so only a caller with no recent report waits; a server's
  monitor (``start``) refreshes every ``CACHE_S`` on its own, and its ``/health`` waits
  at most ``ANSWER_S`` (then: every check down, saying the checks did not finish), or
  up to ``WAIT_S`` for the first report of a process just started;
- the workers are pinged over one long-lived broker connection with socket timeouts,
  through a pidbox mailbox without a producer pool (nothing to acquire, nothing to
  exhaust); the connection is re-opened after an error.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import asdict, dataclass
from typing import Any

import redis
from kombu import Connection
from kombu.pidbox import Mailbox

from blueprint_engine.errors import FabricError
from blueprint_engine.graph.db import Graph
from blueprint_engine.settings import Settings

CHECK_DEADLINE_S = 3.0  # the longest /health waits for any check
CACHE_S = 1.5  # a report is reused this long; then refreshed, while callers get the
STALE_S = 10.0  # previous report for up to this long (only the first caller waits)
WAIT_S = CHECK_DEADLINE_S + 3.0  # the longest a caller waits for a refresh (thread start
# and scheduling on a loaded machine come on top of the checks' own deadline)
ANSWER_S = 0.5  # the longest a server's /health waits: its monitor refreshes in the
# background (``start``), so a report is there unless the checks are stuck or starting
PING_TIMEOUT_S = 1.0  # workers have this long to answer a ping
SOCKET_TIMEOUT_S = 1.0  # every socket a check opens


@dataclass(frozen=True)
class Check:
    name: str
    up: bool
    detail: str


def check_neo4j(graph: Graph) -> Check:
    try:
        return Check("neo4j", True, graph.ping())
    except FabricError as exc:
        return Check("neo4j", False, exc.message)


def check_redis(settings: Settings) -> Check:
    client = redis.Redis.from_url(
        settings.redis_url,
        socket_connect_timeout=SOCKET_TIMEOUT_S,
        socket_timeout=SOCKET_TIMEOUT_S,
    )
    try:
        client.ping()
        return Check("redis", True, f"{settings.redis_url} answers PING")
    except (redis.RedisError, OSError) as exc:
        return Check("redis", False, f"Redis at {settings.redis_url} is unreachable: {exc}")
    finally:
        client.close()


class WorkerPinger:
    """Pings Celery workers over one long-lived broker connection (one caller at a time)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._connection: Connection | None = None
        # the mailbox the workers listen on (Celery's defaults: exchange "celery",
        # fanout, JSON), without a producer pool: each publish uses our own channel
        self._mailbox = Mailbox("celery", type="fanout", accept=["json"], serializer="json")

    def _connect(self) -> Connection:
        if self._connection is None:
            self._connection = Connection(
                self.settings.redis_url,
                connect_timeout=SOCKET_TIMEOUT_S,
                transport_options={
                    "socket_timeout": SOCKET_TIMEOUT_S,
                    "socket_connect_timeout": SOCKET_TIMEOUT_S,
                    "max_retries": 0,
                },
            )
        return self._connection

    def ping(self) -> list[str]:
        """Names of the workers that answered within ``PING_TIMEOUT_S``."""
        if not self._lock.acquire(timeout=CHECK_DEADLINE_S):
            raise TimeoutError("another worker ping is still waiting for the broker")
        try:
            try:
                bound: Any = self._mailbox(self._connect())
                replies = bound._broadcast("ping", reply=True, timeout=PING_TIMEOUT_S)
            except BaseException:
                self.close_connection()
                raise
            return sorted(name for reply in replies or [] for name in reply)
        finally:
            self._lock.release()

    def active_queues(self) -> dict[str, list[str]]:
        """{worker: [queues it consumes]} of the workers that answered within
        ``PING_TIMEOUT_S`` (the worker pools' liveness), over the same connection."""
        if not self._lock.acquire(timeout=CHECK_DEADLINE_S):
            raise TimeoutError("another worker ping is still waiting for the broker")
        try:
            try:
                bound: Any = self._mailbox(self._connect())
                replies = bound._broadcast("active_queues", reply=True, timeout=PING_TIMEOUT_S)
            except BaseException:
                self.close_connection()
                raise
            return {
                str(worker): sorted(str(q.get("name")) for q in queues or [])
                for reply in replies or []
                for worker, queues in reply.items()
            }
        finally:
            self._lock.release()

    def close_connection(self) -> None:
        if self._connection is not None:
            # closing a broken connection may fail again: it is dropped either way
            with contextlib.suppress(Exception):
                self._connection.release()
            self._connection = None


def check_workers(pinger: WorkerPinger) -> Check:
    try:
        names = pinger.ping()
    except Exception as exc:  # kombu and redis raise many kinds when the broker is down
        return Check("workers", False, f"cannot ask workers through the broker: {exc}")
    if not names:
        return Check(
            "workers",
            False,
            f"no Celery worker answered within {PING_TIMEOUT_S:g} s (start: make run)",
        )
    return Check("workers", True, ", ".join(names))


def report_of(checks: list[Check]) -> dict[str, object]:
    return {"ok": all(c.up for c in checks), "checks": [asdict(c) for c in checks]}


class HealthMonitor:
    """Readiness checks, bounded in time and threads, shared by concurrent callers."""

    def __init__(
        self,
        graph: Graph,
        settings: Settings,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.graph, self.settings, self.clock = graph, settings, clock
        self.pinger = WorkerPinger(settings)
        self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="health")
        self._lock = threading.Lock()
        self._running: dict[str, tuple[float, Future[Check]]] = {}
        self._cached: tuple[float, dict[str, object]] | None = None
        self._refresh: Future[dict[str, object]] | None = None
        self._stop = threading.Event()

    def start(self) -> None:
        """Keep the report fresh in the background (a server's monitor: probes then
        never wait for the checks); ``close`` stops it."""
        threading.Thread(target=self._keep_fresh, name="health-refresh", daemon=True).start()

    def _keep_fresh(self) -> None:
        while not self._stop.is_set():
            with contextlib.suppress(FutureTimeout, Exception):  # a failed refresh: retried
                self._refreshing().result(timeout=WAIT_S)
            self._stop.wait(CACHE_S)

    def _start(self, name: str, fn: Callable[[], Check]) -> tuple[float, Future[Check]]:
        """The check's future in flight, or a new one (never two of one check at once)."""
        with self._lock:
            running = self._running.get(name)
            if running is None or running[1].done():
                running = (self.clock(), self._pool.submit(fn))
                self._running[name] = running
            return running

    def _wait(self, name: str, started: float, future: Future[Check]) -> Check:
        """The check's result, waiting at most until ``CHECK_DEADLINE_S`` after it began."""
        try:
            return future.result(timeout=max(0.0, started + CHECK_DEADLINE_S - self.clock()))
        except FutureTimeout:
            waited = self.clock() - started
            return Check(name, False, f"no answer within {waited:.1f} s (still waiting)")

    def _collect(self) -> dict[str, object]:
        neo4j = self._start("neo4j", lambda: check_neo4j(self.graph))
        redis_check = self._start("redis", lambda: check_redis(self.settings))
        workers = self._start("workers", lambda: check_workers(self.pinger))
        redis_result = self._wait("redis", *redis_check)
        workers_result = self._wait("workers", *workers)
        if not redis_result.up:
            workers_result = Check("workers", False, "unknown: the broker (Redis) is down")
        return report_of([self._wait("neo4j", *neo4j), redis_result, workers_result])

    def _refreshing(self) -> Future[dict[str, object]]:
        with self._lock:
            if self._refresh is None or self._refresh.done():
                future: Future[dict[str, object]] = Future()
                self._refresh = future
                owner = True
            else:
                future, owner = self._refresh, False
        if owner:
            threading.Thread(target=self._run_refresh, args=(future,), daemon=True).start()
        return future

    def _run_refresh(self, future: Future[dict[str, object]]) -> None:
        try:
            report = self._collect()
        except BaseException as exc:  # a bug in a check: reported, never left hanging
            future.set_exception(exc)
            return
        with self._lock:
            self._cached = (self.clock(), report)
        future.set_result(report)

    def _fresh(self) -> dict[str, object] | None:
        """A report recent enough to answer with (a refresh starts when it is older than
        ``CACHE_S``), or None."""
        with self._lock:
            cached = self._cached
        if cached is None:
            return None
        age = self.clock() - cached[0]
        if age >= CACHE_S:
            self._refreshing()
        return cached[1] if age < STALE_S else None

    def _late(self, waited_s: float) -> dict[str, object]:
        """What a caller gets when no recent report is there and the refresh did not
        finish in time (starting, or an overloaded machine): every check down, saying so."""
        waited = (
            f"no recent report and the checks did not finish within {waited_s:g} s "
            "(starting, or overloaded)"
        )
        return report_of([Check(name, False, waited) for name in ("neo4j", "redis", "workers")])

    def _patience(self, wait_s: float) -> float:
        """How long a caller waits: ``wait_s``, or up to ``WAIT_S`` for the very first
        report (a process starting has nothing better to answer with)."""
        with self._lock:
            first = self._cached is None
        return max(wait_s, WAIT_S) if first else wait_s

    def report(self, wait_s: float = WAIT_S) -> dict[str, object]:
        """The current report (blocking, at most ``wait_s``; see ``_patience``)."""
        fresh = self._fresh()
        if fresh is not None:
            return fresh
        wait_s = self._patience(wait_s)
        try:
            return self._refreshing().result(timeout=wait_s)
        except FutureTimeout:
            return self._late(wait_s)

    async def areport(self, wait_s: float = WAIT_S) -> dict[str, object]:
        """``report`` without holding a thread of the request pool while it waits."""
        fresh = self._fresh()
        if fresh is not None:
            return fresh
        wait_s = self._patience(wait_s)
        future = asyncio.wrap_future(self._refreshing())
        try:
            return await asyncio.wait_for(asyncio.shield(future), timeout=wait_s)
        except TimeoutError:
            return self._late(wait_s)

    def close(self) -> None:
        self._stop.set()
        self._pool.shutdown(wait=False, cancel_futures=True)
        self.pinger.close_connection()


def health(graph: Graph, settings: Settings) -> dict[str, object]:
    """One report from a monitor of its own (the CLI; servers keep one monitor)."""
    monitor = HealthMonitor(graph, settings)
    try:
        return monitor.report()
    finally:
        monitor.close()


def liveness() -> dict[str, Any]:
    return {"ok": True, "checks": []}
