"""Servers attached at layer 2: what a rack type's ``attachment`` makes of its servers'
links, how an EVPN network stretches over its racks, and the combinations refused.

``lab-tenants``: one spine, two racks of ``lab-l2-leaf`` (one leaf, one server on an
802.1Q trunk); web bound to every rack of that type, db to rack2, both in zone blue.
"""

from __future__ import annotations

import ipaddress
from dataclasses import replace
from typing import Any

import pydantic
import pytest

from blueprint_engine.catalogue.entries import Catalogue
from blueprint_engine.catalogue.models import RackType
from blueprint_engine.design.build import add_rack, add_virtual_network, build_design
from blueprint_engine.design.model import LinkRole, Role
from blueprint_engine.errors import ValidationError
from blueprint_engine.resources.allocation import PoolId

TEMPLATE = "lab-tenants"


def _l2_racks(catalogue: Catalogue) -> list[tuple[int, RackType]]:
    template = catalogue.template(TEMPLATE)
    types = [catalogue.rack_types[r.rack_type] for r in template.racks for _ in range(r.count)]
    return [(n, t) for n, t in enumerate(types, 1) if t.servers.attachment != "routed"]


def test_layer2_servers_have_no_addresses_and_their_links_no_subnet(catalogue: Catalogue) -> None:
    design = build_design(catalogue, TEMPLATE, "t")
    l2_racks = _l2_racks(catalogue)
    assert l2_racks, "lab-tenants has layer-2 racks"
    servers = [s for s in design.systems if s.role == Role.SERVER]
    assert len(servers) == sum(t.servers.count for _, t in l2_racks)
    assert all(s.loopback is None for s in servers)
    server_links = [link for link in design.links if link.role == LinkRole.LEAF_SERVER]
    assert len(server_links) == sum(t.servers.count for _, t in l2_racks)
    assert all(link.layer == 2 and link.subnet is None for link in server_links)
    ends = {end for link in server_links for end in (link.a, link.b)}
    assert all(i.ipv4 is None for i in design.interfaces if i.id in ends)
    # nothing is drawn from the routed servers' pools
    pools = {a.pool for a in design.allocations}
    assert not pools & {PoolId.SERVER_LINK, PoolId.SERVER_HOST}
    attachments = {rack.id: rack.server_attachment for rack in design.racks}
    assert attachments == {f"rack{n}": t.servers.attachment for n, t in l2_racks}


def test_routed_racks_keep_their_31s(catalogue: Catalogue) -> None:
    design = build_design(catalogue, "lab", "t")
    server_links = [link for link in design.links if link.role == LinkRole.LEAF_SERVER]
    assert server_links and all(link.layer == 3 and link.subnet for link in server_links)
    assert {rack.server_attachment for rack in design.racks} == {"routed"}


def test_an_evpn_network_is_one_subnet_with_one_anycast_gateway_on_every_rack(
    catalogue: Catalogue,
) -> None:
    design = build_design(catalogue, TEMPLATE, "t")
    specs = {spec.name: spec for spec in catalogue.template(TEMPLATE).virtual_networks}
    web = next(vn for vn in design.virtual_networks if vn.id == "web")
    bound = [rack.id for rack in design.racks if rack.rack_type in specs["web"].rack_types]
    assert len(bound) > 1 and web.racks == tuple(bound)
    subnet = ipaddress.IPv4Network(web.subnet)
    anycast = f"{subnet[1]}/{subnet.prefixlen}"
    assert web.rack_gateways == tuple((rack, anycast) for rack in bound)
    db = next(vn for vn in design.virtual_networks if vn.id == "db")
    assert [rack for rack, _ in db.rack_gateways] == list(specs["db"].racks)
    zones = {zone.id: zone for zone in design.routing_zones}
    assert zones["blue"].vni is not None and web.vni is not None and db.vni is not None
    assert len({zones["blue"].vni, web.vni, db.vni}) == 3


def test_a_network_added_later_is_stretched_too(catalogue: Catalogue) -> None:
    design = build_design(catalogue, TEMPLATE, "t")
    racks = [rack.id for rack in design.racks]
    spec: dict[str, Any] = {"name": "app", "routing_zone": "blue", "racks": racks}
    (app,) = add_virtual_network(design, spec).virtual_networks
    subnet = ipaddress.IPv4Network(app.subnet)
    assert {gateway for _, gateway in app.rack_gateways} == {f"{subnet[1]}/{subnet.prefixlen}"}
    assert app.racks == tuple(racks)


def _with_access(catalogue: Catalogue) -> Catalogue:
    """lab-tenants with its rack type's servers on access ports instead of trunks."""
    rack = catalogue.rack_types["lab-l2-leaf"]
    access = rack.model_copy(
        update={"servers": rack.servers.model_copy(update={"attachment": "access"})}
    )
    return replace(catalogue, rack_types={**catalogue.rack_types, rack.name: access})


def test_an_access_rack_bound_to_two_networks_is_refused_naming_both(
    catalogue: Catalogue,
) -> None:
    # lab-tenants binds web and db to rack2: on access ports that is one network too many
    with pytest.raises(ValidationError) as caught:
        build_design(_with_access(catalogue), TEMPLATE, "t")
    assert "rack rack2 attaches its servers on access ports" in caught.value.message
    assert "db, web" in caught.value.message
    assert "trunk" in str(caught.value.allowed)


def test_staging_a_second_network_on_an_access_rack_is_refused(catalogue: Catalogue) -> None:
    access = _with_access(catalogue)
    template = access.template(TEMPLATE)
    only_web = template.model_copy(update={"virtual_networks": template.virtual_networks[:1]})
    one = replace(access, templates={**access.templates, TEMPLATE: only_web})
    design = build_design(one, TEMPLATE, "t")
    with pytest.raises(ValidationError) as caught:
        add_virtual_network(design, {"name": "app", "routing_zone": "blue", "racks": ["rack1"]})
    assert "rack rack1" in caught.value.message and "app, web" in caught.value.message


@pytest.mark.parametrize(
    ("servers", "reason"),
    [
        ({"homing": "dual", "attachment": "trunk"}, "single-homed"),
        ({"links_per_leaf": 2, "attachment": "access"}, "links_per_leaf 1"),
    ],
)
def test_layer2_servers_are_single_homed_with_one_link(
    servers: dict[str, Any], reason: str
) -> None:
    base: dict[str, Any] = {
        "name": "rt",
        "leafs": "pair",
        "leaf": {"logical_device": "x", "device_profile": "y"},
        "servers": {"count": 1, "logical_device": "s", "homing": "single", **servers},
    }
    with pytest.raises(pydantic.ValidationError) as caught:
        RackType.model_validate(base)
    assert reason in str(caught.value)


def test_a_layer2_rack_added_later_takes_no_server_addresses(catalogue: Catalogue) -> None:
    design = build_design(catalogue, "lab", "t")  # routed racks, server pools in use
    rack_type = catalogue.rack_types["lab-l2-leaf"]
    parts = add_rack(design, catalogue, "lab-l2-leaf")
    (rack,) = parts.racks
    assert rack.server_attachment == rack_type.servers.attachment
    links = [link for link in parts.links if link.role == LinkRole.LEAF_SERVER]
    assert len(links) == rack_type.servers.count
    assert all(link.layer == 2 and link.subnet is None for link in links)
    pools = {a.pool for a in parts.allocations}
    assert not pools & {PoolId.SERVER_LINK, PoolId.SERVER_HOST}
