"""Managed devices over GraphQL: every config stage, history, guarded operations.

Devices are registered straight into the graph (what a device agent does); the
operations exercised here are the ones refused before anything is pushed. The
pushes themselves run on the real lab (tests/integration/lab/test_lab_operations.py).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from blueprint_engine.devices.registry import Devices
from blueprint_engine.graph.db import Graph, Query
from tests.integration.api_calls import ADMIN, OPERATOR, VIEWER, gql

pytestmark = pytest.mark.integration

DROP = Query(
    "test.drop_devices",
    "MATCH (d:Device) WHERE d.serial IN $serials "
    "OPTIONAL MATCH (d)-[:HAS_CONFIG|HAD_EVENT|HAS_DEPLOYMENT]->(x) DETACH DELETE x, d",
)


@pytest.fixture
def serials(graph: Graph) -> Iterator[list[str]]:
    tag = uuid.uuid4().hex[:6]
    made = [f"T-{tag}-{n}" for n in range(3)]
    devices = Devices(graph)
    for n, serial in enumerate(made):
        devices.register(
            serial,
            hostname=f"sw{n}",
            profile="lab-switch",
            nos="linux_frr",
            driver="linuxfrr",
            driver_args={},
            pristine=f"hostname sw{n}\n",
            worker_queue="tests-nowhere",
        )
    yield made
    graph.write(DROP, serials=made)


LIST = """
query($s: String!) { device(serial: $s) { serial state deployMode deviation
  configs { stage text } history { event state deployMode } } }
"""


def test_a_registered_device_shows_its_pristine_config_and_history(
    client: TestClient, serials: list[str]
) -> None:
    body = gql(client, LIST, s=serials[0])
    device = body["data"]["device"]
    assert (device["state"], device["deployMode"], device["deviation"]) == (
        "OOS-QUARANTINED",
        "not_set",
        "none",
    )
    assert device["configs"] == [{"stage": "pristine", "text": "hostname sw0\n"}]
    assert device["history"] == [
        {"event": "install_agent", "state": "OOS-QUARANTINED", "deployMode": "not_set"}
    ]


def test_a_device_list_reads_each_field_in_one_query_for_all_devices(
    client: TestClient, serials: list[str]
) -> None:
    stats = client.app.state.graph.stats  # type: ignore[attr-defined]
    before = dict(stats.calls)
    body = gql(client, "{ devices { serial blueprint configs { stage } history { event } } }")
    listed = body["data"]["devices"]
    ours = [d for d in listed if d["serial"] in serials]
    assert len(ours) == 3 and all(d["configs"] == [{"stage": "pristine"}] for d in ours)
    calls = {k: v - before.get(k, 0) for k, v in stats.calls.items() if v != before.get(k, 0)}
    # the blueprint's own stages (rendered, incremental): one query per blueprint and stage
    blueprints = {d["blueprint"] for d in listed if d["blueprint"]}
    expected = {"devices.list_filtered": 1, "devices.configs_many": 1, "devices.history_many": 1}
    if blueprints:
        expected["configs.stored"] = 2 * len(blueprints)
    assert calls == expected


def test_illegal_operations_are_refused_with_the_state_and_the_next_steps(
    client: TestClient, serials: list[str], graph: Graph
) -> None:
    deploy = gql(
        client,
        "mutation($s: String!) { changeDeployMode(serial: $s, mode: DEPLOY) { state } }",
        OPERATOR,
        s=serials[0],
    )
    error = deploy["errors"][0]
    assert "OOS-QUARANTINED" in error["message"]
    assert error["extensions"]["allowed"] == "acknowledge, decommission"

    accept = gql(
        client,
        "mutation($s: String!) { acceptChanges(serial: $s) { deviation } }",
        OPERATOR,
        s=serials[0],
    )
    assert "no config deviation is open" in accept["errors"][0]["message"]

    unknown = gql(client, 'mutation { acknowledge(serial: "nope-0") { state } }', OPERATOR)
    assert "no device with serial 'nope-0'" in unknown["errors"][0]["message"]
    assert Devices(graph).get(serials[0]).record.state is not None  # unchanged


def test_a_manual_full_push_needs_an_admin_and_an_explicit_confirmation(
    client: TestClient, serials: list[str]
) -> None:
    push = "mutation($s: String!, $c: Boolean!) { fullPush(serial: $s, confirm: $c) }"
    as_operator = gql(client, push, OPERATOR, s=serials[1], c=True)
    assert as_operator["errors"][0]["extensions"]["code"] == "forbidden"
    unconfirmed = gql(client, push, ADMIN, s=serials[1], c=False)
    assert unconfirmed["errors"][0]["extensions"]["code"] == "confirmation_required"
    # confirmed, but a quarantined device gets nothing pushed: told to acknowledge it first
    confirmed = gql(client, push, ADMIN, s=serials[1], c=True)
    assert "acknowledge the device first" in str(confirmed["errors"][0]["extensions"])


def test_a_viewer_cannot_change_a_device(client: TestClient, serials: list[str]) -> None:
    body = gql(
        client, "mutation($s: String!) { acknowledge(serial: $s) { state } }", VIEWER, s=serials[2]
    )
    assert body["errors"][0]["extensions"]["code"] == "forbidden"
    assert "operator" in body["errors"][0]["message"]
