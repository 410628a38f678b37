"""eos, nxos_ssh and junos devices registered end to end through the API on NAPALM's own
mock driver over recorded responses (fixtures/napalm_recordings: recordings, not live
devices): API -> worker task -> NAPALM (open, get_facts, get_config) -> graph, then the
push path (load_replace_candidate, compare_config, commit_config; discard on a failed
commit) through the reconciler, and re-registration keeping the state."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import pytest
import redis
from starlette.testclient import TestClient

from blueprint_engine.devices.lifecycle import Event
from blueprint_engine.devices.registry import Devices
from blueprint_engine.graph.db import Graph
from blueprint_engine.settings import Settings
from tests.integration.agents.helpers import (
    cleanup,
    credential_set,
    recorded_facts,
    recorded_running,
    wait_for,
)
from tests.integration.api_calls import OPERATOR, VIEWER, gql
from workers.device_ops import DeviceOps

pytestmark = pytest.mark.integration

VENDORS = [
    ("eos", "eos-dcs7060cx-recording", "arista-7060cx-32s"),
    ("nxos_ssh", "nxos-n9k-c9336c-recording", "cisco-n9k-c9336c-fx2"),
    ("junos", "junos-qfx5120-recording", "juniper-qfx5120-48y"),
]
RECORDINGS = [r for _, r, _ in VENDORS] + [
    "eos-dcs7060cx-old-nos-recording",
    "eos-dcs7060cx-commit-fails-recording",
]
SERIALS = sorted({str(recorded_facts(r)["serial_number"]) for r in RECORDINGS})

CREATE = """
mutation($agents: [AgentInput!]!) { createAgents(agents: $agents, waitS: 60) {
  name status reason detail serial credential } }
"""
DEVICE = """
query($s: String!) { device(serial: $s) { serial state deployMode hostname deviceProfile
  vendor model osVersion nosVersionOk nosVersionAllowed agent
  configs(stages: ["pristine"]) { stage text } } }
"""


@pytest.fixture
def names(graph: Graph) -> Iterator[list[str]]:
    made: list[str] = []
    cleanup(graph, [], SERIALS)  # the recordings' serials are fixed
    yield made
    cleanup(graph, made, SERIALS)


def _agent(name: str, platform: str, recording: str, credential: str) -> dict[str, object]:
    return {
        "name": name,
        "address": f"{name.replace('_', '-')}.mgmt.example.net",
        "platform": platform,
        "credential": credential,
        "options": {"recording": recording, "timeout": 5},
    }


def test_each_vendor_registers_quarantined_by_its_serial(
    client: TestClient, graph: Graph, names: list[str]
) -> None:
    tag = uuid.uuid4().hex[:6]
    with credential_set("fabricgraph", f"pw-{tag}") as cred:
        agents = [_agent(f"t-{p}-{tag}", p, rec, cred).copy() for p, rec, _ in VENDORS]
        names += [str(a["name"]) for a in agents]
        body = gql(client, CREATE, OPERATOR, agents=agents)
    assert "errors" not in body, body
    by_name = {a["name"]: a for a in body["data"]["createAgents"]}
    for (platform, recording, profile), agent in zip(VENDORS, agents, strict=True):
        row = by_name[agent["name"]]
        facts = recorded_facts(recording)
        assert (row["status"], row["serial"]) == ("registered", facts["serial_number"]), row
        device = gql(client, DEVICE, VIEWER, s=facts["serial_number"])["data"]["device"]
        assert device["state"] == "OOS-QUARANTINED" and device["deployMode"] == "not_set"
        assert device["deviceProfile"] == profile, platform
        assert (device["vendor"], device["model"], device["osVersion"]) == (
            facts["vendor"],
            facts["model"],
            facts["os_version"],
        )
        assert device["nosVersionOk"] is True and device["agent"] == agent["name"]
        assert device["configs"] == [{"stage": "pristine", "text": recorded_running(recording)}]
    metrics = client.get("/metrics").text.splitlines()
    for _, recording, profile in VENDORS:
        facts = recorded_facts(recording)
        info = [m for m in metrics if m.startswith("fabricgraph_device_info{")]
        line = next(m for m in info if f'serial="{facts["serial_number"]}"' in m)
        for label in (
            f'vendor="{facts["vendor"]}"',
            f'model="{facts["model"]}"',
            f'os_version="{facts["os_version"]}"',
            f'device_profile="{profile}"',
            'os_version_allowed="yes"',
        ):
            assert label in line, line
    assert any(m.startswith('fabricgraph_agents{reason="",status="registered"}') for m in metrics)


def test_rest_creates_and_lists_and_refuses_bad_agents(
    client: TestClient, graph: Graph, names: list[str]
) -> None:
    tag = uuid.uuid4().hex[:6]
    with credential_set("fabricgraph", f"pw-{tag}") as cred:
        agent = _agent(f"t-old-{tag}", "eos", "eos-dcs7060cx-old-nos-recording", cred)
        names.append(str(agent["name"]))
        made = client.post("/api/agents?wait_s=60", json=agent, headers=OPERATOR)
    assert made.status_code == 201, made.text
    assert made.json()[0]["status"] == "registered"
    listed = client.get(f"/api/agents/{agent['name']}").json()
    assert listed["serial"] == "JPE15090001" and listed["credential"] == cred
    device = gql(client, DEVICE, VIEWER, s="JPE15090001")["data"]["device"]
    assert device["nosVersionOk"] is False and device["nosVersionAllowed"] == "4.28.0..4.33.99"
    before = client.get("/api/agents").json()
    bad = client.post(
        "/api/agents",
        json={"agents": [{**agent, "name": f"t-bad-{tag}", "address": "x;rm -rf"}]},
        headers=OPERATOR,
    )
    assert bad.status_code == 400 and "address" in bad.text and "RFC 1123" in bad.text
    dup = client.post("/api/agents", json=agent, headers=OPERATOR)
    assert dup.status_code == 409 and str(agent["name"]) in dup.text
    assert client.get("/api/agents").json() == before  # refusals change nothing
    assert client.post("/api/agents", json=agent).status_code == 401
    paths = client.get("/api/openapi.json").json()["paths"]
    assert {"/api/agents", "/api/agents/{name}", "/api/agents/{name}/stop"} <= set(paths)


def test_push_paths_and_reregistration_keep_state(
    graph: Graph, settings: Settings, names: list[str]
) -> None:
    """Acknowledge pushes discovery 1 through the mock (load_replace_candidate,
    compare_config, commit_config, get_config); a recorded CommitError discards the
    candidate and records the failure; reconnecting keeps the managed state."""
    from workers.agent_ops import AgentOps

    tag = uuid.uuid4().hex[:6]
    ops = DeviceOps(graph, redis.Redis.from_url(settings.redis_url))
    with credential_set("fabricgraph", f"pw-{tag}") as cred:
        good = _agent(f"t-eos-{tag}", "eos", "eos-dcs7060cx-recording", cred)
        failing = _agent(f"t-fail-{tag}", "eos", "eos-dcs7060cx-commit-fails-recording", cred)
        names += [str(good["name"]), str(failing["name"])]
        rows = AgentOps(graph, settings.celery_queue).create(
            [good, failing], author="test", wait=60
        )
        assert [r["status"] for r in rows] == ["registered", "registered"], rows
        ok_serial, bad_serial = (str(r["serial"]) for r in rows)
        _, result = ops.event(ok_serial, Event.ACKNOWLEDGE, timeout=120)
        # the push is the event's own or, when a reconcile sweep reached the newly
        # acknowledged device first, the sweep's (the event then finds nothing to do)
        assert result is not None and result["status"] in ("succeeded", "none"), result
        devices = Devices(graph)
        deadline = time.monotonic() + 60
        while not devices.deployments(ok_serial) and time.monotonic() < deadline:
            time.sleep(0.2)
        deployment = devices.deployments(ok_serial)[0]
        assert deployment["status"] == "succeeded" and "candidate" in deployment["diff"]
        assert devices.configs(ok_serial)["golden"] == recorded_running("eos-dcs7060cx-recording")
        _, failed = ops.event(bad_serial, Event.ACKNOWLEDGE, timeout=120)
        # the failed push is the event's own or a sweep's that reached the device first
        # (the event then finds the device blocked until its retry time)
        assert failed is not None and failed["status"] in ("failed", "blocked"), failed
        (attempt,) = devices.deployments(bad_serial)
        assert attempt["status"] == "failed" and "CommitError" in attempt["detail"], attempt
        assert "golden" not in devices.configs(bad_serial)
        again = AgentOps(graph, settings.celery_queue).connect(str(good["name"]), wait=60)
    assert again["status"] == "registered" and again["serial"] == ok_serial
    assert devices.get(ok_serial).record.state is not None
    assert str(devices.get(ok_serial).record.state) == "OOS-READY"
    assert devices.configs(ok_serial)["pristine"] == recorded_running("eos-dcs7060cx-recording")


def test_no_profile_fits_names_the_candidates(graph: Graph, settings: Settings) -> None:
    """A junos recording declared as eos: the model fits no eos profile; refused, listed."""
    from workers.agent_ops import AgentOps

    tag = uuid.uuid4().hex[:6]
    name = f"t-wrong-{tag}"
    try:
        with credential_set("fabricgraph", f"pw-{tag}") as cred:
            AgentOps(graph, settings.celery_queue).create(
                [_agent(name, "eos", "junos-qfx5120-recording", cred)], author="t", wait=60
            )
        (row,) = wait_for(graph, [name], lambda r: r["status"] != "pending", 60)
        assert (row["status"], row["reason"]) == ("refused", "no_profile")
        assert "QFX5120-48Y" in row["detail"] and "arista-7060cx-32s" in row["detail"]
        assert row["serial"] is None
    finally:
        cleanup(graph, [name])


@pytest.mark.parametrize(("platform", "recording", "_profile"), VENDORS)
def test_driver_paths_on_each_recording(platform: str, recording: str, _profile: str) -> None:
    """The worker's driver construction over each recording: open, get_facts, get_config,
    load_replace_candidate, compare_config, commit_config, rollback."""
    from workers.credentials import Credential
    from workers.drivers import build_driver

    driver = build_driver(
        platform, "sw.mgmt.example.net", {"recording": recording}, Credential("u", "p")
    )
    driver.open()
    try:
        facts = driver.get_facts()
        assert facts == recorded_facts(recording)
        assert driver.get_config(retrieve="running")["running"] == recorded_running(recording)
        driver.load_replace_candidate(config="hostname intended\n")
        assert driver.compare_config().startswith("+hostname")
        driver.commit_config()
        driver.rollback()
        assert not driver.has_pending_commit()
    finally:
        driver.close()
