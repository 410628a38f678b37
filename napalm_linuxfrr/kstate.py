"""Kernel interface state as the driver reads it (``ip -j -d addr show``, ``bridge -j vlan
show``) and the driver's record on the device. Pure functions."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

from napalm_linuxfrr.frr import fingerprint
from napalm_linuxfrr.ifaces import DEFAULT_MTU, natural_key

LOOPBACK_DEFAULT = "127.0.0.1/8"
NON_PORT_KINDS = frozenset({"bond", "bridge", "vlan", "vrf", "vxlan", "dummy"})


@dataclass(frozen=True)
class KernelIface:
    name: str
    admin_up: bool
    oper_up: bool
    mtu: int
    alias: str
    mac: str
    addresses: tuple[str, ...]
    kind: str
    master: str | None = None
    link: str | None = None  # a VLAN device's lower device
    vrf_table: int | None = None
    vxlan_id: int | None = None
    vxlan_local: str | None = None
    vlan_id: int | None = None
    vlan_filtering: bool = False
    learning: bool = True  # as a bridge port
    neigh_suppress: bool = False  # as a bridge port
    pvid: int | None = None  # untagged VLAN as a member of a VLAN-aware bridge
    vids: tuple[int, ...] = ()  # tagged VLANs (a bridge: its own VLANs)

    @property
    def is_port(self) -> bool:
        return self.name != "lo" and self.kind not in NON_PORT_KINDS


@dataclass(frozen=True)
class Record:
    """What the last commit wrote besides kernel state (``record.json`` on the device)."""

    mentioned: tuple[str, ...] = ()
    link_speed: Mapping[str, int] | None = None
    lldp_enabled: bool = True
    hwaddress: Mapping[str, str] | None = None  # MACs the push set (anycast gateways)
    # FRR as the last commit left it (``napalm_linuxfrr.frr.fingerprint``): of the daemon
    # configuration it applied and of ``show running-config`` right after; '' = unknown
    frr_applied: str = ""
    frr_running: str = ""

    def speed(self, name: str) -> int | None:
        return (self.link_speed or {}).get(name)

    def frr_unchanged(self, wanted: str, running: str | None) -> bool:
        """Whether FRR already runs ``wanted`` (daemon configuration): the last commit
        applied exactly it and the running configuration is still what it left."""
        return bool(
            self.frr_applied
            and running is not None
            and self.frr_applied == fingerprint(wanted)
            and self.frr_running == fingerprint(running)
        )

    def to_json(self) -> str:
        return json.dumps(
            {
                "mentioned": list(self.mentioned),
                "link_speed": dict(self.link_speed or {}),
                "lldp_enabled": self.lldp_enabled,
                "hwaddress": dict(self.hwaddress or {}),
                "frr_applied": self.frr_applied,
                "frr_running": self.frr_running,
            },
            indent=1,
            sort_keys=True,
        )


def parse_record(text: str) -> Record:
    if not text.strip():
        return Record()
    data = json.loads(text)
    return Record(
        mentioned=tuple(data.get("mentioned", [])),
        link_speed={str(k): int(v) for k, v in data.get("link_speed", {}).items()},
        lldp_enabled=bool(data.get("lldp_enabled", True)),
        hwaddress={str(k): str(v) for k, v in data.get("hwaddress", {}).items()},
        frr_applied=str(data.get("frr_applied", "")),
        frr_running=str(data.get("frr_running", "")),
    )


def parse_ip_addr(
    text: str, vlans: Mapping[str, tuple[int | None, tuple[int, ...]]] | None = None
) -> dict[str, KernelIface]:
    """``ip -j -d addr show`` → interfaces by name (IPv4 addresses only).

    ``vlans`` is ``parse_bridge_vlans`` of ``bridge -j vlan show``: each bridge member's
    untagged VLAN and tagged VLANs.
    """
    result: dict[str, KernelIface] = {}
    for item in json.loads(text or "[]"):
        name = str(item["ifname"])
        addrs = tuple(
            f"{a['local']}/{a['prefixlen']}"
            for a in item.get("addr_info", [])
            if a.get("family") == "inet"
        )
        flags = item.get("flags", [])
        info = item.get("linkinfo", {})
        kind = str(info.get("info_kind", ""))
        data = info.get("info_data", {})
        slave = info.get("info_slave_data", {}) if info.get("info_slave_kind") == "bridge" else {}
        pvid, vids = (vlans or {}).get(name, (None, ()))
        result[name] = KernelIface(
            name=name,
            admin_up="UP" in flags,
            oper_up=item.get("operstate") == "UP" or (name == "lo" and "UP" in flags),
            mtu=int(item.get("mtu", DEFAULT_MTU)),
            alias=str(item.get("ifalias", "")),
            mac=str(item.get("address", "")),
            addresses=addrs,
            kind=kind,
            master=item.get("master"),
            link=item.get("link") if kind == "vlan" else None,
            vrf_table=int(data["table"]) if kind == "vrf" and "table" in data else None,
            vxlan_id=int(data["id"]) if kind == "vxlan" and "id" in data else None,
            vxlan_local=data.get("local") if kind == "vxlan" else None,
            vlan_id=int(data["id"]) if kind == "vlan" and "id" in data else None,
            vlan_filtering=kind == "bridge" and bool(data.get("vlan_filtering", 0)),
            learning=bool(slave.get("learning", True)),
            neigh_suppress=bool(slave.get("neigh_suppress", False)),
            pvid=pvid,
            vids=vids,
        )
    return result


def parse_bridge_vlans(text: str) -> dict[str, tuple[int | None, tuple[int, ...]]]:
    """``bridge -j vlan show`` → per device (untagged PVID, tagged VLANs in order)."""
    result: dict[str, tuple[int | None, tuple[int, ...]]] = {}
    for item in json.loads(text or "[]"):
        pvid: int | None = None
        tagged: list[int] = []
        for vlan in item.get("vlans", []):
            first = int(vlan["vlan"])
            flags = vlan.get("flags", [])
            for vid in range(first, int(vlan.get("vlanEnd", first)) + 1):
                if "PVID" in flags and "Egress Untagged" in flags:
                    pvid = vid
                else:
                    tagged.append(vid)
        result[str(item["ifname"])] = (pvid, tuple(sorted(tagged)))
    return result


def without_management(
    kernel: Mapping[str, KernelIface], management: frozenset[str]
) -> dict[str, KernelIface]:
    """The kernel state a configuration owns: the management interfaces (e.g. ``eth0``,
    and a management VRF with whatever is enslaved to it) are left out, so a push neither
    shuts, readdresses nor deletes them and the running document does not show them."""
    return {
        name: k
        for name, k in kernel.items()
        if name not in management and (k.master is None or k.master not in management)
    }


def device_ports(kernel: Mapping[str, KernelIface]) -> list[str]:
    return sorted((k.name for k in kernel.values() if k.is_port), key=natural_key)
