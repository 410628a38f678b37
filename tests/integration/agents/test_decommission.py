"""Decommissioning an onboarded switch (seed 001): undeploy -> unassign -> stop agent ->
delete, each step refused out of order naming the allowed next one, the graph unchanged
by a refusal. The switch is an eos device on NAPALM's mock recording, assigned to the
Arista spine of a two-NOS blueprint and deployed through the workers."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import redis

from blueprint_engine.blueprints import Blueprints
from blueprint_engine.devices.agents import Agents
from blueprint_engine.devices.lifecycle import Event
from blueprint_engine.devices.registry import Devices
from blueprint_engine.errors import TransitionError
from blueprint_engine.graph.db import Graph, Query
from blueprint_engine.settings import Settings
from tests.integration.agents.helpers import cleanup, credential_set, recorded_facts
from tests.integration.blueprint.test_configlets import mixed_template
from workers.agent_ops import AgentOps
from workers.device_ops import DeviceOps

pytestmark = pytest.mark.integration

RECORDING = "eos-dcs7060cx-recording"
SERIAL = str(recorded_facts(RECORDING)["serial_number"])
SNAPSHOT = Query(
    "test.decommission_snapshot",
    """
    MATCH (a:Agent {name: $name})
    OPTIONAL MATCH (a)-[:MANAGES]->(d:Device)
    OPTIONAL MATCH (d)-[r]->(x)
    RETURN a {.*} AS agent, d {.*, last_seen: null, last_collected_at: null,
           running_checked_at: null, liveness: null} AS device,
           count(r) AS edges
    """,
)
DROP_TEMPLATE = Query("test.drop_template", "MATCH (t:Template {name: $name}) DETACH DELETE t")


@pytest.fixture
def blueprint(graph: Graph) -> Iterator[tuple[Blueprints, str]]:
    blueprints = Blueprints(graph)
    tag = uuid.uuid4().hex[:8]
    template, bp = f"t-mixed-{tag}", f"t-decom-{tag}"
    blueprints.catalogues.create("templates", [mixed_template(template)], author="t", via="t")
    blueprints.create(bp, template)
    yield blueprints, bp
    blueprints.delete(bp)
    graph.write(DROP_TEMPLATE, name=template)


def _refused(graph: Graph, name: str, step: Any, next_step: str) -> None:
    before = graph.read(SNAPSHOT, name=name)
    with pytest.raises(TransitionError) as err:
        step()
    assert next_step in str(err.value), err.value
    assert graph.read(SNAPSHOT, name=name) == before


def test_decommission_in_order_only(
    graph: Graph, settings: Settings, blueprint: tuple[Blueprints, str]
) -> None:
    blueprints, bp = blueprint
    name = f"t-decom-{uuid.uuid4().hex[:6]}"
    cleanup(graph, [], [SERIAL])
    agents, devices = Agents(graph), Devices(graph)
    ops = DeviceOps(graph, redis.Redis.from_url(settings.redis_url), blueprints)
    try:
        with credential_set("admin", "pw") as cred:
            agent = {
                "name": name,
                "address": "192.0.2.11",
                "platform": "eos",
                "credential": cred,
                "options": {"recording": RECORDING},
            }
            (row,) = AgentOps(graph, settings.celery_queue).create([agent], author="t", wait=60)
            assert row["status"] == "registered", row
            _, result = ops.event(SERIAL, Event.ACKNOWLEDGE, timeout=120)
            assert result is not None and result["status"] == "succeeded", result
            _, result = ops.event(SERIAL, Event.ASSIGN, blueprint=bp, system="spine1", timeout=120)
            assert result is not None and result["status"] == "succeeded", result
            version = blueprints.staging.stage(
                bp,
                {"kind": "set_deploy_mode", "params": {"system": "spine1", "mode": "deploy"}},
                base_version=blueprints.staging.version(bp),
                author="t",
            )
            blueprints.commit(bp, base_version=version, author="t", message="deploy spine1")
            _, result = ops.event(SERIAL, Event.DEPLOY, timeout=120)
            assert result is not None and result["status"] == "succeeded", result

            _refused(graph, name, lambda: agents.stop(name), "next step: undeploy")
            _refused(graph, name, lambda: agents.delete(name), "next step: undeploy")
            _refused(graph, name, lambda: devices.event(SERIAL, Event.UNASSIGN), "undeploy")
            ops.event(SERIAL, Event.UNDEPLOY, timeout=120)
            _refused(graph, name, lambda: agents.stop(name), "next step: unassign")
            _refused(graph, name, lambda: agents.delete(name), "next step: unassign")
            ops.event(SERIAL, Event.UNASSIGN, timeout=120)
            _refused(graph, name, lambda: agents.delete(name), "next step: stop_agent")
            stopped = agents.stop(name)
            assert stopped["status"] == "stopped"
            assert str(devices.get(SERIAL).record.liveness) == "unavailable"
            agents.delete(name)
        assert agents.list([name]) == [] and devices.find(None, [SERIAL]) == []
    finally:
        cleanup(graph, [name], [SERIAL])


ANOMALY = Query(
    "test.nos_anomaly",
    "MATCH (a:Anomaly {uid: $uid}) RETURN a.state AS state, a.type AS type",
)


def test_an_assigned_device_outside_its_os_range_raises_nos_version_mismatch(
    graph: Graph, settings: Settings, blueprint: tuple[Blueprints, str]
) -> None:
    from telemetry.engine import reevaluate
    from telemetry.evaluate import AnomalyType, anomaly_uid

    blueprints, bp = blueprint
    recording = "eos-dcs7060cx-old-nos-recording"
    serial = str(recorded_facts(recording)["serial_number"])
    name = f"t-oldnos-{uuid.uuid4().hex[:6]}"
    cleanup(graph, [], [serial])
    client = redis.Redis.from_url(settings.redis_url)
    ops = DeviceOps(graph, client, blueprints)
    try:
        with credential_set("admin", "pw") as cred:
            agent = {
                "name": name,
                "address": "192.0.2.12",
                "platform": "eos",
                "credential": cred,
                "options": {"recording": recording},
            }
            (row,) = AgentOps(graph, settings.celery_queue).create([agent], author="t", wait=60)
            assert row["status"] == "registered", row
            ops.event(serial, Event.ACKNOWLEDGE, timeout=120)
            ops.event(serial, Event.ASSIGN, blueprint=bp, system="spine1", timeout=120)
        reevaluate(graph, client, bp, ["spine1"])
        uid = anomaly_uid(bp, AnomalyType.NOS_VERSION_MISMATCH, "spine1", "spine1")
        assert graph.read(ANOMALY, uid=uid) == [{"state": "raised", "type": "nos_version_mismatch"}]
    finally:
        cleanup(graph, [name], [serial])
