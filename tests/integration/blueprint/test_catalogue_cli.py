"""`fabricgraph catalogue create|list` against the real graph."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli import app
from blueprint_engine.catalogue.store import STORED
from blueprint_engine.graph.db import Graph

pytestmark = pytest.mark.integration


def test_entries_created_from_a_yaml_file_are_listed_with_who_created_them(
    tmp_path: Path, entry_names: list[str]
) -> None:
    suffix = uuid.uuid4().hex[:8]
    names = [f"t-cli-a-{suffix}", f"t-cli-b-{suffix}"]
    file = tmp_path / "devices.yaml"
    file.write_text(
        "".join(
            f"- name: {name}\n  port_groups:\n"
            "    - {count: 4, speed_mbps: 10000, roles: [leaf]}\n"
            for name in names
        )
    )
    entry_names.extend(names)
    runner = CliRunner()
    created = runner.invoke(
        app, ["catalogue", "create", "logical_devices", str(file), "--author", "carol"]
    )
    assert created.exit_code == 0, created.output
    assert all(f"created logical_devices {name}" in created.output for name in names)
    listed = runner.invoke(
        app, ["catalogue", "list", "logical_devices", "--source", "created"], env={"COLUMNS": "200"}
    )
    assert listed.exit_code == 0, listed.output
    rows = [line for line in listed.output.splitlines() if suffix in line]
    assert len(rows) == 2 and all("carol via cli" in row for row in rows)


def test_a_bad_file_is_refused_at_its_line_and_nothing_is_created(
    tmp_path: Path, graph: Graph
) -> None:
    suffix = uuid.uuid4().hex[:8]
    file = tmp_path / "racks.yaml"
    file.write_text(
        "rack_types:\n"
        f"  - name: t-cli-ok-{suffix}\n"
        "    leafs: single\n"
        "    leaf: {logical_device: lab-leaf-8x10, device_profile: frr-vswitch-8x10}\n"
        "    servers: {count: 1, logical_device: lab-server-2x10, homing: single}\n"
        f"  - name: t-cli-bad-{suffix}\n"
        "    leafs: single\n"
        "    leaf: {logical_device: lab-leaf-8x10, device_profile: no-such-profile}\n"
        "    servers: {count: 1, logical_device: lab-server-2x10, homing: single}\n"
    )
    before = graph.read(STORED)
    result = CliRunner().invoke(
        app, ["catalogue", "create", "rack_types", str(file)], env={"COLUMNS": "300"}
    )
    assert result.exit_code == 1
    assert f"{file}:8: rack_types[1].leaf.device_profile: unknown device profile" in result.output
    assert graph.read(STORED) == before  # all or none: the good entry was not stored either
