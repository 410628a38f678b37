"""`fabricgraph impact <bp> <kind> <id>` and `fabricgraph what-if <bp> <system> <mode>`."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from blueprint_engine.errors import FabricError
from blueprint_engine.graph.db import Graph
from blueprint_engine.impact import query as engine
from blueprint_engine.impact.model import Impact
from blueprint_engine.settings import load_settings

console = Console()
MAX_ROWS = typer.Option(40, "--max-rows", help="rows shown per table (the count is always shown)")


def _run(work: Callable[[Graph], Impact]) -> Impact:
    graph = Graph(load_settings())
    try:
        return work(graph)
    except FabricError as exc:
        console.print(f"[red]error[/red] {escape(f'[{exc.code}]')} {escape(exc.message)}")
        if exc.allowed:
            console.print(f"  allowed: {escape(exc.allowed)}")
        raise typer.Exit(code=1) from None
    finally:
        graph.close()


def _table(
    title: str, columns: Sequence[str], rows: Sequence[Sequence[object]], limit: int
) -> None:
    if not rows:
        console.print(f"[dim]{title}: none[/dim]")
        return
    table = Table(*columns, title=f"{title} ({len(rows)})", title_justify="left")
    for row in rows[:limit]:
        table.add_row(*("" if cell is None else str(cell) for cell in row))
    if len(rows) > limit:
        table.add_row(f"... {len(rows) - limit} more", *([""] * (len(columns) - 1)))
    console.print(table)


def _ids(items: Sequence[str]) -> str:
    return ", ".join(items) if len(items) <= 6 else f"{', '.join(items[:6])} ... ({len(items)})"


def show(result: Impact, limit: int) -> None:
    console.print(
        f"[bold]{result.scenario}[/bold] of {result.kind} [bold]{result.id}[/bold] "
        f"in blueprint {result.blueprint}"
    )
    _table(
        "links", ("link", "role", "effect"), [(x.id, x.role, x.effect) for x in result.links], limit
    )
    _table(
        "interfaces",
        ("interface", "system", "effect"),
        [(x.id, x.system, x.effect) for x in result.interfaces],
        limit,
    )
    _table(
        "BGP sessions",
        ("session", "afi", "a", "b", "effect"),
        [(x.id, x.afi, x.a, x.b, x.effect) for x in result.bgp_sessions],
        limit,
    )
    _table(
        "switches",
        ("system", "role", "effect", "uplinks before", "after"),
        [(x.id, x.role, x.effect, x.uplinks_before, x.uplinks_after) for x in result.systems],
        limit,
    )
    for title, servers in (
        ("servers losing redundancy", result.servers_losing_redundancy),
        ("servers losing all connectivity", result.servers_losing_connectivity),
    ):
        _table(
            title,
            ("server", "rack", "leafs before", "leafs after", "spines before", "after"),
            [
                (
                    s.id,
                    s.rack,
                    _ids(s.leafs_before),
                    _ids(s.leafs_after),
                    s.spines_before,
                    s.spines_after,
                )
                for s in servers
            ],
            limit,
        )
    _table(
        "virtual networks",
        (
            "network",
            "vlan",
            "racks",
            "leafs lost",
            "unavailable in",
            "losing redundancy",
            "losing connectivity",
        ),
        [
            (
                v.id,
                v.vlan,
                _ids(v.racks),
                _ids(v.leafs),
                _ids(v.unavailable_in_racks),
                len(v.servers_losing_redundancy),
                len(v.servers_losing_connectivity),
            )
            for v in result.virtual_networks
        ],
        limit,
    )


def impact(
    blueprint: str,
    kind: str = typer.Argument(
        ..., help="transceiver, interface, link, system (or device), virtual_network"
    ),
    element: str = typer.Argument(..., metavar="ID", help="the element's id in the blueprint"),
    max_rows: int = MAX_ROWS,
) -> None:
    """What depends on an element: links, BGP sessions, servers, virtual networks."""
    show(_run(lambda graph: engine.impact(graph, blueprint, kind, element)), max_rows)


def what_if(
    blueprint: str,
    system: str,
    mode: str = typer.Argument(..., help="drain or undeploy"),
    max_rows: int = MAX_ROWS,
) -> None:
    """What draining or undeploying a switch would take out."""
    show(_run(lambda graph: engine.what_if(graph, blueprint, system, mode)), max_rows)
