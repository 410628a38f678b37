"""`fabricgraph blueprint ...`: create, show, stage edits, diff, commit, revisions, rollback."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import redis
import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from blueprint_engine.blueprints import Blueprints
from blueprint_engine.change.kinds import PUBLIC_KINDS
from blueprint_engine.errors import FabricError
from blueprint_engine.graph.db import Graph
from blueprint_engine.settings import load_settings
from workers.device_ops import DeviceOps

app = typer.Typer(help="Blueprints: build from a template, stage edits, commit, roll back.")
console = Console()
T = TypeVar("T")
AUTHOR = typer.Option("cli", "--author", help="recorded as the author of edits and commits")


@contextmanager
def engine() -> Iterator[Blueprints]:
    graph = Graph(load_settings())
    try:
        yield Blueprints(graph)
    except FabricError as exc:
        console.print(f"[red]error[/red] [{exc.code}] {exc.message}")
        if exc.allowed:
            console.print(f"  allowed: {exc.allowed}")
        raise typer.Exit(code=1) from None
    finally:
        graph.close()


def with_progress(label: str, work: Callable[[], T]) -> T:
    columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        progress.add_task(label, total=None)
        return work()


def show_summary(row: dict[str, Any]) -> None:
    table = Table("field", "value", title=f"blueprint {row['name']}")
    for key, value in row.items():
        table.add_row(key, str(value))
    console.print(table)


@app.command()
def create(name: str, template: str = typer.Option("lab", help="catalogue template")) -> None:
    """Instantiate a template into the graph (systems, links, sessions, resources)."""
    with engine() as bps:
        show_summary(
            with_progress(f"building {name} from {template}", lambda: bps.create(name, template))
        )


@app.command("list")
def list_() -> None:
    """List blueprints."""
    with engine() as bps:
        for name in bps.names():
            console.print(name)


@app.command()
def show(name: str) -> None:
    """Counts, staged version and active revision of a blueprint."""
    with engine() as bps:
        show_summary(bps.summary(name))


@app.command()
def delete(name: str) -> None:
    """Delete a blueprint and everything in it."""
    with engine() as bps:
        with_progress(f"deleting {name}", lambda: bps.delete(name))
        console.print(f"deleted {name}")


@app.command()
def stage(
    name: str,
    kind: str = typer.Argument(..., help=", ".join(PUBLIC_KINDS)),
    params: str = typer.Argument("{}", help='JSON parameters, e.g. \'{"rack": "rack1"}\''),
    author: str = AUTHOR,
) -> None:
    """Stage one edit (based on the current staged version)."""
    try:
        parsed = json.loads(params)
    except json.JSONDecodeError as exc:
        console.print(f"[red]error[/red] params are not JSON: {exc}")
        raise typer.Exit(code=1) from None
    with engine() as bps:
        base = bps.summary(name)["staged_version"]
        version = bps.staging.stage(
            name, {"kind": kind, "params": parsed}, base_version=base, author=author
        )
        console.print(f"staged {kind} on {name}: staged version {version}")


@app.command()
def diff(name: str) -> None:
    """Logical diff of staged against active, and the build errors that block a commit."""
    with engine() as bps:
        table = Table("change", "kind", "id", "field", "before", "after")
        for e in bps.staging.diff(name):
            table.add_row(
                e["change"],
                e["kind"],
                str(e["id"]),
                str(e.get("field") or ""),
                str(e.get("before") or ""),
                str(e.get("after") or ""),
            )
        console.print(table)
        for problem in bps.staging.build_errors(name):
            console.print(f"[red]build error[/red] {problem}")
        for system, change in bps.incremental_changes(name).items():
            console.rule(f"incremental config: {system}")
            console.print(change["incremental"] or "(no change)", markup=False, highlight=False)
            if change["rollback"]:
                console.rule(f"rollback: {system}", style="dim")
                console.print(change["rollback"], markup=False, highlight=False)


@app.command()
def commit(
    name: str, message: str = typer.Option(..., "-m", "--message"), author: str = AUTHOR
) -> None:
    """Commit the staged edits as a new revision."""
    with engine() as bps:
        base = bps.summary(name)["staged_version"]
        revision = with_progress(
            "committing",
            lambda: bps.commit(name, base_version=base, author=author, message=message),
        )
        console.print(
            f"revision {revision.number} by {revision.author}: {len(revision.diff)} changes"
        )
        client = redis.Redis.from_url(load_settings().redis_url, socket_timeout=5)
        sent = DeviceOps(bps.graph, client, bps).reconcile_touched(name, revision.devices)
        if sent:
            console.print(f"reconciling {len(sent)} devices now: {', '.join(sorted(sent))}")


@app.command()
def revisions(name: str) -> None:
    """List revisions."""
    with engine() as bps:
        table = Table("revision", "author", "time", "message", "changes")
        for r in bps.staging.revisions(name):
            table.add_row(str(r.number), r.author, r.at, r.message, str(len(r.diff)))
        console.print(table)


@app.command()
def rollback(
    name: str,
    to: int = typer.Option(..., "--to", help="revision to return to"),
    author: str = AUTHOR,
) -> None:
    """Stage the inverse of every revision after --to (then review and commit)."""
    with engine() as bps:
        base = bps.summary(name)["staged_version"]
        version = bps.staging.rollback(name, to, base_version=base, author=author)
        console.print(f"staged a rollback to revision {to}: staged version {version}")
