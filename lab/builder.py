"""Build and tear down the lab's namespaces, nodes and cables (host side effects)."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Sequence

from lab import daemons, shell
from lab.cabling import LIMBO_NETNS, Cabler
from lab.topology import NETNS_PREFIX, VETH_PREFIX, Endpoint, Node, Topology
from lab.transceivers import switch_transceivers
from napalm_linuxfrr.layout import DeviceLayout, lab_layout, lab_node_dir

SYSCTLS_SERVER = (
    "net.ipv4.conf.all.rp_filter=0",
    "net.ipv4.conf.default.rp_filter=0",
)
SYSCTLS_SWITCH = ("net.ipv4.ip_forward=1", "net.ipv6.conf.all.forwarding=1", *SYSCTLS_SERVER)


def create_namespace(netns: str, sysctls: Sequence[str]) -> None:
    shell.run(["ip", "netns", "add", netns])
    shell.run(["ip", "-n", netns, "link", "set", "lo", "up"])
    for setting in sysctls:
        shell.in_netns(netns, ["sysctl", "-q", "-w", setting])


def cable_all(topo: Topology, cabler: Cabler) -> None:
    """One veth pair per link; a switch port without a link gets a parked, dead peer."""
    for link in topo.links:
        cabler.connect(link.a, link.b)
    cabled = {e for link in topo.links for e in (link.a, link.b)}
    for node in topo.switches():
        for port in node.ports:
            if Endpoint(node.name, port) not in cabled:
                cabler.dangle(Endpoint(node.name, port))


def write_file(path: str, text: str, owner_frr: bool = False) -> None:
    os.makedirs(os.path.dirname(path), mode=0o755, exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.chmod(path, 0o644)
    if owner_frr:
        shutil.chown(path, "frr", "frr")


def prepare_switch_files(state_dir: str, node: Node) -> DeviceLayout:
    """Factory-default files: hostname, empty-ish frr.conf, transceivers."""
    layout = lab_layout(state_dir, node.netns)
    base = lab_node_dir(state_dir, node.netns)
    for folder in (layout.frr_conf_dir, layout.frr_run_dir or "", layout.driver_dir):
        os.makedirs(folder, mode=0o755, exist_ok=True)
    for folder in (layout.frr_conf_dir, layout.frr_run_dir or ""):
        shutil.chown(folder, "frr", "frr")
    write_file(layout.hostname_file, f"{node.name}\n")
    write_file(layout.frr_conf_file, daemons.factory_frr_conf(node.name), owner_frr=True)
    write_file(f"{layout.frr_conf_dir}/vtysh.conf", f"hostname {node.name}\n", owner_frr=True)
    write_file(f"{base}/lldpd-factory.conf", daemons.factory_lldpd_conf(node.name))
    optics = switch_transceivers(node.name, node.ports)
    write_file(layout.transceivers_file, json.dumps(optics, indent=1, sort_keys=True))
    return layout


def start_switch(state_dir: str, node: Node) -> None:
    daemons.start_frr(node.netns, lab_layout(state_dir, node.netns))
    start_lldpd(state_dir, node)


def start_lldpd(state_dir: str, node: Node) -> None:
    layout = lab_layout(state_dir, node.netns)
    base = lab_node_dir(state_dir, node.netns)
    daemons.start_lldpd(node.netns, layout, node.ports, f"{base}/lldpd-factory.conf")


def configure_server(node: Node) -> None:
    """Host address on lo, interface addresses, ECMP default route sourced from lo."""
    ns = ["ip", "-n", node.netns]
    assert node.host_address is not None
    host = node.host_address.split("/")[0]
    shell.run([*ns, "addr", "replace", node.host_address, "dev", "lo"])
    for iface in node.interfaces:
        shell.run([*ns, "addr", "replace", iface.address, "dev", iface.name])
        shell.run([*ns, "link", "set", "dev", iface.name, "up"])
    if not node.interfaces:
        return
    route = [*ns, "route", "replace", "default", "src", host]
    if len(node.interfaces) == 1:
        gw = node.interfaces[0]
        shell.run([*route, "via", gw.gateway, "dev", gw.name, "onlink"])
        return
    hops: list[str] = []
    for iface in node.interfaces:
        hops += ["nexthop", "via", iface.gateway, "dev", iface.name, "onlink"]
    shell.run([*route, *hops])


def leftover_namespaces() -> list[str]:
    return [ns for ns in shell.list_netns() if ns.startswith(NETNS_PREFIX)]


def destroy_everything(state_dir: str, namespaces: Sequence[str]) -> dict[str, list[str]]:
    """Stop processes, delete namespaces and stray veths; safe to call any time."""
    removed = destroy_everything_but_state(state_dir, namespaces)
    remove_state(state_dir)
    return removed


def remove_state(state_dir: str) -> None:
    if os.path.isdir(state_dir):
        shutil.rmtree(state_dir, ignore_errors=True)


def destroy_everything_but_state(state_dir: str, namespaces: Sequence[str]) -> dict[str, list[str]]:
    """Stop processes, delete namespaces and stray veths (the state directory stays)."""
    targets = sorted(set(namespaces) | set(leftover_namespaces()))
    stopped: list[str] = []
    for netns in targets:
        stopped += [str(p) for p in daemons.stop_netns_processes(netns)]
    for netns in targets:
        shell.run(["ip", "netns", "del", netns], check=False)
    veths = [name for name in shell.list_links() if name.startswith(VETH_PREFIX)]
    for name in veths:
        shell.run(["ip", "link", "del", name], check=False)
    return {"namespaces": targets, "veths": veths, "pids": stopped}


def all_netns(topo: Topology) -> list[str]:
    return [n.netns for n in topo.nodes] + [LIMBO_NETNS]
