"""A real two-spine, two-leaf fabric in the lab, configured and broken through the driver.

    spine1          spine2            eBGP: spines AS 65000, leaf1 65101, leaf2 65102
      |   \\        /   |
      |     \\    /     |
      |       \\/       |
      |      /  \\      |
    leaf1 ------- leaf2 (no direct link)
      |    \\        |  \\
      |     \\______ |   \\
    server1 (eth0 on leaf1, eth1 on leaf2)   server2 (eth0 on leaf2)
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from typing import Any

import napalm
import paramiko
import pytest
from napalm.base.exceptions import ConnectionException, ReplaceConfigException

from lab import Lab
from tests.integration.lab.helpers import (
    FABRIC,
    SERVERS,
    SWITCHES,
    driver,
    eventually,
    exclusive_lab,
    push,
    sessions_up,
)

pytestmark = pytest.mark.lab


@pytest.fixture(scope="module")
def fabric() -> Iterator[Lab]:
    """The fabric, deployed from the hand-written documents; torn down even on failure."""
    with exclusive_lab() as lab:
        try:
            lab.up(str(FABRIC / "topology.json"))
            for node in SWITCHES:
                push(lab, node).close()
            yield lab
        finally:
            lab.down()


@pytest.fixture(scope="module")
def devices(fabric: Lab) -> Iterator[dict[str, Any]]:
    opened = {node: driver(fabric, node) for node in SWITCHES}
    yield opened
    for device in opened.values():
        device.close()


def all_sessions_up(devices: dict[str, Any]) -> bool:
    return all(sessions_up(d) for d in devices.values())


def all_servers_reach_each_other(lab: Lab) -> bool:
    return all(lab.ping(a, b) for a in SERVERS for b in SERVERS if a != b)


def test_every_ebgp_session_comes_up(devices: dict[str, Any]) -> None:
    eventually(lambda: all_sessions_up(devices), timeout=60)
    spine1 = devices["spine1"].get_bgp_neighbors()["global"]
    assert spine1["router_id"] == "10.0.0.1"
    assert {p["remote_as"] for p in spine1["peers"].values()} == {65101, 65102}


def test_every_server_reaches_every_other_server(fabric: Lab, devices: dict[str, Any]) -> None:
    eventually(lambda: all_sessions_up(devices), timeout=60)
    eventually(lambda: all_servers_reach_each_other(fabric), timeout=30)


def test_leaf1_reaches_server2_over_both_spines(devices: dict[str, Any]) -> None:
    eventually(lambda: all_sessions_up(devices), timeout=60)
    leaf1 = devices["leaf1"]
    hops = eventually(lambda: leaf1.get_route_to("10.3.0.2", protocol="bgp").get("10.3.0.2/32"))
    assert {h["outgoing_interface"] for h in hops} == {"swp1", "swp2"}


def test_lldp_sees_exactly_the_cabled_neighbours(devices: dict[str, Any]) -> None:
    expected = {
        "swp1": [{"hostname": "spine1", "port": "swp1"}],
        "swp2": [{"hostname": "spine2", "port": "swp1"}],
    }
    eventually(lambda: devices["leaf1"].get_lldp_neighbors() == expected, timeout=20)


def test_nothing_to_push_right_after_a_push(fabric: Lab, devices: dict[str, Any]) -> None:
    leaf1 = devices["leaf1"]
    golden = leaf1.get_config(retrieve="running")["running"]
    leaf1.load_replace_candidate(config=(FABRIC / "leaf1.conf").read_text())
    assert leaf1.compare_config() == ""
    leaf1.discard_config()
    assert leaf1.get_config(retrieve="running")["running"] == golden
    assert "address 10.1.0.1/31" in golden and "router bgp 65101" in golden


def test_a_cut_cable_shows_as_ports_and_session_down_until_repaired(
    fabric: Lab, devices: dict[str, Any]
) -> None:
    spine1, leaf1 = devices["spine1"], devices["leaf1"]
    fabric.cable_cut("spine1", "swp1")
    assert spine1.get_interfaces()["swp1"]["is_up"] is False
    assert leaf1.get_interfaces()["swp1"]["is_up"] is False
    assert spine1.get_interfaces()["swp1"]["is_enabled"] is True
    peer = "10.1.0.1"
    eventually(lambda: not spine1.get_bgp_neighbors()["global"]["peers"][peer]["is_up"], 15)
    fabric.repair()
    eventually(lambda: spine1.get_interfaces()["swp1"]["is_up"], 10)
    eventually(lambda: all_sessions_up(devices), timeout=30)


def test_a_failed_transceiver_reads_out_of_range_until_repaired(
    fabric: Lab, devices: dict[str, Any]
) -> None:
    leaf2 = devices["leaf2"]

    def rx(port: str) -> float:
        lanes = leaf2.get_optics()[port]["physical_channels"]["channel"]
        return float(min(lane["state"]["input_power"]["instant"] for lane in lanes))

    healthy = rx("swp2")
    assert -10.0 <= healthy <= 2.4
    fabric.transceiver_fail("leaf2", "swp2")
    assert rx("swp2") < -30.0
    assert leaf2.get_interfaces()["swp2"]["is_up"] is False
    fabric.repair()
    assert rx("swp2") == healthy
    eventually(lambda: leaf2.get_interfaces()["swp2"]["is_up"], 10)
    eventually(lambda: all_sessions_up(devices), timeout=30)


def test_swapped_cables_show_the_wrong_lldp_neighbours_until_repaired(
    fabric: Lab, devices: dict[str, Any]
) -> None:
    leaf1 = devices["leaf1"]

    def neighbour_of(port: str) -> str | None:
        found = leaf1.get_lldp_neighbors().get(port, [])
        return found[0]["hostname"] if len(found) == 1 else None

    fabric.swap_cables("leaf1:swp1", "leaf1:swp2")
    eventually(lambda: neighbour_of("swp1") == "spine2", 20)
    assert neighbour_of("swp2") == "spine1"
    fabric.repair()
    eventually(lambda: neighbour_of("swp1") == "spine1", 20)
    eventually(lambda: all_sessions_up(devices), timeout=30)


def test_an_offline_device_fails_open_and_is_alive_until_repaired(
    fabric: Lab, devices: dict[str, Any]
) -> None:
    spine2 = devices["spine2"]
    fabric.device_offline("spine2")
    assert spine2.is_alive() == {"is_alive": False}
    with pytest.raises(ConnectionException):
        driver(fabric, "spine2")
    fabric.repair()
    assert spine2.is_alive() == {"is_alive": True}
    eventually(lambda: all_sessions_up(devices), timeout=30)


def test_an_out_of_band_change_makes_running_differ_from_golden_until_repaired(
    fabric: Lab, devices: dict[str, Any]
) -> None:
    leaf2 = devices["leaf2"]
    golden = leaf2.get_config(retrieve="running")["running"]
    fabric.oob_change("leaf2", ["ip route 192.0.2.0/24 Null0"])
    running = leaf2.get_config(retrieve="running")["running"]
    assert running != golden
    assert "ip route 192.0.2.0/24 Null0" in running
    fabric.repair()
    assert leaf2.get_config(retrieve="running")["running"] == golden


def test_a_server_going_down_breaks_reachability_until_repaired(fabric: Lab) -> None:
    fabric.server_down("server2")
    assert not fabric.ping("server1", "server2")
    fabric.repair()
    eventually(lambda: all_servers_reach_each_other(fabric), timeout=20)


def test_a_full_replace_removes_what_the_document_lacks(fabric: Lab) -> None:
    spine2 = driver(fabric, "spine2")
    golden = spine2.get_config(retrieve="running")["running"]
    ns = fabric.netns("spine2")
    os.system(f"ip -n {ns} addr add 198.51.100.1/31 dev swp3 && ip -n {ns} link set swp3 up")
    fabric.oob_change("spine2", ["router bgp 65000", "neighbor 198.51.100.0 remote-as 65099"])
    assert "198.51.100" in spine2.get_config(retrieve="running")["running"]
    spine2.load_replace_candidate(config=(FABRIC / "spine2.conf").read_text())
    diff = spine2.compare_config()
    assert "-    address 198.51.100.1/31" in diff
    assert "neighbor 198.51.100.0 remote-as 65099" in diff
    spine2.commit_config()
    assert spine2.get_config(retrieve="running")["running"] == golden
    assert spine2.get_interfaces()["swp3"]["is_enabled"] is False
    fabric.repair()
    spine2.close()


def test_an_invalid_candidate_leaves_the_device_unchanged(fabric: Lab) -> None:
    leaf1 = driver(fabric, "leaf1")
    before = leaf1.get_config(retrieve="running")["running"]
    bad = (FABRIC / "leaf1.conf").read_text().replace(" redistribute static", " bogus-knob 1")
    with pytest.raises(ReplaceConfigException, match="bogus-knob"):
        leaf1.load_replace_candidate(config=bad)
    with pytest.raises(ReplaceConfigException, match="swp7"):
        leaf1.load_replace_candidate(
            config=bad.replace("auto swp3\n", "auto swp7\n").replace("iface swp3\n", "iface swp7\n")
        )
    assert leaf1.get_config(retrieve="running")["running"] == before
    leaf1.close()


def test_rollback_returns_to_the_config_before_the_last_commit(
    fabric: Lab, devices: dict[str, Any]
) -> None:
    leaf2 = driver(fabric, "leaf2")
    before = leaf2.get_config(retrieve="running")["running"]
    leaf2.load_merge_candidate(config="### /etc/frr/frr.conf\nip route 203.0.113.0/24 Null0\n")
    assert "+ ip route 203.0.113.0/24 Null0" in leaf2.compare_config()
    leaf2.commit_config()
    assert "ip route 203.0.113.0/24 Null0" in leaf2.get_config()["running"]
    leaf2.rollback()
    assert leaf2.get_config(retrieve="running")["running"] == before
    leaf2.close()
    eventually(lambda: all_sessions_up(devices), timeout=30)


def test_the_ssh_transport_sees_the_same_device(fabric: Lab, tmp_path: Any) -> None:
    key = paramiko.RSAKey.generate(2048)
    key_file = tmp_path / "id_rsa"
    key.write_private_key_file(str(key_file))
    proxy = fabric.start_sshd("leaf1", f"ssh-rsa {key.get_base64()}")
    over_ssh = napalm.get_network_driver("linuxfrr")(
        "leaf1",
        "root",
        "",
        optional_args={
            "transport": "ssh",
            "key_filename": str(key_file),
            "proxy_command": proxy,
            "layout": "lab",
            "netns": fabric.netns("leaf1"),
        },
    )
    over_ssh.open()
    local = driver(fabric, "leaf1")
    try:
        assert over_ssh.is_alive() == {"is_alive": True}
        assert over_ssh.get_config()["running"] == local.get_config()["running"]
        assert over_ssh.get_interfaces_ip() == local.get_interfaces_ip()
        assert over_ssh.get_facts()["hostname"] == "leaf1"
    finally:
        over_ssh.close()
        local.close()
    assert sys.executable
