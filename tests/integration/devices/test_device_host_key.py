"""A device's pinned SSH host key on its record: pinned once on first use, shown with its
fingerprint over GraphQL, forgotten by an admin (recorded in its history)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from blueprint_engine.devices.registry import Devices
from blueprint_engine.graph.db import Graph, Query
from tests.integration.api_calls import ADMIN, OPERATOR, gql

pytestmark = pytest.mark.integration

FIRST = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOffSIdTWIJgiOr1w1+JGMZFpUFy0YSQAUPEIUkTycMF"
FIRST_FINGERPRINT = "ssh-ed25519 SHA256:qLATWSWnA3pAvE0mq+ydeGKal6FuR/MkTiq+9EiB8uY"
OTHER = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILC0NJiihIIoBS+noL+vpBpq4nmzVXkPiorF8ixOx9zR"

DROP = Query(
    "test.drop_host_key_devices",
    "MATCH (d:Device) WHERE d.serial IN $serials "
    "OPTIONAL MATCH (d)-[:HAS_CONFIG|HAD_EVENT|HAS_DEPLOYMENT]->(x) DETACH DELETE x, d",
)
SHOW = "query($s: String!) { device(serial: $s) { hostKey hostKeyFingerprint history { event } } }"
FORGET = "mutation($s: String!) { forgetHostKey(serial: $s) { hostKey } }"


def _register(devices: Devices, serial: str, host_key: str | None) -> None:
    devices.register(
        serial, hostname="sw", profile="lab-switch", nos="linux_frr", driver="linuxfrr",
        driver_args={"transport": "ssh"}, pristine="hostname sw\n",
        worker_queue="tests-nowhere", host_key=host_key,
    )  # fmt: skip


@pytest.fixture
def serial(graph: Graph) -> Iterator[str]:
    made = f"HK-{uuid.uuid4().hex[:6]}"
    yield made
    graph.write(DROP, serials=[made])


def test_the_first_key_seen_is_pinned_and_never_overwritten(graph: Graph, serial: str) -> None:
    devices = Devices(graph)
    _register(devices, serial, FIRST)
    _register(devices, serial, OTHER)  # the agent reconnecting: the pin stays
    assert devices.get(serial).host_key == FIRST
    assert devices.host_key_seen(serial, OTHER) == FIRST


def test_a_device_registered_without_a_key_pins_the_first_one_a_driver_trusts(
    graph: Graph, serial: str
) -> None:
    devices = Devices(graph)
    _register(devices, serial, None)
    assert devices.get(serial).host_key is None
    assert devices.host_key_seen(serial, FIRST) == FIRST
    assert devices.get(serial).host_key == FIRST


def test_graphql_shows_the_pin_and_an_admin_forgets_it(
    client: TestClient, graph: Graph, serial: str
) -> None:
    devices = Devices(graph)
    _register(devices, serial, FIRST)
    shown = gql(client, SHOW, s=serial)["data"]["device"]
    assert (shown["hostKey"], shown["hostKeyFingerprint"]) == (FIRST, FIRST_FINGERPRINT)
    as_operator = gql(client, FORGET, OPERATOR, s=serial)
    assert as_operator["errors"][0]["extensions"]["code"] == "forbidden"
    assert devices.get(serial).host_key == FIRST
    assert gql(client, FORGET, ADMIN, s=serial)["data"]["forgetHostKey"] == {"hostKey": None}
    after = gql(client, SHOW, s=serial)["data"]["device"]
    assert after["hostKeyFingerprint"] is None
    assert [e["event"] for e in after["history"]] == ["install_agent", "forget_host_key"]
    # the next connection pins the key it is offered
    assert devices.host_key_seen(serial, OTHER) == OTHER
