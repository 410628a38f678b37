"""The product tour `make run` ends with: a `lab` blueprint deployed into the virtual lab."""

from __future__ import annotations

import functools
import os
import time
from pathlib import Path
from typing import Any

import typer
from rich.console import Console

from api.health import health as service_health
from api.virtual_sync import sync_inventory
from blueprint_engine.blueprints import Blueprints
from blueprint_engine.design.model import LinkRole, Role
from blueprint_engine.design.reader import blueprint_lab_topology, read_cabling
from blueprint_engine.errors import FabricError
from blueprint_engine.graph.db import Graph
from blueprint_engine.impact import query as impact
from blueprint_engine.settings import Settings, load_settings
from lab.errors import LabError

console = Console()
DEMO = "demo"
TOUR_SOURCE = "tour"


def step(text: str) -> None:
    console.print(f"[cyan]>>[/cyan] {text}")


def deploy_demo(blueprints: Blueprints) -> None:
    from lab import Lab
    from lab.lock import lab_lock
    from labharness import rollout

    lab = Lab()
    step(
        "virtual lab: one namespace per switch and server, veth cables, FRR + lldpd, and a "
        "management network (eth0 per switch, DHCP by dnsmasq with the ZTP URL)"
    )
    with lab_lock():  # not while a test or benchmark uses the machine's one lab
        lab.down()
        rollout.forget_lab_devices(blueprints.graph)
        lab.up(
            blueprint_lab_topology(blueprints.graph, DEMO), ztp_api_port=load_settings().api_port
        )
    step(
        "zero-touch provisioning: each switch leases an address, runs the API's ZTP script "
        "and calls home; its off-box agent (linuxfrr) registers it under its serial, "
        "pristine config collected: OOS-QUARANTINED"
    )
    ztp_s = rollout.wait_ztp(blueprints, DEMO)
    step(f"every switch provisioned and registered {ztp_s:.1f} s after the lab was up")
    started = time.perf_counter()
    rollout.deploy_all(blueprints, DEMO, report=step)
    design = read_cabling(blueprints.graph, DEMO)
    ends = 2 * sum(1 for link in design.links if link.role == LinkRole.SPINE_LEAF)
    rollout.wait_bgp(blueprints, DEMO, expected=ends, timeout=90)
    step(
        f"all {ends // 2} eBGP sessions established, {time.perf_counter() - started:.1f} s "
        "after acknowledge"
    )
    servers = [s.id for s in design.systems if s.role == Role.SERVER]
    reachable = all(lab.ping(a, b) for a in servers for b in servers if a != b)
    step(f"every server reaches every other server: {'yes' if reachable else 'NO'}")
    place_vms(blueprints, servers)


def demo_vms(servers: list[str], per_server: int = 2) -> dict[str, Any]:
    """A virtual inventory for the demo: a hypervisor on each server, ``per_server``
    untagged VMs on each (the demo's servers are routed, so their VMs are untagged)."""
    return {
        "hypervisors": [{"id": f"hv-{s}", "server": s} for s in servers],
        "vms": [
            {
                "id": f"{s}-vm{k}",
                "name": f"{s}-vm{k}",
                "hypervisor": f"hv-{s}",
                "vnics": [{"id": "nic0", "mac": f"02:fb:00:{n:02x}:00:{k:02x}"}],
            }
            for n, s in enumerate(servers)
            for k in range(1, per_server + 1)
        ],
    }


def place_vms(blueprints: Blueprints, servers: list[str]) -> None:
    """Push the demo's VMs through the push API's entry point, and show what one leaf's
    failure would cost them (the impact engine, before anything fails)."""
    graph, settings = blueprints.graph, load_settings()
    done = sync_inventory(graph, settings, DEMO, TOUR_SOURCE, snapshot=demo_vms(servers))
    step(
        f"virtual inventory (source {TOUR_SOURCE!r}, the push API): {done['vms']} VMs on "
        f"{done['hypervisors']} hypervisors, {done['anomalies_open']} cross-layer anomalies"
    )
    leaf = sorted(s.id for s in read_cabling(graph, DEMO).systems if s.role == Role.LEAF)[0]
    hurt = impact.impact(graph, DEMO, "system", leaf)
    lost = ", ".join(v.id for v in hurt.vms_losing_connectivity) or "none"
    degraded = ", ".join(v.id for v in hurt.vms_losing_redundancy) or "none"
    step(f"if {leaf} failed: VMs cut off: {lost}; VMs left without redundancy: {degraded}")


EXAMPLE_CYPHER = (
    (
        "the demo fabric",
        "MATCH p=(:System {blueprint:'demo'})-[:HAS_INTERFACE]->()<-[:ENDPOINT]-(:Link) RETURN p",
    ),
    (
        "raised anomalies and their root cause",
        "MATCH (a:Anomaly {blueprint:'demo', state:'raised'}) "
        "OPTIONAL MATCH (r:RootCause)-[:EXPLAINS]->(a) RETURN a.type, a.subject, r.kind, r.subject",
    ),
    (
        "what depends on a leaf",
        "MATCH (:System {uid:'demo/rack3-leaf1'})-[:HAS_INTERFACE]->()<-[:ENDPOINT]-(l:Link) "
        "OPTIONAL MATCH (s:BgpSession)-[:OVER]->(l) RETURN l.id, collect(s.id)",
    ),
    (
        "devices, lifecycle states and last deployment",
        "MATCH (d:Device)-[:HAS_DEPLOYMENT]->(p:Deployment) WITH d, p ORDER BY p.at DESC "
        "RETURN d.serial, d.state, d.deploy_mode, collect(p.stage)[0] AS last_stage",
    ),
)


def where_to_look(settings: Settings) -> None:
    base = f"http://{settings.api_host}:{settings.api_port}"
    grafana = Path(__file__).resolve().parent.parent / "deploy" / "grafana"
    out = functools.partial(console.print, soft_wrap=True)
    out("\n[bold green]Fabricgraph is running.[/bold green] Open:")
    out(f"  topology page     {base}/topology?blueprint={DEMO}   (click a switch or a link)")
    out(
        f'  GraphQL IDE       {base}/graphql   (e.g. {{ topology(blueprint: "{DEMO}") '
        "{ links { id state } impacted } })"
    )
    out(
        f"  metrics           {base}/metrics   (Prometheus text; scrape config: "
        "deploy/prometheus/prometheus.yml)"
    )
    out(
        f"  Grafana           provisioning in {grafana}/provisioning, dashboards in "
        f"{grafana}/dashboards (README: Grafana)"
    )
    out(f"  health            {base}/health      read-only Cypher: POST {base}/api/cypher")
    out("  Neo4j Browser     http://127.0.0.1:7474/browser/  (neo4j / fabricgraph), try:")
    for title, text in EXAMPLE_CYPHER:
        out(f"    // {title}\n    {text}", highlight=False)
    out("  devices           .venv/bin/fabricgraph device list")
    out(f"  VMs               .venv/bin/fabricgraph vms {DEMO}   (pushed by the tour, source "
        f"{TOUR_SOURCE!r})")  # fmt: skip
    out(
        "[bold]Inject a fault and watch it[/bold] (the topology page turns the link red and "
        "marks the servers that lose a path and names their VMs):"
    )
    out("                    .venv/bin/python -m lab fault transceiver-fail rack1-leaf1:swp3")
    out("                    .venv/bin/python -m lab fault cable-cut spine1:swp1")
    out("                    .venv/bin/python -m lab fault repair --all")
    out("  stop everything   make stop")


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
            console.print(
                "[yellow]not root:[/yellow] the virtual lab needs CAP_NET_ADMIN; "
                "run `make run` as root to deploy the demo into it"
            )
    except (FabricError, LabError) as exc:
        console.print(f"[red]error[/red] [{exc.code}] {exc.message}")
        raise typer.Exit(code=1) from None
    finally:
        graph.close()
    where_to_look(settings)
