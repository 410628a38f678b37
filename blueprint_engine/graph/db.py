"""The Neo4j gateway: every statement is named, parameterised, timed and translated.

Cypher text lives in named ``Query`` objects, module constants beside the code that
runs them (e.g. ``blueprint_engine.design.store``, ``blueprint_engine.devices.registry``);
callers pass parameters only. Driver exceptions never cross this boundary: they
become ``FabricError`` subclasses that say what was wrong.

``NEO4J_URI`` may be ``bolt://`` (one server) or ``neo4j://`` / ``neo4j+s://``
(routing: a cluster or Aura). Reads run in READ sessions (``read``, ``read_tx``,
``read_once``, ``run_readonly``), which a cluster serves from its followers or read
replicas; writes, and the staged views (write transactions that are rolled back),
run in WRITE sessions on the leader. Every session of one ``Graph`` shares the
driver's bookmark manager, so a read sees the writes this process made before it
even when a follower serves it (causal consistency within the process).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

import neo4j
from neo4j import GraphDatabase, ManagedTransaction
from neo4j import exceptions as neo4j_errors

from blueprint_engine.errors import ConflictError, FabricError, ServiceUnavailableError
from blueprint_engine.readonly import client_error
from blueprint_engine.settings import Settings

T = TypeVar("T")
# what the driver raises; anything else is a bug and propagates unchanged
DRIVER_ERRORS = (neo4j_errors.Neo4jError, neo4j_errors.DriverError, OSError)
Row = dict[str, Any]
Tx = ManagedTransaction | neo4j.Transaction
RETRY_ATTEMPTS = 8  # explicit transactions re-run on a transient error (deadlock, lock timeout)


class GraphBusyError(ConflictError):
    """A transient graph error (a deadlock between concurrent writers) left after retries."""


@dataclass(frozen=True)
class Query:
    """A named Cypher statement. Values only ever travel as ``$parameters``."""

    name: str
    text: str


@dataclass
class QueryStats:
    """Per-name call counts and total seconds, for metrics and benchmarks."""

    calls: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    sessions: dict[str, int] = field(default_factory=dict)  # by access mode: READ, WRITE

    def record(self, name: str, elapsed: float) -> None:
        self.calls[name] = self.calls.get(name, 0) + 1
        self.seconds[name] = self.seconds.get(name, 0.0) + elapsed


def translate(exc: Exception) -> FabricError:
    """Driver exception -> FabricError naming the problem."""
    if isinstance(exc, FabricError):
        return exc
    if isinstance(exc, neo4j_errors.ConstraintError):
        return ConflictError(
            f"the graph refused a duplicate: {exc.message}",
            allowed="a value or name not already used in the graph",
        )
    if isinstance(exc, (neo4j_errors.ServiceUnavailable, neo4j_errors.SessionExpired, OSError)):
        return ServiceUnavailableError(
            f"Neo4j is unreachable: {exc}", allowed="start it with `make services`"
        )
    if isinstance(exc, neo4j_errors.TransientError):
        return GraphBusyError(
            f"the graph was busy with a concurrent change and gave up ({exc.code})",
            allowed="retry; re-read the blueprint's staged version first",
        )
    if isinstance(exc, neo4j_errors.AuthError):
        return ServiceUnavailableError(
            f"Neo4j refused the credentials: {exc.message}",
            allowed="set NEO4J_AUTH=user/password to valid credentials",
        )
    if isinstance(exc, neo4j_errors.Neo4jError):
        return FabricError(f"Neo4j error {exc.code}: {exc.message}")
    return FabricError(f"unexpected graph error: {exc}")


class Graph:
    """A connection to one Neo4j database. Create one per process and pass it in."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.stats = QueryStats()
        self._driver = GraphDatabase.driver(
            settings.neo4j_uri,
            auth=settings.neo4j_user_password,
            connection_timeout=5.0,
            max_transaction_retry_time=10.0,
            notifications_min_severity="OFF",
        )

    def close(self) -> None:
        self._driver.close()

    def ping(self) -> str:
        """Return the server agent string; raise ServiceUnavailableError when down."""
        try:
            info = self._driver.get_server_info()
        except DRIVER_ERRORS as exc:
            raise translate(exc) from exc
        return str(info.agent)

    def run(self, tx: Tx, query: Query, **params: Any) -> list[Row]:
        started = time.perf_counter()
        result = tx.run(query.text, params)
        keys = result.keys()
        # statements return plain values and maps (never nodes), so no deep conversion
        rows = [dict(zip(keys, record.values(), strict=True)) for record in result]
        self.stats.record(query.name, time.perf_counter() - started)
        return rows

    def read(self, query: Query, **params: Any) -> list[Row]:
        return self.read_tx(lambda tx: self.run(tx, query, **params))

    def read_once(self, query: Query, **params: Any) -> list[Row]:
        """One read statement in an auto-commit transaction: one round trip instead of a
        managed transaction's two, for latency-bound reads (no retry on transient errors)."""
        started = time.perf_counter()
        try:
            with self._session(neo4j.READ_ACCESS) as session:
                result = session.run(query.text, params)
                keys = result.keys()
                rows = [dict(zip(keys, record.values(), strict=True)) for record in result]
        except DRIVER_ERRORS as exc:
            raise translate(exc) from exc
        self.stats.record(query.name, time.perf_counter() - started)
        return rows

    def write(self, query: Query, **params: Any) -> list[Row]:
        return self.write_tx(lambda tx: self.run(tx, query, **params))

    def read_tx(self, work: Callable[[ManagedTransaction], T]) -> T:
        try:
            with self._session(neo4j.READ_ACCESS) as session:
                return session.execute_read(work)
        except DRIVER_ERRORS as exc:
            raise translate(exc) from exc

    def write_tx(self, work: Callable[[ManagedTransaction], T]) -> T:
        try:
            with self._session(neo4j.WRITE_ACCESS) as session:
                return session.execute_write(work)
        except DRIVER_ERRORS as exc:
            raise translate(exc) from exc

    @contextmanager
    def explicit(self, access_mode: str = neo4j.WRITE_ACCESS) -> Iterator[neo4j.Transaction]:
        """An explicit transaction the caller commits or lets roll back (staged views)."""
        try:
            with self._session(access_mode) as session, session.begin_transaction() as tx:
                yield tx
        except DRIVER_ERRORS as exc:
            raise translate(exc) from exc

    def retrying(self, work: Callable[[], T], attempts: int = RETRY_ATTEMPTS) -> T:
        """``work`` (which runs its own explicit transactions) re-run on a transient error.

        Managed transactions (``read_tx``/``write_tx``) are retried by the driver; work
        built on ``explicit`` is retried here, with jittered exponential backoff, so a
        deadlock between concurrent writers is a retry, never an error for the caller.
        After ``attempts`` the ``GraphBusyError`` (a ``ConflictError``) propagates.
        """
        delay = 0.01
        for attempt in range(attempts):
            try:
                return work()
            except GraphBusyError:
                if attempt == attempts - 1:
                    raise
                self.stats.record("retry.transient", 0.0)
                time.sleep(delay * (1 + random.random()))
                delay = min(delay * 2, 0.5)
        raise AssertionError("unreachable")

    def run_readonly(
        self, text: str, params: Mapping[str, Any], *, max_rows: int, timeout_s: float
    ) -> tuple[list[str], list[list[Any]], bool]:
        """Run caller-supplied Cypher in a READ session: writes fail in the server."""

        def work(tx: ManagedTransaction) -> tuple[list[str], list[list[Any]], bool]:
            result = tx.run(text, dict(params))
            keys = list(result.keys())
            rows: list[list[Any]] = []
            truncated = False
            for record in result:
                if len(rows) >= max_rows:
                    truncated = True
                    break
                data = record.data()  # nodes and relationships become property maps
                rows.append([data[key] for key in keys])
            return keys, rows, truncated

        try:
            with self._session(neo4j.READ_ACCESS) as session:
                tx_work = neo4j.unit_of_work(timeout=timeout_s)(work)
                return session.execute_read(tx_work)
        except neo4j_errors.ClientError as exc:  # the caller's statement: a refusal
            raise client_error(exc, f"{timeout_s:g} seconds") from exc
        except DRIVER_ERRORS as exc:
            raise translate(exc) from exc

    def explain(
        self, text: str, params: Mapping[str, Any], *, timeout_s: float
    ) -> tuple[str | None, dict[str, Any] | None]:
        """Plan caller-supplied Cypher (``EXPLAIN``, nothing runs): its query type
        (``r``, ``rw``, ``w``, ``s``) and plan, for the read-only gate."""
        try:
            with self._session(neo4j.READ_ACCESS) as session:
                query = neo4j.Query("EXPLAIN " + text, timeout=timeout_s)
                summary = session.run(query, dict(params)).consume()
        except neo4j_errors.ClientError as exc:
            raise client_error(exc, f"{timeout_s:g} seconds") from exc
        except DRIVER_ERRORS as exc:
            raise translate(exc) from exc
        return summary.query_type, summary.plan

    @contextmanager
    def _session(self, access_mode: str) -> Iterator[neo4j.Session]:
        self.stats.sessions[access_mode] = self.stats.sessions.get(access_mode, 0) + 1
        with self._driver.session(
            database=self.settings.neo4j_database,
            default_access_mode=access_mode,
            bookmark_manager=self._driver.execute_query_bookmark_manager,
        ) as session:
            yield session
