"""The lab's public Python API: ``Lab(state_dir).up(topology)``, ``down()``, ``status()``."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping, Sequence
from typing import Any

from lab import builder, daemons, faults, mgmt, shell
from lab.cabling import Cabler
from lab.errors import (
    LabAlreadyRunningError,
    LabNotRunningError,
    LabPrivilegeError,
    UnknownLabObjectError,
)
from lab.state import LabState, load_state, save_state
from lab.topology import Endpoint, Topology, parse_endpoint, parse_topology
from lab.uml import mgmt_net
from napalm_linuxfrr.layout import DEFAULT_LAB_STATE_DIR, DeviceLayout, lab_layout


def load_topology(source: Mapping[str, Any] | str) -> Topology:
    """A topology from a dict or from the path of a JSON file."""
    if isinstance(source, str):
        with open(source, encoding="utf-8") as fh:
            return parse_topology(json.load(fh))
    return parse_topology(source)


class Lab:
    """One virtual lab per state directory (default ``/var/run/fabricgraph-lab``)."""

    def __init__(self, state_dir: str = DEFAULT_LAB_STATE_DIR) -> None:
        self.state_dir = state_dir

    # -- lifecycle -------------------------------------------------------------
    def up(self, topology: Mapping[str, Any] | str, ztp_api_port: int | None = None) -> LabState:
        """Build every namespace, cable and daemon; switches start factory-default.

        With ``ztp_api_port``, the switches also get a management network (``eth0``,
        DHCP) and provision themselves from the API on that port (``lab/mgmt.py``)."""
        _require_root()
        topo = load_topology(topology)
        if load_state(self.state_dir) is not None:
            raise LabAlreadyRunningError(
                f"a lab is already running in {self.state_dir}", allowed="`lab down` first"
            )
        mgmt.teardown(self.state_dir)
        builder.destroy_everything(self.state_dir, [])
        raw = topology if not isinstance(topology, str) else _read_json(topology)
        state = LabState(
            name=topo.name,
            topology=dict(raw),
            namespaces=builder.all_netns(topo),
            state_dir=self.state_dir,
        )
        save_state(self.state_dir, state)
        try:
            self._build(topo, state)
            if ztp_api_port is not None:
                self._build_mgmt(topo, ztp_api_port)
        except BaseException:
            self.down()
            raise
        return state

    def _build(self, topo: Topology, state: LabState) -> None:
        builder.create_namespace(state.namespaces[-1], ())
        for node in topo.nodes:
            sysctls = builder.SYSCTLS_SWITCH if node.kind == "switch" else builder.SYSCTLS_SERVER
            builder.create_namespace(node.netns, sysctls)
        cabler = Cabler()
        builder.cable_all(topo, cabler)
        state.veths = cabler.created
        state.veth_index = cabler.index
        state.cabling = [[str(link.a), str(link.b)] for link in topo.links]
        save_state(self.state_dir, state)
        for node in topo.switches():
            builder.prepare_switch_files(self.state_dir, node)
            builder.start_switch(self.state_dir, node)
        for node in topo.servers():
            builder.configure_server(node)
        state.pids = {ns: shell.netns_pids(ns) for ns in state.namespaces}
        save_state(self.state_dir, state)

    def _build_mgmt(self, topo: Topology, api_port: int) -> None:
        """The management bridge, an eth0 per switch, DHCP + ZTP (the switches' DHCP
        clients start last: each provisions itself as soon as it has a lease)."""
        mgmt.create_bridge(self.state_dir)
        for index, node in enumerate(topo.switches()):
            mgmt.attach_switch(index, node)
            mgmt.write_identity(self.state_dir, node)
        mgmt.start_relay(self.state_dir, api_port)
        mgmt.start_dhcp_server(self.state_dir, api_port)
        for node in topo.switches():
            mgmt.start_dhcp_client(self.state_dir, node)

    def down(self) -> dict[str, list[str]]:
        """Remove everything of ours, even after a crash; idempotent."""
        _require_root()
        state = load_state(self.state_dir)
        removed = builder.destroy_everything_but_state(
            self.state_dir, state.namespaces if state else []
        )
        removed.update({f"mgmt_{k}": v for k, v in mgmt.teardown(self.state_dir).items()})
        # a tenant lab's UML kernel serving a management network, and its TAP
        removed.update({f"tenant_mgmt_{k}": v for k, v in mgmt_net.teardown().items()})
        builder.remove_state(self.state_dir)
        return removed

    def status(self) -> dict[str, Any]:
        state = load_state(self.state_dir)
        if state is None:
            return {"running": False, "leftover_namespaces": builder.leftover_namespaces()}
        present = set(shell.list_netns())
        return {
            "running": True,
            "name": state.name,
            "nodes": {
                ns: {"present": ns in present, "processes": len(shell.netns_pids(ns))}
                for ns in state.namespaces
            },
            "cabling": state.cabling,
            "faults": state.faults,
        }

    # -- lookups ---------------------------------------------------------------
    def state(self) -> LabState:
        state = load_state(self.state_dir)
        if state is None:
            raise LabNotRunningError(f"no lab is running in {self.state_dir}", allowed="`lab up`")
        return state

    def topology(self) -> Topology:
        return parse_topology(self.state().topology)

    def netns(self, node: str) -> str:
        return self.topology().node(node).netns

    def layout(self, node: str) -> DeviceLayout:
        return lab_layout(self.state_dir, self.netns(node))

    def napalm_optional_args(self, node: str) -> dict[str, str]:
        """What ``napalm.get_network_driver("linuxfrr")`` needs to reach ``node``."""
        return {"transport": "netns", "netns": self.netns(node), "lab_state_dir": self.state_dir}

    def ping(self, src_node: str, dst_node: str) -> bool:
        """Server-to-server reachability, host address to host address (ICMP echo)."""
        topo = self.topology()
        src, dst = topo.node(src_node), topo.node(dst_node)
        if src.host_address is None or dst.host_address is None:
            raise UnknownLabObjectError(
                f"ping needs two servers, got {src_node} and {dst_node}",
                allowed=[s.name for s in topo.servers()],
            )
        argv = ["ip", "netns", "exec", src.netns, sys.executable, "-m", "lab.ping"]
        return shell.succeeds([*argv, _host(src.host_address), _host(dst.host_address)])

    def start_sshd(self, node: str, public_key: str) -> str:
        """An sshd in switch ``node`` accepting ``public_key`` for root.

        Returns the SSH ``ProxyCommand`` that reaches it from the root namespace.
        """
        topo = self.topology()
        self._switch(topo, node)
        netns = topo.node(node).netns
        run_dir = os.path.join(self.state_dir, netns, "run")
        keys = os.path.join(self.state_dir, netns, "authorized_keys")
        builder.write_file(keys, public_key.strip() + "\n")
        daemons.start_sshd(netns, run_dir, keys)
        relay = f"{sys.executable} -m lab.tcp_relay 127.0.0.1 {daemons.SSHD_PORT}"
        return f"ip netns exec {netns} {relay}"

    # -- faults ----------------------------------------------------------------
    def _record(self, state: LabState, fault: dict[str, Any]) -> dict[str, Any]:
        state.faults.append(fault)
        save_state(self.state_dir, state)
        return fault

    def cable_cut(self, node: str, port: str) -> dict[str, Any]:
        state = self.state()
        return self._record(state, faults.cable_cut(state, self._end(node, port)))

    def transceiver_fail(self, node: str, port: str) -> dict[str, Any]:
        state = self.state()
        end = self._end(node, port)
        return self._record(state, faults.transceiver_fail(state, self.state_dir, end))

    def device_offline(self, node: str) -> dict[str, Any]:
        topo = self.topology()
        self._switch(topo, node)
        return self._record(self.state(), faults.device_offline(topo, node))

    def oob_change(self, node: str, vtysh_lines: Sequence[str]) -> dict[str, Any]:
        topo = self.topology()
        self._switch(topo, node)
        fault = faults.oob_change(topo, self.state_dir, node, vtysh_lines)
        return self._record(self.state(), fault)

    def swap_cables(self, end1: str, end2: str) -> dict[str, Any]:
        state = self.state()
        a = parse_endpoint(end1)
        b = parse_endpoint(end2)
        self._end(a.node, a.port)
        self._end(b.node, b.port)
        return self._record(state, faults.swap_cables(state, a, b))

    def plug_unused(self, end1: str, end2: str) -> dict[str, Any]:
        """A cable between two unused switch ports (``node:port`` each), both enabled."""
        state = self.state()
        a, b = parse_endpoint(end1), parse_endpoint(end2)
        self._end(a.node, a.port)
        self._end(b.node, b.port)
        return self._record(state, faults.plug_unused(state, a, b))

    def daemon_kill(self, node: str, daemon: str = "bgpd") -> dict[str, Any]:
        fault = faults.daemon_kill(self.topology(), node, daemon)
        return self._record(self.state(), fault)

    def server_down(self, node: str) -> dict[str, Any]:
        return self._record(self.state(), faults.server_down(self.topology(), node))

    def repair(self, index: int = -1) -> dict[str, Any]:
        """Undo one active fault (the latest by default)."""
        state = self.state()
        if not state.faults:
            raise UnknownLabObjectError("no active fault to repair", allowed="inject a fault first")
        fault = state.faults.pop(index)
        faults.repair(state, self.topology(), self.state_dir, fault)
        save_state(self.state_dir, state)
        return fault

    def repair_all(self) -> list[dict[str, Any]]:
        repaired: list[dict[str, Any]] = []
        while self.state().faults:
            repaired.append(self.repair())
        return repaired

    def _end(self, node: str, port: str) -> Endpoint:
        topo = self.topology()
        known = topo.node(node).port_names
        if port not in known:
            raise UnknownLabObjectError(f"{node} has no port {port!r}", allowed=list(known))
        return Endpoint(node, port)

    @staticmethod
    def _switch(topo: Topology, node: str) -> None:
        if topo.node(node).kind != "switch":
            raise UnknownLabObjectError(
                f"{node} is not a switch", allowed=[s.name for s in topo.switches()]
            )


def _host(address: str) -> str:
    return address.split("/")[0]


def _read_json(path: str) -> dict[str, Any]:
    with open(path, encoding="utf-8") as fh:
        data: dict[str, Any] = json.load(fh)
    return data


def _require_root() -> None:
    if os.geteuid() != 0:
        raise LabPrivilegeError(
            "the lab needs root (CAP_NET_ADMIN) to create network namespaces",
            allowed="run as root, e.g. `sudo python -m lab up topology.json`",
        )
