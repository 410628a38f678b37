"""The `fabricgraph` command line (Typer + Rich)."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from api.cli_agent import app as agent_app
from api.cli_blueprint import app as blueprint_app
from api.cli_catalogue import app as catalogue_app
from api.cli_collect import collect
from api.cli_device import app as device_app
from api.cli_impact import impact, what_if
from api.cli_pool import app as pool_app
from api.cli_probe import app as probe_app
from api.cli_telemetry import anomalies, root_causes
from api.cli_virtual import virtual_sync, vms
from api.health import health as service_health
from api.tour import tour
from blueprint_engine.errors import FabricError
from blueprint_engine.graph.db import Graph
from blueprint_engine.graph.migrate import migrate
from blueprint_engine.settings import load_settings
from lab.cli import app as lab_app

app = typer.Typer(help="Fabricgraph: intent-based datacenter fabrics over a Neo4j graph.")
app.add_typer(agent_app, name="agent")
app.add_typer(blueprint_app, name="blueprint")
app.add_typer(catalogue_app, name="catalogue")
app.add_typer(device_app, name="device")
app.add_typer(lab_app, name="lab")
app.add_typer(pool_app, name="pool")
app.add_typer(probe_app, name="probe")
console = Console()


def fail(exc: FabricError) -> None:
    console.print(f"[red]error[/red] [{exc.code}] {exc.message}")
    if exc.allowed:
        console.print(f"  allowed: {exc.allowed}")
    raise typer.Exit(code=1)


@app.command()
def health() -> None:
    """Show whether Neo4j, Redis and the workers are up."""
    settings = load_settings()
    graph = Graph(settings)
    try:
        report = service_health(graph, settings)
    finally:
        graph.close()
    table = Table("service", "state", "detail")
    for check in report["checks"]:  # type: ignore[attr-defined]
        state = "[green]up[/green]" if check["up"] else "[red]down[/red]"
        table.add_row(check["name"], state, check["detail"])
    console.print(table)
    if not report["ok"]:
        raise typer.Exit(code=1)


@app.command("migrate")
def migrate_cmd() -> None:
    """Apply the graph migrations that are missing (idempotent)."""
    settings = load_settings()
    graph = Graph(settings)
    try:
        applied = migrate(graph)
    except FabricError as exc:
        fail(exc)
    finally:
        graph.close()
    console.print(f"applied migrations: {applied or 'none (up to date)'}")


app.command()(tour)
app.command()(impact)
app.command("what-if")(what_if)
app.command()(collect)
app.command("anomalies")(anomalies)
app.command("root-causes")(root_causes)
app.command()(vms)
app.command("virtual-sync")(virtual_sync)


@app.command("lab-up")
def lab_up(
    blueprint: str = typer.Argument("demo", help="blueprint whose cabling to build"),
) -> None:
    """Build the virtual lab from a blueprint's cabling (factory-default switches)."""
    from blueprint_engine.design.reader import blueprint_lab_topology
    from lab import Lab

    settings = load_settings()
    graph = Graph(settings)
    try:
        topology = blueprint_lab_topology(graph, blueprint)
    except FabricError as exc:
        fail(exc)
    finally:
        graph.close()
    Lab().up(topology)
    console.print(f"lab up for blueprint {blueprint}: {len(topology['nodes'])} nodes")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
