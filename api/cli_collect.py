"""`fabricgraph collect <blueprint>`: one telemetry collection round, on demand."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from api.cli_blueprint import engine

console = Console()


def collect(
    blueprint: str = typer.Argument(..., help="blueprint whose switches to collect from"),
    timeout: float = typer.Option(60.0, help="seconds to wait for the workers"),
) -> None:
    """Collect telemetry from every switch of a blueprint now (on the workers) and show
    what the round observed, changed, raised and cleared."""
    from workers.collect import request_round
    from workers.outcome import Outcome, Status

    with engine() as bps, console.status(f"collecting {blueprint} on the workers..."):
        result = request_round(bps.graph, blueprint, timeout_s=timeout)
    if Outcome.of(result).status is Status.BUSY:
        console.print(f"{blueprint}: a collection round is already running; try again")
        raise typer.Exit(code=1)
    table = Table(
        "blueprint",
        "devices",
        "unreachable",
        "observations",
        "changed",
        "raised",
        "cleared",
        "causes opened",
        "causes cleared",
        "seconds",
    )
    table.add_row(
        blueprint,
        str(result["devices"]),
        ", ".join(result["unreachable"]) or "none",
        str(result["observations"]),
        str(result["changed"]),
        str(result["anomalies_raised"]),
        str(result["anomalies_cleared"]),
        str(result["root_causes_opened"]),
        str(result["root_causes_cleared"]),
        f"{result['seconds']:.2f}",
    )
    console.print(table)
    for system, error in sorted(result.get("errors", {}).items()):
        console.print(f"[yellow]{system}[/yellow]: {error}")
