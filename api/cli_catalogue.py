"""`fabricgraph catalogue ...`: list the design catalogue, create entries from YAML files,
delete created entries that nothing uses."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, cast

import typer
from rich.console import Console
from rich.table import Table

from blueprint_engine.blueprints import DEFAULT_CATALOGUE
from blueprint_engine.catalogue.entries import NewEntry, Source, load_catalogue
from blueprint_engine.catalogue.store import CatalogueCache, catalogue_kind
from blueprint_engine.catalogue.yaml_lines import CatalogueError, YamlDocument, YamlPath, parse_yaml
from blueprint_engine.errors import FabricError, ValidationError
from blueprint_engine.graph.db import Graph
from blueprint_engine.settings import load_settings

app = typer.Typer(
    help="The design catalogue: list entries, create entries from YAML files, delete them."
)
console = Console()
KIND_HELP = "logical_devices, device_profiles, interface_maps, rack_types, templates or configlets"


@contextmanager
def catalogue() -> Iterator[CatalogueCache]:
    graph = Graph(load_settings())
    try:
        yield CatalogueCache(graph, load_catalogue(DEFAULT_CATALOGUE))
    except FabricError as exc:
        console.print(f"[red]error[/red] [{exc.code}] {exc.message}")
        for problem in exc.problems if isinstance(exc, CatalogueError) else []:
            console.print(f"  {problem}")
        if exc.allowed:
            console.print(f"  allowed: {exc.allowed}")
        raise typer.Exit(code=1) from None
    finally:
        graph.close()


def summary(row: dict[str, Any]) -> str:
    """A one-line description of an entry's definition."""
    d = row["definition"]
    match row["kind"]:
        case "logical_devices":
            return ", ".join(
                f"{g['count']}x{g['speed_mbps'] // 1000}G {'/'.join(g['roles'])}"
                for g in d["port_groups"]
            )
        case "device_profiles":
            ports = sum(block["count"] for block in d["ports"])
            return f"{d['hardware_model']} ({d['nos']}, {ports} ports)"
        case "interface_maps":
            return f"{d['logical_device']} on {d['device_profile']}"
        case "rack_types":
            servers = d["servers"]
            return f"{d['leafs']} leaf, {servers['count']} {servers['homing']}-homed servers"
        case "configlets":
            scope = ", ".join(f"{k}={'/'.join(v)}" for k, v in d.get("scope", {}).items() if v)
            return f"{', '.join(sorted(d['generators']))}; scope {scope or 'every switch'}"
        case _ if d.get("pods"):
            planes = d["superspines"]
            pods = ", ".join(f"{p['count']}x {p['template']}" for p in d["pods"])
            return (
                f"{planes['planes']} planes x {planes['per_plane']} superspines, "
                f"pods {pods}, {d['overlay']}"
            )
        case _:
            racks = ", ".join(f"{r['count']}x {r['rack_type']}" for r in d.get("racks", []))
            spines = (d.get("spines") or {}).get("count", 0)
            return f"{spines} spines, {racks}, {d['overlay']}"


@app.command("list")
def list_entries(
    kind: str = typer.Argument("", help=f"one kind ({KIND_HELP}); all when omitted"),
    source: str = typer.Option("", help="only 'fixture' or only 'created' entries"),
) -> None:
    """Catalogue entries, built in (fixtures) and created (API/CLI), with their source."""
    with catalogue() as cache:
        rows = cache.entries(kind or None)
    table = Table("kind", "name", "source", "where / who", "summary")
    for row in rows:
        if source and row["source"] != source:
            continue
        where = row["location"] or f"{row['created_by']} via {row['created_via']}"
        table.add_row(row["kind"], row["name"], row["source"], where, summary(row))
    console.print(table)


def entries_of(document: YamlDocument, kind: str) -> list[NewEntry]:
    """The entries of a file: one mapping, a list of them, or ``<kind>: [...]`` (pure)."""
    data, path = document.data, cast(YamlPath, ())
    if isinstance(data, dict) and list(data) == [kind]:
        data, path = data[kind], (kind,)
    items: list[tuple[Any, YamlPath]]
    if isinstance(data, list):
        items = [(item, (*path, index)) for index, item in enumerate(data)]
    elif isinstance(data, dict):
        items = [(data, path)]
    else:
        raise ValidationError(
            f"{document.file} holds no {kind} entry",
            allowed=f"one entry (a mapping), a list of entries, or '{kind}: [entries]'",
        )
    return [NewEntry(kind, item, Source(document, where)) for item, where in items]


@app.command()
def create(
    kind: Annotated[str, typer.Argument(help=KIND_HELP)],
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="YAML file")],
    author: str = typer.Option("cli", "--author", help="recorded as the creator"),
) -> None:
    """Create entries from a YAML file (all or none), checked like the fixtures."""
    with catalogue() as cache:
        section = catalogue_kind(kind)
        entries = entries_of(parse_yaml(file.read_text(encoding="utf-8"), str(file)), section)
        created = cache.create(section, entries, author=author, via="cli")
    for row in created:
        console.print(f"created {row['kind']} [bold]{row['name']}[/bold]: {summary(row)}")


@app.command()
def delete(
    kind: Annotated[str, typer.Argument(help=KIND_HELP)],
    name: Annotated[str, typer.Argument(help="a created entry (fixtures cannot be deleted)")],
) -> None:
    """Delete a created entry that no other entry and no blueprint uses."""
    with catalogue() as cache:
        row = cache.delete(kind, name)
    console.print(f"deleted {row['kind']} [bold]{row['name']}[/bold]: {summary(row)}")
