"""Layer-2 servers through the graph: a committed ``lab-tenants`` blueprint gives each
leaf's server port the VLANs of its rack's networks, the stretched network the same
anycast gateway on every leaf, and a network staged and committed later reaches exactly
the server ports of the racks it is bound to."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from blueprint_engine.blueprints import Blueprints
from blueprint_engine.catalogue.entries import load_catalogue
from blueprint_engine.errors import ValidationError
from blueprint_engine.graph.db import Query
from renderers import render
from renderers.context import DeviceContext, Stage

TEMPLATE = "lab-tenants"
CATALOGUE = Path(__file__).resolve().parents[3] / "fixtures" / "catalogue"


def _server_ports(context: DeviceContext) -> dict[str, list[int]]:
    return {p["name"]: p["vlans"] for p in context["interfaces"] if p["role"] == "server"}


def _gateways(context: DeviceContext) -> dict[str, str | None]:
    return {vn["name"]: vn["gateway"] for vn in context["virtual_networks"]}


def test_server_ports_carry_their_racks_networks_and_the_gateway_is_anycast(
    make_blueprint: Any, blueprints: Blueprints
) -> None:
    bp = make_blueprint(TEMPLATE)
    assert blueprints.staging.build_errors(bp) == []
    template = load_catalogue(CATALOGUE).template(TEMPLATE)
    vlan_of = {vn.name: vn.vlan for vn in template.virtual_networks if vn.vlan is not None}
    assert len(vlan_of) == len(template.virtual_networks)  # lab-tenants names its VLANs
    design_racks = {
        f"rack{n}": rt
        for n, rt in enumerate((r.rack_type for r in template.racks for _ in range(r.count)), 1)
    }
    leafs = [f"{rack}-leaf1" for rack in design_racks]
    contexts = blueprints.configs.contexts(bp, leafs)
    for rack, rack_type in design_racks.items():
        wanted = sorted(
            vlan_of[vn.name]
            for vn in template.virtual_networks
            if rack in vn.racks or rack_type in vn.rack_types
        )
        context = contexts[f"{rack}-leaf1"]
        ports = _server_ports(context)
        assert list(ports.values()) == [wanted], rack  # one trunk per server, its rack's VLANs
        assert context["static_routes"] == []  # no routed server, no host route
        assert not any(p.get("untagged") for p in context["interfaces"])
        text = render(context, Stage.SERVICE)
        (port,) = ports
        assert (
            f"iface {port}\n" in text and f"    bridge-vids {' '.join(map(str, wanted))}\n" in text
        )
    web = {_gateways(c)["web"] for c in contexts.values()}
    assert len(web) == 1 and None not in web  # the same address on every leaf serving it


def test_a_committed_network_reaches_only_the_server_ports_of_its_racks(
    make_blueprint: Any, blueprints: Blueprints
) -> None:
    bp = make_blueprint(TEMPLATE)
    version = blueprints.staging.stage(
        bp,
        {
            "kind": "add_virtual_network",
            "params": {"name": "app", "routing_zone": "blue", "vlan": 300, "racks": ["rack1"]},
        },
        base_version=0,
        author="alice",
    )
    blueprints.commit(bp, base_version=version, author="alice", message="app in rack1")
    contexts = blueprints.configs.contexts(bp, ["rack1-leaf1", "rack2-leaf1"])
    assert 300 in next(iter(_server_ports(contexts["rack1-leaf1"]).values()))
    assert 300 not in next(iter(_server_ports(contexts["rack2-leaf1"]).values()))
    assert "app" in _gateways(contexts["rack1-leaf1"])
    assert "app" not in _gateways(contexts["rack2-leaf1"])


SET_ATTACHMENT = Query(
    "test.set_server_attachment",
    "MATCH (k:Rack {uid: $bp + '/' + $rack}) SET k.server_attachment = $attachment",
)


def test_an_access_rack_renders_its_one_network_untagged(
    make_blueprint: Any, blueprints: Blueprints
) -> None:
    bp = make_blueprint(TEMPLATE)
    # rack1 of lab-tenants has web only: its servers may as well be on access ports
    blueprints.graph.write(SET_ATTACHMENT, bp=bp, rack="rack1", attachment="access")
    context = blueprints.configs.contexts(bp, ["rack1-leaf1"])["rack1-leaf1"]
    (port,) = (p for p in context["interfaces"] if p["role"] == "server")
    assert port.get("untagged") is True and len(port["vlans"]) == 1
    stanza = render(context, Stage.SERVICE).split(f"iface {port['name']}\n")[1].split("\n\n")[0]
    assert f"    bridge-access {port['vlans'][0]}" in stanza and "bridge-vids" not in stanza


def test_a_second_network_on_an_access_rack_is_refused_when_staged_and_at_commit(
    make_blueprint: Any, blueprints: Blueprints
) -> None:
    bp = make_blueprint(TEMPLATE)
    blueprints.graph.write(SET_ATTACHMENT, bp=bp, rack="rack1", attachment="access")
    edit = {
        "kind": "add_virtual_network",
        "params": {"name": "app", "routing_zone": "blue", "racks": ["rack1"]},
    }
    with pytest.raises(ValidationError) as caught:
        blueprints.staging.stage(bp, edit, base_version=0, author="alice")
    assert "rack rack1 attaches its servers on access ports" in caught.value.message
    assert blueprints.staging.version(bp) == 0  # nothing was staged
    # rack2 (web and db) turned access behind staging's back: the commit's build check
    blueprints.graph.write(SET_ATTACHMENT, bp=bp, rack="rack2", attachment="access")
    problems = blueprints.staging.build_errors(bp)
    ours = [p for p in problems if p.startswith("rack rack2 attaches its servers on access")]
    assert len(ours) == 1 and "db, web" in ours[0], problems
