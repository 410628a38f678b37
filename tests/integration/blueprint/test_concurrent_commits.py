"""Concurrent commits on one base version: one wins, every loser gets the conflict.

Ten threads commit the same staged change of a `lab` blueprint at once (a barrier
releases them together); Neo4j may detect deadlocks between their transactions, which
the graph gateway retries, so no loser ever sees a raw Neo4j error.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest

from blueprint_engine.blueprints import Blueprints
from blueprint_engine.change.staging import Revision
from blueprint_engine.errors import ConflictError

pytestmark = pytest.mark.integration

RACERS = 10
ROUNDS = 3  # each round races a fresh staged change (the first removes a VN too)


def race(blueprints: Blueprints, bp: str, base: int) -> list[Revision | Exception]:
    barrier = threading.Barrier(RACERS)
    results: list[Revision | Exception] = []
    lock = threading.Lock()

    def commit(n: int) -> None:
        barrier.wait(timeout=60)
        try:
            result: Revision | Exception = blueprints.commit(
                bp, base_version=base, author=f"racer{n}", message="race"
            )
        except Exception as exc:  # every outcome is recorded and asserted on below
            result = exc
        with lock:
            results.append(result)

    threads = [threading.Thread(target=commit, args=(n,)) for n in range(RACERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    return results


def test_ten_concurrent_commits_one_wins_the_rest_get_the_documented_conflict(
    make_blueprint: Any, blueprints: Blueprints
) -> None:
    bp = make_blueprint("lab-evpn")
    for round_ in range(ROUNDS):
        base = blueprints.staging.version(bp)
        edits = [
            {"kind": "set_deploy_mode", "params": {"system": s, "mode": "ready"}}
            for s in ("spine1", "rack1-leaf1", "rack3-leaf2")
        ] + [{"kind": "remove_virtual_network", "params": {"name": "web"}}] * (round_ == 0)
        version = base
        for edit in edits:
            version = blueprints.staging.stage(bp, edit, base_version=version, author="t")
        results = race(blueprints, bp, version)
        won = [r for r in results if isinstance(r, Revision)]
        lost = [r for r in results if not isinstance(r, Revision)]
        assert len(won) == 1 and len(lost) == RACERS - 1, results
        current = blueprints.staging.version(bp)
        for error in lost:
            assert type(error) is ConflictError, repr(error)
            assert f"your edit is based on staged version {version}" in error.message
            assert f"now at version {current}" in error.message
            assert f"base_version={current}" in error.allowed
        reset = {"kind": "set_deploy_mode", "params": {"system": "spine1", "mode": "not_set"}}
        blueprints.staging.stage(bp, reset, base_version=current, author="t")
        blueprints.commit(bp, base_version=current + 1, author="t", message="reset")
