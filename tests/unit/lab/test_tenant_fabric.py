"""The tenant lab's side of the servers (what the blueprint does not allocate yet): each
server's address in a network and its VLAN subinterfaces, from the blueprint's facts."""

from __future__ import annotations

from labharness.tenant_fabric import Fabric, Network

WEB = Network("web", 100, 10001, "10.100.0.0/16", "10.100.0.1/16", ("rack1-leaf1", "rack2-leaf1"))
DB = Network("db", 200, 10002, "10.101.0.0/16", "10.101.0.1/16", ("rack2-leaf1",))
FABRIC = Fabric(
    documents={},
    networks={"web": WEB, "db": DB},
    l3vni=10000,
    vteps={"rack1-leaf1": "10.0.0.2", "rack2-leaf1": "10.0.0.3"},
    servers={
        "rack1-server1": ("rack1-leaf1", "rack1", "swp3"),
        "rack2-server1": ("rack2-leaf1", "rack2", "swp3"),
    },
)


def test_a_servers_address_is_host_ten_times_its_rack_plus_its_index_of_each_subnet() -> None:
    assert FABRIC.address("rack1-server1", "web") == "10.100.0.11/16"
    assert FABRIC.address("rack2-server1", "db") == "10.101.0.21/16"


def test_a_server_gets_one_tagged_subinterface_per_network_of_its_leaf() -> None:
    vlans = FABRIC.vlans_of("rack2-server1")
    assert [(v["vlan"], v["address"]) for v in vlans] == [
        (WEB.vlan, "10.100.0.21/16"),
        (DB.vlan, "10.101.0.21/16"),
    ]
    # the default route through the first network's anycast gateway, once
    assert [v["gateway"] for v in vlans] == ["10.100.0.1", None]
    assert [v["vlan"] for v in FABRIC.vlans_of("rack1-server1")] == [WEB.vlan]


def test_a_network_added_later_attaches_without_moving_the_default_route() -> None:
    (only,) = FABRIC.vlans_of("rack2-server1", only=["db"])
    assert only["gateway"] is None and only["vlan"] == DB.vlan
    assert FABRIC.server_of("rack2-leaf1") == "rack2-server1"
