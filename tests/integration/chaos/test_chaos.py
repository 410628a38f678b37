"""Chaos on the real stack: faults in the middle of commits and deployments, on a `lab`
blueprint deployed into the FRR lab (workers, beat, Neo4j and Redis of this checkout).

Each scenario ends with the same checks (``stack.converge``): every switch runs its
intent (its service config rendered now from the graph), golden = running, no
deviation, nothing raised and no open root cause, and a level-triggered
re-evaluation finds nothing the stored anomalies missed; and no revision is
half-applied (``stack.revisions_whole``). Nothing is repaired by hand: a killed
service is started again the way ``make services worker api`` starts it, as a
supervisor would, and a client whose commit failed commits again.

The edit committed in each scenario is the speed of one spine-leaf link (both
interfaces and the link: three staged edits, two switches touched), toggled between
10 and 25 Gb/s. Each scenario prints its time to converge (``CHAOS ...``), measured
from the fault. The worker killed mid-push is also covered, for a lifecycle push, by
``tests/integration/lab/test_lab_operations.py::test_a_worker_killed_mid_deployment_is_healed_by_the_reconciler``;
here it is killed in the middle of a commit's push.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import redis

from blueprint_engine.events import EventKind, channel
from blueprint_engine.graph.db import Graph, Query
from blueprint_engine.settings import Settings
from lab import daemons
from labharness.rollout import lab_serial
from tests.integration.chaos import stack
from tests.integration.chaos.stack import Fabric
from tests.integration.lab.helpers import deployed_lab
from workers.reconciler import reconcile_device

# Each wait of a scenario has its own bound (a service start SERVICE_TIMEOUT_S, the
# convergence CONVERGE_TIMEOUT_S, ...); the suite's 300 s per test is less than their
# sum (the module's fixture alone deploys the lab and converges), so the backstop here
# is above it: a scenario fails on the bound of the wait that did not end, by name.
pytestmark = [pytest.mark.lab, pytest.mark.integration, pytest.mark.timeout(1500)]

LEAF = "rack1-leaf1"
TOUCHED = (lab_serial("spine1"), lab_serial(LEAF))
OPERATOR = {"Authorization": "Bearer dev-operator"}


ROUNDS = int(os.environ.get("FG_CHAOS_ROUNDS", "1"))


@pytest.fixture(scope="module", params=range(1, ROUNDS + 1), ids=lambda n: f"run{n}")
def run(request: pytest.FixtureRequest) -> int:
    """``FG_CHAOS_ROUNDS=3``: every scenario three times on one deployed fabric, the
    whole list once per round (pytest groups the tests by this module-scoped param)."""
    return int(request.param)


@pytest.fixture(scope="module")
def fabric(graph: Graph, settings: Settings) -> Iterator[Fabric]:
    with deployed_lab(graph, "t-chaos") as (blueprints, _, bp):
        f = Fabric(blueprints, bp, settings)
        stack.converge(f, "freshly deployed fabric", time.monotonic())
        yield f


def _revisions(f: Fabric) -> int:
    return len(f.blueprints.staging.revisions(f.bp))


def _commit_in_thread(f: Fabric) -> tuple[threading.Thread, dict[str, Any]]:
    outcome: dict[str, Any] = {}

    def work() -> None:
        try:
            outcome["revision"] = stack.commit_staged(f.blueprints, f.bp)
        except Exception as exc:  # the fault under test: any failure is the answer
            outcome["error"] = f"{type(exc).__name__}: {exc}"

    thread = threading.Thread(target=work, daemon=True, name="commit")
    thread.start()
    return thread, outcome


def _neo4j_fault_mid_commit(f: Fabric, what: str, fault: str) -> None:
    revisions, speed_before = _revisions(f), stack.link_speed(f.graph, f.bp)
    speed = stack.stage_speed_change(f.blueprints, f.bp)
    with stack.blueprint_locked(f.graph, f.bp):
        thread, outcome = _commit_in_thread(f)
        stack.wait_for(lambda: stack.commit_is_waiting(f.graph), 30, "the commit to wait")
        started = time.monotonic()
        if fault == "kill":
            stack.kill9("neo4j")
        else:
            stack.services("stop", "neo4j")
        thread.join(stack.SERVICE_TIMEOUT_S)
    assert "error" in outcome, outcome  # the commit failed with the graph gone
    stack.services("start", "neo4j")
    stack.wait_for(lambda: stack.graph_answers(f.graph), stack.SERVICE_TIMEOUT_S, "Neo4j")
    stack.revisions_whole(f, revisions, speed_before, staged=3)  # nothing applied, kept staged
    stack.commit_staged(f.blueprints, f.bp)  # the client commits again
    stack.revisions_whole(f, revisions + 1, speed, staged=0)
    stack.converge(f, what, started)


def test_neo4j_killed_mid_commit(fabric: Fabric, run: int) -> None:
    _neo4j_fault_mid_commit(fabric, f"run {run}: Neo4j kill -9 mid-commit", "kill")


def test_neo4j_stopped_and_started_mid_commit(fabric: Fabric, run: int) -> None:
    _neo4j_fault_mid_commit(fabric, f"run {run}: Neo4j clean stop/start mid-commit", "stop")


def _push_started(progress: Any, serials: tuple[str, ...]) -> bool:
    message = progress.get_message(timeout=0.05)
    event = json.loads(message["data"]) if message else {}
    return event.get("serial") in serials and event.get("status") == "started"


def test_redis_flushed_mid_deploy(fabric: Fabric, run: int) -> None:
    f = fabric
    client = redis.Redis.from_url(f.settings.redis_url)
    progress = client.pubsub(ignore_subscribe_messages=True)  # type: ignore[no-untyped-call]
    progress.subscribe(channel(EventKind.DEPLOYMENT))
    revisions = _revisions(f)
    speed = stack.stage_speed_change(f.blueprints, f.bp)
    stack.commit_staged(f.blueprints, f.bp)  # the reconciler pushes it to both switches
    stack.wait_for(lambda: _push_started(progress, TOUCHED), 60, "a push to start", 0)
    started = time.monotonic()
    client.flushall()  # leases, queued tasks, results: all gone mid-push
    progress.close()
    stack.revisions_whole(f, revisions + 1, speed, staged=0)
    stack.converge(f, f"run {run}: Redis FLUSHALL mid-deploy", started)


def test_worker_killed_mid_push(fabric: Fabric, run: int) -> None:
    f = fabric
    client = redis.Redis.from_url(f.settings.redis_url)
    progress = client.pubsub(ignore_subscribe_messages=True)  # type: ignore[no-untyped-call]
    progress.subscribe(channel(EventKind.DEPLOYMENT))
    revisions = _revisions(f)
    speed = stack.stage_speed_change(f.blueprints, f.bp)
    stack.commit_staged(f.blueprints, f.bp)
    stack.wait_for(lambda: _push_started(progress, TOUCHED), 60, "a push to start", 0)
    started = time.monotonic()
    stack.kill9("worker")  # kill -9 while the push holds its device's lease
    progress.close()
    stack.services("start", "worker")
    stack.revisions_whole(f, revisions + 1, speed, staged=0)
    stack.converge(f, f"run {run}: worker kill -9 mid-push", started)


def _api_base(settings: Settings) -> str:
    return f"http://{settings.api_host}:{settings.api_port}"


def _api_commit(base: str, bp: str, version: int, outcome: dict[str, Any]) -> None:
    mutation = """mutation($bp: String!, $v: Int!) {
      commit(blueprint: $bp, baseVersion: $v, message: "chaos") { number } }"""
    try:
        body = {"query": mutation, "variables": {"bp": bp, "v": version}}
        response = httpx.post(f"{base}/graphql", headers=OPERATOR, timeout=120, json=body)
        outcome["body"] = response.json()
    except httpx.HTTPError as exc:  # the API dies under it: that is the scenario
        outcome["error"] = f"{type(exc).__name__}: {exc}"


def _api_up(base: str) -> bool:
    try:
        return httpx.get(f"{base}/health/live", timeout=5).status_code == 200
    except httpx.HTTPError:
        return False


def test_api_killed_mid_commit(fabric: Fabric, run: int) -> None:
    f = fabric
    base = _api_base(f.settings)
    stack.services("start", "api")  # its own process, as `make api` starts it
    revisions, speed_before = _revisions(f), stack.link_speed(f.graph, f.bp)
    speed = stack.stage_speed_change(f.blueprints, f.bp)
    version = f.blueprints.staging.version(f.bp)
    outcome: dict[str, Any] = {}
    with stack.blueprint_locked(f.graph, f.bp):
        caller = threading.Thread(target=_api_commit, args=(base, f.bp, version, outcome))
        caller.start()
        stack.wait_for(lambda: stack.commit_is_waiting(f.graph), 30, "the API's commit to wait")
        started = time.monotonic()
        stack.kill9("api")
        caller.join(60)
    assert "error" in outcome, outcome  # the caller saw the connection drop
    # the API's transaction died with its connection: nothing applied, still staged
    stack.wait_for(lambda: not stack.commit_is_waiting(f.graph), 60, "the dead commit to go")
    stack.revisions_whole(f, revisions, speed_before, staged=3)
    stack.services("start", "api")
    stack.wait_for(lambda: _api_up(base), 60, "the API to serve again")
    retry: dict[str, Any] = {}
    _api_commit(base, f.bp, version, retry)  # the client commits again, same base version
    assert "errors" not in retry.get("body", {"errors": retry}), retry
    stack.revisions_whole(f, revisions + 1, speed, staged=0)
    stack.converge(f, f"run {run}: API kill -9 mid-commit", started)


DEPLOYMENTS = Query(
    "chaos.deployments",
    """
    MATCH (d:Device {serial: $serial})-[:HAS_DEPLOYMENT]->(x:Deployment)
    RETURN count(x) AS n
    """,
)


def _deployments(f: Fabric, serial: str) -> int:
    return int(f.graph.read(DEPLOYMENTS, serial=serial)[0]["n"])


def _second_worker(settings: Settings) -> subprocess.Popen[bytes]:
    """Another worker process on the same queue, started like services.sh starts one."""
    queue = settings.celery_queue
    log = open(stack.STATE / "logs" / "worker-race.log", "ab")  # noqa: SIM115 (kept open)
    argv = [
        str(stack.ROOT / ".venv/bin/python"),
        "-m",
        "celery",
        "-A",
        "workers.app",
        "worker",
        "--loglevel=INFO",
        "--concurrency=2",
        f"--queues={queue}",
        f"--hostname=race-{queue}@%h",
    ]
    return subprocess.Popen(argv, stdout=log, stderr=log, start_new_session=True, cwd=stack.ROOT)


def _answers_ping(settings: Settings) -> bool:
    from workers.app import app

    replies = app.control.ping(timeout=1.0) or []
    return sum(1 for r in replies for name in r if settings.celery_queue in name) >= 2


def test_two_workers_racing_for_one_device_deploy_it_once(
    fabric: Fabric, settings: Settings, run: int
) -> None:
    f = fabric
    racer = _second_worker(settings)
    try:
        stack.wait_for(lambda: _answers_ping(settings), 60, "two workers on the queue")
        before = {s: _deployments(f, s) for s in TOUCHED}
        revisions = _revisions(f)
        speed = stack.stage_speed_change(f.blueprints, f.bp)
        stack.commit_staged(f.blueprints, f.bp)
        started = time.monotonic()
        for _ in range(3):  # both workers get one (and the sweep adds its own)
            for serial in TOUCHED:
                reconcile_device.delay(serial)
        stack.revisions_whole(f, revisions + 1, speed, staged=0)
        stack.converge(f, f"run {run}: two workers racing for one device", started)
        after = {s: _deployments(f, s) for s in TOUCHED}
        assert {s: after[s] - before[s] for s in TOUCHED} == dict.fromkeys(TOUCHED, 1)
    finally:
        os.killpg(racer.pid, signal.SIGTERM)
        try:
            racer.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(racer.pid, signal.SIGKILL)
            racer.wait(10)


ROOT_CAUSES = Query(
    "chaos.root_causes",
    """
    MATCH (c:RootCause {blueprint: $bp}) WHERE c.first_seen >= $since
    RETURN c.uid AS uid, c.kind AS kind, c.state AS state
    """,
)


def test_bgpd_killed_on_a_switch_heals_without_a_push(fabric: Fabric, run: int) -> None:
    f = fabric
    serial = lab_serial(LEAF)
    since = time.time()
    pushes = _deployments(f, serial)
    netns = f"fg-{LEAF}"
    killed = daemons.kill_daemon(netns, "bgpd")
    assert killed
    started = time.monotonic()

    def diagnosed() -> list[dict[str, Any]]:  # root causes opened since the kill
        return f.graph.read(ROOT_CAUSES, bp=f.bp, since=since)

    new = stack.wait_for(diagnosed, 60, "a root cause of the killed bgpd")
    stack.converge(f, f"run {run}: bgpd kill -9 on a leaf", started)
    new = diagnosed()
    # one root cause, routing_daemon_down, cleared: never an out-of-band change, neither
    # while bgpd is down nor while the restarted one comes back
    kinds = sorted((r["kind"], r["state"]) for r in new)
    assert kinds == [("routing_daemon_down", "cleared")], kinds
    assert _deployments(f, serial) == pushes  # healed by watchfrr, not by a push
    assert daemons.running_named(netns, "bgpd") not in ([], killed)
