"""The virtual layer's pure parts: grammar and bounds, the sync plan, events, the
cross-layer checks and the VMs of an impact."""

from __future__ import annotations

from typing import Any

import pytest

from blueprint_engine.errors import ConflictError, NotFoundError, ValidationError
from blueprint_engine.impact.model import ElementKind, Impact, ImpactedServer, Scenario
from blueprint_engine.virtual import changes, checks, inventory
from blueprint_engine.virtual import impact as vimpact
from blueprint_engine.virtual.checks import NetworkFacts, PortEnd, VnicFacts


def snap() -> dict[str, Any]:
    return {
        "hypervisors": [{"id": "h1", "server": "rack1-server1", "switches": [{"name": "br0"}]}],
        "vms": [{"id": "v1", "hypervisor": "h1",
                 "vnics": [{"id": "n0", "mac": "52-54-00-AB-CD-EF", "vlan": 100,
                            "ips": ["10.0.0.1", "2001:DB8::1"], "switch": "br0"}]}],
    }  # fmt: skip


def test_values_are_normalised() -> None:
    inv = inventory.parse_snapshot("src", snap())
    nic = inv.vms[0].vnics[0]
    assert (nic.mac, nic.ips, inv.vms[0].state) == (
        "52:54:00:ab:cd:ef",
        ("10.0.0.1", "2001:db8::1"),
        inventory.VmState.RUNNING,
    )


@pytest.mark.parametrize(
    ("value", "ok"),
    [("02:00:00:00:00:01", True), ("03:00:00:00:00:01", False), ("00:00:00:00:00:00", False),
     ("02:00:00:00:00", False), ("02:00:00:00:00:01:02", False), ("\uff102:00:00:00:00:01", False),
     (12, False)],
)  # fmt: skip
def test_macs_are_unicast_six_octets(value: object, ok: bool) -> None:
    if ok:
        assert inventory.mac("m", value) == value
    else:
        with pytest.raises(ValidationError, match="unicast MAC"):
            inventory.mac("m", value)


@pytest.mark.parametrize("value", [0, 4095, -1, True, 1.0, "100"])
def test_vlans_are_1_to_4094(value: object) -> None:
    with pytest.raises(ValidationError, match="1 to 4094"):
        inventory.vlan("v", value)
    assert inventory.vlan("v", 1) == 1 and inventory.vlan("v", 4094) == 4094
    assert inventory.vlan("v", None) is None


@pytest.mark.parametrize("value", ["224.0.0.1", "0.0.0.0", "10.0.0.1/32", "x", "1" * 50])
def test_ips_are_unicast_addresses(value: str) -> None:
    with pytest.raises(ValidationError, match="address"):
        inventory.ip("ip", value)


def test_lists_are_bounded_and_unknown_keys_named() -> None:
    body = snap()
    body["vms"][0]["vnics"] = [{"id": f"n{i}", "mac": f"02:00:00:00:00:{i:02x}"} for i in range(17)]
    with pytest.raises(ValidationError, match=r"vms\[0\]\.vnics has 17 items"):
        inventory.parse_snapshot("src", body)
    with pytest.raises(ValidationError, match="unknown key") as caught:
        inventory.parse_snapshot("src", {**snap(), "extra": 1})
    assert caught.value.allowed == "hypervisors, vms"


def test_consistency_vms_on_reported_hypervisors_and_one_per_server() -> None:
    body = snap()
    body["hypervisors"].append({"id": "h2", "server": "rack1-server1"})
    with pytest.raises(ConflictError, match="both run on server rack1-server1"):
        inventory.parse_snapshot("src", body)
    body = snap()
    body["vms"][0]["hypervisor"] = "h9"
    with pytest.raises(ValidationError, match="does not report") as caught:
        inventory.parse_snapshot("src", body)
    assert caught.value.allowed == "h1"


def test_the_plan_creates_updates_and_deletes_only_what_differs() -> None:
    before = changes.rows("bp", inventory.parse_snapshot("src", snap()))
    stored = {k: {r["uid"]: r["fp"] for r in rows} for k, rows in before.items()}
    assert not changes.plan(before, stored)
    body = snap()
    body["vms"][0]["state"] = "stopped"
    body["vms"][0]["vnics"] = []
    body["vms"].append({"id": "v2", "hypervisor": "h1"})
    todo = changes.plan(changes.rows("bp", inventory.parse_snapshot("src", body)), stored)
    assert (todo.created, todo.updated, todo.deleted) == (1, 1, 1)
    assert todo.delete["vnic"] == ["bp/src/v1/n0"]
    assert [r["uid"] for r in todo.upsert["vm"]] == ["bp/src/v1", "bp/src/v2"]


def test_events_apply_in_order_and_are_checked_as_a_whole() -> None:
    current = inventory.parse_snapshot("src", snap())
    after = changes.apply_events(
        current,
        [{"op": "hypervisor_upsert", "hypervisor": {"id": "h2", "server": "rack2-server1"}},
         {"op": "vm_upsert", "vm": {"id": "v1", "hypervisor": "h2"}},
         {"op": "hypervisor_delete", "id": "h1"}],
    )  # fmt: skip
    assert [h.id for h in after.hypervisors] == ["h2"] and after.vms[0].hypervisor == "h2"
    with pytest.raises(ValidationError, match="still hosts VM"):
        changes.apply_events(current, [{"op": "hypervisor_delete", "id": "h1"}])
    with pytest.raises(NotFoundError, match="no vm 'v9'"):
        changes.apply_events(current, [{"op": "vm_delete", "id": "v9"}])
    with pytest.raises(ValidationError, match="at most 10000"):
        changes.apply_events(current, [{"op": "vm_delete", "id": "v1"}] * 10_001)


NETS = [NetworkFacts("web", 100, ("rack1", "rack2")), NetworkFacts("db", 101, ("rack3",))]
RACKS = {"s1": ["rack1"], "s3": ["rack3"], "lonely": []}


def test_checks_name_missing_networks_and_unbound_racks() -> None:
    found = checks.check(
        [VnicFacts("a", "vm-a", "A", "s1", 100),  # carried
         VnicFacts("b", "vm-b", "B", "s1", 101),  # db not on rack1
         VnicFacts("c", "vm-c", "C", "s3", 999),  # no network at all
         VnicFacts("d", "vm-d", "D", "s1", None),  # untagged: not checked
         VnicFacts("e", "vm-e", "E", "lonely", 100)],  # a server with no leaf
        RACKS,
        NETS,
    )  # fmt: skip
    assert found.checked == ("a", "b", "c", "e")
    assert [(m.vnic, m.network) for m in found.missing] == [("b", "db"), ("c", None), ("e", "web")]
    assert "bound to rack3 only" in found.missing[0].summary
    assert "no virtual network has VLAN 999" in found.missing[1].summary
    assert [(u.network, u.rack, u.vms) for u in found.unbound] == [("db", "rack1", ("vm-b",))]


TRUNKED = {"s1": {"eth0": [PortEnd("rack1", "trunk")], "eth1": []}}


def _on(switch: str | None, uplinks: tuple[str, ...], vlan: int | None = 100) -> VnicFacts:
    return VnicFacts("a", "vm-a", "A", "s1", vlan, switch, uplinks)


def test_a_vnic_whose_switch_is_bridged_to_the_trunk_port_is_carried() -> None:
    found = checks.check([_on("src/h1/br0", ("eth1", "eth0"))], RACKS, NETS, TRUNKED)
    assert (found.missing, found.uplinks) == ((), ())


def test_a_switch_bridged_to_a_port_without_a_leaf_misses_the_trunk() -> None:
    found = checks.check([_on("src/h1/br1", ("eth1",))], RACKS, NETS, TRUNKED)
    [lack] = found.uplinks
    assert (lack.vnic, lack.network, lack.switch, lack.carrying) == (
        "a", "web", "src/h1/br1", ("eth0",),
    )  # fmt: skip
    assert "eth1: not cabled to a leaf" in lack.summary
    assert "the network is trunked on eth0" in lack.summary


def test_a_tagged_vnic_on_an_access_port_misses_the_trunk() -> None:
    access = {"s1": {"eth0": [PortEnd("rack1", "access")]}}
    [lack] = checks.check([_on("src/h1/br0", ("eth0",))], RACKS, NETS, access).uplinks
    assert lack.carrying == () and "eth0: access to rack1" in lack.summary
    assert "no port of the server trunks it" in lack.summary


@pytest.mark.parametrize(
    ("nic", "ports"),
    [
        (_on(None, ()), TRUNKED),  # no switch named: cannot be told
        (_on("src/h1/br1", ("eth1",), vlan=None), TRUNKED),  # untagged
        (_on("src/h1/br1", ("eth1",)), {"s1": {"eth0": [PortEnd("rack1", "routed")]}}),
        (_on("src/h1/br1", ("eth1",), vlan=101), TRUNKED),  # db not at rack1: network missing
    ],
)
def test_the_uplink_check_leaves_what_it_cannot_tell_or_what_is_missing_anyway(
    nic: VnicFacts, ports: checks.ServerPorts
) -> None:
    assert checks.check([nic], RACKS, NETS, ports).uplinks == ()


def _impact(kind: ElementKind = ElementKind.SYSTEM, ident: str = "leaf1") -> Impact:
    lost = ImpactedServer("s1", "rack1", ("leaf1",), ())
    degraded = ImpactedServer("s3", "rack3", ("leaf3", "leaf4"), ("leaf4",))
    return Impact("bp", kind, ident, Scenario.FAIL, (), (), (), (), (degraded,), (lost,), ())


VMS = {
    "s1": [{"id": "src/v10", "name": "v10", "hypervisor": "src/h1", "networks": ["web"]},
           {"id": "src/v2", "name": "v2", "hypervisor": "src/h1", "networks": []}],
    "s3": [{"id": "src/v3", "name": "v3", "hypervisor": "src/h3", "networks": ["db", "web"]}],
}  # fmt: skip


def test_vms_follow_their_server_and_a_network_fault_keeps_only_its_vms() -> None:
    got = vimpact.with_vms(_impact(), VMS)
    assert [v.id for v in got.vms_losing_connectivity] == ["src/v2", "src/v10"]
    assert [(v.id, v.effect) for v in got.vms_losing_redundancy] == [("src/v3", "redundancy_lost")]
    net = vimpact.with_vms(_impact(ElementKind.VIRTUAL_NETWORK, "web"), VMS)
    assert [v.id for v in net.vms_losing_connectivity] == ["src/v10"]
    assert vimpact.affected_servers(_impact()) == ["s1", "s3"]


def test_a_root_cause_maps_server_status_to_vm_status() -> None:
    rows = vimpact.impacted_vms(
        [{"server": "s1", "status": "isolated"}, {"server": "s3", "status": "redundancy_lost"}], VMS
    )
    assert [(r["vm"], r["status"]) for r in rows] == [
        ("src/v2", "connectivity_lost"),
        ("src/v3", "redundancy_lost"),
        ("src/v10", "connectivity_lost"),
    ]
