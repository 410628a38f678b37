"""The real stack for the chaos tests: this checkout's services, restarted the way
`make services worker api` starts them (``deploy/services.sh``, ``deploy/neo4j/neo4j.sh``,
with the environment the tests run in: a worktree's ``.env.local`` or CI's defaults),
and the checks every scenario ends with (``converge``).
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import redis

from blueprint_engine.blueprints import Blueprints
from blueprint_engine.devices.lifecycle import DeviationStatus
from blueprint_engine.devices.registry import Devices
from blueprint_engine.errors import FabricError
from blueprint_engine.graph.db import Graph, Query
from blueprint_engine.settings import Settings
from labharness.rollout import lab_serial, switches
from renderers.context import Stage
from telemetry.engine import reevaluate
from workers.drivers import open_driver
from workers.stages import config_for

ROOT = Path(__file__).resolve().parents[3]
SERVICES = ROOT / "deploy" / "services.sh"
STATE = Path(os.environ.get("FG_STATE_DIR", ROOT / ".state"))
CONVERGE_TIMEOUT_S = 240.0
SERVICE_TIMEOUT_S = 360.0  # a service start, bounded: Neo4j recovering waits up to 300 s
T = TypeVar("T")


def services(action: str, *names: str) -> None:
    """``deploy/services.sh start|stop NAME...`` with this process's environment."""
    subprocess.run([str(SERVICES), action, *names], check=True, timeout=SERVICE_TIMEOUT_S)


def pid_of(name: str) -> int:
    path = STATE / ("neo4j/neo4j.pid" if name == "neo4j" else f"{name}.pid")
    return int(path.read_text().strip())


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    try:  # a zombie of ours counts as gone
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            return fh.read().split(") ")[-1][:1] == "Z"
    except FileNotFoundError:
        return True


def kill9(name: str) -> None:
    """``kill -9`` a service started by services.sh (its process group when it has one)."""
    pid = pid_of(name)
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        os.kill(pid, signal.SIGKILL)
    wait_for(lambda: _gone(pid), 30, f"{name} (pid {pid}) to die")


def wait_for(check: Callable[[], T], timeout: float, what: str, interval: float = 0.2) -> T:
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = check()
        except FabricError:
            value = None
        if value:
            return value
        assert time.monotonic() < deadline, f"not within {timeout:.0f} s: {what}"
        time.sleep(interval)


PING = Query("chaos.ping", "RETURN 1 AS one")


def graph_answers(graph: Graph) -> bool:
    return bool(graph.read(PING)[0]["one"] == 1)


@contextmanager
def blueprint_locked(graph: Graph, bp: str) -> Iterator[threading.Event]:
    """Hold the write lock of blueprint ``bp`` in an open transaction (what a commit
    takes first), so a commit started meanwhile waits inside its own transaction: the
    fault can then strike mid-commit, deterministically. Set the yielded event to let
    go (the transaction is rolled back, nothing written)."""
    release, held = threading.Event(), threading.Event()

    def hold() -> None:
        try:
            with graph.explicit() as tx:
                graph.run(tx, LOCK_BLUEPRINT, bp=bp)
                held.set()
                release.wait(SERVICE_TIMEOUT_S)
                tx.rollback()
        except Exception:  # the fault under test may take the connection with it
            held.set()

    holder = threading.Thread(target=hold, daemon=True, name=f"lock-{bp}")
    holder.start()
    assert held.wait(30), f"could not lock blueprint {bp}"
    try:
        yield release
    finally:
        release.set()
        holder.join(timeout=30)


LOCK_BLUEPRINT = Query(
    "chaos.lock_blueprint",
    "MATCH (b:Blueprint {name: $bp}) SET b.lock_seq = coalesce(b.lock_seq, 0) + 1",
)
COMMIT_WAITING = Query(
    "chaos.commit_waiting",
    """
    SHOW TRANSACTIONS YIELD currentQuery, status
    WHERE currentQuery CONTAINS 'lock_seq' AND status STARTS WITH 'Blocked'
    RETURN count(*) AS n
    """,
)


def commit_is_waiting(graph: Graph) -> bool:
    """A second transaction is blocked on the blueprint's lock (the commit under test)."""
    return int(graph.read(COMMIT_WAITING)[0]["n"]) >= 1


# -- the edit the scenarios commit: a spine-leaf link's speed, both ends and the link --------

LINK = "spine1:swp1--rack1-leaf1:swp1"
ENDS = ("spine1:swp1", "rack1-leaf1:swp1")
SPEEDS = (10000, 25000)
LINK_SPEED = Query(
    "chaos.link_speed", "MATCH (l:Link {uid: $bp + '/' + $link}) RETURN l.speed_mbps AS speed"
)


def link_speed(graph: Graph, bp: str) -> int:
    return int(graph.read(LINK_SPEED, bp=bp, link=LINK)[0]["speed"])


def stage_speed_change(blueprints: Blueprints, bp: str) -> int:
    """Stage the other speed on ``LINK`` (3 edits, touching spine1 and rack1-leaf1); the
    speed the commit will set."""
    now = link_speed(blueprints.graph, bp)
    speed = SPEEDS[1] if now == SPEEDS[0] else SPEEDS[0]
    version = blueprints.staging.version(bp)
    targets = [("Interface", end) for end in ENDS] + [("Link", LINK)]
    for kind, ident in targets:
        params = {"kind": kind, "id": ident, "key": "speed_mbps", "value": speed}
        edit = {"kind": "set_property", "params": params}
        version = blueprints.staging.stage(bp, edit, base_version=version, author="chaos")
    return speed


def commit_staged(blueprints: Blueprints, bp: str) -> int:
    version = blueprints.staging.version(bp)
    revision = blueprints.commit(bp, base_version=version, author="chaos", message="chaos")
    return int(revision.number)


# -- after recovery -------------------------------------------------------------------------

ACTIVE = Query(
    "chaos.active",
    """
    MATCH (b:Blueprint {name: $bp})
    OPTIONAL MATCH (b)-[:HAS_REVISION]->(r:Revision)
    RETURN b.active_revision AS active, max(r.number) AS newest, count(r) AS revisions
    """,
)
RAISED = Query(
    "chaos.raised",
    """
    MATCH (a:Anomaly {blueprint: $bp, state: 'raised'})
    WHERE NOT a.expected AND NOT a.suppressed
    RETURN a.type + ' ' + a.subject + '@' + a.device AS anomaly ORDER BY anomaly
    """,
)
OPEN_CAUSES = Query(
    "chaos.open_causes",
    "MATCH (c:RootCause {blueprint: $bp, state: 'open'}) RETURN c.kind + ' ' + c.subject AS c",
)


@dataclass(frozen=True)
class Fabric:
    blueprints: Blueprints
    bp: str
    settings: Settings

    @property
    def graph(self) -> Graph:
        return self.blueprints.graph

    @property
    def serials(self) -> list[str]:
        return [lab_serial(system) for system, _ in switches(self.blueprints, self.bp)]


def running(devices: Devices, serial: str) -> str:
    driver: Any = open_driver(devices.get(serial))
    try:
        return str(driver.get_config(retrieve="running")["running"])
    finally:
        driver.close()


def differences(blueprints: Blueprints, serial: str) -> str:
    """What the device runs beyond its service config rendered now from intent."""
    devices = Devices(blueprints.graph)
    device = devices.get(serial)
    driver: Any = open_driver(device)
    try:
        driver.load_replace_candidate(config=config_for(device, Stage.SERVICE, blueprints, devices))
        return str(driver.compare_config())
    finally:
        driver.discard_config()
        driver.close()


def device_problems(f: Fabric) -> list[str]:
    """Why the fabric is not converged yet (empty when it is)."""
    devices = Devices(f.graph)
    problems: list[str] = []
    for serial in f.serials:
        device = devices.get(serial)
        if device.record.deviation is not DeviationStatus.NONE:
            problems.append(f"{serial}: deviation {device.record.deviation}")
        golden = devices.configs(serial).get("golden")
        if golden is None or golden != running(devices, serial):
            problems.append(f"{serial}: golden {'unset' if golden is None else '!= running'}")
        diff = differences(f.blueprints, serial)
        if diff:
            problems.append(f"{serial}: running differs from intent: {diff[:200]}")
    problems += [str(r["anomaly"]) for r in f.graph.read(RAISED, bp=f.bp)]
    problems += [f"open root cause {r['c']}" for r in f.graph.read(OPEN_CAUSES, bp=f.bp)]
    return problems


def revisions_whole(f: Fabric, revisions: int, speed: int, staged: int) -> None:
    """No revision half-applied: ``revisions`` recorded, active = the newest, the link at
    ``speed`` in active intent, ``staged`` edits left in the staged log."""
    row = f.graph.read(ACTIVE, bp=f.bp)[0]
    assert (row["revisions"], row["active"], row["newest"]) == (revisions, revisions, revisions)
    assert link_speed(f.graph, f.bp) == speed
    assert len(f.blueprints.staging.changes(f.bp)) == staged


def converge(f: Fabric, what: str, started: float) -> float:
    """Wait (bounded) until every device runs its intent with golden = running, nothing
    is raised, and a level-triggered re-evaluation finds nothing the stored anomalies
    missed; print and return the time to converge since ``started``."""
    last: list[str] = []

    def done() -> bool:
        nonlocal last
        last = device_problems(f)
        return not last

    deadline = time.monotonic() + CONVERGE_TIMEOUT_S
    while not done():
        assert time.monotonic() < deadline, f"{what}: not converged: {last}"
        time.sleep(2)
    seconds = time.monotonic() - started
    client = redis.Redis.from_url(f.settings.redis_url)
    outcome = reevaluate(f.graph, client, f.bp)
    assert (outcome.raised, outcome.cleared) == ([], []), "anomalies the stored state missed"
    print(f"\nCHAOS {what}: converged in {seconds:.1f} s")
    return seconds
