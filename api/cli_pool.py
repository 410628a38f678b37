"""`fabricgraph pool ...`: worker pools, their devices and liveness; moving devices."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from api.cli_blueprint import engine
from api.health import WorkerPinger
from api.worker_pools import pools_report
from blueprint_engine.devices.placement import DEFAULT_CAPACITY
from blueprint_engine.devices.worker_pools import WorkerPools
from blueprint_engine.settings import load_settings

app = typer.Typer(help="Worker pools: list with devices and liveness, create, move devices.")
console = Console()


@app.command("list")
def list_(devices: bool = typer.Option(False, help="list each pool's devices too")) -> None:
    """Pools with their queue, load, liveness (workers asked now, 1 s) and devices."""
    pinger = WorkerPinger(load_settings())
    try:
        with engine() as bps:
            report = pools_report(bps.graph, pinger)
    finally:
        pinger.close_connection()
    table = Table("pool", "queue", "devices", "capacity", "load", "liveness", "workers")
    for p in report["pools"]:
        table.add_row(
            p["name"],
            p["queue"],
            str(len(p["devices"])),
            str(p["capacity"]),
            f"{p['load']:.0%}",
            p["liveness"],
            ", ".join(p["workers"]) or "none",
        )
    console.print(table)
    if report["error"]:
        console.print(f"[yellow]{report['error']}[/yellow] (liveness: the last pool check's)")
    if report["unplaced"]:
        console.print(f"not placed on any pool: {', '.join(report['unplaced'])}")
    if devices:
        for p in report["pools"]:
            for d in p["devices"]:
                where = f"{d['blueprint']}/{d['system']}" if d["system"] else "unassigned"
                console.print(f"{p['name']}: {d['serial']} {where} {d['liveness']}")


@app.command()
def create(
    name: str,
    queue: str = typer.Option(..., help="the Celery queue the pool's workers consume"),
    capacity: int = typer.Option(DEFAULT_CAPACITY, help="devices the pool takes"),
) -> None:
    """Create a worker pool (its workers: FG_CELERY_QUEUE=<queue> make worker)."""
    with engine() as bps:
        WorkerPools(bps.graph).create(name, queue, capacity)
    console.print(f"pool {name} (queue {queue}, capacity {capacity}) created")


@app.command()
def move(serial: str, pool: str) -> None:
    """Move a device to another pool: its collection and pushes go to that pool's queue."""
    with engine() as bps:
        moved = WorkerPools(bps.graph).move(serial, pool)
    console.print(f"{serial}: {moved.previous or 'no pool'} -> {moved.pool} (queue {moved.queue})")


@app.command()
def delete(name: str) -> None:
    """Delete an empty pool."""
    with engine() as bps:
        WorkerPools(bps.graph).delete(name)
    console.print(f"pool {name} deleted")
