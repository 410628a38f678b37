"""Unreachable agents: 100 from one file against loopback addresses where nothing
listens, all reported unreachable (tcp_refused) within a bounded wait while the rest of
the system carries on; a port that accepts and never speaks is a timeout; an SSH server
that rejects the credential is auth_failed."""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from blueprint_engine.devices.registry import Devices
from blueprint_engine.graph.db import Graph
from blueprint_engine.settings import Settings
from tests.integration.agents.helpers import cleanup, credential_set, recorded_facts, wait_for
from tests.integration.agents.servers import refused_port, rejecting_ssh_server, silent_tcp_server
from tests.integration.api_calls import OPERATOR
from workers.agent_ops import AgentOps

pytestmark = pytest.mark.integration

COUNT = 100
BOUND_S = 240  # 100 probes on two worker processes; each refusal is immediate on loopback


@pytest.fixture
def names(graph: Graph) -> Iterator[list[str]]:
    made: list[str] = []
    yield made
    cleanup(graph, made)


def _port_for_all(addresses: list[str]) -> int:
    port = refused_port(addresses[0], 2)
    for address in addresses:
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection((address, port), timeout=1).close()
    return port


def test_hundred_unreachable_agents_from_one_file(
    client: TestClient, graph: Graph, settings: Settings, names: list[str]
) -> None:
    tag = uuid.uuid4().hex[:6]
    serial = str(recorded_facts("junos-qfx5120-recording")["serial_number"])
    cleanup(graph, [], [serial])
    ops = AgentOps(graph, settings.celery_queue)
    with credential_set("u", f"pw-{tag}") as cred:
        witness = {
            "name": f"t-witness-{tag}",
            "address": "192.0.2.99",
            "platform": "junos",
            "credential": cred,
            "options": {"recording": "junos-qfx5120-recording"},
        }
        names.append(str(witness["name"]))
        assert ops.create([witness], author="t", wait=60)[0]["status"] == "registered"
        before = Devices(graph).get(serial).record
        addresses = [f"127.0.0.{n}" for n in range(2, 2 + COUNT)]
        port = _port_for_all(addresses)
        lines = ["name,address,platform,credential,port,timeout"]
        lines += [f"t-u{n}-{tag},{a},nxos_ssh,{cred},{port},3" for n, a in enumerate(addresses)]
        batch = [f"t-u{n}-{tag}" for n in range(COUNT)]
        names.extend(batch)
        made = client.post(
            "/api/agents", json={"file": "\n".join(lines), "format": "csv"}, headers=OPERATOR
        )
        assert made.status_code == 201 and len(made.json()) == COUNT, made.text
        rows = wait_for(graph, batch, lambda r: r["status"] != "pending", BOUND_S)
        assert {(r["status"], r["reason"]) for r in rows} == {("unreachable", "tcp_refused")}
        assert all(f"port {port} refused" in r["detail"] and not r["serial"] for r in rows)
        # nothing else affected: the witness device unchanged, a new agent still registers
        assert Devices(graph).get(serial).record == before
        again = ops.connect(str(witness["name"]), wait=60)
        assert again["status"] == "registered" and again["serial"] == serial
    cleanup(graph, [], [serial])


def test_silent_port_is_a_timeout_and_rejected_password_is_auth_failed(
    graph: Graph, settings: Settings, names: list[str]
) -> None:
    tag = uuid.uuid4().hex[:6]
    ops = AgentOps(graph, settings.celery_queue)
    with (
        silent_tcp_server() as silent,
        rejecting_ssh_server() as (ssh, seen),
        credential_set("admin", f"pw-{tag}") as cred,
    ):
        agents = [
            {
                "name": f"t-silent-{tag}",
                "address": "127.0.0.1",
                "platform": "nxos_ssh",
                "credential": cred,
                "options": {"port": silent, "timeout": 3},
            },
            {
                "name": f"t-auth-{tag}",
                "address": "127.0.0.1",
                "platform": "nxos_ssh",
                "credential": cred,
                "options": {"port": ssh, "timeout": 10},
            },
            {
                "name": f"t-nocred-{tag}",
                "address": "127.0.0.1",
                "platform": "nxos_ssh",
                "credential": f"absent-{tag}",
                "options": {"port": ssh, "timeout": 3},
            },
        ]
        names += [str(a["name"]) for a in agents]
        ops.create(agents, author="t")
        rows = wait_for(graph, names, lambda r: r["status"] != "pending", 120)
    reasons = {r["name"]: (r["status"], r["reason"]) for r in rows}
    assert reasons == {
        f"t-silent-{tag}": ("unreachable", "timeout"),
        f"t-auth-{tag}": ("unreachable", "auth_failed"),
        f"t-nocred-{tag}": ("refused", "credential_missing"),
    }
    assert f"pw-{tag}" in seen  # the worker did send the credential set's password
