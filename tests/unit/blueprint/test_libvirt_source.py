"""A libvirt host as a virtual-inventory source: its config's grammar, a domain's XML as a
VM, the snapshot the inventory's own grammar accepts (pure)."""

from __future__ import annotations

import pytest

from blueprint_engine.errors import ValidationError
from blueprint_engine.virtual import inventory, libvirt

HOST = {
    "blueprint": "lab-evpn-1",
    "source": "libvirt-rack1",
    "uri": "lxc:///system?socket=/work/main/.state/libvirt/run/libvirt-sock",
    "hypervisor": "kvm-rack1-server1",
    "server": "rack1-server1",
    "bridges": {"br-web": ["eth0"]},
}
DOMAIN = """<domain type='lxc' id='4242'>
  <name>web-1</name>
  <uuid>5e1a6c1e-0000-4000-8000-000000000001</uuid>
  <devices>
    <interface type='bridge'>
      <mac address='52:54:00:AA:00:01'/><source bridge='br-web'/><vlan><tag id='100'/></vlan>
    </interface>
    <interface type='bridge'><mac address='52:54:00:aa:00:02'/><source bridge='virbr9'/></interface>
    <interface type='network'>
      <mac address='52:54:00:aa:00:03'/><source network='tenants' portgroup='db'/>
    </interface>
  </devices>
</domain>"""


def host() -> libvirt.LibvirtHost:
    return libvirt.parse_host("libvirt_sources[0]", HOST)


def test_a_domain_is_a_vm_and_its_interfaces_its_vnics() -> None:
    vm = libvirt.vm(host(), DOMAIN, "running\n")
    assert (vm["id"], vm["name"], vm["hypervisor"], vm["state"]) == (
        "5e1a6c1e-0000-4000-8000-000000000001", "web-1", "kvm-rack1-server1", "running"
    )  # fmt: skip
    assert vm["vnics"] == [
        {"id": "nic0", "mac": "52:54:00:AA:00:01", "vlan": 100, "port_group": None,
         "switch": "br-web"},
        # a bridge the config does not name is no virtual switch of this hypervisor
        {"id": "nic1", "mac": "52:54:00:aa:00:02", "vlan": None, "port_group": None,
         "switch": None},
        {"id": "nic2", "mac": "52:54:00:aa:00:03", "vlan": None, "port_group": "db",
         "switch": None},
    ]  # fmt: skip
    assert libvirt.vm(host(), DOMAIN, "shut off")["state"] == "stopped"
    assert libvirt.vm(host(), DOMAIN, "in shutdown?")["state"] == "unknown"


def test_the_snapshot_passes_the_inventorys_grammar() -> None:
    snap = libvirt.snapshot(host(), [libvirt.vm(host(), DOMAIN, "paused")])
    parsed = inventory.parse_snapshot("libvirt-rack1", snap)
    (hv,) = parsed.hypervisors
    assert (hv.id, hv.server, [(s.name, s.uplinks) for s in hv.switches]) == (
        "kvm-rack1-server1", "rack1-server1", [("br-web", ("eth0",))]
    )  # fmt: skip
    (vm,) = parsed.vms
    assert vm.state == inventory.VmState.PAUSED
    assert [n.mac for n in vm.vnics] == ["52:54:00:aa:00:01", "52:54:00:aa:00:02",
                                         "52:54:00:aa:00:03"]  # fmt: skip


def test_a_bad_vlan_tag_is_refused_by_the_inventorys_grammar() -> None:
    bad = DOMAIN.replace("<tag id='100'/>", "<tag id='5000'/>")
    snap = libvirt.snapshot(host(), [libvirt.vm(host(), bad, "running")])
    with pytest.raises(ValidationError, match=r"vnics\[0\].vlan 5000 .*1 to 4094"):
        inventory.parse_snapshot("libvirt-rack1", snap)


@pytest.mark.parametrize(
    ("change", "word"),
    [({"uri": "qemu+ssh://root@host/system"}, "not a local libvirt URI"),
     ({"uri": "lxc:///system?socket=/tmp/x;rm"}, "not a local libvirt URI"),
     ({"source": "Bad Source"}, "source"), ({"server": "a/b"}, "server"),
     ({"bridges": {"br0": ["eth 0"]}}, "uplinks"), ({"extra": 1}, "unknown")],
)  # fmt: skip
def test_a_host_config_is_checked_naming_the_field(change: dict[str, object], word: str) -> None:
    with pytest.raises(ValidationError, match=word):
        libvirt.parse_host("libvirt_sources[0]", {**HOST, **change})


def test_listings_and_xml_are_bounded_and_checked() -> None:
    assert libvirt.domain_uuids("\n5e1a6c1e-0000-4000-8000-000000000001\n\n") == [
        "5e1a6c1e-0000-4000-8000-000000000001"
    ]
    with pytest.raises(ValidationError, match="UUID"):
        libvirt.domain_uuids("not-a-uuid\n")
    with pytest.raises(ValidationError, match="does not parse"):
        libvirt.vm(host(), "<domain><name>x</name", "running")
    with pytest.raises(ValidationError, match="bytes"):
        libvirt.vm(host(), "<domain>" + " " * libvirt.MAX_XML + "</domain>", "running")
