"""Zero-touch provisioning on the lab: every switch boots factory-default on the management
network, gets its address and the ZTP URL from the lab's dnsmasq, runs the script the API
serves, calls home, and its off-box agent registers it OOS-QUARANTINED under its real
serial with its pristine config, with the policy's SSH key installed by the script; deployed,
every switch keeps its management port up with its leased address (the fabric's config does
not own it); `lab down` leaves no bridge, veth or process behind."""

from __future__ import annotations

import ipaddress
import json
import os
import subprocess
import uuid
from pathlib import Path

import pytest

from api import ztp
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


def agent_key(folder: Path) -> str:
    """A fresh SSH key pair of the off-box agent; its public half for the policy."""
    key = folder / "agent_ed25519"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "fg-agent",
                    "-f", str(key)], check=True, timeout=30)  # fmt: skip
    return (folder / "agent_ed25519.pub").read_text().strip()


def management_port(netns: str) -> tuple[bool, list[str]]:
    """(eth0 administratively and operationally up, its IPv4 addresses) on the switch."""
    argv = ["ip", "netns", "exec", netns, "ip", "-j", "addr", "show", "dev", "eth0"]
    shown = subprocess.run(argv, check=True, timeout=10, capture_output=True, text=True)
    (eth0,) = json.loads(shown.stdout)
    up = "UP" in eth0["flags"] and eth0["operstate"] in ("UP", "UNKNOWN")
    return up, [a["local"] for a in eth0["addr_info"] if a["family"] == "inet"]


def test_every_switch_arrives_by_dhcp_and_ztp_quarantined(
    graph: Graph, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = agent_key(tmp_path)
    policy = {"name": "lab-with-key", "subnets": [str(mgmt.MGMT_SUBNET)],
              "platforms": ["linuxfrr"], "options": ztp.LAB_POLICY.options,
              "authorized_keys": [key]}  # fmt: skip
    (tmp_path / "policy.json").write_text(json.dumps(policy))
    monkeypatch.setenv("FG_ZTP_POLICY", str(tmp_path / "policy.json"))  # the API is in-process
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
                    keys = Path(lab.state_dir, f"fg-{system}", "root", ".ssh", "authorized_keys")
                    assert keys.read_text().splitlines() == [key]  # the script's pre-install
                addresses = {s: agents.get(f"ztp-{rollout.lab_serial(s).lower()}")["address"]
                             for s in switches}  # fmt: skip
                rollout.deploy_all(blueprints, bp, report=lambda _: None)
                for system in switches:
                    assert str(devices.get(rollout.lab_serial(system)).record.state) == "IS-ACTIVE"
                    assert management_port(lab.netns(system)) == (True, [addresses[system]])
        finally:
            removed = lab.down()
            rollout.forget_lab_devices(graph)
            blueprints.delete(bp)
        assert mgmt.MGMT_BRIDGE in removed["mgmt_links"]
        assert len(removed["mgmt_pids"]) == 2  # dnsmasq and the relay, by their pid files
        left = [n for n in shell.list_links() if n == mgmt.MGMT_BRIDGE or n.startswith("fgm")]
        assert left == []
        assert not any(mgmt.alive(int(pid)) for pid in removed["mgmt_pids"])
