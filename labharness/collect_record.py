"""Record what the collector's NAPALM getters return on the real lab, healthy and under
each fault of the lab's injector, for ``collect_map``'s unit tests.

``python -m labharness.collect_record OUT_DIR [CASE...]`` (root; waits for the machine's
lab lock; every case by default):
builds a fresh ``lab`` blueprint into the lab, deploys it, and writes
``OUT_DIR/<case>/<switch>.json`` (each getter's result, or ``{"unreachable": ...}``)
and ``OUT_DIR/<case>/fault.json`` (the injected fault as the lab recorded it). The
blueprint name is not part of any recorded value (hostnames are system ids).

``python -m labharness.collect_record --intent OUT_DIR`` (no lab) writes the
collector's intent of a fresh ``lab`` blueprint (``intent.json``) and its cabling
and sessions (``design.json``, what the tests derive expectations from).
"""

from __future__ import annotations

import json
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from blueprint_engine.blueprints import Blueprints
from blueprint_engine.design.reader import blueprint_lab_topology, read_cabling
from blueprint_engine.devices.registry import Devices
from blueprint_engine.errors import ServiceUnavailableError
from blueprint_engine.graph.db import Graph, Query
from blueprint_engine.settings import load_settings
from lab import Lab
from lab.lock import lab_lock
from labharness import rollout
from telemetry.collect_intent import read_intents
from workers.collect import run_getters
from workers.drivers import open_driver

SETTLE_S = 6.0  # BGP hold/connected-route loss and an LLDP refresh (tx-interval 5 s)


Fault = Callable[[Lab], dict[str, Any]]

CASES: dict[str, Fault | None] = {
    "healthy": None,
    "cable_cut": lambda lab: lab.cable_cut("spine1", "swp1"),
    "transceiver_fail": lambda lab: lab.transceiver_fail("rack2-leaf1", "swp2"),
    "device_offline": lambda lab: lab.device_offline("rack3-leaf2"),
    "oob_change": lambda lab: lab.oob_change("rack1-leaf1", ["ip route 192.0.2.0/24 blackhole"]),
    "swap_cables": lambda lab: lab.swap_cables("spine1:swp3", "spine1:swp4"),
    "server_down": lambda lab: lab.server_down("rack1-server1"),
    "daemon_kill": lambda lab: lab.daemon_kill("rack1-leaf1", "bgpd"),
}
# a crashed daemon is restarted by watchfrr 10-15 s later (lab.daemons): record before
# that (its peers see the session close at once)
SETTLE_CASE_S = {"daemon_kill": 1.5}


def record_switches(blueprints: Blueprints, bp: str, folder: Path) -> None:
    devices = Devices(blueprints.graph)
    folder.mkdir(parents=True, exist_ok=True)
    for system, _ in rollout.switches(blueprints, bp):
        try:
            driver = open_driver(devices.get(rollout.lab_serial(system)), devices)
        except ServiceUnavailableError as exc:
            result: dict[str, Any] = {"unreachable": exc.message}
        else:
            try:
                result = run_getters(driver)
            finally:
                driver.close()
        text = json.dumps(result, indent=1, sort_keys=True)
        (folder / f"{system}.json").write_text(text + "\n")


def main(out_dir: str, only: list[str] | None = None) -> None:
    graph = Graph(load_settings())
    blueprints = Blueprints(graph)
    lab = Lab()
    with lab_lock():
        bp = f"rec-{uuid.uuid4().hex[:6]}"
        blueprints.create(bp, "lab")
        try:
            lab.up(blueprint_lab_topology(graph, bp))
            rollout.register_lab_agents(blueprints, lab, bp)  # served by this checkout's workers
            rollout.deploy_all(blueprints, bp, report=print)
            rollout.wait_bgp(blueprints, bp, expected=16, timeout=60)
            time.sleep(SETTLE_S)
            for case, inject in CASES.items():
                if only and case not in only:
                    continue
                folder = Path(out_dir) / case
                fault = inject(lab) if inject else {}
                time.sleep(SETTLE_CASE_S.get(case, SETTLE_S))
                record_switches(blueprints, bp, folder)
                (folder / "fault.json").write_text(json.dumps(fault, sort_keys=True) + "\n")
                print(f"recorded {case}")
                if inject:
                    lab.repair()
                    rollout.wait_bgp(blueprints, bp, expected=16, timeout=60)
                    time.sleep(SETTLE_S)
        finally:
            lab.down()
            rollout.forget_lab_devices(graph)
            blueprints.delete(bp)
            graph.close()


SESSIONS = Query(
    "collect_record.sessions",
    """
    MATCH (s:BgpSession {blueprint: $bp})-[:PEER {side: 'a'}]->(a:System)
    MATCH (s)-[:PEER {side: 'b'}]->(z:System)
    OPTIONAL MATCH (s)-[:OVER]->(l:Link)
    RETURN s.id AS id, a.id AS a, z.id AS b, l.id AS link ORDER BY id
    """,
)


def write_intent(out_dir: str) -> None:
    graph = Graph(load_settings())
    blueprints = Blueprints(graph)
    bp = f"rec-{uuid.uuid4().hex[:6]}"
    blueprints.create(bp, "lab")
    try:
        intents = [asdict(i) | {"blueprint": "lab"} for i in read_intents(graph, bp)]
        design = read_cabling(graph, bp)
        out = {
            "systems": [
                {"id": s.id, "role": str(s.role), "loopback": s.loopback} for s in design.systems
            ],
            "links": [{"id": x.id, "a": x.a, "b": x.b} for x in design.links],
            "sessions": graph.read(SESSIONS, bp=bp),
        }
    finally:
        blueprints.delete(bp)
        graph.close()
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "intent.json").write_text(json.dumps(intents, indent=1, sort_keys=True) + "\n")
    (folder / "design.json").write_text(json.dumps(out, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    if sys.argv[1] == "--intent":
        write_intent(sys.argv[2])
    else:
        main(sys.argv[1], sys.argv[2:])
