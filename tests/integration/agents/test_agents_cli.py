"""`fabricgraph agent ...`: import a YAML file of agents, list them, stop, delete."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli import app
from blueprint_engine.devices.agents import Agents
from blueprint_engine.graph.db import Graph
from tests.integration.agents.helpers import cleanup, credential_set, recorded_facts

pytestmark = pytest.mark.integration

RECORDINGS = ("eos-dcs7060cx-recording", "junos-qfx5120-recording")
SERIALS = [str(recorded_facts(r)["serial_number"]) for r in RECORDINGS]


def test_import_list_stop_delete(graph: Graph, tmp_path: Path) -> None:
    tag = uuid.uuid4().hex[:6]
    names = [f"t-cli-eos-{tag}", f"t-cli-junos-{tag}"]
    cleanup(graph, [], SERIALS)
    runner = CliRunner()
    try:
        with credential_set("admin", f"pw-{tag}") as cred:
            path = tmp_path / "agents.yaml"
            path.write_text(
                "agents:\n"
                f"  - {{name: {names[0]}, address: 192.0.2.11, platform: eos, "
                f"credential: {cred}, options: {{recording: {RECORDINGS[0]}}}}}\n"
                f"  - {{name: {names[1]}, address: sw3.example.net, platform: junos, "
                f"group: {cred}, options: {{recording: {RECORDINGS[1]}}}}}\n"
            )
            made = runner.invoke(app, ["agent", "import", str(path), "--wait", "60"])
            assert made.exit_code == 0, made.output
        rows = Agents(graph).list(names)
        assert [(r["status"], r["serial"]) for r in rows] == [
            ("registered", SERIALS[0]),
            ("registered", SERIALS[1]),
        ]
        listed = runner.invoke(app, ["agent", "list"])
        for name, serial in zip(names, SERIALS, strict=True):
            line = next(x for x in listed.output.splitlines() if x.startswith(name))
            assert "registered" in line and f"serial={serial}" in line, line
        inventory = runner.invoke(app, ["device", "inventory"]).output.splitlines()
        line = next(x for x in inventory if x.startswith(SERIALS[1]))
        assert "vendor=Juniper" in line and "os_version=22.4R2-S1.6" in line, line
        assert "os_version_allowed=yes (21.4R1..23.4R99)" in line, line
        bad = runner.invoke(app, ["agent", "create", "x", "--address", "a b", "--platform", "eos"])
        assert bad.exit_code == 1 and "address" in bad.output
        assert runner.invoke(app, ["agent", "stop", names[0]]).exit_code == 0
        gone = runner.invoke(app, ["agent", "delete", names[0]])
        assert gone.exit_code == 0 and SERIALS[0] in gone.output
        assert [r["name"] for r in Agents(graph).list(names)] == [names[1]]
    finally:
        cleanup(graph, names, SERIALS)
