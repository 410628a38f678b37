"""B13s: the linuxfrr driver over SSH into the tenant lab's UML kernel: what one shell per
connection saves against a channel per command.

The tenant lab boots with its management network (``lab.uml.tenants.served_tenant_lab``);
from this machine, for each switch: a new SSH connection (the driver's ``open``), a full
push of the engine's document for it (blueprint ``lab-tenants``), then the same document
pushed again (the same commands, nothing changing) once through one shell
(``one_shell``, the default) and once with a channel per command, and 20 ``/bin/true`` each way
(a process start: ``true`` alone would be the shell's builtin).
No worker is involved (the lab test ``test_lab_tenants_ssh.py`` deploys through them).
"""

from __future__ import annotations

import ipaddress
import time
import uuid
from collections.abc import Callable
from typing import Any

import napalm

from bench.common import median, write_result
from blueprint_engine.blueprints import Blueprints
from blueprint_engine.graph.db import Graph
from blueprint_engine.settings import load_settings
from lab.lock import lab_lock
from lab.uml import tenant_mgmt
from lab.uml.tenants import ServedLab, served_tenant_lab
from labharness import rollout, tenant_ssh
from napalm_linuxfrr.layout import DEFAULT_LAB_STATE_DIR

TRUE_RUNS = 20


def driver(served: ServedLab, switch: str, one_shell: bool) -> Any:
    address = str(ipaddress.ip_interface(served.net.switch_addresses[switch]).ip)
    options = {
        "transport": "ssh",
        "layout": "lab",
        "netns": f"fg-{switch}",
        "lab_state_dir": DEFAULT_LAB_STATE_DIR,
        "management": tenant_mgmt.MANAGEMENT_OPTION,
        "key_filename": served.net.client_key,
        "host_key": served.net.host_public_key,
        "one_shell": one_shell,
    }
    return napalm.get_network_driver("linuxfrr")(address, "root", "", 60, optional_args=options)


def timed(fn: Callable[[], Any]) -> float:
    started = time.monotonic()
    fn()
    return round(time.monotonic() - started, 3)


def push(device: Any, document: str) -> None:
    device.load_replace_candidate(config=document)
    device.commit_config()


def measure(served: ServedLab, switch: str, document: str) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    for one_shell in (True, False):
        figures.update(measure_mode(served, switch, document, one_shell))
    return figures


def measure_mode(served: ServedLab, switch: str, document: str, one_shell: bool) -> dict[str, Any]:
    mode = "one_shell" if one_shell else "channel_per_command"
    device = driver(served, switch, one_shell)
    figures = {f"{mode}_connect_s": timed(device.open)}
    try:
        if one_shell:  # the first of the two: the switch is factory-default before it
            figures["first_push_s"] = timed(lambda: push(device, document))
        figures[f"{mode}_repush_s"] = timed(lambda: push(device, document))
        runs = [timed(lambda: device.device.must(["/bin/true"])) for _ in range(TRUE_RUNS)]
        figures[f"{mode}_true_median_s"] = median(runs)
    finally:
        device.close()
    return figures


def run() -> None:
    graph = Graph(load_settings())
    blueprints = Blueprints(graph)
    bp = f"b13s-{uuid.uuid4().hex[:8]}"
    try:
        base, job = tenant_ssh.job(blueprints, bp)
        switches = sorted(s for s, _ in rollout.switches(blueprints, bp))
    finally:
        blueprints.delete(bp)
        graph.close()
    with lab_lock(), served_tenant_lab(job, switches) as served:
        per_switch = {s: measure(served, s, base.documents[s]) for s in switches}
    shell = sum(f["one_shell_repush_s"] for f in per_switch.values())
    channels = sum(f["channel_per_command_repush_s"] for f in per_switch.values())
    write_result(
        "B13s",
        shell,
        "s",
        "(none: how the SSH transport's cost splits)",
        "tenant lab (UML) from blueprint lab-tenants: spine1, 2 leafs, over SSH",
        scope="sum over the switches of an identical re-push through one shell",
        channel_per_command_repush_total_s=round(channels, 3),
        per_switch=per_switch,
        lab_up_s=served.ready.get("phases_s", {}).get("lab_up"),
        mgmt_up_s=served.ready.get("phases_s", {}).get("mgmt_up"),
    )
