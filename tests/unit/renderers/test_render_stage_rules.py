"""The lifecycle stage rules (seed 001), checked on the example fabric for every NOS."""

from __future__ import annotations

import pytest
from render_examples import DEVICES, load_example

from renderers import RenderError, render
from renderers.context import Nos, Stage
from renderers.frr_document import FRR, INTERFACES, parse_document

CLI_NOSES = (Nos.EOS, Nos.NXOS, Nos.JUNOS)


def stanza(config: str, interface: str) -> list[str]:
    """The option lines of ``iface <interface>`` in a linux_frr document."""
    lines = parse_document(config)[INTERFACES]
    start = lines.index(f"iface {interface}")
    options = []
    for line in lines[start + 1 :]:
        if not line.startswith("    "):
            break
        options.append(line.strip())
    return options


def cli_block(config: str, header: str) -> list[str]:
    """The indented lines under a top-level CLI statement (EOS / NX-OS)."""
    lines = config.splitlines()
    start = lines.index(header)
    block = []
    for line in lines[start + 1 :]:
        if not line.startswith(" "):
            break
        block.append(line.strip())
    return block


@pytest.mark.parametrize("nos", list(Nos))
@pytest.mark.parametrize("stage", [Stage.DISCOVERY1, Stage.DISCOVERY2])
@pytest.mark.parametrize("device", DEVICES)
def test_discovery_stages_have_no_routing_and_no_addresses(
    nos: Nos, stage: Stage, device: str
) -> None:
    context = load_example(device, nos)
    config = render(context, stage)
    for forbidden in ("router bgp", "protocols bgp", "ip route", "route-map", "vxlan"):
        assert forbidden not in config
    addresses = [port["ipv4"] for port in context["interfaces"] if port["ipv4"]]
    addresses += [context["loopback"]]
    assert addresses
    for address in addresses:
        assert address not in config


@pytest.mark.parametrize("device", DEVICES)
def test_discovery1_brings_every_port_up_at_profile_speed_in_l3_mode(device: str) -> None:
    context = load_example(device, Nos.EOS)
    config = render(context, Stage.DISCOVERY1)
    for port in context["interfaces"]:
        block = cli_block(config, f"interface {port['name']}")
        profile_speed = port.get("profile_speed_mbps", port["speed_mbps"])
        # EOS spells 25G..100G in gigabits (100gfull), 10G and below in megabits, and
        # above 100G has no forced full-duplex form (speed 400g)
        keyword = f"{profile_speed // 1000}g" if profile_speed >= 25_000 else str(profile_speed)
        expected = f"speed {keyword}" if profile_speed > 100_000 else f"speed forced {keyword}full"
        assert expected in block
        assert "no switchport" in block
        assert "no shutdown" in block
        assert not any(line.startswith("description") for line in block)
    assert "lldp run" in config.splitlines()


@pytest.mark.parametrize("device", DEVICES)
def test_discovery1_keeps_the_devices_own_hostname(device: str) -> None:
    context = load_example(device)
    config = render(context, Stage.DISCOVERY1)
    own = parse_document(context["pristine"])["/etc/hostname"][0]
    assert parse_document(config)["/etc/hostname"] == [own]
    assert f"hostname {own}" in parse_document(config)[FRR]
    assert context["hostname"] not in parse_document(config)["/etc/hostname"]


@pytest.mark.parametrize("device", DEVICES)
def test_discovery2_sets_blueprint_hostname_descriptions_and_speeds(device: str) -> None:
    context = load_example(device)
    config = render(context, Stage.DISCOVERY2)
    assert parse_document(config)["/etc/hostname"] == [context["hostname"]]
    for port in context["interfaces"]:
        options = stanza(config, port["name"])
        assert f"link-speed {port['speed_mbps']}" in options
        if port["description"]:
            assert f"alias {port['description']}" in options
        assert "link-down yes" not in options


@pytest.mark.parametrize("device", DEVICES)
def test_discovery2_sets_fabric_mtu_on_transit_tiers_only(device: str) -> None:
    """Spines (3-stage, 5-stage pods) and superspines; not leafs."""
    context = load_example(device)
    config = render(context, Stage.DISCOVERY2)
    for port in context["interfaces"]:
        has_mtu = f"mtu {context['fabric_mtu']}" in stanza(config, port["name"])
        expected = context["role"] in ("spine", "superspine") and port["role"] == "fabric"
        assert has_mtu == expected, port["name"]


@pytest.mark.parametrize("nos", [Nos.LINUX_FRR, Nos.EOS, Nos.NXOS])
@pytest.mark.parametrize("device", DEVICES)
def test_service_puts_fabric_mtu_and_addresses_on_both_ends(nos: Nos, device: str) -> None:
    context = load_example(device, nos)
    config = render(context, Stage.SERVICE)
    for port in (p for p in context["interfaces"] if p["role"] == "fabric"):
        if nos == Nos.LINUX_FRR:
            lines = stanza(config, port["name"])
        else:
            lines = cli_block(config, f"interface {port['name']}")
        assert f"mtu {context['fabric_mtu']}" in lines
        assert any(line.endswith(f"address {port['ipv4']}") for line in lines)


@pytest.mark.parametrize("device", DEVICES)
def test_service_peers_with_every_bgp_neighbor_and_advertises_the_loopback(device: str) -> None:
    context = load_example(device)
    frr = parse_document(render(context, Stage.SERVICE))[FRR]
    assert f"router bgp {context['asn']}" in frr
    assert " bgp bestpath as-path multipath-relax" in frr
    assert f"  network {context['loopback']}" in frr
    for neighbor in context["bgp_neighbors"]:
        assert f" neighbor {neighbor['ip']} remote-as {neighbor['asn']}" in frr
    for route in context["static_routes"]:
        assert f"ip route {route['prefix']} {route['next_hop']}" in frr
        assert f"  network {route['prefix']}" in frr


def test_evpn_leaf_gets_vxlan_devices_svis_and_advertise_all_vni() -> None:
    context = load_example("leaf2")
    config = render(context, Stage.SERVICE)
    assert "  advertise-all-vni" in parse_document(config)[FRR]
    for vn in context["virtual_networks"]:
        assert f"vxlan-id {vn['vni']}" in stanza(config, f"vni{vn['vni']}")
        assert f"address {vn['gateway']}" in stanza(config, f"vlan{vn['vlan']}")
    assert any(line.startswith("bridge-ports") for line in stanza(config, "bridge"))


def test_ip_fabric_overlay_renders_no_evpn() -> None:
    context = load_example("leaf2")
    context["overlay"] = "ip_fabric"
    context["bgp_neighbors"] = [n for n in context["bgp_neighbors"] if n["afi"] == "ipv4"]
    config = render(context, Stage.SERVICE)
    assert "l2vpn evpn" not in config
    assert "vxlan-id" not in config
    assert "bridge-vids" in config


def test_evpn_neighbors_on_an_ip_fabric_are_refused() -> None:
    context = load_example("leaf2")
    context["overlay"] = "ip_fabric"
    with pytest.raises(RenderError, match="evpn"):
        render(context, Stage.SERVICE)


def test_a_port_with_both_an_address_and_vlans_is_refused() -> None:
    context = load_example("leaf2")
    context["interfaces"][2]["ipv4"] = "10.2.0.8/31"
    with pytest.raises(RenderError, match=context["interfaces"][2]["name"]):
        render(context, Stage.SERVICE)


@pytest.mark.parametrize("nos", list(Nos))
@pytest.mark.parametrize("device", DEVICES)
def test_drain_applies_deny_route_maps_to_every_neighbor_in_and_out(nos: Nos, device: str) -> None:
    context = load_example(device, nos)
    service = render(context, Stage.SERVICE)
    drain = render(context, Stage.DRAIN)
    assert "DRAIN-OUT" not in service
    neighbors = context["bgp_neighbors"]
    if nos == Nos.NXOS:
        assert drain.count("route-map DRAIN-IN in") == len(neighbors)
        assert drain.count("route-map DRAIN-OUT out") == len(neighbors)
        assert "route-map DRAIN-OUT deny 10" in drain
        return
    for neighbor in neighbors:
        if nos == Nos.JUNOS:
            assert f"neighbor {neighbor['ip']} import DRAIN-IN" in drain
            assert f"neighbor {neighbor['ip']} export DRAIN-OUT" in drain
        else:
            assert f"neighbor {neighbor['ip']} route-map DRAIN-IN in" in drain
            assert f"neighbor {neighbor['ip']} route-map DRAIN-OUT out" in drain
    assert (
        "DRAIN-OUT term DENY then reject" if nos == Nos.JUNOS else "route-map DRAIN-OUT deny 10"
    ) in drain


def test_drain_takes_l2_server_ports_out_of_the_bridge_on_linux_frr() -> None:
    context = load_example("leaf2")
    l2_ports = [p["name"] for p in context["interfaces"] if p["role"] == "server" and p["vlans"]]
    assert l2_ports
    service, drain = render(context, Stage.SERVICE), render(context, Stage.DRAIN)
    bridge_ports = next(line for line in stanza(drain, "bridge") if line.startswith("bridge-ports"))
    for port in l2_ports:
        assert port in next(line for line in stanza(service, "bridge") if "bridge-ports" in line)
        assert port not in bridge_ports.split()
        assert "link-down yes" in stanza(drain, port)


@pytest.mark.parametrize("nos", [Nos.EOS, Nos.NXOS])
def test_drain_shuts_l2_server_ports_on_eos_and_nxos(nos: Nos) -> None:
    context = load_example("leaf2", nos)
    drain = render(context, Stage.DRAIN)
    for port in context["interfaces"]:
        block = cli_block(drain, f"interface {port['name']}")
        expected_down = port["role"] == "unused" or bool(port["vlans"])
        assert ("shutdown" in block) == expected_down, port["name"]


def test_drain_keeps_routed_server_ports_up() -> None:
    context = load_example("leaf1")
    drain = render(context, Stage.DRAIN)
    for port in (p for p in context["interfaces"] if p["role"] == "server"):
        assert "link-down yes" not in stanza(drain, port["name"])


def _without_hostnames(lines: list[str]) -> list[str]:
    return [
        line
        for line in lines
        if line.strip()
        and line != "end"
        and "host-name" not in line
        and not line.startswith("hostname ")
    ]


@pytest.mark.parametrize("nos", list(CLI_NOSES))
@pytest.mark.parametrize("stage", list(Stage))
@pytest.mark.parametrize("device", DEVICES)
def test_cli_config_starts_with_the_pristine_lines(nos: Nos, stage: Stage, device: str) -> None:
    """Pristine first; only its hostname gives way to the blueprint's from discovery2 on."""
    context = load_example(device, nos)
    pristine = _without_hostnames(context["pristine"].splitlines())
    config = _without_hostnames(render(context, stage).splitlines())
    assert pristine
    assert config[: len(pristine)] == pristine


@pytest.mark.parametrize("stage", list(Stage))
@pytest.mark.parametrize("device", DEVICES)
def test_linux_frr_sections_start_with_their_pristine_lines(stage: Stage, device: str) -> None:
    """Per file, pristine lines first; rendered single-valued settings (frr defaults,
    hostname) lead and replace the pristine ones."""
    context = load_example(device)
    pristine = parse_document(context["pristine"])
    rendered = parse_document(render(context, stage))
    own = _without_hostnames([line for line in pristine[FRR] if "frr defaults" not in line])
    kept = _without_hostnames([line for line in rendered[FRR] if "frr defaults" not in line])
    assert kept[: len(own)] == own
    own_ifaces = [line for line in pristine[INTERFACES] if line.startswith("iface ")]
    ifaces = [line for line in rendered[INTERFACES] if line.startswith("iface ")]
    assert own_ifaces
    assert ifaces[: len(own_ifaces)] == own_ifaces
    for line in pristine[INTERFACES]:
        assert line in rendered[INTERFACES]


def test_linux_frr_pristine_loopback_stanza_gets_the_rendered_address() -> None:
    context = load_example("leaf2")
    assert "iface lo inet loopback" in context["pristine"]
    config = render(context, Stage.SERVICE)
    assert parse_document(config)[INTERFACES].count("iface lo inet loopback") == 1
    assert f"address {context['loopback']}" in stanza(config, "lo inet loopback")


@pytest.mark.parametrize("nos", list(Nos))
def test_a_missing_service_field_is_an_error_naming_it(nos: Nos) -> None:
    context = load_example("spine1", nos)
    del context["asn"]
    assert render(context, Stage.DISCOVERY2)
    with pytest.raises(RenderError, match="asn"):
        render(context, Stage.SERVICE)


def test_unknown_nos_and_stage_are_refused_with_the_allowed_values() -> None:
    context = load_example("spine1")
    context["nos"] = "ios"
    with pytest.raises(RenderError, match="linux_frr"):
        render(context, Stage.SERVICE)
    with pytest.raises(RenderError, match="discovery1"):
        render(load_example("spine1"), "rendered")
