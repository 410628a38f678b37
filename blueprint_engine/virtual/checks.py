"""Cross-layer checks of the virtual inventory against intent (pure).

The fabric carries a virtual network's VLAN only on the leafs of the racks the
network is bound to. A VM reaches the fabric through its hypervisor's server,
whose links go to leafs; so:

- ``network_missing``: a tagged vNIC whose VLAN is carried by no virtual network
  bound to a rack of the leafs its server is cabled to (the network does not
  exist at all, or exists but is bound to other racks only);
- ``unbound_racks``: per virtual network and rack, the VMs with a vNIC in the
  network (its VLAN) on servers of that rack while the network is not bound to it;
- ``uplinks_missing``: a tagged vNIC whose network the fabric does carry at its server,
  but whose virtual switch has no uplink on a server port that carries it tagged: the
  switch is bridged to a port that is not cabled to a leaf, or to one attached
  ``access`` (its one network untagged) while the port that trunks the network is not
  among the switch's uplinks. Checked on servers attached at layer 2 (``access`` or
  ``trunk`` rack types) and for vNICs that name their virtual switch.

Untagged vNICs (VLAN null) ride the server's own routed link and are not checked.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class VnicFacts:
    vnic: str  # vNIC id (<source>/<vm>/<nic>)
    vm: str  # VM id
    vm_name: str
    server: str  # its hypervisor's server
    vlan: int | None
    switch: str | None = None  # its virtual switch (id), when it names one
    uplinks: tuple[str, ...] = ()  # that switch's uplinks: interface names of the server


@dataclass(frozen=True)
class PortEnd:
    """A server port's far end: the leaf's rack and how the rack attaches servers."""

    rack: str
    attachment: str  # routed | access | trunk


@dataclass(frozen=True)
class NetworkFacts:
    id: str
    vlan: int
    racks: tuple[str, ...]  # racks it is bound to


@dataclass(frozen=True)
class MissingNetwork:
    vnic: str
    vm: str
    vm_name: str
    server: str
    vlan: int
    server_racks: tuple[str, ...]  # racks of the leafs the server is cabled to
    network: str | None  # the network with that VLAN elsewhere, if any
    network_racks: tuple[str, ...]

    @property
    def summary(self) -> str:
        where = ", ".join(self.server_racks) or "no rack (the server has no leaf)"
        if self.network is None:
            what = f"no virtual network has VLAN {self.vlan}"
        else:
            what = (
                f"virtual network {self.network} (VLAN {self.vlan}) is bound to "
                f"{', '.join(self.network_racks)} only"
            )
        return (
            f"VM {self.vm_name} ({self.vm}) vNIC {self.vnic} on server {self.server} "
            f"({where}): {what}"
        )


@dataclass(frozen=True)
class UnboundRack:
    network: str
    vlan: int
    rack: str
    bound: tuple[str, ...]
    vms: tuple[str, ...]

    @property
    def summary(self) -> str:
        shown = ", ".join(self.vms[:10]) + (", ..." if len(self.vms) > 10 else "")
        return (
            f"{len(self.vms)} VM(s) of virtual network {self.network} (VLAN {self.vlan}) run "
            f"in {self.rack}, which it is not bound to (bound: {', '.join(self.bound)}): {shown}"
        )


@dataclass(frozen=True)
class MissingUplink:
    vnic: str
    vm: str
    vm_name: str
    server: str
    vlan: int
    network: str
    switch: str
    uplinks: tuple[str, ...]  # the switch's uplinks
    reach: tuple[str, ...]  # what each uplink reaches, e.g. "eth1: not cabled to a leaf"
    carrying: tuple[str, ...]  # the server's ports that carry the network tagged

    @property
    def summary(self) -> str:
        fix = (
            f"the network is trunked on {', '.join(self.carrying)}"
            if self.carrying
            else "no port of the server trunks it"
        )
        return (
            f"VM {self.vm_name} ({self.vm}) vNIC {self.vnic} on server {self.server}: virtual "
            f"switch {self.switch} ({'; '.join(self.reach) or 'no uplink'}) does not carry "
            f"VLAN {self.vlan} of {self.network} tagged; {fix}"
        )


@dataclass(frozen=True)
class Findings:
    checked: tuple[str, ...]  # every tagged vNIC checked
    missing: tuple[MissingNetwork, ...]
    unbound: tuple[UnboundRack, ...]
    uplinks: tuple[MissingUplink, ...] = ()


ServerPorts = Mapping[str, Mapping[str, Sequence[PortEnd]]]  # server -> ifname -> far ends


def _reach(ifname: str, ends: Sequence[PortEnd]) -> str:
    if not ends:
        return f"{ifname}: not cabled to a leaf"
    return f"{ifname}: " + ", ".join(f"{e.attachment} to {e.rack}" for e in ends)


def uplink_missing(
    nic: VnicFacts, network: NetworkFacts, ports: Mapping[str, Sequence[PortEnd]]
) -> MissingUplink | None:
    """Whether ``nic`` (tagged, its network carried at its server) leaves its server on a
    port that trunks ``network``; None when it does or when it cannot be told (no switch
    named, the server attached routed)."""
    if nic.switch is None or nic.vlan is None:
        return None
    if not any(e.attachment != "routed" for ends in ports.values() for e in ends):
        return None
    carrying = sorted(
        ifname
        for ifname, ends in ports.items()
        if any(e.attachment == "trunk" and e.rack in network.racks for e in ends)
    )
    if set(nic.uplinks) & set(carrying):
        return None
    reach = tuple(_reach(u, ports.get(u, ())) for u in nic.uplinks)
    return MissingUplink(
        nic.vnic, nic.vm, nic.vm_name, nic.server, nic.vlan, network.id, nic.switch,
        nic.uplinks, reach, tuple(carrying),
    )  # fmt: skip


def check(
    vnics: Iterable[VnicFacts],
    server_racks: Mapping[str, Sequence[str]],
    networks: Iterable[NetworkFacts],
    server_ports: ServerPorts | None = None,
) -> Findings:
    by_vlan = {n.vlan: n for n in networks}
    checked, missing, uplinks = [], [], []
    spread: dict[tuple[str, str], set[str]] = defaultdict(set)
    for nic in sorted(vnics, key=lambda n: n.vnic):
        if nic.vlan is None:
            continue
        checked.append(nic.vnic)
        racks = tuple(sorted(server_racks.get(nic.server, ())))
        network = by_vlan.get(nic.vlan)
        if network is not None and set(racks) & set(network.racks):
            lacking = uplink_missing(nic, network, (server_ports or {}).get(nic.server, {}))
            if lacking is not None:
                uplinks.append(lacking)
            continue
        missing.append(
            MissingNetwork(
                nic.vnic,
                nic.vm,
                nic.vm_name,
                nic.server,
                nic.vlan,
                racks,
                None if network is None else network.id,
                () if network is None else network.racks,
            )
        )
        if network is not None:
            for rack in racks:
                spread[(network.id, rack)].add(nic.vm)
    unbound = tuple(
        UnboundRack(net, by_id.vlan, rack, by_id.racks, tuple(sorted(vms)))
        for (net, rack), vms in sorted(spread.items())
        for by_id in [next(n for n in by_vlan.values() if n.id == net)]
    )
    return Findings(tuple(checked), tuple(missing), unbound, tuple(uplinks))
