"""The product tour `make run` ends with: a `lab` blueprint deployed into the virtual lab."""

from __future__ import annotations

import os
import time

import typer
from rich.console import Console

from api.health import health as service_health
from blueprint_engine.blueprints import Blueprints
from blueprint_engine.db import Graph, Query
from blueprint_engine.design_reader import blueprint_lab_topology, read_cabling
from blueprint_engine.errors import FabricError
from blueprint_engine.model import LinkRole, Role
from blueprint_engine.settings import Settings, load_settings

console = Console()
DEMO = "demo"
DROP_LAB_DEVICES = Query(
    "tour.drop_lab_devices", "MATCH (d:Device) WHERE d.serial STARTS WITH 'LAB-' DETACH DELETE d"
)


def step(text: str) -> None:
    console.print(f"[cyan]>>[/cyan] {text}")


def deploy_demo(blueprints: Blueprints) -> None:
    from lab import Lab
    from workers import rollout

    lab = Lab()
    step("virtual lab: one namespace per switch and server, veth cables, FRR + lldpd")
    lab.down()
    blueprints.graph.write(DROP_LAB_DEVICES)
    lab.up(blueprint_lab_topology(blueprints.graph, DEMO))
    step("device agents register every switch (pristine config collected): OOS-QUARANTINED")
    rollout.register_lab_agents(blueprints, lab, DEMO)
    started = time.perf_counter()
    rollout.deploy_all(blueprints, DEMO, report=step)
    design = read_cabling(blueprints.graph, DEMO)
    ends = 2 * sum(1 for link in design.links if link.role == LinkRole.SPINE_LEAF)
    rollout.wait_bgp(blueprints, DEMO, expected=ends, timeout=90)
    step(f"all {ends // 2} eBGP sessions established, {time.perf_counter() - started:.1f} s "
         "after acknowledge")  # fmt: skip
    servers = [s.id for s in design.systems if s.role == Role.SERVER]
    reachable = all(lab.ping(a, b) for a in servers for b in servers if a != b)
    step(f"every server reaches every other server: {'yes' if reachable else 'NO'}")


def where_to_look(settings: Settings) -> None:
    base = f"http://{settings.api_host}:{settings.api_port}"
    console.print("\n[bold green]Fabricgraph is running.[/bold green] Open:")
    console.print(f"  GraphQL IDE       {base}/graphql   (e.g. {{ blueprint(name: \"{DEMO}\") "
                  "{ leafs systems { id deployMode } } })")  # fmt: skip
    console.print(f"  health            {base}/health")
    console.print(f"  read-only Cypher  POST {base}/api/cypher")
    console.print("  Neo4j Browser     http://127.0.0.1:7474/browser/  (neo4j / fabricgraph)")
    console.print("                    MATCH p=(:System {blueprint:'demo'})-[:HAS_INTERFACE]->()"
                  "<-[:ENDPOINT]-(:Link) RETURN p LIMIT 50")  # fmt: skip
    console.print("  devices           .venv/bin/fabricgraph device list")
    console.print("  inject a fault    .venv/bin/python -m lab fault cable-cut spine1:swp1")
    console.print("                    .venv/bin/python -m lab fault repair --all")
    console.print("  stop everything   make stop")


def tour() -> None:
    """Check the services, build and deploy the demo blueprint, say what to open."""
    settings = load_settings()
    graph = Graph(settings)
    try:
        report = service_health(graph, settings)
        down = [c["name"] for c in report["checks"] if not c["up"]]  # type: ignore[attr-defined]
        if down:
            console.print(f"[red]not up:[/red] {', '.join(down)} (see `fabricgraph health`)")
            raise typer.Exit(code=1)
        blueprints = Blueprints(graph)
        if DEMO not in blueprints.names():
            step(f"blueprint {DEMO!r} from template 'lab' (2 spines, 4 leafs, 4 servers)")
            blueprints.create(DEMO, "lab")
        if os.geteuid() == 0:
            deploy_demo(blueprints)
        else:
            console.print("[yellow]not root:[/yellow] the virtual lab needs CAP_NET_ADMIN; "
                          "run `make run` as root to deploy the demo into it")  # fmt: skip
    except FabricError as exc:
        console.print(f"[red]error[/red] [{exc.code}] {exc.message}")
        raise typer.Exit(code=1) from None
    finally:
        graph.close()
    where_to_look(settings)
