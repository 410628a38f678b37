"""A device context's EOS intent as Arista AVD structured configuration (``eos_cli_config_gen``).

``structured_config(context, stage)`` reads the same stage variables the EOS templates
read (``renderers.plan.stage_variables``) and writes them in the keys of AVD's
``eos_cli_config_gen`` schema, so AVD's own tooling (``pyavd.validate_structured_config``,
``pyavd.get_device_config``) can check the intent and render it: the tests compare AVD's
CLI with ours (tests/unit/renderers/test_avd.py). Pure data, no pyavd import; the
pristine config (the device's own lines) is not part of it.

Where our CLI and AVD's differ in form (both accepted by EOS), the structured config says
the same thing AVD's way; the test names each such difference.
"""

from __future__ import annotations

from typing import Any

from renderers.context import DeviceContext, Stage
from renderers.environment import eos_speed, sort_prefixes, vlan_list
from renderers.plan import stage_variables

DRAIN_MAPS = ("DRAIN-IN", "DRAIN-OUT")


def _ethernet(port: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"name": port["name"], "speed": eos_speed(port["speed_mbps"])}
    if port["description"]:
        out["description"] = port["description"]
    if port["mtu"]:
        out["mtu"] = port["mtu"]
    if port.get("access_vlan"):
        out["switchport"] = {"mode": "access", "access_vlan": port["access_vlan"]}
    elif port["vlans"]:
        out["switchport"] = {"mode": "trunk", "trunk": {"allowed_vlan": vlan_list(port["vlans"])}}
    else:
        out["switchport"] = {"enabled": False}
    if port["ipv4"]:
        out["ip_address"] = port["ipv4"]
    out["shutdown"] = bool(port["shutdown"])
    return out


def _vlan_interface(vn: dict[str, Any], v: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"name": f"Vlan{vn['vlan']}", "shutdown": False}
    if vn["vrf"] != "default":
        out["vrf"] = vn["vrf"]
    out["ip_address_virtual" if v["vxlan_vns"] else "ip_address"] = vn["gateway"]
    if v["dhcp_relay_servers"]:
        out["ip_helpers"] = [{"ip_helper": s} for s in v["dhcp_relay_servers"]]
    return out


def _neighbor(n: dict[str, Any], v: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "ip_address": n["ip"],
        "remote_as": str(n["asn"]),
        "description": n["description"],
    }
    if n["allowas_in"]:
        out["allowas_in"] = {"enabled": True, "times": 1}
    if n["afi"] == "evpn":
        out |= {"update_source": "Loopback0", "ebgp_multihop": 3, "send_community": "extended"}
    if v["drain"]:
        out |= {"route_map_in": DRAIN_MAPS[0], "route_map_out": DRAIN_MAPS[1]}
    return out


def _router_bgp(v: dict[str, Any]) -> dict[str, Any]:
    bgp: dict[str, Any] = {
        "as": str(v["asn"]),
        "router_id": v["router_id"],
        "bgp_defaults": ["bgp bestpath as-path multipath-relax"],
        "maximum_paths": {"paths": 64, "ecmp": 64},
        "neighbors": [_neighbor(n, v) for n in v["neighbors"]],
        "address_family_ipv4": {
            "networks": [{"prefix": p} for p in sort_prefixes([v["loopback"], *v["advertised"]])]
        },
    }
    if v["evpn"]:
        bgp["vlans"] = [
            {
                "id": vn["vlan"],
                "rd": f"{v['router_id']}:{vn['vlan']}",
                "route_targets": {"both": [f"{vn['vni']}:{vn['vni']}"]},
                "redistribute_routes": ["learned"],
            }
            for vn in v["vxlan_vns"]
        ]
        overlay = [n["ip"] for n in v["overlay_neighbors"]]
        bgp["address_family_evpn"] = {
            "neighbors": [{"ip_address": ip, "activate": True} for ip in overlay]
        }
        if v["transit"]:
            bgp["address_family_evpn"]["next_hop_unchanged"] = True
        bgp["address_family_ipv4"]["neighbors"] = [
            {"ip_address": ip, "activate": False} for ip in overlay
        ]
    vrfs = []
    for vrf in v["vrfs"]:
        item: dict[str, Any] = {"name": vrf["name"], "router_id": v["router_id"]}
        if vrf["rd"]:
            tags = [{"address_family": "evpn", "route_targets": [vrf["rt"]]}]
            item |= {"rd": vrf["rd"], "route_targets": {"import": tags, "export": tags}}
        if vrf["networks"]:
            item["networks"] = [{"prefix": p} for p in vrf["networks"]]
        vrfs.append(item)
    if vrfs:
        bgp["vrfs"] = vrfs
    return bgp


def structured_config(context: DeviceContext, stage: Stage) -> dict[str, Any]:
    """What our EOS templates render at ``stage``, as AVD ``eos_cli_config_gen`` keys."""
    v = stage_variables(context, stage, context["hostname"])
    config: dict[str, Any] = {"lldp": {"run": True}}
    if v["blueprint"]:
        config["hostname"] = v["system_hostname"]
    config["ethernet_interfaces"] = [_ethernet(p) for p in v["ports"]]
    if not v["service"]:
        return config
    config |= {
        "service_routing_protocols_model": "multi-agent",
        "ip_routing": True,
        "loopback_interfaces": [{"name": "Loopback0", "ip_address": v["loopback"]}],
        "router_bgp": _router_bgp(v),
    }
    if v["vrfs"]:
        config["vrfs"] = [{"name": vrf["name"], "ip_routing": True} for vrf in v["vrfs"]]
    if v["vxlan_vns"]:
        config["ip_virtual_router_mac_address"] = v["anycast_mac"]
        vxlan: dict[str, Any] = {
            "source_interface": "Loopback0",
            "udp_port": 4789,
            "vlans": [{"id": vn["vlan"], "vni": vn["vni"]} for vn in v["vxlan_vns"]],
        }
        if v["l3vnis"]:
            vxlan["vrfs"] = [{"name": vrf["name"], "vni": vrf["l3vni"]} for vrf in v["l3vnis"]]
        config["vxlan_interface"] = {"vxlan1": {"vxlan": vxlan}}
    if v["vns"]:
        config["vlans"] = [{"id": vn["vlan"], "name": vn["name"]} for vn in v["vns"]]
        gateways = [_vlan_interface(vn, v) for vn in v["vns"] if vn["gateway"]]
        if gateways:
            config["vlan_interfaces"] = gateways
    if v["static_routes"]:
        config["static_routes"] = [
            {"prefix": r["prefix"], "next_hop": r["next_hop"]}
            | ({"name": r["description"].replace(" ", "-")} if r.get("description") else {})
            for r in v["static_routes"]
        ]
    if v["drain"]:
        config["route_maps"] = [
            {"name": name, "sequence_numbers": [{"sequence": 10, "type": "deny"}]}
            for name in DRAIN_MAPS
        ]
    return config
