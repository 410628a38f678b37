"""A libvirt host as a source of the virtual inventory (pure: domain XML in, snapshot out).

A libvirt host is one hypervisor running on one blueprint server (the source's config
places it: ``server``); its Linux bridges are its virtual switches, each bridged to
interfaces of that server (``bridges: {br0: [eth0]}``). Every domain the host defines is a
VM (libvirt's UUID as its id, its name, its state), every ``<interface>`` of it a vNIC:
its MAC, the bridge it is plugged into (its virtual switch, when the config names the
bridge), the VLAN of its first ``<vlan><tag>`` (untagged without one) and its
``portgroup`` or network as port group. The snapshot goes through the same entry point
as any pushed one (``store.sync_snapshot``), so its grammar and bounds apply too.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from blueprint_engine.errors import ValidationError
from blueprint_engine.grammar import shown
from blueprint_engine.virtual import inventory

MAX_XML = 1 << 20  # one domain's XML, bytes
MAX_DOMAINS = 10_000  # per host
# libvirt's own URI forms for a local daemon, with an optional socket path
_URI = re.compile(r"(lxc|qemu):///(system|session)(\?socket=/[A-Za-z0-9._/-]{1,200})?")
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
# ``virsh domstate`` words -> the inventory's VM states
STATES = {
    "running": inventory.VmState.RUNNING,
    "idle": inventory.VmState.RUNNING,
    "paused": inventory.VmState.PAUSED,
    "pmsuspended": inventory.VmState.PAUSED,
    "shut off": inventory.VmState.STOPPED,
    "shutdown": inventory.VmState.STOPPED,
    "crashed": inventory.VmState.STOPPED,
}
FIELDS = {"blueprint", "source", "uri", "hypervisor", "server", "bridges"}


@dataclass(frozen=True)
class LibvirtHost:
    """One source: a libvirt daemon, its hypervisor's place in a blueprint."""

    blueprint: str
    source: str
    uri: str
    hypervisor: str
    server: str
    bridges: Mapping[str, tuple[str, ...]]  # bridge -> uplinks (server interfaces)


def parse_host(field: str, value: object) -> LibvirtHost:
    """A libvirt source's config, every value checked (the inventory's grammars)."""
    if not isinstance(value, dict):
        raise ValidationError(f"{field} is not a JSON object", allowed=", ".join(sorted(FIELDS)))
    unknown, missing = sorted(set(value) - FIELDS), sorted(FIELDS - {"bridges"} - set(value))
    if unknown or missing:
        raise ValidationError(
            f"{field}: unknown {[shown(k, 30) for k in unknown]}, missing {missing}",
            allowed=", ".join(sorted(FIELDS)) + " (bridges optional)",
        )
    uri = value["uri"]
    if not isinstance(uri, str) or not _URI.fullmatch(uri):
        raise ValidationError(
            f"{field}.uri {shown(uri)} is not a local libvirt URI",
            allowed="lxc:///system or qemu:///system, optionally ?socket=/absolute/path",
        )
    bridges = value.get("bridges") or {}
    if not isinstance(bridges, dict) or len(bridges) > inventory.MAX_SWITCHES_PER_HYPERVISOR:
        raise ValidationError(
            f"{field}.bridges is not an object of bridge -> uplinks",
            allowed=f"at most {inventory.MAX_SWITCHES_PER_HYPERVISOR} bridges",
        )
    hv = inventory.hypervisor(
        field,
        {
            "id": value["hypervisor"],
            "server": value["server"],
            "switches": [{"name": b, "uplinks": u} for b, u in bridges.items()],
        },
    )
    inventory.SOURCE.check(f"{field}.source", value["source"])
    inventory.ID.check(f"{field}.blueprint", value["blueprint"])
    return LibvirtHost(
        str(value["blueprint"]),
        str(value["source"]),
        uri,
        hv.id,
        hv.server,
        {s.name: s.uplinks for s in hv.switches},
    )


def domain_uuids(listing: str) -> list[str]:
    """``virsh list --all --uuid`` -> the UUIDs (at most ``MAX_DOMAINS``)."""
    uuids = [line.strip() for line in listing.splitlines() if line.strip()]
    bad = [u for u in uuids if not _UUID.fullmatch(u)]
    if bad or len(uuids) > MAX_DOMAINS:
        raise ValidationError(
            f"the host lists {len(uuids)} domain(s), {shown(bad[0]) if bad else 'all UUIDs'}",
            allowed=f"at most {MAX_DOMAINS} domains, each a lower-case UUID",
        )
    return uuids


def vm(host: LibvirtHost, xml_text: str, state: str) -> dict[str, Any]:
    """One domain (its ``virsh dumpxml``, its ``virsh domstate``) as a snapshot VM."""
    if len(xml_text) > MAX_XML:
        raise ValidationError(f"a domain's XML of {len(xml_text)} bytes", allowed=f"<= {MAX_XML}")
    try:
        root = ET.fromstring(xml_text)
    except ET.ParseError as exc:
        raise ValidationError(
            f"a domain's XML does not parse: {exc}", allowed="libvirt domain XML"
        ) from None
    uuid, name = root.findtext("uuid", "").strip(), root.findtext("name", "").strip()
    vnics = [_vnic(host, i, nic) for i, nic in enumerate(root.findall("devices/interface"))]
    return {
        "id": uuid,
        "name": name or uuid,
        "hypervisor": host.hypervisor,
        "state": STATES.get(state.strip(), inventory.VmState.UNKNOWN).value,
        "vnics": [v for v in vnics if v is not None],
    }


def _vnic(host: LibvirtHost, index: int, nic: ET.Element) -> dict[str, Any] | None:
    mac = nic.find("mac")
    if mac is None or not mac.get("address"):
        return None  # libvirt gives every interface a MAC; one without is not a vNIC yet
    source = nic.find("source")
    bridge = None if source is None else source.get("bridge")
    group = None if source is None else (source.get("portgroup") or source.get("network"))
    tag = nic.find("vlan/tag")
    raw = "" if tag is None else tag.get("id", "")
    # a number goes to the inventory's VLAN grammar (1-4094); anything else fails it there
    vlan: object = None if tag is None else int(raw) if raw.isdigit() and len(raw) <= 4 else raw
    return {
        "id": f"nic{index}",
        "mac": mac.get("address"),
        "vlan": vlan,
        "port_group": group,
        "switch": bridge if bridge in host.bridges else None,
    }


def snapshot(host: LibvirtHost, vms: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The host's full snapshot: its hypervisor with its bridges, and its VMs."""
    return {
        "hypervisors": [
            {
                "id": host.hypervisor,
                "server": host.server,
                "name": host.hypervisor,
                "switches": [{"name": b, "uplinks": list(u)} for b, u in host.bridges.items()],
            }
        ],
        "vms": [dict(v) for v in vms],
    }
