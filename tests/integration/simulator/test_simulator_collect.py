"""SIMULATION (benchmark B14's device simulator) on the real Neo4j and Redis: the
collector's own round reaches simulated switches through the ``fgsim`` NAPALM driver
(TCP to the simulator process) and finds the fabric healthy; a switch the simulator
does not serve is unreachable like a dead device; a pushed config becomes the running
config; a device being pushed is left out of the collector's round. Not a stand-in for
the lab: this tests the simulator itself and the collector's choice of devices."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import napalm
import pytest
import redis

from blueprint_engine.blueprints import Blueprints
from blueprint_engine.devices.registry import Devices
from blueprint_engine.graph.db import Graph, Query
from blueprint_engine.settings import Settings
from simulator.devices import forget_devices, register_devices, serial_prefix
from workers.collect import collect_round
from workers.drivers import open_driver
from workers.lease import Lease

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[3]
COUNTERS = Query(
    "test.simulator.counters",
    "MATCH (o:Observation {blueprint: $bp, kind: 'counters'}) RETURN o.value AS value",
)
RAISED = Query(
    "test.sim.raised",
    "MATCH (a:Anomaly {blueprint: $bp, state: 'raised'}) RETURN a.type AS type, a.subject AS s",
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class Simulated:
    bp: str
    port: int


@pytest.fixture(scope="module")
def simulated(graph: Graph) -> Iterator[Simulated]:
    blueprints = Blueprints(graph)
    bp, port = f"t-sim-{uuid.uuid4().hex[:6]}", _free_port()
    blueprints.create(bp, "lab")
    register_devices(graph, bp, "127.0.0.1", port, queue=f"t-unserved-{bp}")
    argv = [
        sys.executable,
        "-m",
        "simulator",
        "serve",
        bp,
        "--port",
        str(port),
        "--latency-ms",
        "5",
        "--jitter-ms",
        "2",
        "--open-ms",
        "5",
    ]
    proc = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert proc.poll() is None, "the simulator exited during start"
                assert time.monotonic() < deadline, "the simulator did not listen within 60 s"
                time.sleep(0.1)
        yield Simulated(bp, port)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        forget_devices(graph, bp)
        blueprints.delete(bp)


def test_a_round_over_the_fgsim_driver_finds_the_simulated_fabric_healthy(
    graph: Graph, settings: Settings, simulated: Simulated
) -> None:
    client = redis.Redis.from_url(settings.redis_url)
    try:
        first = collect_round(graph, client, simulated.bp)
        again = collect_round(graph, client, simulated.bp)
    finally:
        client.close()
    assert first["devices"] == 6 and first["unreachable"] == [] and first["errors"] == {}
    assert first["observations"] > 6 * 5  # device, config and per-port/session/route facts
    assert graph.read(RAISED, bp=simulated.bp) == []
    # the second round changes nothing but the counters of the linked ports, which grow
    # (at most all of them: the periodic collection may have run a round in between)
    counters = [json.loads(r["value"]) for r in graph.read(COUNTERS, bp=simulated.bp)]
    assert counters and all(c["rx_bps"] > 0 and c["errors_ps"] == 0 for c in counters)
    assert again["changed"] <= len(counters) and again["anomalies_raised"] == 0


def test_a_switch_the_simulator_does_not_serve_is_unreachable(
    graph: Graph, settings: Settings, simulated: Simulated
) -> None:
    serial = serial_prefix(simulated.bp) + "spine1"
    device = Devices(graph).get(serial)
    driver = napalm.get_network_driver("fgsim")(
        "127.0.0.1", optional_args={**device.driver_args, "switch": f"{simulated.bp}/nope"}
    )
    with pytest.raises(napalm.base.exceptions.ConnectionException, match="no simulated switch"):
        driver.open()


def test_a_pushed_config_becomes_the_running_config(graph: Graph, simulated: Simulated) -> None:
    driver = open_driver(Devices(graph).get(serial_prefix(simulated.bp) + "rack1-leaf1"))
    try:
        before = driver.get_config(retrieve="running")["running"]
        driver.load_replace_candidate(config=before + "### extra\n")
        assert "+### extra" in driver.compare_config()
        driver.commit_config()
        assert driver.get_config(retrieve="running")["running"] == before + "### extra\n"
        assert driver.compare_config() == ""
    finally:
        driver.close()


def test_a_device_being_pushed_is_left_out_of_the_round_until_its_push_ends(
    graph: Graph, settings: Settings, simulated: Simulated
) -> None:
    serial = serial_prefix(simulated.bp) + "rack2-leaf1"
    devices = Devices(graph)
    client = redis.Redis.from_url(settings.redis_url)
    try:
        with Lease(client, serial) as held:  # what a push holds, and what it records first
            assert held
            devices.push_started(serial)
            during = collect_round(graph, client, simulated.bp)
        # the lease gone while the graph still says "in progress": a push whose worker died
        after = collect_round(graph, client, simulated.bp)
    finally:
        client.close()
    assert during["skipped_pushing"] == ["rack2-leaf1"] and during["devices"] == 5
    assert after["skipped_pushing"] == [] and after["devices"] == 6
    assert after["unreachable"] == []
