"""The virtual inventory of one source, as plain data, and its grammar (pure).

A *source* (a virtualization manager: vCenter, libvirt, OpenStack, a Kubernetes
cluster, or anything that pushes through the API) reports, per blueprint:

- hypervisors, each running on one blueprint server (``server``: the server's
  System id) with its virtual switches, each bridged to server interfaces
  (``uplinks``: interface names of that server, ``eth0``);
- VMs, each hosted on one of the source's hypervisors, with their vNICs: MAC,
  IP addresses, VLAN (1-4094, or null for untagged), port group, virtual switch.

Ids are the source's own (a vCenter moref or instance UUID, a libvirt domain
UUID); graph uids are ``<blueprint>/<source>/<id>`` (vNICs and virtual switches
under their VM or hypervisor), so two sources never collide. Every value is
bounded and grammar-checked here; a refusal names the field (``vms[3].vnics[0].mac``),
the value and what is allowed, before anything is written.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from blueprint_engine.errors import ConflictError, ValidationError
from blueprint_engine.grammar import Grammar, printable, shown

MAX_HYPERVISORS = 20_000  # per source and snapshot
MAX_VMS = 200_000  # per source and snapshot
MAX_VNICS_PER_VM = 16
MAX_SWITCHES_PER_HYPERVISOR = 16
MAX_UPLINKS_PER_SWITCH = 8
MAX_IPS_PER_VNIC = 16
MAX_EVENTS = 10_000  # per incremental batch

_SOURCE = re.compile(r"[a-z0-9][a-z0-9._-]{0,62}")
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}")
_IFNAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/-]{0,31}")
_MAC = re.compile(r"[0-9a-fA-F]{2}(?:[:-][0-9a-fA-F]{2}){5}")


def _matches(pattern: re.Pattern[str]) -> Any:
    return lambda v: isinstance(v, str) and v.isascii() and pattern.fullmatch(v) is not None


SOURCE = Grammar("a source name: [a-z0-9][a-z0-9._-]{0,62}", _matches(_SOURCE))
ID = Grammar("an id: [A-Za-z0-9][A-Za-z0-9._:@-]{0,127} (no '/')", _matches(_ID))
IFNAME = Grammar("an interface name: [A-Za-z0-9][A-Za-z0-9._:/-]{0,31}", _matches(_IFNAME))
SERVER = Grammar("a server's System id, e.g. 'rack1-server1'", _matches(_ID))
NAME = printable(128)


class VmState(StrEnum):
    RUNNING = "running"
    STOPPED = "stopped"
    PAUSED = "paused"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class VirtualSwitch:
    name: str
    uplinks: tuple[str, ...]  # interface names of the hypervisor's server


@dataclass(frozen=True)
class Hypervisor:
    id: str
    name: str
    server: str  # the blueprint server (System id) it runs on
    switches: tuple[VirtualSwitch, ...] = ()


@dataclass(frozen=True)
class Vnic:
    id: str  # unique inside its VM ("nic0", the source's device key)
    mac: str  # normalised: lower case, colons
    ips: tuple[str, ...] = ()
    vlan: int | None = None  # None: untagged
    port_group: str | None = None
    switch: str | None = None  # a virtual switch of the VM's hypervisor


@dataclass(frozen=True)
class Vm:
    id: str
    name: str
    hypervisor: str  # a hypervisor id of the same source
    state: VmState = VmState.RUNNING
    vnics: tuple[Vnic, ...] = ()


@dataclass(frozen=True)
class Inventory:
    """Everything one source reports for one blueprint (a full snapshot)."""

    source: str
    hypervisors: tuple[Hypervisor, ...] = ()
    vms: tuple[Vm, ...] = ()


# -- parsing ----------------------------------------------------------------------------


def _fail(field: str, value: object, allowed: str) -> ValidationError:
    return ValidationError(f"{field} {shown(value)} is not allowed", allowed=allowed)


def _obj(field: str, value: object, required: set[str], optional: set[str]) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _fail(field, value, "a JSON object")
    keys = set(value)
    unknown = sorted(str(k) for k in keys - required - optional)
    if unknown:
        raise ValidationError(
            f"{field} has unknown key(s) {', '.join(shown(k, 30) for k in unknown[:5])}",
            allowed=", ".join(sorted(required | optional)),
        )
    missing = sorted(required - keys)
    if missing:
        raise ValidationError(
            f"{field} lacks {', '.join(missing)}", allowed=", ".join(sorted(required | optional))
        )
    return value


def _list(field: str, value: object, limit: int) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise _fail(field, value, f"a list of at most {limit} items")
    if len(value) > limit:
        raise ValidationError(
            f"{field} has {len(value)} items", allowed=f"at most {limit} items per {field}"
        )
    return value


def _checked(grammar: Grammar, field: str, value: object) -> str:
    grammar.check(field, value)
    return str(value)


def mac(field: str, value: object) -> str:
    """A unicast MAC in canonical form (``52:54:00:12:34:56``)."""
    allowed = "a unicast MAC: six hex octets separated by ':' or '-', not all zero"
    if not isinstance(value, str) or not value.isascii() or not _MAC.fullmatch(value):
        raise _fail(field, value, allowed)
    text = value.lower().replace("-", ":")
    if int(text[:2], 16) & 1 or text == "00:00:00:00:00:00":
        raise _fail(field, value, allowed)
    return text


def vlan(field: str, value: object) -> int | None:
    if value is None:
        return None
    if type(value) is not int or not 1 <= value <= 4094:
        raise _fail(field, value, "a VLAN id: an integer from 1 to 4094, or null (untagged)")
    return value


def ip(field: str, value: object) -> str:
    allowed = "an IPv4 or IPv6 address without prefix, e.g. '10.100.1.10' or '2001:db8::10'"
    if not isinstance(value, str) or len(value) > 45 or not value.isascii():
        raise _fail(field, value, allowed)
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        raise _fail(field, value, allowed) from None
    if address.is_multicast or address.is_unspecified:
        raise _fail(field, value, allowed + " (not multicast, not unspecified)")
    return str(address)


def _switch(field: str, value: object) -> VirtualSwitch:
    body = _obj(field, value, {"name"}, {"uplinks"})
    uplinks = _list(f"{field}.uplinks", body.get("uplinks"), MAX_UPLINKS_PER_SWITCH)
    names = tuple(_checked(IFNAME, f"{field}.uplinks[{i}]", u) for i, u in enumerate(uplinks))
    _unique(f"{field}.uplinks", names)
    return VirtualSwitch(_checked(ID, f"{field}.name", body["name"]), names)


def hypervisor(field: str, value: object) -> Hypervisor:
    body = _obj(field, value, {"id", "server"}, {"name", "switches"})
    ident = _checked(ID, f"{field}.id", body["id"])
    raw = _list(f"{field}.switches", body.get("switches"), MAX_SWITCHES_PER_HYPERVISOR)
    switches = tuple(_switch(f"{field}.switches[{i}]", s) for i, s in enumerate(raw))
    _unique(f"{field}.switches", [s.name for s in switches])
    name = body.get("name", ident)
    return Hypervisor(
        ident,
        _checked(NAME, f"{field}.name", name),
        _checked(SERVER, f"{field}.server", body["server"]),
        switches,
    )


def vnic(field: str, value: object) -> Vnic:
    body = _obj(field, value, {"id", "mac"}, {"ips", "vlan", "port_group", "switch"})
    ips = _list(f"{field}.ips", body.get("ips"), MAX_IPS_PER_VNIC)
    port_group, switch = body.get("port_group"), body.get("switch")
    return Vnic(
        _checked(ID, f"{field}.id", body["id"]),
        mac(f"{field}.mac", body["mac"]),
        tuple(ip(f"{field}.ips[{i}]", a) for i, a in enumerate(ips)),
        vlan(f"{field}.vlan", body.get("vlan")),
        None if port_group is None else _checked(NAME, f"{field}.port_group", port_group),
        None if switch is None else _checked(ID, f"{field}.switch", switch),
    )


def vm(field: str, value: object) -> Vm:
    body = _obj(field, value, {"id", "hypervisor"}, {"name", "state", "vnics"})
    ident = _checked(ID, f"{field}.id", body["id"])
    state = body.get("state", VmState.RUNNING.value)
    if state not in {s.value for s in VmState}:
        raise _fail(f"{field}.state", state, ", ".join(s.value for s in VmState))
    raw = _list(f"{field}.vnics", body.get("vnics"), MAX_VNICS_PER_VM)
    vnics = tuple(vnic(f"{field}.vnics[{i}]", n) for i, n in enumerate(raw))
    _unique(f"{field}.vnics", [n.id for n in vnics])
    return Vm(
        ident,
        _checked(NAME, f"{field}.name", body.get("name", ident)),
        _checked(ID, f"{field}.hypervisor", body["hypervisor"]),
        VmState(state),
        vnics,
    )


def _unique(field: str, ids: Sequence[str]) -> None:
    seen: set[str] = set()
    for ident in ids:
        if ident in seen:
            raise ConflictError(
                f"{field} names {shown(ident)} twice", allowed="each id once per list"
            )
        seen.add(ident)


def parse_source(value: object) -> str:
    return _checked(SOURCE, "source", value)


def parse_snapshot(source: str, body: Mapping[str, Any]) -> Inventory:
    """A full snapshot ``{"hypervisors": [...], "vms": [...]}``, checked and consistent."""
    top = _obj("snapshot", dict(body), set(), {"hypervisors", "vms"})
    hvs = _list("hypervisors", top.get("hypervisors"), MAX_HYPERVISORS)
    vms = _list("vms", top.get("vms"), MAX_VMS)
    inventory = Inventory(
        parse_source(source),
        tuple(hypervisor(f"hypervisors[{i}]", h) for i, h in enumerate(hvs)),
        tuple(vm(f"vms[{i}]", v) for i, v in enumerate(vms)),
    )
    check_consistent(inventory)
    return inventory


def check_consistent(inventory: Inventory) -> None:
    """Ids unique, one hypervisor per server, VMs on known hypervisors and switches,
    each MAC on one vNIC."""
    _unique("hypervisors", [h.id for h in inventory.hypervisors])
    _unique("vms", [v.id for v in inventory.vms])
    servers: dict[str, str] = {}
    for h in inventory.hypervisors:
        if h.server in servers:
            raise ConflictError(
                f"hypervisors {servers[h.server]} and {h.id} both run on server {h.server}",
                allowed="one hypervisor per server",
            )
        servers[h.server] = h.id
    switches = {h.id: {s.name for s in h.switches} for h in inventory.hypervisors}
    macs: dict[str, str] = {}
    for v in inventory.vms:
        if v.hypervisor not in switches:
            raise ValidationError(
                f"VM {v.id} is on hypervisor {shown(v.hypervisor)}, which source "
                f"{inventory.source} does not report",
                allowed=_some(sorted(switches)),
            )
        for n in v.vnics:
            if n.switch is not None and n.switch not in switches[v.hypervisor]:
                raise ValidationError(
                    f"vNIC {v.id}/{n.id} is on virtual switch {shown(n.switch)}, which "
                    f"hypervisor {v.hypervisor} does not have",
                    allowed=_some(sorted(switches[v.hypervisor])),
                )
            if n.mac in macs:
                raise ConflictError(
                    f"MAC {n.mac} is on vNIC {macs[n.mac]} and on {v.id}/{n.id}",
                    allowed="each MAC on one vNIC of a source",
                )
            macs[n.mac] = f"{v.id}/{n.id}"


def _some(items: Sequence[str], limit: int = 10) -> str:
    if not items:
        return "none reported"
    return ", ".join(items[:limit]) + (f", ... ({len(items)} in all)" if len(items) > limit else "")
