"""`fabricgraph device ...`: managed devices, their lifecycle events and config stages."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from api.cli_blueprint import engine
from blueprint_engine.devices import Devices
from blueprint_engine.lifecycle import Event

app = typer.Typer(help="Managed devices: list, lifecycle events, config stages.")
console = Console()


@app.command("list")
def list_() -> None:
    """Devices with their managed state, deploy mode and blueprint system."""
    with engine() as bps:
        table = Table("serial", "hostname", "state", "deploy mode", "liveness", "system")
        for d in Devices(bps.graph).all():
            table.add_row(d["serial"], d["hostname"], str(d.get("state") or "n/a"),
                          d["deploy_mode"], d["liveness"], str(d.get("system") or ""))  # fmt: skip
        console.print(table)


@app.command()
def config(
    serial: str,
    stage: str = typer.Argument(
        "golden", help="pristine, discovery1, discovery2, service, drain, golden"
    ),
) -> None:
    """Show one stored config stage of a device."""
    with engine() as bps:
        configs = Devices(bps.graph).configs(serial)
        if stage not in configs:
            console.print(f"[red]error[/red] {serial} has no {stage} config "
                          f"(stored: {', '.join(sorted(configs)) or 'none'})")  # fmt: skip
            raise typer.Exit(code=1)
        console.print(configs[stage], markup=False, highlight=False)


@app.command()
def event(
    serial: str,
    name: Annotated[Event, typer.Argument(help="lifecycle event")],
    blueprint: str = typer.Option("", help="assign: the blueprint"),
    system: str = typer.Option("", help="assign: the blueprint system"),
) -> None:
    """Apply a lifecycle event; the config stage it calls for is pushed by a worker."""
    from workers.rollout import push_for

    with engine() as bps:
        outcome = Devices(bps.graph).event(serial, name, blueprint=blueprint or None,
                                           system=system or None)  # fmt: skip
        console.print(f"{serial}: {outcome.state} / {outcome.deploy_mode} ({outcome.reason})")
        for result in push_for([outcome]):
            console.print(f"pushed {result['stage']} in {result['seconds']:.1f} s")
