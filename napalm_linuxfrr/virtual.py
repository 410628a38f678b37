"""Tenant devices (VRFs, VXLAN devices, bridges, SVIs): read them from the kernel and plan
the ``ip``/``bridge`` commands that create, attach and delete them. Pure functions.

A push runs in two steps: ``plan_devices`` creates and deletes whole devices; after the
kernel is read again, ``plan_attachment`` enslaves each device to its VRF or bridge and
sets its VLANs and bridge-port flags (the kernel refuses VLANs on a device that is not
yet a bridge port, so the order matters).
"""

from __future__ import annotations

from collections.abc import Mapping

from napalm_linuxfrr.ifaces import VIRTUAL_KINDS, IfaceConfig, natural_key
from napalm_linuxfrr.kstate import KernelIface, Record

VXLAN_PORT = "4789"
FIRST_VRF_TABLE = 1001  # ifupdown2's ``vrf-table auto`` range starts here too


def kernel_kind(k: KernelIface) -> str:
    """The kind this driver manages the device as (``port`` for anything else)."""
    return k.kind if k.kind in VIRTUAL_KINDS else "port"


def _masters(ifaces: Mapping[str, IfaceConfig]) -> dict[str, str]:
    """Each device's wanted master: its VRF, or the bridge that lists it in bridge-ports."""
    masters = {name: cfg.vrf for name, cfg in ifaces.items() if cfg.vrf}
    for cfg in ifaces.values():
        masters.update({port: cfg.name for port in cfg.bridge_ports})
    return masters


def _same_device(want: IfaceConfig, have: KernelIface) -> bool:
    """Whether ``have`` can become ``want`` without being re-created."""
    if want.kind != kernel_kind(have):
        return False
    if want.kind == "vxlan":
        return (want.vxlan_id, want.vxlan_local) == (have.vxlan_id, have.vxlan_local)
    if want.kind == "vlan":
        return (want.vlan_id, want.vlan_raw_device) == (have.vlan_id, have.link)
    if want.kind == "bridge":
        return want.bridge_vlan_aware == have.vlan_filtering
    return True


def _create(cfg: IfaceConfig, table: int) -> list[str]:
    add = ["ip", "link", "add"]
    if cfg.kind == "vrf":
        return [*add, cfg.name, "type", "vrf", "table", str(table)]
    if cfg.kind == "bridge":
        extra = ["vlan_filtering", "1", "vlan_default_pvid", "0"] if cfg.bridge_vlan_aware else []
        return [*add, cfg.name, "type", "bridge", "stp_state", "0", *extra]
    if cfg.kind == "vxlan":
        assert cfg.vxlan_local is not None
        return [
            *add, cfg.name, "type", "vxlan", "id", str(cfg.vxlan_id), "local", cfg.vxlan_local,
            "dstport", VXLAN_PORT, "nolearning",
        ]  # fmt: skip
    assert cfg.vlan_raw_device is not None
    return [*add, "link", cfg.vlan_raw_device, "name", cfg.name, "type", "vlan", "id",
            str(cfg.vlan_id)]  # fmt: skip


def plan_devices(
    target: Mapping[str, IfaceConfig],
    kernel: Mapping[str, KernelIface],
    reserved_tables: frozenset[int] = frozenset(),
) -> list[list[str]]:
    """Delete the virtual devices the target does not want as they are, create the missing.

    SVIs go first and VRFs last when deleting, the reverse when creating; a VRF gets the
    lowest free routing table from 1001 (``reserved_tables``: a management VRF's).
    """
    stale = [
        k
        for k in kernel.values()
        if kernel_kind(k) != "port"
        and (k.name not in target or not _same_device(target[k.name], k))
    ]
    stale.sort(key=lambda k: (-VIRTUAL_KINDS.index(k.kind), natural_key(k.name)))
    commands = [["ip", "link", "del", "dev", k.name] for k in stale]
    gone = {k.name for k in stale}
    present = {name for name in kernel if name not in gone}
    used = {k.vrf_table for k in kernel.values() if k.vrf_table is not None and k.name not in gone}
    used |= reserved_tables
    table = FIRST_VRF_TABLE
    wanted = [c for c in target.values() if c.kind != "port" and c.name not in present]
    for cfg in sorted(wanted, key=lambda c: (VIRTUAL_KINDS.index(c.kind), natural_key(c.name))):
        while cfg.kind == "vrf" and table in used:
            table += 1
        commands.append(_create(cfg, table))
        if cfg.kind == "vrf":
            used.add(table)
    return commands


def plan_attachment(
    target: Mapping[str, IfaceConfig], kernel: Mapping[str, KernelIface]
) -> list[list[str]]:
    """Masters, bridge VLANs, bridge-port flags and MACs of every device the kernel has."""
    masters = _masters(target)
    aware = {name for name, cfg in target.items() if cfg.bridge_vlan_aware}
    commands: list[list[str]] = []
    for name in sorted(kernel, key=natural_key):
        have = kernel[name]
        if name == "lo":
            continue
        want = target.get(name, IfaceConfig(name=name, link_down=True))
        master = masters.get(name)
        if master != have.master:
            tail = ["master", master] if master else ["nomaster"]
            commands.append(["ip", "link", "set", "dev", name, *tail])
        if master in aware:
            commands += _vlan_changes(name, want.bridge_access, want.bridge_vids, have)
        elif want.kind == "bridge" and want.bridge_vlan_aware:
            commands += _self_vlan_changes(name, want.bridge_vids, have)
        if master is not None and master in target and target[master].kind == "bridge":
            commands += _port_flags(want, have)
        if want.hwaddress and want.hwaddress != have.mac.lower():
            commands.append(["ip", "link", "set", "dev", name, "address", want.hwaddress])
    return commands


def _vlan_changes(
    name: str, access: int | None, tagged: tuple[int, ...], have: KernelIface
) -> list[list[str]]:
    """A bridge member's VLANs: ``access`` untagged (PVID), ``tagged`` as tagged members."""
    # a VLAN that changes between untagged and tagged is deleted first, then added again
    keep_pvid = access is not None and access == have.pvid
    wanted_tagged = set(tagged)
    remove = [v for v in have.vids if v not in wanted_tagged]
    if have.pvid is not None and not keep_pvid:
        remove.append(have.pvid)
    out = [["bridge", "vlan", "del", "dev", name, "vid", str(v)] for v in sorted(set(remove))]
    out += [
        ["bridge", "vlan", "add", "dev", name, "vid", str(v)]
        for v in sorted(wanted_tagged)
        if v not in have.vids or v == have.pvid
    ]
    if access is not None and not keep_pvid:
        out.append(["bridge", "vlan", "add", "dev", name, "vid", str(access), "pvid", "untagged"])
    return out


def _self_vlan_changes(name: str, vids: tuple[int, ...], have: KernelIface) -> list[list[str]]:
    """The VLAN-aware bridge's own VLANs (what its SVIs route)."""
    out = [
        ["bridge", "vlan", "del", "dev", name, "vid", str(v), "self"]
        for v in have.vids
        if v not in vids
    ]
    out += [
        ["bridge", "vlan", "add", "dev", name, "vid", str(v), "self"]
        for v in vids
        if v not in have.vids
    ]
    return out


def _port_flags(want: IfaceConfig, have: KernelIface) -> list[list[str]]:
    flags: list[str] = []
    if want.bridge_learning != have.learning:
        flags += ["learning", "on" if want.bridge_learning else "off"]
    if want.arp_nd_suppress != have.neigh_suppress:
        flags += ["neigh_suppress", "on" if want.arp_nd_suppress else "off"]
    return [["bridge", "link", "set", "dev", want.name, *flags]] if flags else []


def running_devices(kernel: Mapping[str, KernelIface], record: Record) -> list[IfaceConfig]:
    """The stanzas of the kernel's VRFs, VXLAN devices, bridges and SVIs."""
    members: dict[str, list[str]] = {}
    for k in kernel.values():
        if k.master is not None:
            members.setdefault(k.master, []).append(k.name)
    result = []
    for k in kernel.values():
        kind = kernel_kind(k)
        if kind == "port":
            continue
        cfg = attachment(k, kernel, record)
        cfg = IfaceConfig(
            name=k.name,
            addresses=k.addresses,
            alias=k.alias or None,
            mtu=k.mtu if kind != "vrf" and k.mtu != 1500 else None,
            link_down=not k.admin_up,
            hwaddress=cfg.hwaddress,
            vrf=cfg.vrf,
            vrf_table=kind == "vrf",
            vxlan_id=k.vxlan_id,
            vxlan_local=k.vxlan_local,
            bridge_vlan_aware=k.vlan_filtering,
            bridge_ports=tuple(
                sorted(
                    (m for m in members.get(k.name, []) if kind == "bridge"),
                    key=natural_key,
                )
            ),
            bridge_vids=k.vids if kind == "bridge" else (),
            bridge_access=cfg.bridge_access,
            bridge_learning=cfg.bridge_learning,
            arp_nd_suppress=cfg.arp_nd_suppress,
            vlan_id=k.vlan_id,
            vlan_raw_device=k.link,
        )
        result.append(cfg)
    return result


def attachment(k: KernelIface, kernel: Mapping[str, KernelIface], record: Record) -> IfaceConfig:
    """What a device's master says about it: VRF, bridge VLANs and port flags, and its MAC
    when the last push set it and it still holds."""
    master = kernel.get(k.master) if k.master else None
    in_bridge = master is not None and master.kind == "bridge"
    in_aware = in_bridge and master is not None and master.vlan_filtering
    recorded = (record.hwaddress or {}).get(k.name)
    return IfaceConfig(
        name=k.name,
        vrf=master.name if master is not None and master.kind == "vrf" else None,
        bridge_access=k.pvid if in_aware else None,
        bridge_vids=k.vids if in_aware else (),
        bridge_learning=k.learning if in_bridge else True,
        arp_nd_suppress=k.neigh_suppress if in_bridge else False,
        hwaddress=recorded if recorded and recorded == k.mac.lower() else None,
    )
