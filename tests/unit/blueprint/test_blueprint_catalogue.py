"""The design catalogue loads, validates and points at the exact file, line and field."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from blueprint_counts import CATALOGUE_DIR, TEMPLATES, raw_section

from blueprint_engine.catalogue.entries import Catalogue, create_entry, load_catalogue
from blueprint_engine.catalogue.yaml_lines import CatalogueError
from blueprint_engine.errors import ConflictError, FabricError


def _line_of(text: str, needle: str) -> int:
    """1-based line of the first line containing ``needle``."""
    return next(n for n, line in enumerate(text.splitlines(), 1) if needle in line)


def _problems(path: Path) -> list[str]:
    with pytest.raises(CatalogueError) as caught:
        load_catalogue(path)
    assert isinstance(caught.value, FabricError)
    return [str(problem) for problem in caught.value.problems]


def test_shipped_catalogue_holds_every_entry_of_every_file(catalogue: Catalogue) -> None:
    for section in ("logical_devices", "device_profiles", "interface_maps", "rack_types"):
        assert sorted(catalogue.section(section)) == sorted(raw_section(section))
    assert set(TEMPLATES) <= set(catalogue.templates)


def test_large_template_spines_use_a_profile_with_at_least_512_ports(
    catalogue: Catalogue,
) -> None:
    profile = catalogue.device_profile(catalogue.template("large").spine_spec.device_profile)
    assert len(profile.physical_ports) >= 512


def test_interface_map_serves_logical_ports_with_the_mapped_physical_ports(
    catalogue: Catalogue,
) -> None:
    raw = raw_section("interface_maps")["leaf-8x100-48x25-on-juniper-qfx5120-48y"]
    ports = catalogue.switch_ports("leaf-8x100-48x25", "juniper-qfx5120-48y")
    for block in raw["ports"]:
        first = ports[block["logical_first"] - 1]
        assert first.name == block["physical_first"]
        assert first.logical == block["logical_first"]


def test_wrong_value_names_file_line_field_and_allowed_values(tmp_path: Path) -> None:
    text = """rack_types:
  - name: broken
    leafs: triple
    leaf: {logical_device: lab-leaf-8x10, device_profile: frr-vswitch-8x10}
    servers: {count: 1, logical_device: lab-server-2x10, homing: single}
"""
    (tmp_path / "racks.yaml").write_text(text)
    (problem,) = _problems(tmp_path)
    line = _line_of(text, "leafs: triple")
    assert problem.startswith(f"{tmp_path / 'racks.yaml'}:{line}: rack_types[0].leafs:")
    assert "'single' or 'pair'" in problem


def test_unknown_field_is_reported_at_its_line_with_the_allowed_fields(tmp_path: Path) -> None:
    text = """logical_devices:
  - name: odd
    port_groups:
      - count: 4
        speed_mbps: 10000
        roles: [leaf]
        colour: blue
"""
    (tmp_path / "devices.yaml").write_text(text)
    problem = next(problem for problem in _problems(tmp_path) if "colour" in problem)
    line = _line_of(text, "colour")
    assert f"devices.yaml:{line}: logical_devices[0].port_groups[0].colour:" in problem
    assert "allowed fields: count, speed_mbps, roles" in problem


def test_missing_field_points_at_the_entry(tmp_path: Path) -> None:
    text = """device_profiles:
  - name: no-nos
    hardware_model: X
    ports: [{count: 4, speed_mbps: 10000}]
"""
    (tmp_path / "profiles.yaml").write_text(text)
    (problem,) = _problems(tmp_path)
    assert f"profiles.yaml:{_line_of(text, 'name: no-nos')}: device_profiles[0].nos:" in problem


def test_yaml_syntax_error_names_the_file_and_line(tmp_path: Path) -> None:
    text = "logical_devices:\n  - name: a\n    port_groups: [\n"
    (tmp_path / "bad.yaml").write_text(text)
    (problem,) = _problems(tmp_path)
    assert problem.startswith(f"{tmp_path / 'bad.yaml'}:")
    assert "invalid YAML" in problem


def test_duplicate_key_is_an_error_not_a_silent_override(tmp_path: Path) -> None:
    text = "logical_devices:\n  - name: a\n    name: b\n    port_groups: []\n"
    (tmp_path / "dup.yaml").write_text(text)
    (problem,) = _problems(tmp_path)
    assert f"dup.yaml:{_line_of(text, 'name: b')}: logical_devices[0].name:" in problem


def _index(section: str, name: str) -> int:
    return list(raw_section(section)).index(name)


def _copy_catalogue(tmp_path: Path) -> Path:
    folder = tmp_path / "catalogue"
    shutil.copytree(CATALOGUE_DIR, folder)
    return folder


def _replace(path: Path, old: str, new: str) -> str:
    text = path.read_text()
    assert old in text
    text = text.replace(old, new, 1)
    path.write_text(text)
    return text


def test_template_naming_an_unknown_rack_type_lists_the_known_ones(tmp_path: Path) -> None:
    folder = _copy_catalogue(tmp_path)
    old = "{rack_type: lab-leaf-pair, count: 1}"
    text = _replace(folder / "templates.yaml", old, "{rack_type: lab-leaf-trio, count: 1}")
    (problem,) = _problems(folder)
    line = _line_of(text, "lab-leaf-trio")
    assert f"templates.yaml:{line}: templates[{_index('templates', 'lab')}].racks[1]" in problem
    assert "unknown rack type 'lab-leaf-trio'" in problem
    assert "lab-leaf-pair" in problem


def test_interface_map_for_a_profile_with_too_few_ports_is_an_error(tmp_path: Path) -> None:
    folder = _copy_catalogue(tmp_path)
    old = "- {prefix: swp, first: 1, count: 576, speed_mbps: 100000}"
    _replace(folder / "device_profiles.yaml", old, old.replace("576", "500"))
    problems = _problems(folder)
    maps = (folder / "interface_maps.yaml").read_text()
    line = _line_of(maps, "{logical_first: 1, physical_first: swp1, count: 576}")
    chassis_map = _index("interface_maps", "spine-576x100-on-frr-chassis-576x100")
    assert any(
        f"interface_maps.yaml:{line}: interface_maps[{chassis_map}].ports[0].count:" in problem
        and "has only 500 port(s)" in problem
        for problem in problems
    ), problems


def test_rack_needing_more_leaf_ports_than_the_profile_has_is_an_error(tmp_path: Path) -> None:
    folder = _copy_catalogue(tmp_path)
    leaf = raw_section("logical_devices")["leaf-8x100-48x25"]
    server_ports = sum(g["count"] for g in leaf["port_groups"] if "server" in g["roles"])
    old = "servers: {count: 8, logical_device: server-2x25, homing: dual"
    new = old.replace("count: 8", f"count: {server_ports + 1}")
    text = _replace(folder / "rack_types.yaml", old, new)
    problems = _problems(folder)
    line = _line_of(text, new)
    rack = _index("rack_types", "leaf-pair-8-dual")
    assert any(
        f"rack_types.yaml:{line}: rack_types[{rack}].servers.count:" in problem
        and f"needs {server_ports + 1} server-facing port(s)" in problem
        and f"it has {server_ports}" in problem
        for problem in problems
    ), problems


def test_template_with_more_leafs_than_spine_ports_is_an_error(tmp_path: Path) -> None:
    folder = _copy_catalogue(tmp_path)
    spine = raw_section("logical_devices")["spine-32x100"]
    spine_ports = sum(group["count"] for group in spine["port_groups"])
    racks_allowed = spine_ports // 2
    old = "{rack_type: leaf-pair-4-dual, count: 16}"
    _replace(
        folder / "templates.yaml",
        old,
        f"{{rack_type: leaf-pair-4-dual, count: {racks_allowed + 1}}}",
    )
    problems = _problems(folder)
    assert any(
        f"templates[{_index('templates', 'medium')}].spines" in p
        and "leaf-facing port(s) on spine-32x100" in p
        for p in problems
    )


def test_creating_an_entry_validates_it_like_a_file_entry(catalogue: Catalogue) -> None:
    data = {
        "name": "lab-single-leaf-2",
        "leafs": "single",
        "leaf": {"logical_device": "lab-leaf-8x10", "device_profile": "frr-vswitch-8x10"},
        "servers": {"count": 2, "logical_device": "lab-server-2x10", "homing": "single"},
    }
    bigger = create_entry(catalogue, "rack_types", data)
    assert bigger.rack_type("lab-single-leaf-2").servers.count == 2
    assert "lab-single-leaf-2" not in catalogue.rack_types
    with pytest.raises(CatalogueError) as caught:
        create_entry(catalogue, "rack_types", {**data, "name": "x", "leafs": "many"})
    assert str(caught.value.problems[0]).startswith("<api>: leafs:")
    with pytest.raises(CatalogueError) as unknown:
        create_entry(
            catalogue,
            "rack_types",
            {
                **data,
                "name": "y",
                "leaf": {"logical_device": "nope", "device_profile": "frr-vswitch-8x10"},
            },
        )
    assert "unknown logical device 'nope'" in str(unknown.value)
    with pytest.raises(ConflictError):
        create_entry(catalogue, "rack_types", {**data, "name": "lab-single-leaf"})


def test_virtual_network_subnet_too_small_for_its_racks_is_an_error(tmp_path: Path) -> None:
    folder = _copy_catalogue(tmp_path)
    large = raw_section("templates")["large"]
    racks = sum(rack["count"] for rack in large["racks"])
    subnet_len = large["pools"]["ipv4-vn"]["prefix_len"]
    slice_len = subnet_len + (racks - 1).bit_length() - 1  # fewer slices than racks
    old = "- {name: web, rack_types: [leaf-pair-8-dual]}"
    new = f"- {{name: web, rack_types: [leaf-pair-8-dual], rack_prefix_len: {slice_len}}}"
    text = _replace(folder / "templates.yaml", old, new)
    (problem,) = _problems(folder)
    where = f"{_line_of(text, new)}: templates[{_index('templates', 'large')}]"
    assert f"templates.yaml:{where}.virtual_networks[0].rack_prefix_len" in problem
    assert f"{racks} bound racks need" in problem
