"""The lab's Typer app offers the documented commands (help only: nothing is run)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from lab.cli import app


@pytest.mark.parametrize("command", ["up", "down", "status", "ping", "fault"])
def test_the_lab_app_has_the_command(command: str) -> None:
    result = CliRunner().invoke(app, [command, "--help"])
    assert result.exit_code == 0
    assert "Usage" in result.output


@pytest.mark.parametrize(
    "fault",
    [
        "cable-cut",
        "transceiver-fail",
        "device-offline",
        "oob-change",
        "swap-cables",
        "server-down",
        "plug-unused",
        "repair",
    ],
)
def test_every_fault_has_a_command(fault: str) -> None:
    result = CliRunner().invoke(app, ["fault", fault, "--help"])
    assert result.exit_code == 0
