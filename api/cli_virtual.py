"""`fabricgraph vms` (VMs by network, hypervisor or routing zone) and
`fabricgraph virtual-sync` (push a source's snapshot or events from a JSON file)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from api.cli_blueprint import engine
from api.virtual_sync import JsonFileSource, sync_from, sync_inventory
from blueprint_engine.settings import load_settings
from blueprint_engine.virtual import reads

console = Console()


def vms(
    blueprint: str,
    network: str | None = typer.Option(None, help="a virtual network, e.g. web"),
    hypervisor: str | None = typer.Option(None, help="a hypervisor id, <source>/<id>"),
    routing_zone: str | None = typer.Option(None, "--routing-zone", help="e.g. blue"),
    limit: int = typer.Option(100, help=f"rows at most (1..{reads.MAX_PAGE})"),
) -> None:
    """VMs of a blueprint (at most one filter), with their vNICs' networks."""
    with engine() as bps:
        rows = reads.list_vms(
            bps.graph,
            blueprint,
            network=network,
            hypervisor=hypervisor,
            routing_zone=routing_zone,
            limit=limit,
        )
    table = Table("vm", "name", "state", "hypervisor", "server", "rack", "vNICs", title="VMs")
    for r in rows:
        nics = ", ".join(
            f"{n['mac']} vlan {n['vlan']} -> {n['network'] or '-'}" for n in r["vnics"]
        )
        table.add_row(
            r["id"], r["name"], r["state"], r["hypervisor"], r["server"], r["rack"] or "", nics
        )
    console.print(table)


def virtual_sync(
    blueprint: str,
    source_name: str,
    path: Path,
) -> None:
    """Push a source's full snapshot from a JSON file {hypervisors, vms} (or, with an
    `events` key, incremental events {events: [...]})."""
    with engine() as bps:
        source = JsonFileSource(source_name, path)
        settings = load_settings()
        if source.has_snapshot:
            rows = sync_from(bps.graph, settings, blueprint, source)
        else:
            rows = [
                sync_inventory(bps.graph, settings, blueprint, source_name, events=source.events())
            ]
    for row in rows:
        _print(row)


def _print(row: dict[str, Any]) -> None:
    console.print(
        f"{row['source']}: {row['hypervisors']} hypervisor(s), {row['vms']} VM(s), "
        f"{row['vnics']} vNIC(s); created {row['created']}, updated {row['updated']}, "
        f"deleted {row['deleted']}; anomalies raised {len(row['anomalies_raised'])}, "
        f"cleared {len(row['anomalies_cleared'])}, open {row['anomalies_open']}"
    )
