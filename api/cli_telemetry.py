"""`fabricgraph anomalies` and `fabricgraph root-causes`: what the engine found, as tables."""

from __future__ import annotations

import json
import time

import typer
from rich.console import Console
from rich.table import Table

from api.cli_blueprint import engine
from telemetry import reads

console = Console()


def _ago(seconds: float | None) -> str:
    if seconds is None:
        return ""
    delta = max(0.0, time.time() - seconds)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if delta >= size:
            return f"{delta / size:.0f}{unit} ago"
    return f"{delta:.0f}s ago"


def _flags(row: dict[str, object]) -> str:
    return " ".join(
        f for f, on in (("expected", row["expected"]), ("suppressed", row["suppressed"])) if on
    )


def anomalies(
    blueprint: str,
    device: str | None = typer.Option(None, help="only anomalies of this switch"),
    type: str | None = typer.Option(None, "--type", help="e.g. interface_down, bgp_session_down"),
    state: str = typer.Option("raised", help="raised, cleared, or all"),
    limit: int = typer.Option(200, help="rows at most"),
) -> None:
    """Anomalies (intent differs from what the devices report) of a blueprint."""
    with engine() as bps:
        page = reads.anomalies(
            bps.graph,
            blueprint,
            device=device,
            type=type,
            state=None if state == "all" else state,
            first=limit,
        )
    table = Table(
        "type",
        "subject",
        "device",
        "state",
        "flags",
        "first seen",
        "summary",
        title=f"anomalies of {blueprint}",
    )
    for row in page.rows:
        colour = "red" if row["state"] == "raised" and not _flags(row) else "dim"
        table.add_row(
            f"[{colour}]{row['type']}[/{colour}]",
            row["subject"],
            row["device"],
            row["state"],
            _flags(row),
            _ago(row["first_seen"]),
            row["summary"] or "",
        )
    console.print(table)
    if page.has_next:
        console.print(f"[dim]more than {limit} rows; raise --limit[/dim]")


def root_causes(
    blueprint: str,
    state: str = typer.Option("open", help="open, cleared, or all"),
    evidence: bool = typer.Option(False, "--evidence", help="print each cause's evidence"),
) -> None:
    """Root causes, each with the anomalies it explains and the servers it impacts."""
    with engine() as bps:
        causes = reads.root_causes(bps.graph, blueprint, state=None if state == "all" else state)
        symptoms = reads.grouped(bps.graph, reads.SYMPTOMS_OF, [c["uid"] for c in causes])
    table = Table(
        "kind",
        "at fault",
        "state",
        "since",
        "symptoms",
        "impacted servers",
        title=f"root causes of {blueprint}",
        show_lines=True,
    )
    for cause, found in zip(causes, symptoms, strict=True):
        data = reads.as_json(cause["evidence"]) or {}
        impacted = ", ".join(
            f"{i['server']} ({i['status']})" for i in data.get("impacted_servers", [])
        )
        listed = "\n".join(f"{s['type']} {s['subject']} @{s['device']}" for s in found)
        table.add_row(
            cause["kind"],
            cause["subject"],
            cause["state"],
            _ago(cause["first_seen"]),
            listed,
            impacted,
        )
    console.print(table)
    if evidence:
        for cause in causes:
            console.print(f"[bold]{cause['uid']}[/bold]")
            console.print_json(json.dumps(reads.as_json(cause["evidence"])))
