"""Day-2 operations on the real lab, through Celery workers and the NAPALM driver.

One deployed `lab` blueprint for the module (see ``deployed_lab``); the tests run
in file order and each leaves the fabric deployed, except the last one, which
walks rack1-leaf1 out of the blueprint: drain -> undeploy -> unassign.

The running config after each step is compared with the stage the seed names,
rendered independently of what the workers stored.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from blueprint_engine.blueprints import Blueprints
from blueprint_engine.design.reader import read_cabling
from blueprint_engine.devices.lifecycle import DeviationStatus, Event
from blueprint_engine.devices.reconcile import ConfirmationRequiredError
from blueprint_engine.devices.registry import Devices
from blueprint_engine.errors import ConflictError, TransitionError
from blueprint_engine.events import EventKind, channel
from blueprint_engine.graph.db import Graph, Query
from blueprint_engine.settings import Settings
from lab import Lab
from labharness.rollout import lab_serial, switches
from renderers.context import Stage
from tests.integration.lab.helpers import deployed_lab, eventually
from workers.app import app as celery_app
from workers.collect import request_round
from workers.device_ops import DeviceOps
from workers.drivers import open_driver
from workers.lease import Lease
from workers.stages import config_for

pytestmark = [pytest.mark.lab, pytest.mark.integration]

ROOT = Path(__file__).resolve().parents[3]
LEAF = "rack1-leaf1"
SERIAL = lab_serial(LEAF)
OOB_LINE = "ip route 192.0.2.0/24 Null0"

Fabric = tuple[Blueprints, Lab, str]


@pytest.fixture(scope="module")
def fabric(graph: Graph) -> Iterator[Fabric]:
    with deployed_lab(graph, "t-ops") as deployed:
        yield deployed


@pytest.fixture(scope="module")
def ops(graph: Graph, settings: Settings) -> DeviceOps:
    return DeviceOps(graph, redis.Redis.from_url(settings.redis_url))


def running(devices: Devices, serial: str) -> str:
    driver: Any = open_driver(devices.get(serial))
    try:
        return str(driver.get_config(retrieve="running")["running"])
    finally:
        driver.close()


def differences(blueprints: Blueprints, serial: str, stage: Stage) -> str:
    """What the device runs beyond ``stage`` as rendered now from the graph ("" if exact)."""
    devices = Devices(blueprints.graph)
    device = devices.get(serial)
    driver: Any = open_driver(device)
    try:
        driver.load_replace_candidate(config=config_for(device, stage, blueprints, devices))
        diff = str(driver.compare_config())
        driver.discard_config()
        return diff
    finally:
        driver.close()


def running_is(blueprints: Blueprints, serial: str, stage: Stage) -> bool:
    return differences(blueprints, serial, stage) == ""


def commit(blueprints: Blueprints, bp: str, *edits: dict[str, Any]) -> None:
    version = blueprints.staging.version(bp)
    for edit in edits:
        version = blueprints.staging.stage(bp, edit, base_version=version, author="test")
    blueprints.commit(bp, base_version=version, author="test", message="test change")


def converged(result: dict[str, Any] | None) -> bool:
    """The reconcile that followed an event pushed, or found a sweep had already done so."""
    return result is not None and result["status"] in ("succeeded", "none")


def deviation(devices: Devices, serial: str) -> DeviationStatus:
    return devices.get(serial).record.deviation


def test_an_out_of_band_change_opens_a_deviation_that_blocks_deploys_until_accepted(
    fabric: Fabric, ops: DeviceOps
) -> None:
    blueprints, lab, _ = fabric
    devices = ops.devices
    golden = devices.configs(SERIAL)["golden"]
    lab.oob_change(LEAF, [OOB_LINE])
    # found by the periodic collection round on the workers (Celery beat)
    eventually(lambda: deviation(devices, SERIAL) is DeviationStatus.OPEN, timeout=45)
    assert OOB_LINE in devices.configs(SERIAL)["running"]

    with pytest.raises(TransitionError) as refused:
        ops.event(SERIAL, Event.DRAIN)
    assert "config deviation is open" in refused.value.message
    assert OOB_LINE in running(devices, SERIAL)  # nothing was pushed

    ops.accept_changes(SERIAL)
    assert deviation(devices, SERIAL) is DeviationStatus.ACCEPTED
    assert devices.configs(SERIAL)["golden"] == golden  # golden and intent untouched
    assert ops.reconcile(SERIAL)["status"] == "none"  # accepted: nothing to redo
    _, drained = ops.event(SERIAL, Event.DRAIN)  # deploys are allowed again
    assert converged(drained)
    assert differences(blueprints, SERIAL, Stage.DRAIN) == ""
    assert deviation(devices, SERIAL) is DeviationStatus.NONE
    _, back = ops.event(SERIAL, Event.DEPLOY)
    assert converged(back)
    assert differences(blueprints, SERIAL, Stage.SERVICE) == ""


def test_a_manual_full_push_needs_confirmation_and_overwrites_out_of_band_changes(
    fabric: Fabric, ops: DeviceOps
) -> None:
    blueprints, lab, _ = fabric
    devices = ops.devices
    lab.oob_change(LEAF, [OOB_LINE])
    eventually(lambda: deviation(devices, SERIAL) is DeviationStatus.OPEN, timeout=45)
    with pytest.raises(ConfirmationRequiredError) as refused:
        ops.full_push(SERIAL, confirm=False)
    assert "confirm" in str(refused.value.allowed)
    assert OOB_LINE in running(devices, SERIAL)

    result = ops.full_push(SERIAL, confirm=True)
    assert result["status"] == "succeeded" and result["push"] == "full"
    assert OOB_LINE not in running(devices, SERIAL)
    assert running_is(blueprints, SERIAL, Stage.SERVICE)
    assert devices.configs(SERIAL)["golden"] == running(devices, SERIAL)
    assert deviation(devices, SERIAL) is DeviationStatus.NONE
    assert devices.deployments(SERIAL, limit=1)[0]["manual"] is True


def test_a_push_the_device_refuses_unsets_golden_and_opens_a_deviation(
    fabric: Fabric, ops: DeviceOps
) -> None:
    """The Linux/FRR driver refuses bridges/SVIs: a virtual network on rack1 cannot be
    deployed to its leaf. Golden is unset, the failure recorded, a deviation opened."""
    blueprints, _, bp = fabric
    devices = ops.devices
    before = running(devices, SERIAL)
    commit(
        blueprints,
        bp,
        {"kind": "add_virtual_network", "params": {"name": "vn-fail", "racks": ["rack1"]}},
    )
    failed = ops.reconcile(SERIAL)
    assert failed["status"] == "failed", failed
    assert "golden" not in devices.configs(SERIAL)
    state = devices.get(SERIAL)
    assert state.record.deviation is DeviationStatus.OPEN
    latest = devices.deployments(SERIAL, limit=1)[0]
    assert latest["status"] == "failed" and latest["detail"]
    assert running(devices, SERIAL) == before  # the candidate was discarded

    def both_anomalies() -> bool:  # the collector reports the device's config state
        request_round(blueprints.graph, bp)
        return {"deployment_failure", "config_deviation"} <= raised_on(blueprints.graph, bp)

    eventually(both_anomalies, timeout=60, interval=1)

    # the intent goes back, but nothing is known good on the device until an operator acts
    commit(blueprints, bp, {"kind": "remove_virtual_network", "params": {"name": "vn-fail"}})
    blocked = ops.reconcile(SERIAL)
    assert blocked["status"] == "blocked" and "deviation" in blocked["reason"]
    assert ops.full_push(SERIAL, confirm=True)["status"] == "succeeded"
    assert devices.configs(SERIAL)["golden"] == running(devices, SERIAL)
    assert deviation(devices, SERIAL) is DeviationStatus.NONE

    def cleared() -> bool:
        request_round(blueprints.graph, bp)
        return not {"deployment_failure", "config_deviation"} & raised_on(blueprints.graph, bp)

    eventually(cleared, timeout=60, interval=1)


def test_a_drain_right_after_the_deviation_anomaly_appears_is_refused(
    fabric: Fabric, ops: DeviceOps
) -> None:
    """The anomaly the operator sees and the gate that refuses pushes are one fact: as
    soon as ``config_deviation`` is raised on the leaf, a drain is refused and nothing is
    pushed over the out-of-band change (several trials: the race was intermittent)."""
    blueprints, lab, bp = fabric
    devices = ops.devices
    for trial in range(3):
        line = f"ip route 192.0.2.{trial}/32 Null0"
        changed = time.monotonic()
        lab.oob_change(LEAF, [line])
        eventually(
            lambda: "config_deviation" in raised_on(blueprints.graph, bp), timeout=30, interval=0.05
        )
        print(
            f"trial {trial}: config_deviation visible {time.monotonic() - changed:.2f} s "
            "after the out-of-band change"
        )
        with pytest.raises(TransitionError) as refused:
            ops.event(SERIAL, Event.DRAIN)
        assert "config deviation is open" in refused.value.message
        assert line in running(devices, SERIAL)  # nothing was pushed over it
        assert ops.full_push(SERIAL, confirm=True)["status"] == "succeeded"
        eventually(
            lambda: "config_deviation" not in raised_on(blueprints.graph, bp),
            timeout=30,
            interval=0.2,
        )
        assert deviation(devices, SERIAL) is DeviationStatus.NONE


def _manual_push_active(serial: str) -> bool:
    active = celery_app.control.inspect(timeout=1).active() or {}
    return any(
        t["name"] == "fabricgraph.manual_full_push" and serial in json.dumps(t["args"])
        for tasks in active.values()
        for t in tasks
    )


def test_a_confirmed_full_push_queues_behind_a_held_lease_then_says_until_when(
    fabric: Fabric, ops: DeviceOps, settings: Settings
) -> None:
    """A routine job holding the device's lease does not refuse an operator's confirmed
    full push with wait: it runs once the lease is free; held past its bounded wait, it
    fails with a conflict naming until when, in ISO 8601 UTC."""
    blueprints, _, _ = fabric
    client = redis.Redis.from_url(settings.redis_url)
    results: list[dict[str, Any]] = []
    with Lease(client, SERIAL) as held:  # what a sweep's push holds
        assert held
        pushing = threading.Thread(
            target=lambda: results.append(ops.full_push(SERIAL, confirm=True, wait=True))
        )
        pushing.start()
        eventually(lambda: _manual_push_active(SERIAL), timeout=60, interval=0.5)
    pushing.join(timeout=180)
    assert [r["status"] for r in results] == ["succeeded"]
    assert running_is(blueprints, SERIAL, Stage.SERVICE)

    with Lease(client, SERIAL) as held, pytest.raises(ConflictError) as refused:
        assert held
        # waits 30 s for the lease: the other 30 s leave room for a busy worker to start it
        ops.full_push(SERIAL, confirm=True, wait=True, timeout=60)
    message = refused.value.message
    assert re.search(r"until \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", message), message
    assert not re.search(r"\b\d{10}\b", message), message  # no epoch seconds
    assert devices_converged(ops)


def devices_converged(ops: DeviceOps) -> bool:
    """After the refused push the device still reconciles to its intent."""
    return converged(ops.reconcile(SERIAL))


RAISED_ON_LEAF = Query(
    "test.raised_on_leaf",
    "MATCH (a:Anomaly {blueprint: $bp, device: $system, state: 'raised'}) RETURN a.type AS type",
)


def raised_on(graph: Graph, bp: str) -> set[str]:
    return {r["type"] for r in graph.read(RAISED_ON_LEAF, bp=bp, system=LEAF)}


def _kill_worker_group(settings_state: Path) -> None:
    pid = int((settings_state / "worker.pid").read_text())
    os.killpg(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)


def test_a_worker_killed_mid_deployment_is_healed_by_the_reconciler(
    fabric: Fabric, ops: DeviceOps, settings: Settings
) -> None:
    blueprints, _, _ = fabric
    devices = ops.devices
    state_dir = Path(os.environ.get("FG_STATE_DIR", ROOT / ".state"))
    client = redis.Redis.from_url(settings.redis_url)
    # redis-py: Redis.pubsub is unannotated
    progress = client.pubsub(ignore_subscribe_messages=True)  # type: ignore[no-untyped-call]
    progress.subscribe(channel(EventKind.DEPLOYMENT))
    ops.event(SERIAL, Event.DRAIN, wait=False)

    def push_started() -> bool:
        message = progress.get_message(timeout=0.05)
        event = json.loads(message["data"]) if message else {}
        return event.get("serial") == SERIAL and event.get("status") == "started"

    eventually(push_started, timeout=60, interval=0)
    _kill_worker_group(state_dir)  # kill -9 while the device's push holds its lease
    progress.close()
    subprocess.run([str(ROOT / "deploy/services.sh"), "start", "worker"], check=True)

    def healed() -> bool:
        device = devices.deploy_state(SERIAL)
        return device.golden_present and running_is(blueprints, SERIAL, Stage.DRAIN)

    eventually(healed, timeout=120, interval=2)  # lease expiry + the next sweep
    assert devices.configs(SERIAL)["golden"] == running(devices, SERIAL)
    assert deviation(devices, SERIAL) is DeviationStatus.NONE
    _, back = ops.event(SERIAL, Event.DEPLOY)
    assert converged(back)


def _received_from(devices: Devices, spine: str, peer_ip: str) -> tuple[bool, int]:
    driver: Any = open_driver(devices.get(lab_serial(spine)))
    try:
        peer = driver.get_bgp_neighbors()["global"]["peers"][peer_ip]
    finally:
        driver.close()
    return bool(peer["is_up"]), int(peer["address_family"]["ipv4"]["received_prefixes"])


def _leaf_addresses(blueprints: Blueprints, bp: str) -> dict[str, str]:
    """{spine: LEAF's address on the link to that spine}, from the blueprint's cabling."""
    design = read_cabling(blueprints.graph, bp)
    interfaces = {i.id: i for i in design.interfaces}
    out: dict[str, str] = {}
    for link in design.links:
        a, b = interfaces[link.a], interfaces[link.b]
        if b.system == LEAF and a.system.startswith("spine") and b.ipv4:
            out[a.system] = b.ipv4.split("/")[0]
    return out


def test_drain_withdraws_routes_while_sessions_stay_up_then_undeploy_and_unassign(
    fabric: Fabric, ops: DeviceOps
) -> None:
    blueprints, _, bp = fabric
    devices = ops.devices
    peers = _leaf_addresses(blueprints, bp)
    assert len(peers) == sum(1 for s, _ in switches(blueprints, bp) if s.startswith("spine"))

    def advertised() -> bool:  # the previous test brought the leaf back from drain
        seen = [_received_from(devices, spine, ip) for spine, ip in peers.items()]
        return all(up and received > 0 for up, received in seen)

    eventually(advertised, timeout=30)

    outcome, pushed = ops.event(SERIAL, Event.DRAIN)
    assert (str(outcome.state), str(outcome.deploy_mode)) == ("IS-READY", "drain")
    assert converged(pushed)
    assert running_is(blueprints, SERIAL, Stage.DRAIN)

    def withdrawn() -> bool:
        seen = [_received_from(devices, spine, ip) for spine, ip in peers.items()]
        return all(up and received == 0 for up, received in seen)

    eventually(withdrawn, timeout=30)  # every session up, nothing advertised

    outcome, pushed = ops.event(SERIAL, Event.UNDEPLOY)
    assert (str(outcome.state), str(outcome.deploy_mode)) == ("IS-READY", "undeploy")
    assert converged(pushed)
    assert running_is(blueprints, SERIAL, Stage.DISCOVERY2)

    outcome, pushed = ops.event(SERIAL, Event.UNASSIGN)
    assert (str(outcome.state), str(outcome.deploy_mode)) == ("OOS-READY", "not_set")
    assert converged(pushed)
    assert running_is(blueprints, SERIAL, Stage.DISCOVERY1)
    events = [e["event"] for e in devices.history(SERIAL)]
    assert events[-3:] == ["drain", "undeploy", "unassign"]
