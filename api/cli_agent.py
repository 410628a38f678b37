"""`fabricgraph agent ...`: off-box agents: create (one, or a YAML/CSV file), list,
connect, stop, delete. Credentials are named, never given: the workers resolve them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.console import Console

from api.cli_blueprint import engine
from blueprint_engine.errors import ValidationError
from workers.agent_ops import AgentOps

app = typer.Typer(help="Off-box agents: create, import a file, list, connect, stop, delete.")
console = Console()
WAIT = typer.Option(60.0, help="seconds to wait for the connection outcomes (0: do not wait)")
MAX_FILE_BYTES = 1_000_000


def _table(rows: list[dict[str, Any]]) -> None:
    """One line per agent (whole values, so names and serials can be copied)."""
    for r in rows:
        line = "  ".join(
            [
                r["name"],
                r["address"],
                r["platform"],
                f"credential={r.get('credential') or r.get('group') or '-'}",
                r["status"],
                f"reason={r.get('reason') or '-'}",
                f"serial={r.get('serial') or '-'}",
            ]
        )
        console.print(line, markup=False, highlight=False, soft_wrap=True)
        if r.get("detail") and r["status"] != "registered":
            console.print(f"  {r['detail']}", markup=False, highlight=False, soft_wrap=True)


@app.command("list")
def list_() -> None:
    """Agents with their last connection's status and reason."""
    with engine() as bps:
        _table(AgentOps(bps.graph).list())


@app.command()
def create(
    name: str,
    address: str = typer.Option(..., help="management IP address or hostname"),
    platform: str = typer.Option(..., help="eos, nxos_ssh, junos, linuxfrr or a plugin's"),
    credential: str | None = typer.Option(None, help="credential set name"),
    group: str | None = typer.Option(None, help="group (its credential set, unless named)"),
    profile: str | None = typer.Option(None, help="device profile, among those that fit"),
    port: int | None = typer.Option(None, help="management port (default per platform)"),
    timeout: int | None = typer.Option(None, help="connection timeout, 1..60 s"),
    transport: str | None = typer.Option(None, help="ssh, https, http, netconf"),
    recording: str | None = typer.Option(None, help="a NAPALM mock recording (fixtures)"),
    wait: float = WAIT,
) -> None:
    """Create one agent and connect it on the workers."""
    raw: dict[str, Any] = {"name": name, "address": address, "platform": platform}
    for key, value in (("credential", credential), ("group", group), ("profile", profile)):
        if value is not None:
            raw[key] = value
    options = {"port": port, "timeout": timeout, "transport": transport, "recording": recording}
    if any(v is not None for v in options.values()):
        raw["options"] = {k: v for k, v in options.items() if v is not None}
    with engine() as bps:
        _table(AgentOps(bps.graph).create([raw], author="cli", wait=wait))


@app.command("import")
def import_(
    path: Path,
    fmt: str | None = typer.Option(None, "--format", help="yaml or csv (default: by suffix)"),
    wait: float = WAIT,
) -> None:
    """Create agents from a YAML (a list, or agents: [...]) or CSV file (header row)."""
    with engine() as bps:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise ValidationError(f"{path} is too large", allowed=f"at most {MAX_FILE_BYTES} bytes")
        chosen = fmt or ("csv" if path.suffix.lower() == ".csv" else "yaml")
        text = path.read_text(encoding="utf-8")
        _table(AgentOps(bps.graph).create_from_file(text, chosen, author="cli", wait=wait))


@app.command()
def connect(name: str, wait: float = WAIT) -> None:
    """Connect (or restart) an agent; a known serial keeps its state."""
    with engine() as bps:
        _table([AgentOps(bps.graph).connect(name, wait=wait)])


@app.command()
def stop(name: str) -> None:
    """Stop an agent (decommissioning: after undeploy and unassign)."""
    with engine() as bps:
        _table([AgentOps(bps.graph).stop(name)])


@app.command()
def delete(name: str) -> None:
    """Delete a stopped agent and decommission its device (the last step)."""
    with engine() as bps:
        gone = AgentOps(bps.graph).delete(name)
        console.print(
            f"deleted agent {gone['name']}"
            + (f" and device {gone['serial']}" if gone["serial"] else "")
        )
