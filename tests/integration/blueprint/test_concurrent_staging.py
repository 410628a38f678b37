"""Concurrent staged edits of one blueprint: each completes, or is refused at once.

Many operators staging on one blueprint meet the documented conflict (a stale base
version); a conflict must be answered without waiting behind the blueprint's other
changes, a wait behind them is bounded (then ``busy``, a retry), and no caller ever sees
a raw Neo4j error. The `lab` blueprint (its leafs' hostnames are edited):

      spine1          spine2
       | \\  \\  \\    / / / |
      rack1-leaf1  rack2-leaf1  rack3-leaf1  rack3-leaf2
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest

from blueprint_engine.blueprints import Blueprints
from blueprint_engine.change.model import Applied
from blueprint_engine.change.staging import Staging
from blueprint_engine.errors import BusyError, ConflictError
from blueprint_engine.graph.db import Graph, Query, Tx

pytestmark = pytest.mark.integration

LEAFS = ("rack1-leaf1", "rack2-leaf1", "rack3-leaf1", "rack3-leaf2")
STAGERS = 16
EDITS_EACH = 3
HOLD_NODE = Query(
    "test.hold_blueprint_node",
    "MATCH (b:Blueprint {name: $bp}) SET b.lock_seq = coalesce(b.lock_seq, 0) + 1",
)


def hostname(leaf: str, value: str) -> dict[str, Any]:
    return {
        "kind": "set_property",
        "params": {"kind": "System", "id": leaf, "key": "hostname", "value": value},
    }


def in_thread(work: Callable[[], object]) -> tuple[threading.Thread, list[object]]:
    out: list[object] = []

    def run() -> None:
        try:
            out.append(work())
        except Exception as exc:  # the outcome is asserted on by the caller
            out.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, out


def test_sixteen_operators_staging_at_once_each_complete_their_edits_in_one_log(
    make_blueprint: Any, blueprints: Blueprints
) -> None:
    bp = make_blueprint("lab")
    staging = blueprints.staging
    barrier = threading.Barrier(STAGERS)
    done: list[tuple[int, str]] = []  # (staged version, hostname) of every edit that passed
    refused: list[Exception] = []
    lock = threading.Lock()

    def operator(n: int) -> None:
        barrier.wait(timeout=60)
        for k in range(EDITS_EACH):
            name = f"op{n}-edit{k}"
            for _ in range(200):  # a refusal is retried on the version it names
                try:
                    version = staging.stage(
                        bp,
                        hostname(LEAFS[n % len(LEAFS)], name),
                        base_version=staging.version(bp),
                        author=f"op{n}",
                    )
                except (ConflictError, BusyError) as exc:
                    with lock:
                        refused.append(exc)
                    continue
                with lock:
                    done.append((version, name))
                break

    threads = [threading.Thread(target=operator, args=(n,)) for n in range(STAGERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not any(thread.is_alive() for thread in threads)
    assert len(done) == STAGERS * EDITS_EACH, (len(done), refused[:3])
    # only the documented refusals, never a raw or transient graph error
    assert {type(exc) for exc in refused} <= {ConflictError, BusyError}, refused[:3]
    log = staging.changes(bp)
    assert [c.seq for c in log] == sorted(v for v, _ in done)
    by_seq = {c.seq: c.params["value"] for c in log}
    assert all(by_seq[version] == name for version, name in done)
    assert all(c.base_version == c.seq - 1 for c in log)


def test_a_stale_edit_is_refused_while_another_process_holds_the_blueprint(
    make_blueprint: Any, blueprints: Blueprints, graph: Graph
) -> None:
    """Another process's change holds the blueprint's node: an edit on a stale version
    gets the conflict at once instead of queueing behind it; the graph is unchanged."""
    bp = make_blueprint("lab")
    staging = blueprints.staging
    stale = staging.version(bp)
    current = staging.stage(bp, hostname("rack1-leaf1", "a1"), base_version=stale, author="t")
    with graph.explicit() as other:  # the other process's change, still open
        graph.run(other, HOLD_NODE, bp=bp)
        thread, out = in_thread(
            lambda: staging.stage(bp, hostname("rack2-leaf1", "b"), base_version=stale, author="u")
        )
        thread.join(timeout=30)
        assert not thread.is_alive(), "the stale edit waited for the other change"
        other.rollback()
    [error] = out
    assert type(error) is ConflictError, error
    assert f"base_version={current}" in error.allowed
    assert [c.seq for c in staging.changes(bp)] == [current]


def test_an_edit_kept_waiting_by_a_long_commit_is_refused_as_busy_naming_the_retry(
    make_blueprint: Any, blueprints: Blueprints, graph: Graph
) -> None:
    """A commit of the blueprint is in progress (held open until released): an edit on
    the current version waits at most the gate's bound, then gets ``busy``."""
    bp = make_blueprint("lab")
    staging = Staging(graph, blueprints.catalogues, gate_wait_s=0.5)
    base = staging.version(bp)
    version = staging.stage(bp, hostname("rack1-leaf1", "c1"), base_version=base, author="t")
    entered, release = threading.Event(), threading.Event()

    def slow_commit(_tx: Tx, _applied: Applied) -> list[str]:
        entered.set()
        release.wait(timeout=120)
        return []

    committing, committed = in_thread(
        lambda: staging.commit(
            bp, base_version=version, author="t", message="slow", before_commit=slow_commit
        )
    )
    assert entered.wait(timeout=60)
    waiter, out = in_thread(
        lambda: staging.stage(bp, hostname("rack2-leaf1", "d"), base_version=version, author="u")
    )
    waiter.join(timeout=60)
    release.set()
    committing.join(timeout=120)
    assert not waiter.is_alive() and not committing.is_alive()
    [error] = out
    assert type(error) is BusyError, error
    assert error.code == "busy" and error.http_status == 429
    assert "retry" in error.allowed
    [revision] = committed
    assert not isinstance(revision, Exception), revision
    assert staging.changes(bp) == []  # the refused edit left nothing behind
