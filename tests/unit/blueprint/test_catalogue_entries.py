"""Catalogue entries added after loading (API, CLI, graph): same checks, clear errors (pure).

The new entries form a tiny fabric: a spine and a leaf logical device on a new 8-port
profile, their interface maps, a single-leaf rack type and a template of two racks.
"""

from __future__ import annotations

from typing import Any

import pydantic
import pytest
from blueprint_counts import CATALOGUE_DIR, raw_section

from api.cli_catalogue import entries_of
from blueprint_engine.catalogue.entries import (
    Catalogue,
    NewEntry,
    definition,
    entry_source,
    extend_catalogue,
)
from blueprint_engine.catalogue.models import ENTRY_KINDS, Configlet
from blueprint_engine.catalogue.store import CREATED, FIXTURE, catalogue_kind, listing
from blueprint_engine.catalogue.yaml_lines import CatalogueError, parse_yaml
from blueprint_engine.design.build import build_design
from blueprint_engine.design.model import Pool, Role
from blueprint_engine.errors import ConflictError, NotFoundError, ValidationError
from blueprint_engine.resources.allocation import Policy
from blueprint_engine.resources.pools import check_policy

SPINE_PORTS, LEAF_SERVER_PORTS, RACK_SERVERS, SPINES, RACKS = 8, 6, 3, 2, 2
SPINE = {
    "name": "u-spine",
    "port_groups": [{"count": SPINE_PORTS, "speed_mbps": 10000, "roles": ["leaf"]}],
}
LEAF = {
    "name": "u-leaf",
    "port_groups": [
        {"count": 2, "speed_mbps": 10000, "roles": ["spine"]},
        {"count": LEAF_SERVER_PORTS, "speed_mbps": 10000, "roles": ["server"]},
    ],
}
PROFILE = {
    "name": "u-box",
    "hardware_model": "box",
    "nos": "linux_frr",
    "ports": [{"prefix": "swp", "first": 1, "count": 8, "speed_mbps": 10000}],
}
RACK = {
    "name": "u-rack",
    "leafs": "single",
    "leaf": {"logical_device": "u-leaf", "device_profile": "u-box"},
    "servers": {"count": RACK_SERVERS, "logical_device": "lab-server-2x10", "homing": "single"},
}
TEMPLATE = {
    "name": "u-fabric",
    "overlay": "ip_fabric",
    "spines": {"count": SPINES, "logical_device": "u-spine", "device_profile": "u-box"},
    "racks": [{"rack_type": "u-rack", "count": RACKS}],
    "pools": raw_section("templates")["lab"]["pools"],
}


def imap(device: str) -> dict[str, Any]:
    return {
        "name": f"{device}-map",
        "logical_device": device,
        "device_profile": "u-box",
        "ports": [{"logical_first": 1, "physical_first": "swp1", "count": 8}],
    }


def fabric() -> list[NewEntry]:
    entries = [
        ("logical_devices", SPINE),
        ("logical_devices", LEAF),
        ("device_profiles", PROFILE),
        ("interface_maps", imap("u-spine")),
        ("interface_maps", imap("u-leaf")),
        ("rack_types", RACK),
        ("templates", TEMPLATE),
    ]
    return [NewEntry(kind, data, entry_source(data)) for kind, data in entries]


def problems(catalogue: Catalogue, kind: str, data: dict[str, Any]) -> list[str]:
    with pytest.raises(CatalogueError) as caught:
        extend_catalogue(catalogue, [*fabric(), NewEntry(kind, data, entry_source(data))])
    return [str(problem) for problem in caught.value.problems]


def test_a_template_made_of_new_entries_builds_what_its_definition_implies(
    catalogue: Catalogue,
) -> None:
    bigger = extend_catalogue(catalogue, fabric())
    design = build_design(bigger, "u-fabric", "u")
    servers = RACKS * RACK_SERVERS  # single-leaf racks: one leaf each
    roles = [system.role for system in design.systems]
    assert (roles.count(Role.SPINE), roles.count(Role.LEAF), roles.count(Role.SERVER)) == (
        SPINES,
        RACKS,
        servers,
    )
    assert len(design.links) == SPINES * RACKS + servers  # uplinks + single-homed servers
    assert "u-fabric" not in catalogue.templates  # the original is never changed


def test_new_entries_may_come_in_any_order_within_one_batch(catalogue: Catalogue) -> None:
    bigger = extend_catalogue(catalogue, list(reversed(fabric())))
    assert bigger.rack_type("u-rack").leaf.device_profile == "u-box"


def test_an_unknown_reference_names_the_field_and_the_known_names(catalogue: Catalogue) -> None:
    rack = {
        **RACK,
        "name": "u-bad",
        "leaf": {"logical_device": "u-nope", "device_profile": "u-box"},
    }
    (problem,) = problems(catalogue, "rack_types", rack)
    assert problem.startswith("<api>: leaf.logical_device: unknown logical device 'u-nope'")
    assert "u-leaf" in problem and "lab-leaf-8x10" in problem  # created and fixture names


def test_too_many_servers_for_the_leaf_ports_says_how_many_exist(catalogue: Catalogue) -> None:
    servers = {
        "count": LEAF_SERVER_PORTS + 1,
        "logical_device": "lab-server-2x10",
        "homing": "single",
    }
    (problem,) = problems(catalogue, "rack_types", {**RACK, "name": "u-big", "servers": servers})
    assert problem.startswith("<api>: servers.count: ")
    assert f"(allowed: at most {LEAF_SERVER_PORTS})" in problem


def test_a_template_needing_more_spine_ports_than_exist_is_refused(catalogue: Catalogue) -> None:
    racks = [{"rack_type": "u-rack", "count": SPINE_PORTS + 1}]
    (problem,) = problems(catalogue, "templates", {**TEMPLATE, "name": "u-huge", "racks": racks})
    assert f"needs {SPINE_PORTS + 1} leaf-facing port(s) on u-spine" in problem


def test_an_interface_map_onto_slower_ports_names_both_speeds(catalogue: Catalogue) -> None:
    fast = {"name": "u-fast", "port_groups": [{"count": 8, "speed_mbps": 25000, "roles": ["leaf"]}]}
    with pytest.raises(CatalogueError) as caught:
        extend_catalogue(
            catalogue,
            [
                *fabric(),
                NewEntry("logical_devices", fast, entry_source(fast)),
                NewEntry("interface_maps", imap("u-fast"), entry_source(imap("u-fast"))),
            ],
        )
    (problem,) = caught.value.problems
    assert (problem.field, problem.file) == ("ports[0]", "<api>")
    assert "needs 25000 Mb/s but swp1 runs at 10000 Mb/s" in problem.message


def test_names_taken_by_a_fixture_or_within_the_batch_are_refused(catalogue: Catalogue) -> None:
    taken = {**SPINE, "name": "lab-leaf-8x10"}
    with pytest.raises(ConflictError) as conflict:
        extend_catalogue(catalogue, [NewEntry("logical_devices", taken, entry_source(taken))])
    assert "logical_devices.yaml:" in conflict.value.message
    with pytest.raises(CatalogueError) as twice:
        extend_catalogue(
            catalogue, [*fabric(), NewEntry("logical_devices", SPINE, entry_source(SPINE))]
        )
    assert "'u-spine' is already defined at <api>" in str(twice.value)


def test_an_unknown_kind_lists_the_kinds(catalogue: Catalogue) -> None:
    with pytest.raises(ValidationError) as caught:
        extend_catalogue(catalogue, [NewEntry("widgets", SPINE, entry_source(SPINE))])
    assert caught.value.allowed == ", ".join(ENTRY_KINDS)
    assert catalogue_kind("Rack-Types") == "rack_types"
    with pytest.raises(NotFoundError):
        catalogue_kind("racks")


def test_every_fixture_entry_survives_its_stored_definition(catalogue: Catalogue) -> None:
    for kind, model in ENTRY_KINDS.items():
        for entry in catalogue.section(kind).values():
            assert model.model_validate(definition(entry)) == entry


def test_a_file_of_entries_reports_problems_at_their_lines(catalogue: Catalogue) -> None:
    text = """rack_types:
  - name: u-ok
    leafs: single
    leaf: {logical_device: lab-leaf-8x10, device_profile: frr-vswitch-8x10}
    servers: {count: 1, logical_device: lab-server-2x10, homing: single}
  - name: u-wrong
    leafs: single
    leaf: {logical_device: lab-leaf-8x10, device_profile: frr-vswitch-8x10}
    servers: {count: 1, logical_device: lab-server-2x10, homing: twice}
"""
    entries = entries_of(parse_yaml(text, "new.yaml"), "rack_types")
    assert [e.data["name"] for e in entries] == ["u-ok", "u-wrong"]
    with pytest.raises(CatalogueError) as caught:
        extend_catalogue(catalogue, entries)
    (problem,) = caught.value.problems
    line = (
        text.splitlines().index(
            "    servers: {count: 1, logical_device: lab-server-2x10, homing: twice}"
        )
        + 1
    )
    assert str(problem).startswith(f"new.yaml:{line}: rack_types[1].servers.homing:")
    single = entries_of(parse_yaml("name: u-one\nleafs: pair\n", "one.yaml"), "rack_types")
    assert [e.data["name"] for e in single] == ["u-one"]
    with pytest.raises(ValidationError):
        entries_of(parse_yaml("just text\n", "bad.yaml"), "rack_types")


def test_listing_puts_fixtures_with_their_line_beside_created_entries(catalogue: Catalogue) -> None:
    stored = [
        {
            "kind": "logical_devices",
            "name": "u-spine",
            "definition": '{"name": "u-spine"}',
            "created_by": "op",
            "created_via": "rest",
            "created_at": "2025-01-01T00:00:00Z",
        }
    ]
    rows = listing(catalogue, stored, "logical_devices")
    text = (CATALOGUE_DIR / "logical_devices.yaml").read_text()
    by_name = {row["name"]: row for row in rows}
    for name in raw_section("logical_devices"):
        line = next(n for n, t in enumerate(text.splitlines(), 1) if f"name: {name}" in t)
        assert (by_name[name]["source"], by_name[name]["location"]) == (
            FIXTURE,
            f"fixtures/catalogue/logical_devices.yaml:{line}",
        )
    assert (by_name["u-spine"]["source"], by_name["u-spine"]["created_by"]) == (CREATED, "op")
    assert [row["name"] for row in rows] == sorted(by_name)


def test_a_pool_policy_must_be_a_known_one() -> None:
    pool = Pool("asn-leaf", "asn", ("65100-65199",))
    assert check_policy(pool, "sequential_from_last").policy == Policy.SEQUENTIAL_FROM_LAST
    with pytest.raises(ValidationError) as caught:
        check_policy(pool, "random")
    assert caught.value.allowed == "lowest_free, sequential_from_last"


def test_configlet_entries_check_sections_templates_and_negations() -> None:
    good = Configlet.model_validate(
        {
            "name": "ntp",
            "generators": {
                "linux_frr": {"template": "log facility {{ f }}"},
                "eos": {"template": "ntp server {{ n }}", "negation": "no ntp server {{ n }}"},
            },
            "scope": {"roles": ["leaf"], "tags": ["edge"]},
        }
    )
    assert good.section_of("linux_frr") == "frr" and good.section_of("eos") == "system"
    bad = [
        ({"linux_frr": {"template": "x", "section": "system"}}, "section 'system'"),
        ({"eos": {"template": "{% for %}"}}, "not a valid template: line 1"),
        ({"eos": {"template": "x", "negation": "{{ "}}, "the negation is not a valid"),
        ({"linux_frr": {"template": "x", "negation": "no x"}}, "negation is not used"),
    ]
    for generators, message in bad:
        with pytest.raises(pydantic.ValidationError, match=message):
            Configlet.model_validate({"name": "ntp", "generators": generators})
