"""SIMULATION: the simulator's request handling, without a socket."""

from __future__ import annotations

import json
from typing import Any

from blueprint_engine.catalogue.entries import load_catalogue
from blueprint_engine.design.build import build_design
from simulator.model import initial_running_config, load_samples, simulated_switches
from simulator.server import Latency, SimSwitch, Simulator
from tests.unit.simulator.test_simulated_switches import CATALOGUE, intents_of


def _simulator() -> Simulator:
    design = build_design(load_catalogue(CATALOGUE), "lab", "bp")
    answers = simulated_switches(design, intents_of(design), load_samples())
    switches = {
        f"bp/{k}": SimSwitch(
            v["get_facts"]["hostname"], v, initial_running_config(v["get_facts"]["hostname"])
        )
        for k, v in answers.items()
    }
    return Simulator(switches, Latency(0, 0, 0))


def _ask(sim: Simulator, state: dict[str, SimSwitch], **request: Any) -> Any:
    return json.loads(sim.handle(state, request))


def test_a_session_opens_one_switch_and_answers_its_getters() -> None:
    sim, state = _simulator(), dict[str, SimSwitch]()
    assert "error" in _ask(sim, state, op="get", getter="get_facts")  # not opened yet
    assert _ask(sim, state, op="open", switch="bp/spine1") == {"ok": {"hostname": "spine1"}}
    facts = _ask(sim, state, op="get", getter="get_facts")["ok"]
    assert facts["hostname"] == "spine1"
    rib = _ask(sim, state, op="get", getter="get_route_to", args={"destination": ""})["ok"]
    one = next(iter(rib))
    only = _ask(sim, state, op="get", getter="get_route_to", args={"destination": one})["ok"]
    assert list(only) == [one]


def test_unknown_switches_getters_and_ops_are_refused_naming_what_is_allowed() -> None:
    sim, state = _simulator(), dict[str, SimSwitch]()
    refused = _ask(sim, state, op="open", switch="bp/nope")["error"]
    assert "no simulated switch named 'bp/nope'" in refused and "6 switches" in refused
    _ask(sim, state, op="open", switch="bp/spine1")
    assert "allowed: get_facts" in _ask(sim, state, op="get", getter="get_secrets")["error"]
    assert "allowed: open, get" in _ask(sim, state, op="reboot")["error"]


def test_a_committed_candidate_becomes_running_and_a_discarded_one_does_not() -> None:
    sim, state = _simulator(), dict[str, SimSwitch]()
    _ask(sim, state, op="open", switch="bp/rack1-leaf1")
    running = _ask(sim, state, op="get", getter="get_config", args={"retrieve": "running"})
    assert running["ok"]["running"] == initial_running_config("rack1-leaf1")
    _ask(sim, state, op="load_replace", config="hostname x\n")
    assert "+hostname x" in _ask(sim, state, op="compare")["ok"]
    _ask(sim, state, op="discard")
    assert _ask(sim, state, op="compare")["ok"] == ""
    _ask(sim, state, op="load_replace", config="hostname x\n")
    _ask(sim, state, op="commit")
    after = _ask(sim, state, op="get", getter="get_config", args={"retrieve": "running"})
    assert after["ok"]["running"] == "hostname x\n"
