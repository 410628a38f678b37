"""B7: a fault on the real lab → its anomalies and root cause visible in the graph
(target <= 1 s worst of the trials), through event-driven detection: the pool's
listener (``workers.listener``, started by ``make worker``) follows each switch's own
event stream (kernel link notifications, bgpd's neighbour state changes) and collects
a switch as soon as it reports a change; the periodic collection (Celery beat +
workers, NAPALM into the FRR namespaces) keeps running beside it as the safety net.
``events_listener`` in the result says whether the listener held every switch's
stream when the trials began (without it the figure is the polling one).

The ``lab`` blueprint is deployed into the lab (holding the machine-wide lab lock,
like the lab tests). Then, several times each, a spine-leaf cable is cut or a leaf
transceiver fails; the clock runs from the moment the fault takes effect on the
switches (``effect_at`` of the lab's fault: the old cable deleted, the module's
readings failed, ``vtysh`` started for an out-of-band change) until the graph holds
the open root cause of that kind explaining every anomaly the fault implies (both ends down,
the session over the link down at both ends, each end's route to the other's
loopback, and for a transceiver its fault), derived from the blueprint's cabling.
After each trial the fault is repaired and everything must clear before the next.
``value`` is the slowest trial; the median and every trial are reported too, with
the time of one whole collection round of the six switches (``round_s_median``), how
long the lab's injection call takes in all (``injection_s_median``) and how much of it
comes before the fault takes effect (``before_effect_s_median``: reading the ports'
settings; outside the clock) and after it (``after_effect_s_median``: re-creating the
ports, restarting lldpd on both switches). The graph is watched from the start of the
injection call, beside the lab's work, so that work neither adds to a trial nor hides
any of its detection time (it does load the 2 cores meanwhile).
``from_call_s`` gives each trial timed from the start of the injection call, as the
bench did before.

An out-of-band change (a BGP neighbour shut down by hand with ``vtysh`` on a leaf) is
the third kind: visible when its ``oob_change`` root cause explains the leaf's
``config_deviation`` and the device's deviation verdict (the gate that refuses pushes)
says so too: the detection time of an out-of-band change.
"""

from __future__ import annotations

import os
import statistics
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import redis

from bench.common import engine, write_result
from blueprint_engine.blueprints import Blueprints
from blueprint_engine.design.model import BlueprintDesign, Link, LinkRole
from blueprint_engine.design.reader import blueprint_lab_topology, read_cabling
from blueprint_engine.errors import ServiceUnavailableError
from blueprint_engine.graph.db import Query
from lab import Lab
from lab.lock import lab_lock
from labharness import rollout
from workers.collect import request_round
from workers.listener import stream_key

TRIALS_PER_KIND = 4  # twelve trials in all (the target is on the worst of ten or more)
KINDS = ("cable_cut", "transceiver_fault", "oob_change")
VISIBLE_TIMEOUT_S = 60.0
CLEAR_TIMEOUT_S = 90.0
POLL_S = 0.05
INJECT_TIMEOUT_S = 60.0

Symptom = tuple[str, str, str]  # (type, subject, device)

OPEN_CAUSES = Query(
    "bench.b7.open_causes",
    """
    MATCH (c:RootCause {blueprint: $bp, state: 'open'})
    OPTIONAL MATCH (c)-[:EXPLAINS]->(a:Anomaly {state: 'raised'})
    RETURN c.kind AS kind, c.subject AS subject,
           collect([a.type, a.subject, a.device]) AS symptoms
    """,
)
DEVIATION = Query(
    "bench.b7.deviation",
    "MATCH (d:Device)-[:ASSIGNED_TO]->(:System {uid: $uid}) RETURN d.deviation AS deviation",
)
RAISED = Query(
    "bench.b7.raised",
    "MATCH (a:Anomaly {blueprint: $bp, state: 'raised'}) RETURN count(a) AS n",
)


@contextmanager
def exclusive_lab() -> Iterator[Lab]:
    """The machine's lab lock (``lab.lock``), and no lab left running by someone else."""
    with lab_lock():
        lab = Lab()
        if lab.status().get("running"):
            raise ServiceUnavailableError(
                "a lab is already running here", allowed="stop it with `python -m lab down`"
            )
        yield lab


def _system(design: BlueprintDesign, interface: str) -> str:
    return next(i.system for i in design.interfaces if i.id == interface)


def link_symptoms(design: BlueprintDesign, link: Link) -> set[Symptom]:
    """What a spine-leaf link down implies (its ``a`` end is the spine)."""
    spine, leaf = _system(design, link.a), _system(design, link.b)
    session = f"{spine}--{leaf}"
    return {
        ("interface_down", link.a, spine),
        ("interface_down", link.b, leaf),
        ("bgp_session_down", session, spine),
        ("bgp_session_down", session, leaf),
        ("route_missing", leaf, spine),
        ("route_missing", spine, leaf),
    }


def _symptoms(design: BlueprintDesign, kind: str, link: Link) -> set[Symptom]:
    """What ``kind`` at the leaf end of ``link`` implies (an out-of-band neighbour
    shutdown takes the session down like a cut, without the interfaces)."""
    leaf = _system(design, link.b)
    symptoms = link_symptoms(design, link)
    if kind == "transceiver_fault":
        symptoms.add(("transceiver_fault", f"{link.b}:xcvr", leaf))
    if kind == "oob_change":
        symptoms = {s for s in symptoms if s[0] != "interface_down"}
        symptoms.add(("config_deviation", leaf, leaf))
    return symptoms


def _visible(bps: Blueprints, bp: str, kind: str, subject: str, symptoms: set[Symptom]) -> bool:
    for cause in bps.graph.read(OPEN_CAUSES, bp=bp):
        seen = {tuple(s) for s in cause["symptoms"] if s[0] is not None}
        if cause["kind"] == kind and cause["subject"] == subject and seen >= symptoms:
            return True
    return False


def _wait(check: Callable[[], bool], timeout: float, what: str) -> float:
    started = time.perf_counter()
    while not check():
        if time.perf_counter() - started > timeout:
            raise ServiceUnavailableError(
                f"B7: {what} not seen within {timeout:.0f} s",
                allowed="a running worker and beat on this queue (`make worker`)",
            )
        time.sleep(POLL_S)
    return time.perf_counter() - started


def _clear(bps: Blueprints, bp: str) -> bool:
    return not bps.graph.read(OPEN_CAUSES, bp=bp) and bps.graph.read(RAISED, bp=bp)[0]["n"] == 0


def _gated(bps: Blueprints, bp: str, system: str) -> bool:
    rows = bps.graph.read(DEVIATION, uid=f"{bp}/{system}")
    return bool(rows) and rows[0]["deviation"] not in (None, "none")


def _subject(kind: str, link: Link) -> str:
    """The subject of the root cause ``kind`` at the leaf end of ``link``."""
    if kind == "cable_cut":
        return link.id
    if kind == "transceiver_fault":
        return f"{link.b}:xcvr"
    return link.b.split(":")[0]


def _inject(lab: Lab, design: BlueprintDesign, kind: str, link: Link) -> float:
    """Inject ``kind`` at the leaf end of ``link``; when the fault took effect (epoch
    seconds, the lab's ``effect_at``)."""
    node, port = link.b.split(":")  # the leaf end
    if kind == "cable_cut":
        return float(lab.cable_cut(node, port)["effect_at"])
    if kind == "transceiver_fault":
        return float(lab.transceiver_fail(node, port)["effect_at"])
    spine_ip = next(i.ipv4 for i in design.interfaces if i.id == link.a)
    asn = next(s.asn for s in design.systems if s.id == node)
    assert spine_ip is not None and asn is not None
    shut = [f"router bgp {asn}", f"neighbor {spine_ip.split('/')[0]} shutdown"]
    return float(lab.oob_change(node, shut)["effect_at"])


@dataclass(frozen=True)
class Trial:
    seconds: float  # from the fault taking effect until visible
    from_call_s: float  # from the start of the injection call until visible
    before_effect_s: float  # of the injection call, before the fault took effect
    after_effect_s: float  # of the injection call, after it (beside detection)


def _trial(
    bps: Blueprints,
    lab: Lab,
    bp: str,
    design: BlueprintDesign,
    kind: str,
    link: Link,
    symptoms: set[Symptom],
) -> Trial:
    """One fault, timed from when it took effect (and from the injection call). The
    graph is watched while the lab injects (the lab's own work after the fault, such as
    restarting lldpd, runs beside detection and hides none of it)."""
    subject, leaf = _subject(kind, link), _system(design, link.b)
    done: dict[str, float] = {}
    failed: list[BaseException] = []

    def inject() -> None:
        try:
            done["effect_at"] = _inject(lab, design, kind, link)
        except BaseException as exc:  # re-raised by the trial once joined
            failed.append(exc)
        finally:
            done["ended"] = time.perf_counter()

    def visible() -> bool:
        if failed:
            raise failed[0]
        seen = _visible(bps, bp, kind, subject, symptoms)
        return seen and (kind != "oob_change" or _gated(bps, bp, leaf))

    wall, started = time.time(), time.perf_counter()
    injector = threading.Thread(target=inject, name="b7-inject", daemon=True)
    injector.start()
    _wait(visible, VISIBLE_TIMEOUT_S, kind)
    seen = time.perf_counter()
    injector.join(INJECT_TIMEOUT_S)
    if failed or "effect_at" not in done:
        raise (
            failed[0]
            if failed
            else ServiceUnavailableError(
                f"B7: the lab's {kind} did not end within {INJECT_TIMEOUT_S:.0f} s",
                allowed="a responsive lab (`python -m lab status`)",
            )
        )
    effect = started + (done["effect_at"] - wall)  # on the perf_counter clock
    lab.repair()
    _wait(lambda: _clear(bps, bp), CLEAR_TIMEOUT_S, f"{kind} cleared after repair")
    before = effect - started
    return Trial(seen - effect, seen - started, before, done["ended"] - effect)


def _streamed(bps: Blueprints, bp: str) -> bool:
    """Whether a listener holds the event stream of every switch of ``bp`` (waited for a
    few seconds: it reads the pool's devices every few seconds)."""
    client = redis.Redis.from_url(bps.graph.settings.redis_url)
    serials = [rollout.lab_serial(s) for s, _ in rollout.switches(bps, bp)]
    deadline = time.monotonic() + 15.0
    while time.monotonic() < deadline:
        if all(client.exists(stream_key(s)) for s in serials):
            return True
        time.sleep(0.2)
    return False


def run() -> None:
    bps = engine()
    bp = f"bench-b7-{uuid.uuid4().hex[:6]}"
    with exclusive_lab() as lab:
        bps.create(bp, "lab")
        rollout.forget_lab_devices(bps.graph)
        try:
            lab.up(blueprint_lab_topology(bps.graph, bp))
            rollout.register_lab_agents(bps, lab, bp)  # served by this checkout's workers
            design = read_cabling(bps.graph, bp)
            fabric = [lk for lk in design.links if lk.role == LinkRole.SPINE_LEAF]
            rollout.deploy_all(bps, bp, report=lambda _: None)
            rollout.wait_bgp(bps, bp, expected=2 * len(fabric), timeout=120)
            time.sleep(5.0)  # a few collection rounds: what convergence raised clears
            _wait(lambda: _clear(bps, bp), CLEAR_TIMEOUT_S, "a clean deployed fabric")
            streamed = _streamed(bps, bp)
            load_before = os.getloadavg()
            trials: dict[str, list[float]] = {k: [] for k in KINDS}
            done: list[Trial] = []
            for i in range(TRIALS_PER_KIND):
                for kind in trials:  # cuts from the first links, optics from the last
                    link = fabric[i if kind != "transceiver_fault" else len(fabric) - 1 - i]
                    symptoms = _symptoms(design, kind, link)
                    trial = _trial(bps, lab, bp, design, kind, link, symptoms)
                    trials[kind].append(round(trial.seconds, 3))
                    done.append(trial)
                    print(
                        f"{kind} on {link.id}: visible {trial.seconds:.3f} s after the fault"
                        f" ({trial.from_call_s:.3f} s after the injection call; the lab's"
                        f" work after the fault {trial.after_effect_s:.3f} s)",
                        flush=True,
                    )
            rounds = [request_round(bps.graph, bp)["seconds"] for _ in range(5)]
            every = [s for kind in KINDS for s in trials[kind]]
            write_result(
                "B7",
                max(every),
                "s",
                "<= 1 s",
                "lab",
                median_s=round(statistics.median(every), 3),
                cable_cut_s=trials["cable_cut"],
                transceiver_fault_s=trials["transceiver_fault"],
                oob_change_s=trials["oob_change"],
                collect_interval_s=bps.graph.settings.collect_interval_s,
                round_s_median=round(statistics.median(rounds), 3),
                injection_s_median=round(
                    statistics.median(t.before_effect_s + t.after_effect_s for t in done), 3
                ),
                before_effect_s_median=round(statistics.median(t.before_effect_s for t in done), 3),
                after_effect_s_median=round(statistics.median(t.after_effect_s for t in done), 3),
                from_call_s=[round(t.from_call_s, 3) for t in done],
                clock="from the fault taking effect on the switches (the lab's effect_at)",
                events_listener=streamed,
                load_before=[round(x, 2) for x in load_before],
                load_after=[round(x, 2) for x in os.getloadavg()],
            )
        finally:
            lab.down()
            rollout.forget_lab_devices(bps.graph)
            bps.delete(bp)
