"""Zero-touch provisioning on the lab: every switch boots factory-default on the management
network, gets its address and the ZTP URL from the lab's dnsmasq, runs the script the API
serves, calls home, and its off-box agent registers it OOS-QUARANTINED under its real
serial with its pristine config; `lab down` leaves no bridge, veth or process behind."""

from __future__ import annotations

import ipaddress
import os
import uuid

import pytest

from blueprint_engine.blueprints import Blueprints
from blueprint_engine.design.model import Role
from blueprint_engine.design.reader import read_cabling
from blueprint_engine.devices.agents import Agents
from blueprint_engine.devices.registry import Devices
from blueprint_engine.graph.db import Graph
from lab import mgmt, shell
from labharness import rollout
from labharness.ztp import ApiServer, up_by_ztp
from tests.integration.lab.helpers import driver, exclusive_lab

pytestmark = [pytest.mark.lab, pytest.mark.timeout(600)]


def test_every_switch_arrives_by_dhcp_and_ztp_quarantined(graph: Graph) -> None:
    with exclusive_lab() as lab:
        blueprints = Blueprints(graph)
        bp = f"ztp-{uuid.uuid4().hex[:6]}"
        blueprints.create(bp, "lab")
        rollout.forget_lab_devices(graph)
        switches = [s.id for s in read_cabling(graph, bp).systems if s.role != Role.SERVER]
        try:
            with ApiServer() as api:
                up_by_ztp(blueprints, lab, bp, api.port)
                leases = mgmt.leases(lab.state_dir)
                agents, devices = Agents(graph), Devices(graph)
                for system in switches:
                    serial = rollout.lab_serial(system)
                    agent = agents.get(f"ztp-{serial.lower()}")
                    assert agent["status"] == "registered" and agent["serial"] == serial
                    address = ipaddress.ip_address(agent["address"])
                    assert address in mgmt.MGMT_SUBNET and address != mgmt.MGMT_GATEWAY
                    assert agent["address"] in leases.values()  # the address DHCP leased
                    assert agent["credential"] is None  # the lab policy: netns, no secret
                    assert str(devices.get(serial).record.state) == "OOS-QUARANTINED"
                    running = driver(lab, system).get_config(retrieve="running")["running"]
                    assert devices.configs(serial)["pristine"] == running
                    assert f"hostname {system}" in running
                    log = os.path.join(lab.state_dir, f"fg-{system}", "ztp", "ztp.log")
                    with open(log, encoding="utf-8") as fh:
                        assert f"ztp: registered {serial} at {agent['address']}" in fh.read()
        finally:
            removed = lab.down()
            rollout.forget_lab_devices(graph)
            blueprints.delete(bp)
        assert mgmt.MGMT_BRIDGE in removed["mgmt_links"]
        assert len(removed["mgmt_pids"]) == 2  # dnsmasq and the relay, by their pid files
        left = [n for n in shell.list_links() if n == mgmt.MGMT_BRIDGE or n.startswith("fgm")]
        assert left == []
        assert not any(mgmt.alive(int(pid)) for pid in removed["mgmt_pids"])
