"""Probes on the real lab: a user-defined probe on an interface's discard rate and the
predefined flapping probe raise their anomalies when the lab makes real discards or
flaps a link, and clear afterwards; every state is waited for, bounded.

Discards are real kernel drops: the server end of a leaf-server cable gets an MTU
larger than the leaf port's and sends frames that fit it but not the leaf, so the
veth drops each one at the leaf (``rx_dropped``, which the ``linuxfrr`` driver reads
from the kernel's stats). This kernel has no ``sch_netem``, so no corrupted frames;
servers are not observed, so nothing else changes::

    rack1-server1 eth (MTU leaf+1000) --[frames of leaf MTU + 200]--> rack1-leaf1 swp (drops)

The flap is the lab's own cable cut and repair, twice, each state seen by a
collection round before the next (four oper-state changes inside a minute).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from blueprint_engine.blueprints import Blueprints
from blueprint_engine.design.model import LinkRole, Role
from blueprint_engine.design.reader import read_cabling
from blueprint_engine.graph.db import Graph, Query
from lab import Lab
from telemetry.probes import store
from tests.integration.lab.helpers import deployed_lab

pytestmark = [pytest.mark.lab, pytest.mark.integration]

RAISE_TIMEOUT_S = 90.0
CLEAR_TIMEOUT_S = 150.0  # the flapping window is a minute; rounds slow under load
ROUND_TIMEOUT_S = 45.0

PROBE_ANOMALIES = Query(
    "test.lab_probes.anomalies",
    """
    MATCH (a:Anomaly {blueprint: $bp, type: 'probe'})
    RETURN a.probe AS probe, a.subject AS subject, a.device AS device, a.state AS state,
           a.probe_type AS probe_type, a.summary AS summary
    """,
)
OBSERVATION = Query(
    "test.lab_probes.observation",
    "MATCH (o:Observation {uid: $uid}) RETURN o.value AS value",
)

SENDER = """
import socket, sys, time
dst, size, seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
end = time.monotonic() + seconds
while time.monotonic() < end:
    s.sendto(b"x" * size, (dst, 9))
    time.sleep(0.005)
"""


def _definition() -> dict[str, Any]:
    return {
        "name": "leaf-server-drops",
        "scope": (
            "MATCH (:System {blueprint: $bp, role: 'leaf'})-[:HAS_INTERFACE]->(i:Interface)"
            "<-[:ENDPOINT]-(:Link {role: 'leaf_server'}) RETURN i.id AS subject"
        ),
        "kind": "counters",
        "field": "rx_discards",
        "processors": [
            {"type": "rate", "window_s": 10},
            {"type": "threshold", "op": "gt", "value": 5},
        ],
        "anomaly": {"type": "leaf_server_drops", "severity": "warning"},
        "description": "a leaf port dropping more than 5 received frames a second",
    }


@dataclass
class ProbeLab:
    blueprints: Blueprints
    lab: Lab
    bp: str

    @property
    def graph(self) -> Graph:
        return self.blueprints.graph

    def states(self, probe: str, subject: str) -> list[str]:
        rows = self.graph.read(PROBE_ANOMALIES, bp=self.bp)
        return [r["state"] for r in rows if r["probe"] == probe and r["subject"] == subject]

    def value(self, kind: str, observer: str, subject: str) -> dict[str, Any] | None:
        uid = f"{self.bp}/{kind}/{observer}/{subject}"
        rows = self.graph.read(OBSERVATION, uid=uid)
        return json.loads(rows[0]["value"]) if rows else None


def wait_for(what: str, check: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout:.0f} s")
        time.sleep(0.5)


@pytest.fixture(scope="module")
def lab(graph: Graph) -> Iterator[ProbeLab]:
    with deployed_lab(graph, "t-probe") as (blueprints, lab, bp):
        store.create(graph, bp, _definition(), "lab-test")
        yield ProbeLab(blueprints, lab, bp)


def _server_link(graph: Graph, bp: str) -> tuple[Any, Any]:
    """(leaf end, server end) of the first leaf-server link."""
    design = read_cabling(graph, bp)
    ifaces = {i.id: i for i in design.interfaces}
    roles = {s.id: s.role for s in design.systems}
    link = next(lk for lk in design.links if lk.role == LinkRole.LEAF_SERVER)
    a, b = ifaces[link.a], ifaces[link.b]
    return (a, b) if roles[a.system] != Role.SERVER else (b, a)


def _mtu(netns: str, port: str) -> int:
    shown = subprocess.run(
        ["ip", "-j", "-n", netns, "link", "show", "dev", port],
        check=True,
        capture_output=True,
        text=True,
        timeout=10,
    )
    return int(json.loads(shown.stdout)[0]["mtu"])


def _set_mtu(netns: str, port: str, mtu: int) -> None:
    subprocess.run(
        ["ip", "-n", netns, "link", "set", "dev", port, "mtu", str(mtu)], check=True, timeout=10
    )


def test_a_user_probe_raises_on_real_discards_and_clears_when_they_stop(lab: ProbeLab) -> None:
    leaf, server = _server_link(lab.graph, lab.bp)
    leaf_ns, server_ns = lab.lab.netns(leaf.system), lab.lab.netns(server.system)
    leaf_mtu, server_mtu = _mtu(leaf_ns, leaf.name), _mtu(server_ns, server.name)
    assert leaf.ipv4 is not None
    wait_for(
        "counters with rates on the leaf port",
        lambda: (lab.value("counters", leaf.system, leaf.id) or {}).get("rx_bps") is not None,
        ROUND_TIMEOUT_S,
    )
    assert lab.states("leaf-server-drops", leaf.id) == []
    _set_mtu(server_ns, server.name, leaf_mtu + 1000)
    argv = ["ip", "netns", "exec", server_ns, sys.executable, "-c", SENDER]
    sender = subprocess.Popen([*argv, leaf.ipv4.split("/")[0], str(leaf_mtu + 200), "120"])
    try:
        wait_for(
            "the user probe's anomaly on the dropping leaf port",
            lambda: lab.states("leaf-server-drops", leaf.id) == ["raised"],
            RAISE_TIMEOUT_S,
        )
        observed = lab.value("counters", leaf.system, leaf.id) or {}
        assert (observed.get("rx_discards") or 0) > 0  # the kernel's own drop counter
        wait_for(
            "the predefined error/discard rate probe on the same port",
            lambda: lab.states("interface-error-rate", leaf.id) == ["raised"],
            RAISE_TIMEOUT_S,
        )
    finally:
        sender.terminate()
        sender.wait(timeout=10)
        _set_mtu(server_ns, server.name, server_mtu)
    wait_for(
        "the user probe's anomaly cleared once the drops stopped",
        lambda: lab.states("leaf-server-drops", leaf.id) == ["cleared"],
        CLEAR_TIMEOUT_S,
    )
    wait_for(
        "the predefined error rate anomaly cleared",
        lambda: lab.states("interface-error-rate", leaf.id) == ["cleared"],
        CLEAR_TIMEOUT_S,
    )


def _fabric_port(graph: Graph, bp: str) -> tuple[str, str, str]:
    """(leaf, its port name, its interface id) of a spine-leaf link."""
    design = read_cabling(graph, bp)
    ifaces = {i.id: i for i in design.interfaces}
    roles = {s.id: s.role for s in design.systems}
    link = next(lk for lk in design.links if lk.role == LinkRole.SPINE_LEAF)
    end = next(ifaces[e] for e in (link.a, link.b) if roles[ifaces[e].system] == Role.LEAF)
    return end.system, end.name, end.id


def test_the_predefined_flapping_probe_raises_when_a_link_flaps_and_clears_after(
    lab: ProbeLab,
) -> None:
    leaf, port, iface = _fabric_port(lab.graph, lab.bp)

    def oper_up(want: bool) -> Callable[[], bool]:
        return lambda: (lab.value("interface", leaf, iface) or {}).get("oper_up") is want

    wait_for("the leaf port seen up", oper_up(True), ROUND_TIMEOUT_S)
    assert lab.states("interface-flapping", iface) == []
    for _ in range(2):  # down, up, down, up: four changes inside a minute
        lab.lab.cable_cut(leaf, port)
        wait_for("the cut seen by a collection round", oper_up(False), ROUND_TIMEOUT_S)
        lab.lab.repair()
        wait_for("the repair seen by a collection round", oper_up(True), ROUND_TIMEOUT_S)
    wait_for(
        "the flapping anomaly on the leaf port",
        lambda: lab.states("interface-flapping", iface) == ["raised"],
        RAISE_TIMEOUT_S,
    )
    rows = [r for r in lab.graph.read(PROBE_ANOMALIES, bp=lab.bp) if r["subject"] == iface]
    flapping = next(r for r in rows if r["probe"] == "interface-flapping")
    assert flapping["probe_type"] == "interface_flapping" and flapping["device"] == leaf
    wait_for(
        "the flapping anomaly cleared after a quiet minute",
        lambda: lab.states("interface-flapping", iface) == ["cleared"],
        CLEAR_TIMEOUT_S,
    )
