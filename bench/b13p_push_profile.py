"""B13p: where a linuxfrr push's time goes in the tenant lab, command by command.

The tenant lab boots with its management network; from this machine every switch gets
the engine's document for blueprint ``lab-tenants`` (the first push), then the two leafs
get the document after the stretched network ``app`` is committed, as a worker pushes it
(load, compare, commit, read back the running config), one leaf after the other and
then both at once (the removal's documents in between bring them back). Every command
the driver runs is timed (a runner around the SSH transport): the figures per phase and
the slowest commands by program say what to cut. No worker is involved (B13 is the
workers' path).
"""

from __future__ import annotations

import ipaddress
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import napalm

from bench.common import write_result
from blueprint_engine.blueprints import Blueprints
from blueprint_engine.graph.db import Graph
from blueprint_engine.settings import load_settings
from lab.lock import lab_lock
from lab.uml import tenant_mgmt
from lab.uml.tenants import ServedLab, served_tenant_lab
from labharness import rollout, tenant_fabric
from napalm_linuxfrr.layout import DEFAULT_LAB_STATE_DIR
from napalm_linuxfrr.transport import CommandResult, SshSettings, SshTransport

TOP = 12  # the slowest programs reported per push


def loadavg() -> str:
    return Path("/proc/loadavg").read_text().strip()


class TimingRunner:
    """The SSH transport, every command's seconds remembered by its program."""

    def __init__(self, inner: SshTransport) -> None:
        self.inner = inner
        self.calls: list[tuple[str, float]] = []
        self.failed: list[str] = []  # commands that failed, with what they said

    def run(
        self, argv: Sequence[str], stdin: str | None = None, timeout: float = 60.0
    ) -> CommandResult:
        started = time.monotonic()
        try:
            result = self.inner.run(argv, stdin, timeout)
        finally:
            self.calls.append((_program(argv), time.monotonic() - started))
        if not result.ok:
            said = (result.stderr or result.stdout).strip()[-300:]
            self.failed.append(f"{_program(argv)} ({result.returncode}): {said}")
        return result

    def close(self) -> None:
        self.inner.close()


def _program(argv: Sequence[str]) -> str:
    words = list(argv)
    name = words[0].rsplit("/", 1)[-1]
    if name == "vtysh":
        shown = [w for w in words if not w.startswith("--") and "/" not in w][1:]
        return "vtysh " + " ".join(shown)[:40]
    if name in ("ip", "bridge", "lldpcli", "frr-reload.py"):
        return " ".join([name, *(w for w in words[1:3] if "/" not in w)])
    return name


def driver(served: ServedLab, switch: str) -> tuple[Any, TimingRunner]:
    address = str(ipaddress.ip_interface(served.net.switch_addresses[switch]).ip)
    runner = TimingRunner(
        SshTransport(
            SshSettings(
                address,
                "root",
                "",
                key_filename=served.net.client_key,
                timeout=60,
                host_key=served.net.host_public_key,
            )
        )
    )
    options = {
        "runner": runner,
        "layout": "lab",
        "netns": f"fg-{switch}",
        "lab_state_dir": DEFAULT_LAB_STATE_DIR,
        "management": tenant_mgmt.MANAGEMENT_OPTION,
    }
    return napalm.get_network_driver("linuxfrr")(address, "root", "", 60, options), runner


def push(served: ServedLab, switch: str, document: str) -> dict[str, Any]:
    """What ``workers.deploy.execute`` does, each phase timed, each command by program."""
    phases: dict[str, float] = {}
    mark = time.monotonic()
    device, runner = driver(served, switch)
    device.open()
    phases["open"] = time.monotonic() - mark
    try:
        for name, step in (
            ("load", lambda: device.load_replace_candidate(config=document)),
            ("compare", device.compare_config),
            ("commit", device.commit_config),
            ("get_config", lambda: device.get_config(retrieve="running")),
        ):
            mark = time.monotonic()
            step()
            phases[name] = time.monotonic() - mark
    finally:
        device.close()
    by_program: dict[str, list[float]] = defaultdict(list)
    for program, seconds in runner.calls:
        by_program[program].append(seconds)
    slowest = sorted(by_program.items(), key=lambda kv: -sum(kv[1]))[:TOP]
    return {
        "push_s": round(sum(phases.values()), 3),
        "phases_s": {k: round(v, 3) for k, v in phases.items()},
        "commands": len(runner.calls),
        "commands_s": round(sum(s for _, s in runner.calls), 3),
        "slowest": {p: [len(s), round(sum(s), 3)] for p, s in slowest},
        "failed": runner.failed,
        "loadavg": loadavg(),
    }


def parallel(served: ServedLab, documents: dict[str, str]) -> dict[str, Any]:
    results: dict[str, Any] = {}

    def one(switch: str) -> None:
        results[switch] = push(served, switch, documents[switch])

    started = time.monotonic()
    threads = [threading.Thread(target=one, args=(s,)) for s in sorted(documents)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {"wall_s": round(time.monotonic() - started, 3), "pushes": results}


def run() -> None:
    graph = Graph(load_settings())
    blueprints = Blueprints(graph)
    bp = f"b13p-{uuid.uuid4().hex[:8]}"
    try:
        lab = tenant_fabric.build(blueprints, bp)
        switches = sorted(s for s, _ in rollout.switches(blueprints, bp))
        topology = tenant_fabric.topology_of(bp, blueprints, lab.base)
    finally:
        blueprints.delete(bp)
        graph.close()
    base, added, removed = lab.base.documents, lab.with_added.documents, lab.after_removal.documents
    leafs = sorted(s for s in switches if added[s] != base[s])
    job = tenant_fabric.checks_job(topology, lab.base, wait_s=60.0)
    figures: dict[str, Any] = {"loadavg_before": loadavg()}
    with lab_lock(), served_tenant_lab(job, switches) as served:
        figures["first_push"] = {s: push(served, s, base[s]) for s in switches}
        figures["added_one_by_one"] = {s: push(served, s, added[s]) for s in leafs}
        figures["removed_one_by_one"] = {s: push(served, s, removed[s]) for s in leafs}
        figures["added_parallel"] = parallel(served, {s: added[s] for s in leafs})
        figures["unchanged_repush"] = {s: push(served, s, added[s]) for s in leafs}
    one_by_one = figures["added_one_by_one"]
    write_result(
        "B13p",
        sum(p["push_s"] for p in one_by_one.values()),
        "s",
        "(none: where a push's time goes)",
        "tenant lab (UML) from blueprint lab-tenants over SSH: the leafs serving app",
        scope="sum over the leafs of one incremental push (open, load, compare, commit, read)",
        leafs=leafs,
        lab_up_s=served.ready.get("phases_s", {}).get("lab_up"),
        **figures,
        loadavg_after=loadavg(),
    )
