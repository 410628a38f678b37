"""Fault injection and repair on a running lab (each fault is recorded in the state)."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from typing import Any

from lab import builder, daemons, shell
from lab.cabling import Cabler, read_port, recable, set_admin
from lab.errors import UnknownLabObjectError
from lab.state import LabState
from lab.topology import Endpoint, Topology, parse_endpoint, parse_topology
from lab.transceivers import failed_transceiver, healthy_transceiver
from napalm_linuxfrr.layout import lab_layout

FAULT_KINDS = (
    "cable_cut",
    "transceiver_fail",
    "device_offline",
    "oob_change",
    "swap_cables",
    "server_down",
    "daemon_kill",
    "plug_unused",
)
KILLABLE_DAEMONS = daemons.FRR_DAEMONS


def _pair_of(state: LabState, end: Endpoint) -> tuple[Endpoint, Endpoint | None]:
    for a, b in state.cabling:
        if a == str(end) or b == str(end):
            ends = [parse_endpoint(x) for x in (a, b) if x is not None]
            first = end
            other = next((e for e in ends if e != end), None)
            return first, other
    raise UnknownLabObjectError(
        f"port {end} has no cable", allowed=[f"{a}--{b}" for a, b in state.cabling]
    )


def _set_cabling(
    state: LabState, old: Sequence[Endpoint], new: list[tuple[Endpoint, Endpoint | None]]
) -> None:
    names = {str(e) for e in old}
    kept = [p for p in state.cabling if p[0] not in names and p[1] not in names]
    state.cabling = kept + [[str(a), str(b) if b else None] for a, b in new]


def _recable(
    state: LabState, old: Sequence[Endpoint], new: list[tuple[Endpoint, Endpoint | None]]
) -> float:
    """Re-cable; when the old cables went away (epoch seconds)."""
    cabler = Cabler(state.veth_index)
    unplugged = recable(cabler, new)
    state.veth_index = cabler.index
    _set_cabling(state, old, new)
    _refresh_lldp(state, {e.node for e in old})
    return unplugged


def _refresh_lldp(state: LabState, nodes: set[str]) -> None:
    """Restart lldpd on re-cabled switches: it keeps ghosts of re-created ports until TTL."""
    topo = parse_topology(state.topology)
    for name in sorted(nodes):
        node = topo.node(name)
        if node.kind == "switch":
            builder.start_lldpd(state.state_dir, node)


def cable_cut(state: LabState, end: Endpoint) -> dict[str, Any]:
    a, b = _pair_of(state, end)
    if b is None:
        raise UnknownLabObjectError(
            f"the cable at {end} is already cut", allowed="a connected port"
        )
    # effect_at: when the switches lost the cable (what follows, such as restarting
    # lldpd on them, is the lab's mechanics)
    effect_at = _recable(state, [a, b], [(a, None), (b, None)])
    return {"kind": "cable_cut", "ends": [str(a), str(b)], "effect_at": effect_at}


def reconnect(state: LabState, a: Endpoint, b: Endpoint) -> None:
    _recable(state, [a, b], [(a, b)])


def transceiver_fail(state: LabState, state_dir: str, end: Endpoint) -> dict[str, Any]:
    """The module fails, then its link goes down (as on a switch: the link-down event
    finds the optic already failed)."""
    if _pair_of(state, end)[1] is None:
        raise UnknownLabObjectError(
            f"the cable at {end} is already cut", allowed="a connected port"
        )
    effect_at = time.time()  # the module fails first
    _rewrite_optic(state_dir, end, failed=True)
    fault = cable_cut(state, end)
    return {**fault, "kind": "transceiver_fail", "port": str(end), "effect_at": effect_at}


def _rewrite_optic(state_dir: str, end: Endpoint, failed: bool) -> None:
    path = lab_layout(state_dir, f"fg-{end.node}").transceivers_file
    with open(path, encoding="utf-8") as fh:
        optics = json.load(fh)
    module = healthy_transceiver(end.node, end.port)
    optics[end.port] = failed_transceiver(module) if failed else module
    builder.write_file(path, json.dumps(optics, indent=1, sort_keys=True))


def swap_cables(state: LabState, end1: Endpoint, end2: Endpoint) -> dict[str, Any]:
    a1, b1 = _pair_of(state, end1)
    a2, b2 = _pair_of(state, end2)
    if b1 is None or b2 is None or {a1, b1} == {a2, b2}:
        raise UnknownLabObjectError(
            f"cannot swap {end1} and {end2}", allowed="ends of two different connected cables"
        )
    _recable(state, [a1, b1, a2, b2], [(a1, b2), (a2, b1)])
    return {"kind": "swap_cables", "ends": [str(a1), str(b1), str(a2), str(b2)]}


def unused_ports(topo: Topology, cabling: Sequence[Sequence[str | None]]) -> list[Endpoint]:
    """Switch ports with no cable in the lab's current cabling (a cut cable's ends are
    still cabled: they wait for their cable), in topology order. Pure."""
    cabled = {end for pair in cabling for end in pair if end is not None}
    return [
        Endpoint(node.name, port)
        for node in topo.switches()
        for port in node.ports
        if str(Endpoint(node.name, port)) not in cabled
    ]


def plug_unused(state: LabState, end1: Endpoint, end2: Endpoint) -> dict[str, Any]:
    """A cable nobody planned between two unused switch ports, both enabled: a shut port
    shows a plugged cable nothing (no carrier, no LLDP), on a real switch as here."""
    free = unused_ports(parse_topology(state.topology), state.cabling)
    if end1 == end2 or end1 not in free or end2 not in free:
        raise UnknownLabObjectError(
            f"cannot plug {end1} into {end2}",
            allowed=f"two different unused switch ports: {', '.join(map(str, free)) or 'none'}",
        )
    ends = [end1, end2]
    admin_up = [read_port(e).admin_up for e in ends]
    cabler = Cabler(state.veth_index)
    recable(cabler, [(end1, end2)])
    state.veth_index = cabler.index
    for end in ends:
        set_admin(end, up=True)
    state.cabling = [*state.cabling, [str(end1), str(end2)]]
    _refresh_lldp(state, {e.node for e in ends})
    return {"kind": "plug_unused", "ends": [str(e) for e in ends], "admin_up": admin_up}


def _unplug(state: LabState, ends: Sequence[Endpoint], admin_up: Sequence[bool]) -> None:
    """Back to unused: each port with a dead peer again, its admin state as before."""
    cabler = Cabler(state.veth_index)
    recable(cabler, [(end, None) for end in ends])
    state.veth_index = cabler.index
    for end, up in zip(ends, admin_up, strict=True):
        set_admin(end, up=up)
    names = {str(e) for e in ends}
    state.cabling = [p for p in state.cabling if p[0] not in names and p[1] not in names]
    _refresh_lldp(state, {e.node for e in ends})


def device_offline(topo: Topology, node: str) -> dict[str, Any]:
    daemons.stop_netns_processes(topo.node(node).netns)
    return {"kind": "device_offline", "node": node}


def oob_change(topo: Topology, state_dir: str, node: str, lines: Sequence[str]) -> dict[str, Any]:
    netns = topo.node(node).netns
    layout = lab_layout(state_dir, netns)
    argv = ["vtysh", "--config_dir", layout.frr_conf_dir, "--vty_socket", layout.frr_run_dir or ""]
    words = ["-c", "configure terminal"]
    for line in lines:
        words += ["-c", line]
    effect_at = time.time()  # before vtysh starts: no later than the change itself
    shell.in_netns(netns, [*argv, *words])
    return {"kind": "oob_change", "node": node, "lines": list(lines), "effect_at": effect_at}


def daemon_kill(topo: Topology, node: str, daemon: str) -> dict[str, Any]:
    """``kill -9`` one FRR daemon of switch ``node`` (a crash: watchfrr restarts it)."""
    switch = topo.node(node)
    if switch.kind != "switch":
        raise UnknownLabObjectError(
            f"{node} is not a switch", allowed=[s.name for s in topo.switches()]
        )
    if daemon not in KILLABLE_DAEMONS:
        raise UnknownLabObjectError(f"no FRR daemon {daemon!r}", allowed=list(KILLABLE_DAEMONS))
    pids = daemons.kill_daemon(switch.netns, daemon)
    if not pids:
        raise UnknownLabObjectError(
            f"{daemon} is not running on {node}", allowed="a running daemon (see `status`)"
        )
    return {"kind": "daemon_kill", "node": node, "daemon": daemon, "pids": pids}


def _restart_if_missing(state_dir: str, topo: Topology, node: str, daemon: str) -> None:
    """Repair of a killed daemon: nothing when watchfrr has restarted it already."""
    netns = topo.node(node).netns
    if not daemons.running_named(netns, daemon):
        script = f"{lab_layout(state_dir, netns).frr_run_dir}/frr-daemon.sh"
        shell.in_netns(netns, [script, "start", daemon])


def server_down(topo: Topology, node: str) -> dict[str, Any]:
    server = topo.node(node)
    if server.kind != "server":
        raise UnknownLabObjectError(
            f"{node} is not a server", allowed=[s.name for s in topo.servers()]
        )
    for iface in server.interfaces:
        shell.run(["ip", "-n", server.netns, "link", "set", "dev", iface.name, "down"])
    return {"kind": "server_down", "node": node}


def repair(state: LabState, topo: Topology, state_dir: str, fault: dict[str, Any]) -> None:
    """Undo one recorded fault."""
    kind = fault["kind"]
    if kind in ("cable_cut", "transceiver_fail"):
        a, b = (parse_endpoint(e) for e in fault["ends"])
        reconnect(state, a, b)
        if kind == "transceiver_fail":
            _rewrite_optic(state_dir, parse_endpoint(fault["port"]), failed=False)
    elif kind == "swap_cables":
        a1, b1, a2, b2 = (parse_endpoint(e) for e in fault["ends"])
        _recable(state, [a1, b1, a2, b2], [(a1, b1), (a2, b2)])
    elif kind == "plug_unused":
        _unplug(state, [parse_endpoint(e) for e in fault["ends"]], fault["admin_up"])
    elif kind == "device_offline":
        builder.start_switch(state_dir, topo.node(fault["node"]))
    elif kind == "oob_change":
        _reload_saved_frr(topo, state_dir, fault["node"])
    elif kind == "server_down":
        builder.configure_server(topo.node(fault["node"]))
    elif kind == "daemon_kill":
        _restart_if_missing(state_dir, topo, fault["node"], fault["daemon"])


def _reload_saved_frr(topo: Topology, state_dir: str, node: str) -> None:
    """Put back the last pushed FRR configuration (what the daemons saved)."""
    netns = topo.node(node).netns
    layout = lab_layout(state_dir, netns)
    shell.in_netns(
        netns,
        [
            "/usr/lib/frr/frr-reload.py",
            "--reload",
            "--bindir",
            "/usr/bin",
            "--confdir",
            layout.frr_conf_dir,
            "--rundir",
            layout.frr_run_dir or "",
            "--vty_socket",
            layout.frr_run_dir or "",
            layout.frr_conf_file,
        ],
    )
