"""``fabricgraph lab ...`` / ``python -m lab ...``: build, inspect, break and repair the lab."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from lab.errors import LabError
from lab.lab import Lab
from napalm_linuxfrr.layout import DEFAULT_LAB_STATE_DIR

app = typer.Typer(help="The virtual lab: namespaces, veth cables, FRR and lldpd.")
fault_app = typer.Typer(help="Inject faults into the running lab.")
app.add_typer(fault_app, name="fault")

StateDir = Annotated[str, typer.Option("--state-dir", help="Lab state directory.")]


def _lab(state_dir: str) -> Lab:
    return Lab(state_dir)


def _print(data: Any) -> None:
    typer.echo(json.dumps(data, indent=1, sort_keys=True))


def _guard(call: Any) -> Any:
    try:
        return call()
    except LabError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=1) from exc


@app.command()
def up(topology: str, state_dir: StateDir = DEFAULT_LAB_STATE_DIR) -> None:
    """Build the lab from TOPOLOGY (a JSON file); switches start factory-default."""
    state = _guard(lambda: _lab(state_dir).up(topology))
    typer.echo(f"lab {state.name!r} is up: {len(state.namespaces)} namespaces")


@app.command()
def down(state_dir: StateDir = DEFAULT_LAB_STATE_DIR) -> None:
    """Remove every namespace, veth and process of the lab (idempotent)."""
    _print(_guard(lambda: _lab(state_dir).down()))


@app.command()
def status(state_dir: StateDir = DEFAULT_LAB_STATE_DIR) -> None:
    """Namespaces, process counts, cabling and active faults."""
    _print(_guard(lambda: _lab(state_dir).status()))


@app.command()
def ping(src: str, dst: str, state_dir: StateDir = DEFAULT_LAB_STATE_DIR) -> None:
    """Server-to-server reachability (host address to host address)."""
    ok = _guard(lambda: _lab(state_dir).ping(src, dst))
    typer.echo(f"{src} -> {dst}: {'reachable' if ok else 'unreachable'}")
    raise typer.Exit(code=0 if ok else 1)


@fault_app.command("cable-cut")
def cable_cut(node: str, port: str, state_dir: StateDir = DEFAULT_LAB_STATE_DIR) -> None:
    """Cut the cable at NODE:PORT (carrier lost on both ends)."""
    _print(_guard(lambda: _lab(state_dir).cable_cut(node, port)))


@fault_app.command("transceiver-fail")
def transceiver_fail(node: str, port: str, state_dir: StateDir = DEFAULT_LAB_STATE_DIR) -> None:
    """Kill the transceiver at NODE:PORT (rx power -40 dBm, link down)."""
    _print(_guard(lambda: _lab(state_dir).transceiver_fail(node, port)))


@fault_app.command("device-offline")
def device_offline(node: str, state_dir: StateDir = DEFAULT_LAB_STATE_DIR) -> None:
    """Stop every daemon of switch NODE (its agent becomes unreachable)."""
    _print(_guard(lambda: _lab(state_dir).device_offline(node)))


@fault_app.command("oob-change")
def oob_change(node: str, lines: list[str], state_dir: StateDir = DEFAULT_LAB_STATE_DIR) -> None:
    """Apply vtysh configuration LINES behind the system's back."""
    _print(_guard(lambda: _lab(state_dir).oob_change(node, lines)))


@fault_app.command("swap-cables")
def swap_cables(end1: str, end2: str, state_dir: StateDir = DEFAULT_LAB_STATE_DIR) -> None:
    """Swap the far ends of the cables at END1 and END2 (node:port each)."""
    _print(_guard(lambda: _lab(state_dir).swap_cables(end1, end2)))


@fault_app.command("plug-unused")
def plug_unused(end1: str, end2: str, state_dir: StateDir = DEFAULT_LAB_STATE_DIR) -> None:
    """Cable two unused switch ports END1 and END2 (node:port each) and enable them."""
    _print(_guard(lambda: _lab(state_dir).plug_unused(end1, end2)))


@fault_app.command("server-down")
def server_down(node: str, state_dir: StateDir = DEFAULT_LAB_STATE_DIR) -> None:
    """Take server NODE's interfaces down."""
    _print(_guard(lambda: _lab(state_dir).server_down(node)))


@fault_app.command("daemon-kill")
def daemon_kill(
    node: str, daemon: str = "bgpd", state_dir: StateDir = DEFAULT_LAB_STATE_DIR
) -> None:
    """kill -9 FRR DAEMON (bgpd by default) on switch NODE; watchfrr restarts it."""
    _print(_guard(lambda: _lab(state_dir).daemon_kill(node, daemon)))


@fault_app.command("repair")
def repair(
    all_faults: Annotated[bool, typer.Option("--all", help="Repair every fault.")] = False,
    state_dir: StateDir = DEFAULT_LAB_STATE_DIR,
) -> None:
    """Undo the latest fault (or all of them)."""
    lab = _lab(state_dir)
    _print(_guard(lambda: lab.repair_all() if all_faults else lab.repair()))
