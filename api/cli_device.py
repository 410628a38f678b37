"""`fabricgraph device ...`: managed devices, their lifecycle events and config stages."""

from __future__ import annotations

from typing import Annotated, Any

import redis
import typer
from rich.console import Console
from rich.table import Table

from api.cli_blueprint import engine
from blueprint_engine.blueprints import Blueprints
from blueprint_engine.devices.host_key import fingerprint
from blueprint_engine.devices.lifecycle import Event
from blueprint_engine.devices.registry import Devices
from blueprint_engine.settings import load_settings
from workers.device_ops import DeviceOps
from workers.outcome import Outcome, Status

app = typer.Typer(help="Managed devices: list, lifecycle events, config stages.")
console = Console()


@app.command("list")
def list_() -> None:
    """Devices with their managed state, deploy mode and blueprint system."""
    with engine() as bps:
        table = Table("serial", "hostname", "state", "deploy mode", "liveness", "system")
        for d in Devices(bps.graph).all():
            table.add_row(
                d["serial"],
                d["hostname"],
                str(d.get("state") or "n/a"),
                d["deploy_mode"],
                d["liveness"],
                str(d.get("system") or ""),
            )
        console.print(table)


@app.command()
def inventory() -> None:
    """NOS inventory, one line per device: serial, vendor, model, OS version as reported,
    device profile, and whether the profile's OS version range allows that version."""
    with engine() as bps:
        for d in Devices(bps.graph).find():
            ok = d.get("nos_version_ok")
            allowed = "unknown" if ok is None else ("yes" if ok else "no")
            fields = [
                d["serial"],
                f"vendor={d.get('vendor') or '-'}",
                f"model={d.get('model') or '-'}",
                f"os_version={d.get('os_version') or '-'}",
                f"profile={d.get('device_profile') or '-'}",
                f"os_version_allowed={allowed} ({d.get('nos_version_allowed') or 'no range'})",
            ]
            console.print("  ".join(fields), markup=False, highlight=False, soft_wrap=True)


@app.command()
def config(
    serial: str,
    stage: str = typer.Argument(
        "golden", help="pristine, discovery1, discovery2, service, drain, golden, running"
    ),
) -> None:
    """Show one stored config stage of a device."""
    with engine() as bps:
        configs = Devices(bps.graph).configs(serial)
        if stage not in configs:
            console.print(
                f"[red]error[/red] {serial} has no {stage} config "
                f"(stored: {', '.join(sorted(configs)) or 'none'})"
            )
            raise typer.Exit(code=1)
        console.print(configs[stage], markup=False, highlight=False)


def _ops(bps: Blueprints) -> DeviceOps:
    return DeviceOps(bps.graph, redis.Redis.from_url(load_settings().redis_url), bps)


COLOURS = {
    Status.FAILED: "red",
    Status.ERRORED: "red",
    Status.BLOCKED: "yellow",
    Status.BUSY: "yellow",
}


def _report(result: dict[str, Any] | None) -> None:
    if result is None:
        return
    outcome = Outcome.of(result)
    colour = "green" if outcome.converged else COLOURS.get(outcome.status, "white")
    detail = outcome.error or outcome.reason or ""
    took = f" in {outcome.seconds:.1f} s" if outcome.seconds is not None else ""
    console.print(f"[{colour}]{outcome.status}[/]{took} {detail}".rstrip())


@app.command()
def event(
    serial: str,
    name: Annotated[Event, typer.Argument(help="lifecycle event")],
    blueprint: str = typer.Option("", help="assign: the blueprint"),
    system: str = typer.Option("", help="assign: the blueprint system"),
) -> None:
    """Apply a lifecycle event; the reconciler pushes the stage it calls for."""
    with engine() as bps, console.status(f"{name.value} {serial}: waiting for the push"):
        outcome, result = _ops(bps).event(
            serial, name, blueprint=blueprint or None, system=system or None
        )
        console.print(f"{serial}: {outcome.state} / {outcome.deploy_mode} ({outcome.reason})")
        _report(result)


@app.command()
def accept(serial: str) -> None:
    """Accept changes: suppress the open config deviation (golden and intent unchanged)."""
    with engine() as bps:
        record = _ops(bps).accept_changes(serial)
        console.print(f"{serial}: deviation {record.deviation.value}")


@app.command("host-key")
def host_key(serial: str) -> None:
    """The device's pinned SSH host key and its SHA256 fingerprint."""
    with engine() as bps:
        pinned = Devices(bps.graph).get(serial).host_key
        shown = f"{fingerprint(pinned)}  {pinned}" if pinned else "none pinned (trust on first use)"
        console.print(f"{serial}: {shown}", markup=False, highlight=False, soft_wrap=True)


@app.command("forget-host-key")
def forget_host_key(serial: str) -> None:
    """Forget the pinned SSH host key (the device's key was changed on purpose): the
    next connection pins the key it is offered."""
    with engine() as bps:
        previous = Devices(bps.graph).forget_host_key(serial, "the CLI")
        console.print(
            f"{serial}: forgot {fingerprint(previous) or 'no pinned key'}",
            markup=False, highlight=False,
        )  # fmt: skip


@app.command("full-push")
def full_push(
    serial: str,
    confirm: bool = typer.Option(
        False, "--confirm", help="overwrite every out-of-band change on the device"
    ),
) -> None:
    """Manual full push of the intended config; refused without --confirm."""
    with engine() as bps, console.status(f"full push to {serial}"):
        _report(_ops(bps).full_push(serial, confirm=confirm))


@app.command()
def reconcile(serial: str) -> None:
    """Run the reconciler for one device now and show what it did."""
    with engine() as bps, console.status(f"reconciling {serial}"):
        _report(_ops(bps).reconcile(serial))


@app.command()
def history(serial: str) -> None:
    """Lifecycle events and deployments of a device."""
    with engine() as bps:
        devices = Devices(bps.graph)
        events = Table("at", "event", "state", "deploy mode", "reason")
        for e in devices.history(serial):
            events.add_row(
                e["at"], e["event"], str(e["state"]), e["deploy_mode"], str(e["reason"] or "")
            )
        console.print(events)
        pushes = Table("at", "stage", "push", "status", "seconds", "manual")
        for d in devices.deployments(serial):
            pushes.add_row(
                d["at"],
                d["stage"],
                d["push"],
                d["status"],
                f"{d['seconds']:.2f}",
                str(bool(d.get("manual"))),
            )
        console.print(pushes)
