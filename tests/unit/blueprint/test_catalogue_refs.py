"""References between catalogue entries: what an entry needs, and who needs it (pure)."""

from __future__ import annotations

from blueprint_engine.catalogue.entries import Catalogue
from blueprint_engine.catalogue.refs import dependencies, references, users


def test_a_rack_type_refers_to_its_leaf_its_map_and_its_servers(catalogue: Catalogue) -> None:
    rack = catalogue.rack_type("lab-leaf-pair")
    refs = references(catalogue, "rack_types", "lab-leaf-pair")
    assert ("logical_devices", rack.leaf.logical_device) in refs
    assert ("device_profiles", rack.leaf.device_profile) in refs
    assert ("logical_devices", rack.servers.logical_device) in refs
    maps = [k for k in refs if k[0] == "interface_maps"]
    assert len(maps) == 1
    imap = catalogue.interface_maps[maps[0][1]]
    assert (imap.logical_device, imap.device_profile) == (
        rack.leaf.logical_device,
        rack.leaf.device_profile,
    )


def test_users_are_the_entries_naming_it_and_dependencies_are_transitive(
    catalogue: Catalogue,
) -> None:
    expected = sorted(
        ("templates", name)
        for name, template in catalogue.templates.items()
        if any(r.rack_type == "lab-leaf-pair" for r in template.racks)
    )
    assert users(catalogue, "rack_types", "lab-leaf-pair") == expected
    assert users(catalogue, "templates", "lab") == []
    closure = dependencies(catalogue, [("templates", "lab")])
    assert ("rack_types", "lab-leaf-pair") in closure
    assert references(catalogue, "rack_types", "lab-leaf-pair") <= closure
