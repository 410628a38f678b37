"""Telemetry on the real lab: every fault of the lab's injector, seen through collection.

One ``lab`` blueprint is deployed into the FRR lab for the whole module. The
periodic collection (Celery beat → ``collect_all`` → ``collect_blueprint`` on the
workers, ``make worker`` starts both) observes it through NAPALM; the engine
raises anomalies and groups them into root causes. For each fault kind the test
injects the fault, waits until the graph holds exactly one open root cause,
checks that it explains exactly the raised anomalies and that these are exactly
what the blueprint's cabling implies (``lab_expectations``, derived without the
engine), then repairs and waits until every anomaly and the cause are cleared.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import redis

from blueprint_engine.blueprints import Blueprints
from blueprint_engine.design.model import Role
from blueprint_engine.design.reader import read_cabling
from blueprint_engine.graph.db import Graph, Query
from lab import Lab, daemons
from lab.cabling import read_port
from lab.topology import parse_endpoint
from labharness import rollout
from tests.integration.lab.helpers import fabric_session_ends, lab_blueprint
from tests.integration.telemetry import lab_expectations as expect
from tests.integration.telemetry.lab_expectations import Anomaly, Cabling, switch_end
from workers.collect import request_round
from workers.lease import Lease

pytestmark = [pytest.mark.lab, pytest.mark.integration]

# an LLDP neighbour gone silent on a port still up is a cabling anomaly only after the
# engine's grace period (30 s), settled by the periodic sweep (10 s)
FAULT_TIMEOUT_S = 60.0
CLEAR_TIMEOUT_S = 90.0
HEALTHY_ROUNDS = 5

ANOMALIES = Query(
    "test.lab_faults.anomalies",
    """
    MATCH (a:Anomaly {blueprint: $bp})
    RETURN a.type AS type, a.subject AS subject, a.device AS device, a.state AS state,
           a.expected AS expected, a.suppressed AS suppressed, a.first_seen AS first_seen,
           a.last_seen AS last_seen
    """,
)
CAUSES = Query(
    "test.lab_faults.causes",
    """
    MATCH (c:RootCause {blueprint: $bp})
    OPTIONAL MATCH (c)-[:EXPLAINS]->(a:Anomaly)
    RETURN c.uid AS uid, c.kind AS kind, c.subject AS subject, c.state AS state,
           collect([a.type, a.subject, a.device]) AS symptoms
    """,
)
OBSERVED = Query(
    "test.lab_faults.observed",
    """
    MATCH (o:Observation {blueprint: $bp}) WHERE o.subject IN $subjects
    RETURN o.kind AS kind, o.observer AS observer, o.subject AS subject, o.value AS value,
           toString(o.changed_at) AS changed_at
    ORDER BY subject, kind
    """,
)
HEARD = Query(
    "test.lab_faults.heard",
    """
    MATCH (a:Anomaly {blueprint: $bp, type: 'cabling', state: 'raised'})
    WHERE a.subject IN $subjects
    RETURN a.subject AS subject, a.actual_value AS actual
    """,
)
COLLECTED = Query(
    "test.lab_faults.collected",
    """
    MATCH (d:Device)-[:ASSIGNED_TO]->(s:System {blueprint: $bp})
    RETURN d.serial AS serial, d.liveness AS liveness, d.last_collected_at AS at,
           d.running_checked_at AS checked
    """,
)


@dataclass
class LabFabric:
    blueprints: Blueprints
    lab: Lab
    bp: str
    cabling: Cabling

    @property
    def graph(self) -> Graph:
        return self.blueprints.graph

    def raised(self) -> set[Anomaly]:
        return {
            (r["type"], r["subject"], r["device"])
            for r in self.graph.read(ANOMALIES, bp=self.bp)
            if r["state"] == "raised" and not r["expected"] and not r["suppressed"]
        }

    def causes(self, state: str = "open") -> list[dict[str, Any]]:
        rows = self.graph.read(CAUSES, bp=self.bp)
        for r in rows:
            r["symptoms"] = {tuple(s) for s in r["symptoms"] if s[0] is not None}
        return [r for r in rows if r["state"] == state]

    def observed(self, subjects: set[str]) -> list[dict[str, Any]]:
        return self.graph.read(OBSERVED, bp=self.bp, subjects=sorted(subjects))

    def heard(self, ports: set[str]) -> dict[str, tuple[str | None, str | None]]:
        """The (neighbour, port) each of ``ports`` hears, for its raised cabling anomaly."""
        rows = self.graph.read(HEARD, bp=self.bp, subjects=sorted(ports))
        actual = {r["subject"]: json.loads(r["actual"] or "{}") for r in rows}
        return {p: (a.get("neighbor"), a.get("port")) for p, a in actual.items()}

    def collections(self) -> dict[str, Any]:
        return {r["serial"]: r for r in self.graph.read(COLLECTED, bp=self.bp)}

    def wait_rounds(self, rounds: int, timeout: float = 60.0) -> None:
        """Wait until every device has been collected ``rounds`` more times."""
        for _ in range(rounds):
            before = {s: r["at"] or 0.0 for s, r in self.collections().items()}
            deadline = time.monotonic() + timeout
            while True:
                now = {s: r["at"] or 0.0 for s, r in self.collections().items()}
                if all(now[s] > before[s] for s in before):
                    break
                assert time.monotonic() < deadline, (
                    f"no collection round within {timeout} s: is the beat running "
                    "(`make worker` starts worker and beat)?"
                )
                time.sleep(0.2)


@pytest.fixture(scope="module")
def fabric(graph: Graph) -> Iterator[LabFabric]:
    with lab_blueprint(graph, "t-tele") as (blueprints, lab, bp):
        rollout.deploy_all(blueprints, bp, report=lambda _: None)
        rollout.wait_bgp(blueprints, bp, expected=fabric_session_ends(graph, bp), timeout=60)
        f = LabFabric(blueprints, lab, bp, Cabling(read_cabling(graph, bp)))
        # converged: a whole round collected after BGP came up, and whatever that
        # round caught mid-convergence (a route not installed yet) cleared
        f.wait_rounds(2)
        _wait_clear(f, "the freshly deployed fabric")
        yield f


def _wait_clear(f: LabFabric, what: str) -> None:
    deadline = time.monotonic() + CLEAR_TIMEOUT_S
    while f.raised() or f.causes():
        if time.monotonic() > deadline:
            raise AssertionError(
                f"{what}: still raised after {CLEAR_TIMEOUT_S:.0f} s: {sorted(f.raised())}; "
                f"open causes: {[(c['kind'], c['subject']) for c in f.causes()]}"
            )
        time.sleep(0.5)


def _check_fault(
    f: LabFabric, kind: str, expected: set[Anomaly], stale_on: str | None = None
) -> dict[str, Any]:
    """Wait for exactly one open cause of ``kind`` explaining exactly ``expected``.

    ``stale_on``: a device that stopped answering may have been collected while it
    was stopping (its BGP daemon gone, the rest still answering); what that last
    round showed stays as it was while the device is unknown. Such anomalies, on
    that device only, may be raised too, and then the one cause must explain them.
    """
    deadline = time.monotonic() + FAULT_TIMEOUT_S
    while True:
        raised, causes = f.raised(), f.causes()
        extra = {a for a in raised - expected if a[2] == stale_on}
        if (
            raised - extra == expected
            and len(causes) == 1
            and causes[0]["symptoms"] == expected | extra
        ):
            break
        if time.monotonic() > deadline:
            raise AssertionError(
                f"{kind}: after {FAULT_TIMEOUT_S:.0f} s\n"
                f"  missing: {sorted(expected - raised)}\n"
                f"  unexpected: {sorted(raised - expected)}\n"
                f"  causes: {[(c['kind'], c['subject'], sorted(c['symptoms'])) for c in causes]}\n"
                f"  observed: {f.observed({a[1] for a in expected ^ raised})}"
            )
        time.sleep(0.5)
    cause = causes[0]
    assert cause["kind"] == kind
    return cause


def _repaired(f: LabFabric, cause: dict[str, Any]) -> None:
    f.lab.repair()
    _wait_clear(f, f"after repairing {cause['kind']}")
    cleared = {c["uid"]: c for c in f.causes("cleared")}
    assert cause["uid"] in cleared  # the cause is kept as history, cleared
    assert cleared[cause["uid"]]["symptoms"] <= cause["symptoms"]
    states = {
        (r["type"], r["subject"], r["device"]): r["state"] for r in f.graph.read(ANOMALIES, bp=f.bp)
    }
    assert {states[a] for a in cause["symptoms"]} == {"cleared"}


# -- the tests, in module order: healthy first, then one per fault kind ----------------------


def test_a_healthy_fabric_raises_nothing_over_several_collection_rounds(f: LabFabric) -> None:
    started = time.time()
    f.wait_rounds(HEALTHY_ROUNDS)
    rows = f.graph.read(ANOMALIES, bp=f.bp)
    touched = [r for r in rows if r["state"] == "raised" or (r["last_seen"] or 0) >= started]
    assert touched == [], f"false anomalies on a healthy fabric: {touched}"
    assert f.causes() == []
    assert {r["liveness"] for r in f.collections().values()} == {"connected"}


def _implied_observations(c: Cabling) -> int:
    """What one round observes on the lab, counted from the blueprint's cabling."""
    switches = c.switches()
    per_switch = 3  # its own device, config and routing-daemon facts
    # every port of a switch (cabled or unused) is observed: interface + LLDP
    ports = sum(1 for i in c.design.interfaces if i.system in switches)
    # optics for each cabled switch port (an unused port holds no transceiver)
    cabled = sum(1 for lk in c.design.links for e in (lk.a, lk.b) if switch_end(c, e))
    sessions = sum(1 for lk in c.fabric_links())
    # BGP, accepted prefixes and route per session end
    return per_switch * len(switches) + 2 * ports + cabled + 3 * 2 * sessions + counters(c)


def counters(c: Cabling) -> int:
    """Counters are observed for every port of a switch (the lab's kernel has them all)."""
    switches = c.switches()
    return sum(1 for i in c.design.interfaces if i.system in switches)


ROUND_WAIT_S = 90.0


def test_an_on_demand_round_observes_everything_the_blueprint_implies(f: LabFabric) -> None:
    """What is still converging (a route a session end has not installed yet) is not
    observed: rounds are requested until one observes everything (bounded), and that round
    is judged (once, 109 of 110 observations were seen right after the earlier tests)."""
    implied = _implied_observations(f.cabling)
    deadline = time.monotonic() + ROUND_WAIT_S
    result = request_round(f.graph, f.bp)
    while result["observations"] != implied and time.monotonic() < deadline:
        time.sleep(1.0)
        result = request_round(f.graph, f.bp)
    assert (result["status"], result["devices"], result["unreachable"]) == (
        "collected",
        len(f.cabling.switches()),
        [],
    )
    assert result["observations"] == implied
    # a steady healthy fabric: nothing new to write but the counters of ports that moved
    assert result["changed"] <= counters(f.cabling)


LEASE_WAIT_S = 30.0


@contextlib.contextmanager
def _taken(lease: Lease, wait_s: float) -> Iterator[None]:
    """Hold ``lease``, taken as soon as its current holder lets go (bounded)."""
    deadline = time.monotonic() + wait_s
    while not lease.__enter__():
        assert time.monotonic() < deadline, f"lease not free within {wait_s:.0f} s"
        time.sleep(0.1)
    try:
        yield
    finally:
        lease.__exit__(None, None, None)


def test_a_job_holding_a_lease_without_pushing_does_not_hide_a_config(f: LabFabric) -> None:
    """A reconcile sweep holds each device's lease while it decides there is nothing to
    do: the device's running config is still judged and observed in that round."""
    serials = sorted(f.collections())
    client = redis.Redis.from_url(f.graph.settings.redis_url)
    before = time.time()
    with contextlib.ExitStack() as held:
        for serial in serials:  # the workers' own sweeps take these leases too: wait
            held.enter_context(_taken(Lease(client, serial), LEASE_WAIT_S))
        result = request_round(f.graph, f.bp)
    assert result["observations"] == _implied_observations(f.cabling)
    checked = {s: r["checked"] or 0.0 for s, r in f.collections().items()}
    assert all(checked[s] >= before for s in serials), checked  # every verdict is new


def test_cable_cut(f: LabFabric) -> None:
    link = f.cabling.fabric_links()[0]
    a = link.a.split(":")
    f.lab.cable_cut(a[0], a[1])
    cause = _check_fault(f, "cable_cut", expect.cable_cut(f.cabling, link))
    assert cause["subject"] == link.id
    _repaired(f, cause)


def test_transceiver_fail(f: LabFabric) -> None:
    link = f.cabling.fabric_links()[-1]
    port = link.b  # the leaf side
    node, name = port.split(":")
    f.lab.transceiver_fail(node, name)
    cause = _check_fault(f, "transceiver_fault", expect.transceiver_fail(f.cabling, port))
    assert cause["subject"] == f"{port}:xcvr"
    _repaired(f, cause)


def test_device_offline(f: LabFabric) -> None:
    leaf = next(s for s in f.cabling.switches() if f.cabling.role(s) == Role.LEAF)
    f.lab.device_offline(leaf)
    cause = _check_fault(f, "device_offline", expect.device_offline(f.cabling, leaf), leaf)
    assert cause["subject"] == leaf
    serial = rollout.lab_serial(leaf)
    assert f.collections()[serial]["liveness"] == "unavailable"
    _repaired(f, cause)
    assert f.collections()[serial]["liveness"] == "connected"


def test_oob_change(f: LabFabric) -> None:
    link = f.cabling.fabric_links()[0]
    spine_ip, leaf = f.cabling.address(link.a), f.cabling.system_of(link.b)
    lines = [f"router bgp {f.cabling.asn(leaf)}", f"neighbor {spine_ip} shutdown"]
    f.lab.oob_change(leaf, lines)
    cause = _check_fault(f, "oob_change", expect.oob_neighbor_shutdown(f.cabling, link, leaf))
    assert cause["subject"] == leaf
    _repaired(f, cause)


def test_swap_cables(f: LabFabric) -> None:
    spine = f.cabling.switches()[-1]  # spines sort after "rack..." leafs
    assert f.cabling.role(spine) == Role.SPINE
    one, two = [lk for lk in f.cabling.fabric_links() if f.cabling.system_of(lk.a) == spine][:2]
    f.lab.swap_cables(one.a, two.a)
    cause = _check_fault(f, "cabling_mistake", expect.swap_cables(f.cabling, one, two))
    _repaired(f, cause)


def test_a_cable_plugged_into_unused_ports_is_a_cabling_mistake(f: LabFabric) -> None:
    """Two unused ports (no link in the blueprint) of two switches cabled together and
    enabled: each raises a cabling anomaly naming the other end, one cabling mistake
    explains both, and each switch's deviating config is an out-of-band change; unplugged
    (the ports back to unused and shut), everything clears."""
    unused = f.cabling.unused_ports()
    assert unused, "the blueprint cables every switch port: nothing to plug into"
    one = unused[0]
    two = next(p for p in unused if f.cabling.system_of(p) != f.cabling.system_of(one))
    systems = (f.cabling.system_of(one), f.cabling.system_of(two))
    expected = expect.plug_unused(f.cabling, one, two)
    cabling = {a for a in expected if a[0] == "cabling"}
    heard = {
        one: (f.cabling.hostname(systems[1]), f.cabling.name_of(two)),
        two: (f.cabling.hostname(systems[0]), f.cabling.name_of(one)),
    }
    causes_expected = {("cabling_mistake", min(one, two), frozenset(cabling))} | {
        ("oob_change", s, frozenset({("config_deviation", s, s)})) for s in systems
    }
    f.lab.plug_unused(one, two)
    try:
        deadline = time.monotonic() + FAULT_TIMEOUT_S
        while True:
            raised, causes = f.raised(), f.causes()
            got = {(c["kind"], c["subject"], frozenset(c["symptoms"])) for c in causes}
            if raised == expected and f.heard({one, two}) == heard and got == causes_expected:
                break
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"plug_unused {one} -- {two}: after {FAULT_TIMEOUT_S:.0f} s\n"
                    f"  missing: {sorted(expected - raised)}\n"
                    f"  unexpected: {sorted(raised - expected)}\n"
                    f"  heard: {f.heard({one, two})} (expected {heard})\n"
                    f"  causes: {sorted(got)}\n"
                    f"  observed: {f.observed({one, two})}"
                )
            time.sleep(0.5)
    finally:
        f.lab.repair()  # always: the later tests need the lab as it was
    _wait_clear(f, "after unplugging the unused ports")
    cleared = {c["uid"] for c in f.causes("cleared")}
    assert {c["uid"] for c in causes} <= cleared
    states = {
        (r["type"], r["subject"], r["device"]): r["state"] for r in f.graph.read(ANOMALIES, bp=f.bp)
    }
    assert {states[a] for a in expected} == {"cleared"}
    # back to unused: no cable in the lab's record, both ports shut again
    plugged = {e for pair in f.lab.status()["cabling"] for e in pair}
    assert not plugged & {one, two}
    assert [read_port(parse_endpoint(p)).admin_up for p in (one, two)] == [False, False]


def test_server_down(f: LabFabric) -> None:
    servers = [s.id for s in f.cabling.design.systems if s.role == Role.SERVER]
    dual = next(s for s in servers if len(f.cabling.links_of(s)) == 2)  # loses both paths
    f.lab.server_down(dual)
    cause = _check_fault(f, "server_down", expect.server_down(f.cabling, dual))
    assert cause["subject"] == dual
    _repaired(f, cause)


BGPD_TIMEOUT_S = 30.0


def test_a_killed_bgpd_is_a_routing_daemon_down_that_watchfrr_heals(f: LabFabric) -> None:
    """kill -9 bgpd on a leaf: one root cause ``routing_daemon_down`` (never
    ``oob_change``, although the running config lacks the BGP section meanwhile) explains
    what the fault implies; watchfrr restarts bgpd and everything clears by itself."""
    leaf = next(s for s in f.cabling.switches() if f.cabling.role(s) == Role.LEAF)
    implied = expect.routing_daemon_down(f.cabling, leaf)
    netns = f.lab.netns(leaf)
    started = time.monotonic()
    killed = f.lab.daemon_kill(leaf, "bgpd")
    kinds_seen: set[str] = set()
    explained: set[Anomaly] = set()
    deadline = started + BGPD_TIMEOUT_S
    while not {("routing_daemon_down", leaf, leaf), ("config_deviation", leaf, leaf)} <= explained:
        for cause in f.causes():
            kinds_seen.add(cause["kind"])
            if cause["kind"] == "routing_daemon_down" and cause["subject"] == leaf:
                explained |= cause["symptoms"]
        assert time.monotonic() < deadline, (
            f"no routing_daemon_down cause of {leaf} within {BGPD_TIMEOUT_S:.0f} s: "
            f"causes seen {sorted(kinds_seen)}, raised {sorted(f.raised())}"
        )
        time.sleep(0.2)
    detected = time.monotonic() - started
    assert explained <= implied, sorted(explained - implied)
    # no manual action: watchfrr restarts bgpd (a new process), and every anomaly clears
    restarted = eventually_running(netns, "bgpd", exclude=killed["pids"], timeout=BGPD_TIMEOUT_S)
    # while bgpd was down, the only diagnosis was the daemon (never an out-of-band change)
    assert kinds_seen == {"routing_daemon_down"}, kinds_seen
    deadline = time.monotonic() + CLEAR_TIMEOUT_S
    recovering: set[str] = set()
    while f.raised() or f.causes():
        recovering |= {c["kind"] for c in f.causes()}
        assert time.monotonic() < deadline, (
            f"after bgpd restarted: still raised {sorted(f.raised())}, "
            f"causes {[(c['kind'], c['subject']) for c in f.causes()]}"
        )
        time.sleep(0.2)
    healed = time.monotonic() - started
    # coming back is no out-of-band change either
    assert recovering <= {"routing_daemon_down"}, recovering
    [cause] = [c for c in f.causes("cleared") if c["kind"] == "routing_daemon_down"]
    assert cause["subject"] == leaf
    print(
        f"bgpd killed on {leaf}: routing_daemon_down after {detected:.1f} s, restarted "
        f"(pid {restarted}) and all clear after {healed:.1f} s"
    )
    f.lab.repair()  # forgets the recorded fault: bgpd runs already, nothing to do
    # one bgpd runs, not the killed one (watchfrr may have restarted it again meanwhile:
    # it restarts a daemon that does not answer in time, as on a loaded switch)
    running = daemons.running_named(netns, "bgpd")
    assert len(running) == 1 and running[0] not in killed["pids"], (running, killed)


def eventually_running(netns: str, comm: str, exclude: list[int], timeout: float) -> int:
    deadline = time.monotonic() + timeout
    while True:
        fresh = [p for p in daemons.running_named(netns, comm) if p not in exclude]
        if fresh:
            return fresh[0]
        assert time.monotonic() < deadline, f"{comm} not restarted within {timeout:.0f} s"
        time.sleep(0.2)


@pytest.fixture
def f(fabric: LabFabric) -> LabFabric:
    return fabric
