"""SIMULATION (benchmark B14's device simulator): what simulated switches answer, without
I/O. The collector's own mapping (``telemetry.collect_map``) must read a simulated
fabric as healthy, with every name and address taken from the blueprint, in the
shape the lab's recorded getters have."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from blueprint_engine.catalogue.entries import load_catalogue
from blueprint_engine.design.build import build_design
from blueprint_engine.design.model import BlueprintDesign, Role
from simulator.model import RECORDED, load_samples, samples_from, simulated_switches
from telemetry.collect_map import DeviceIntent, InterfaceIntent, SessionIntent, observations
from telemetry.model import ObservationKind

CATALOGUE = Path(__file__).resolve().parents[3] / "fixtures" / "catalogue"


def intents_of(d: BlueprintDesign) -> list[DeviceIntent]:
    """The collector's intent of every switch, computed from the design (as
    ``telemetry.collect_intent`` reads it from the graph)."""
    systems = {s.id: s for s in d.systems}
    xcvr = {x.interface: x.id for x in d.transceivers}
    out = []
    for s in d.systems:
        if s.role == Role.SERVER:
            continue
        ifaces = tuple(
            InterfaceIntent(i.id, i.name, xcvr.get(i.id)) for i in d.interfaces if i.system == s.id
        )
        sessions = tuple(
            SessionIntent(x.id, x.b_ip if x.a == s.id else x.a_ip, peer, systems[peer].loopback)
            for x in d.sessions
            if s.id in (x.a, x.b)
            for peer in [x.b if x.a == s.id else x.a]
        )
        out.append(DeviceIntent(d.name, s.id, s.hostname, ifaces, sessions, serial=f"S-{s.id}"))
    return out


@pytest.fixture(scope="module", params=["lab", "lab-evpn", "medium"])
def fabric(request: pytest.FixtureRequest) -> tuple[BlueprintDesign, list[DeviceIntent]]:
    design = build_design(load_catalogue(CATALOGUE), request.param, "sim")
    return design, intents_of(design)


def test_the_collector_reads_a_simulated_fabric_as_healthy(
    fabric: tuple[BlueprintDesign, list[DeviceIntent]],
) -> None:
    design, intents = fabric
    answers = simulated_switches(design, intents, load_samples())
    systems = {s.id: s for s in design.systems}
    ifaces = {i.id: i for i in design.interfaces}
    peer = {lk.a: lk.b for lk in design.links} | {lk.b: lk.a for lk in design.links}
    assert set(answers) == {i.system for i in intents}
    for intent in intents:
        obs = observations(intent, {"errors": {}, **answers[intent.system]}, at=0.0)
        by_kind: dict[ObservationKind, list[dict[str, object]]] = {}
        for ob in obs:
            by_kind.setdefault(ob.kind, []).append({"subject": ob.subject, **ob.value})
        assert by_kind[ObservationKind.DEVICE] == [
            {"subject": intent.system, "reachable": True, "hostname": intent.hostname}
        ]
        for o in by_kind[ObservationKind.INTERFACE]:
            cabled = str(o["subject"]) in peer  # unused ports are intended (and seen) down
            assert (o["oper_up"], o["admin_up"]) == (cabled, cabled), o
        for o in by_kind[ObservationKind.LLDP]:
            if str(o["subject"]) not in peer:
                assert (o["neighbor"], o["port"]) == (None, None), o
                continue
            far = ifaces[peer[str(o["subject"])]]
            if systems[far.system].role == Role.SERVER:
                assert o["neighbor"] is None  # the lab's servers run no LLDP agent
            else:
                assert (o["neighbor"], o["port"]) == (systems[far.system].hostname, far.name)
        assert len(by_kind[ObservationKind.BGP]) == len(intent.sessions) > 0
        assert all(o["established"] for o in by_kind[ObservationKind.BGP])
        assert by_kind[ObservationKind.ROUTE]
        assert all(o["present"] for o in by_kind[ObservationKind.ROUTE])
        optics = by_kind.get(ObservationKind.OPTICS, [])
        assert len(optics) == sum(1 for i in intent.interfaces if i.transceiver)
        assert all(o["present"] and isinstance(o["rx_power_dbm"], float) for o in optics)


def test_simulated_answers_have_the_shape_of_the_recorded_lab_switches() -> None:
    design = build_design(load_catalogue(CATALOGUE), "lab", "sim")
    answers = simulated_switches(design, intents_of(design), load_samples())
    recorded = json.loads((RECORDED / "rack1-leaf1.json").read_text())
    leaf = answers["rack1-leaf1"]
    assert set(leaf["get_facts"]) == set(recorded["get_facts"])
    assert leaf["get_facts"]["interface_list"] == recorded["get_facts"]["interface_list"]
    for getter in ("get_interfaces", "get_lldp_neighbors_detail", "get_optics"):
        # optics: only the ports the blueprint puts a transceiver in (the lab reports all)
        assert set(leaf[getter]) <= set(recorded[getter]), getter
        assert getter == "get_optics" or set(leaf[getter]) == set(recorded[getter])
        for name, value in leaf[getter].items():
            assert type(value) is type(recorded[getter][name])
    sim_peers = leaf["get_bgp_neighbors"]["global"]["peers"]
    rec_peers = recorded["get_bgp_neighbors"]["global"]["peers"]
    assert set(sim_peers) == set(rec_peers)  # the same addresses, allocated from intent
    for ip, p in sim_peers.items():
        assert set(p) == set(rec_peers[ip])
        assert (p["remote_as"], p["local_as"], p["remote_id"]) == (
            rec_peers[ip]["remote_as"],
            rec_peers[ip]["local_as"],
            rec_peers[ip]["remote_id"],
        )
    for prefix, entries in leaf["get_route_to"].items():
        assert prefix in recorded["get_route_to"], prefix
        assert set(entries[0]) == set(recorded["get_route_to"][prefix][0])


def test_recordings_without_every_kind_of_record_are_refused() -> None:
    with pytest.raises(ValueError, match="no recorded switch"):
        samples_from([])
    recorded = json.loads((RECORDED / "spine1.json").read_text())
    with pytest.raises(ValueError, match="lack"):
        samples_from([{**recorded, "get_optics": {}}])
