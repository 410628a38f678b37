"""The tour's virtual inventory passes the push API's own checks (pure)."""

from __future__ import annotations

from api.tour import TOUR_SOURCE, demo_vms
from blueprint_engine.virtual.inventory import parse_snapshot


def test_the_demo_inventory_is_two_untagged_vms_per_server_with_distinct_macs() -> None:
    servers = ["rack1-server1", "rack2-server1", "rack3-server1", "rack3-server2"]
    inventory = parse_snapshot(TOUR_SOURCE, demo_vms(servers))
    assert sorted(h.server for h in inventory.hypervisors) == sorted(servers)
    assert len(inventory.vms) == 2 * len(servers)
    nics = [n for vm in inventory.vms for n in vm.vnics]
    assert len({n.mac for n in nics}) == len(nics) and all(n.vlan is None for n in nics)
