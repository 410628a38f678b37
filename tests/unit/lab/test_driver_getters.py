"""Getters replayed from recorded lab outputs match the recorded results and NAPALM's models."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import napalm
import pytest
from napalm.base import models

from napalm_linuxfrr.driver import LinuxFrrDriver
from napalm_linuxfrr.recording import GETTERS
from tests.unit.lab.replay import GETTER_CASES, ReplayRunner, follows_model

Make = Callable[[str], tuple[LinuxFrrDriver, ReplayRunner, Path]]


def expected(folder: Path, getter: str) -> Any:
    return json.loads((folder / "expected" / f"{getter}.json").read_text())


def test_napalm_finds_the_driver_by_its_platform_name() -> None:
    assert napalm.get_network_driver("linuxfrr") is LinuxFrrDriver


@pytest.mark.parametrize("case", GETTER_CASES)
@pytest.mark.parametrize("getter", GETTERS)
def test_getter_returns_the_recorded_result(make_case: Make, case: str, getter: str) -> None:
    driver, _, folder = make_case(case)
    assert getattr(driver, getter)() == expected(folder, getter)


@pytest.mark.parametrize("case", GETTER_CASES)
def test_facts_follow_the_napalm_model(make_case: Make, case: str) -> None:
    driver, _, _ = make_case(case)
    facts = driver.get_facts()
    assert follows_model(models.FactsDict, facts)
    assert set(driver.get_interfaces()) == set(facts["interface_list"])


@pytest.mark.parametrize("case", GETTER_CASES)
def test_interfaces_follow_the_napalm_model(make_case: Make, case: str) -> None:
    driver, _, _ = make_case(case)
    interfaces = driver.get_interfaces()
    assert interfaces
    for item in interfaces.values():
        assert follows_model(models.InterfaceDict, item)
    for item in driver.get_interfaces_ip().values():
        assert follows_model(models.InterfacesIPDict, item, allow_subset=True)
        for address in item["ipv4"].values():
            assert follows_model(models.InterfacesIPDictEntry, address)


@pytest.mark.parametrize("case", GETTER_CASES)
def test_lldp_neighbors_follow_the_napalm_model(make_case: Make, case: str) -> None:
    driver, _, _ = make_case(case)
    for neighbors in driver.get_lldp_neighbors().values():
        for neighbor in neighbors:
            assert follows_model(models.LLDPNeighborDict, neighbor)
    for neighbors in driver.get_lldp_neighbors_detail().values():
        for detail in neighbors:
            assert follows_model(models.LLDPNeighborDetailDict, detail)


@pytest.mark.parametrize("case", GETTER_CASES)
def test_bgp_neighbors_follow_the_napalm_model(make_case: Make, case: str) -> None:
    driver, _, _ = make_case(case)
    bgp = driver.get_bgp_neighbors()
    assert "global" in bgp
    for vrf in bgp.values():
        assert follows_model(models.BGPStateNeighborsPerVRFDict, vrf)
        for peer in vrf["peers"].values():
            assert follows_model(models.BGPStateNeighborDict, peer)
            for family in peer["address_family"].values():
                assert follows_model(models.BGPStateAddressFamilyDict, family)


@pytest.mark.parametrize("case", GETTER_CASES)
def test_optics_have_four_readings_per_power_field(make_case: Make, case: str) -> None:
    driver, _, _ = make_case(case)
    optics = driver.get_optics()
    assert optics
    for port in optics.values():
        for channel in port["physical_channels"]["channel"]:
            assert isinstance(channel["index"], int)
            for field in ("input_power", "output_power", "laser_bias_current"):
                assert follows_model(models.OpticsStateDict, channel["state"][field])


@pytest.mark.parametrize("case", GETTER_CASES)
def test_config_has_running_candidate_and_startup(make_case: Make, case: str) -> None:
    driver, _, _ = make_case(case)
    config = driver.get_config()
    assert follows_model(models.ConfigDict, config)
    assert config["running"].startswith("### /etc/hostname\n")


def test_a_cut_cable_shows_as_port_down_and_session_not_established(make_case: Make) -> None:
    driver, _, _ = make_case("spine1_cable_cut")
    assert driver.get_interfaces()["swp1"]["is_up"] is False
    assert driver.get_interfaces()["swp1"]["is_enabled"] is True
    peers = driver.get_bgp_neighbors()["global"]["peers"]
    down = [address for address, peer in peers.items() if not peer["is_up"]]
    assert down == ["10.1.0.1"]
