"""Off-box agent declarations: grammar, allow-listed options, files, profile matching."""

from __future__ import annotations

import pytest

from blueprint_engine.devices.agent_spec import (
    MAX_AGENTS_PER_FILE,
    ProfileFit,
    match_profile,
    parse_agent,
    parse_agents,
    parse_file,
    version_in_range,
    version_key,
)
from blueprint_engine.errors import ValidationError

GOOD = {"name": "leaf1", "address": "192.0.2.10", "platform": "eos", "credential": "dc1"}


def test_one_agent_parses_with_defaults_per_platform() -> None:
    spec = parse_agent(GOOD)
    assert (spec.name, spec.address, spec.platform, spec.credential_ref) == (
        "leaf1",
        "192.0.2.10",
        "eos",
        "dc1",
    )
    assert (spec.port, spec.timeout, spec.nos) == (443, 10, "eos")
    assert parse_agent({**GOOD, "platform": "junos"}).port == 830
    assert parse_agent({**GOOD, "credential": None, "group": "leafs"}).credential_ref == "leafs"


@pytest.mark.parametrize(
    "address", ["10.0.0.1", "2001:db8::1", "sw1.mgmt.example.net", "leaf-1", "sw1.example."]
)
def test_addresses_ip_or_hostname(address: str) -> None:
    assert parse_agent({**GOOD, "address": address}).address == address


@pytest.mark.parametrize(
    "address",
    ["", "-leaf", "leaf_1", "a" * 254, "10.0.0.256", "sw1..net", "x y", "sw1;rm", "1.2.3.4.5"],
)
def test_bad_addresses_are_refused_naming_the_grammar(address: str) -> None:
    with pytest.raises(ValidationError) as err:
        parse_agent({**GOOD, "address": address})
    assert "address" in str(err.value) and "RFC 1123" in str(err.value)


def test_platforms_known_or_plugin_names_only() -> None:
    assert parse_agent({**GOOD, "platform": "sros"}).nos is None
    with pytest.raises(ValidationError, match="platform"):
        parse_agent({**GOOD, "platform": "../../etc"})


def test_options_are_allow_listed_and_bounded() -> None:
    spec = parse_agent({**GOOD, "options": {"port": 8443, "timeout": 5, "transport": "https"}})
    assert (spec.port, spec.timeout) == (8443, 5)
    for bad in ({"port": 0}, {"port": 70000}, {"timeout": 61}, {"transport": "telnet"}):
        with pytest.raises(ValidationError):
            parse_agent({**GOOD, "options": bad})
    with pytest.raises(ValidationError) as err:
        parse_agent({**GOOD, "options": {"password": "x"}})
    assert "option 'password' is not allowed" in str(err.value)
    with pytest.raises(ValidationError, match="lab_state_dir"):
        parse_agent({**GOOD, "options": {"lab_state_dir": "/var/../etc"}})


def test_unknown_fields_and_every_problem_listed() -> None:
    with pytest.raises(ValidationError) as err:
        parse_agents([{**GOOD, "secret": "x"}, {"name": "Bad Name", "platform": "eos"}])
    text = str(err.value)
    assert "agent 1: unknown field 'secret'" in text
    assert "agent 2: name 'Bad Name'" in text and "agent 2: address is required" in text


def test_duplicates_and_limits() -> None:
    with pytest.raises(ValidationError, match="more than once: leaf1"):
        parse_agents([GOOD, GOOD])
    with pytest.raises(ValidationError, match=f"at most {MAX_AGENTS_PER_FILE}"):
        parse_agents([GOOD] * (MAX_AGENTS_PER_FILE + 1))


def test_yaml_and_csv_files() -> None:
    yaml_text = "agents:\n  - {name: a1, address: 10.0.0.1, platform: eos, credential: dc1}\n"
    assert [s.name for s in parse_file(yaml_text, "yaml")] == ["a1"]
    csv_text = "name,address,platform,credential,port,timeout\na1,10.0.0.1,nxos_ssh,dc1,2222,3\n"
    spec = parse_file(csv_text, "csv")[0]
    assert (spec.platform, spec.port, spec.timeout, spec.credential) == ("nxos_ssh", 2222, 3, "dc1")
    with pytest.raises(ValidationError, match="CSV header"):
        parse_file("name,address,platform,password\n", "csv")
    with pytest.raises(ValidationError, match="does not parse"):
        parse_file("agents: [", "yaml")
    with pytest.raises(ValidationError, match="file format"):
        parse_file("", "xml")


PROFILES = [
    ProfileFit("arista-a", "eos", "DCS-7060CX-32S"),
    ProfileFit("arista-b", "eos", "DCS-7280SR-48C6"),
    ProfileFit("frr-lab", "linux_frr", "veth", ("Linux/FRR virtual switch (lab)",)),
    ProfileFit("frr-lab-2", "linux_frr", "veth 2", ("Linux/FRR virtual switch (lab)",)),
]


def test_profile_matched_from_model_or_refused_naming_candidates() -> None:
    assert match_profile("dcs-7060cx-32s", "eos", PROFILES).name == "arista-a"
    with pytest.raises(ValidationError) as err:
        match_profile("DCS-9999", "eos", PROFILES)
    assert "no device profile lists model 'DCS-9999'" in str(err.value)
    assert "arista-a, arista-b" in str(err.value)
    with pytest.raises(ValidationError, match="fits several"):
        match_profile("Linux/FRR virtual switch (lab)", "linux_frr", PROFILES)
    hinted = match_profile("Linux/FRR virtual switch (lab)", "linux_frr", PROFILES, "frr-lab-2")
    assert hinted.name == "frr-lab-2"
    with pytest.raises(ValidationError, match="does not fit"):
        match_profile("DCS-7060CX-32S", "eos", PROFILES, "arista-b")


def test_os_version_ranges() -> None:
    assert version_key("4.28.3M") == (4, 28, 3)
    assert version_key("10.3(2)") == (10, 3, 2)
    assert version_in_range("4.30.1F", "4.28.0", "4.33.99")
    assert not version_in_range("4.20.15M", "4.28.0", "4.33.99")
    assert version_in_range("22.4R2-S1.6", "21.4R1", "23.4R99")
    assert not version_in_range("10.5(1)", None, "10.4(99)")
    assert version_in_range("anything", None, None)


def test_linuxfrr_options_name_a_layout_and_the_management_interfaces() -> None:
    options = {"transport": "ssh", "layout": "lab", "management": "eth0,mgmt"}
    assert parse_agent({**GOOD, "options": options}).options == options
    for bad in ({"layout": "other"}, {"management": "eth0;reboot"}, {"management": "a" * 16}):
        with pytest.raises(ValidationError):
            parse_agent({**GOOD, "options": bad})


def test_a_linuxfrr_agent_pins_the_devices_ssh_host_key() -> None:
    key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOffSIdTWIJgiOr1w1+JGMZFpUFy0YSQAUPEIUkTycMF"
    options = {"transport": "ssh", "host_key": key, "host_key_policy": "strict"}
    assert parse_agent({**GOOD, "options": options}).options == options
    for bad in (
        {"host_key": "AAAAC3NzaC1lZDI1NTE5"},  # no type
        {"host_key": f"{key} comment"},  # the key alone, as the device record holds it
        {"host_key": "ssh-ed25519 not;base64"},
        {"host_key_policy": "accept-any"},
    ):
        with pytest.raises(ValidationError, match="host_key"):
            parse_agent({**GOOD, "options": bad})
