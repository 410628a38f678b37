"""Inside the tenant lab's UML kernel: build the lab, push each switch's document through
the linuxfrr driver, attach the servers, wait for traffic, and collect the evidence.

``python -m lab.uml.tenant_guest JOB_DIR`` reads ``JOB_DIR/job.json`` (written by
``lab.uml.tenants``, made by ``labharness.tenant_fabric.build`` from a blueprint) and writes
``JOB_DIR/result.json``. It runs as the guest's root, the namespace lab's own code
unchanged (every switch a namespace of this kernel).
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import napalm

from lab import Lab
from lab.uml import tenant_mgmt

COMMAND_TIMEOUT_S = 60.0


def sh(argv: Sequence[str], timeout: float = COMMAND_TIMEOUT_S) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(argv), capture_output=True, text=True, timeout=timeout, check=False)


def in_netns(netns: str, *argv: str) -> subprocess.CompletedProcess[str]:
    return sh(["ip", "netns", "exec", netns, *argv])


def push(lab: Lab, node: str, document: str, *, verify: bool = True) -> dict[str, Any]:
    """A full replace through the driver; with ``verify``, then the running document and
    what a second push of the same document would change."""
    device = napalm.get_network_driver("linuxfrr")(
        node, "", "", optional_args=lab.napalm_optional_args(node)
    )
    device.open()
    try:
        started = time.monotonic()
        device.load_replace_candidate(config=document)
        device.commit_config()
        pushed_s = time.monotonic() - started
        if not verify:
            return {"push_s": round(pushed_s, 2)}
        running = device.get_config()["running"]
        device.load_replace_candidate(config=document)
        repush_diff = device.compare_config()
        device.discard_config()
    finally:
        device.close()
    return {"push_s": round(pushed_s, 2), "running": running, "repush_diff": repush_diff}


def attach_servers(lab: Lab, servers: Mapping[str, Sequence[Mapping[str, Any]]]) -> None:
    """Each server's VLAN subinterfaces on its port (802.1Q), addresses and default route."""
    for name, vlans in servers.items():
        netns = lab.netns(name)
        for vlan in vlans:
            parent, sub = vlan["parent"], f"{vlan['parent']}.{vlan['vlan']}"
            sh(["ip", "-n", netns, "addr", "flush", "dev", parent])
            sh(
                [
                    "ip",
                    "-n",
                    netns,
                    "link",
                    "add",
                    "link",
                    parent,
                    "name",
                    sub,
                    "type",
                    "vlan",
                    "id",
                    str(vlan["vlan"]),
                ]
            )
            sh(["ip", "-n", netns, "addr", "add", vlan["address"], "dev", sub])
            sh(["ip", "-n", netns, "link", "set", sub, "up"])
            if vlan.get("gateway"):
                sh(["ip", "-n", netns, "route", "replace", "default", "via", vlan["gateway"]])


def ping_once(lab: Lab, source: str, address: str) -> bool:
    return in_netns(lab.netns(source), "ping", "-c", "1", "-W", "1", address).returncode == 0


def wait_pings(lab: Lab, pings: Sequence[Mapping[str, str]], wait_s: float) -> dict[str, Any]:
    """Poll every ping until it answers or ``wait_s`` passes; seconds to the first answer."""
    started = time.monotonic()
    first: dict[str, float | None] = {p["name"]: None for p in pings}
    while time.monotonic() - started < wait_s and None in first.values():
        for p in pings:
            if first[p["name"]] is None and ping_once(lab, p["from"], p["to"]):
                first[p["name"]] = round(time.monotonic() - started, 2)
    return {name: {"answered_after_s": value} for name, value in first.items()}


def link_stats(netns: str, device: str) -> dict[str, int]:
    shown = in_netns(netns, "ip", "-s", "-j", "link", "show", "dev", device)
    if shown.returncode != 0:
        return {}
    stats = json.loads(shown.stdout)[0].get("stats64", {})
    return {"tx": int(stats["tx"]["packets"]), "rx": int(stats["rx"]["packets"])}


def vxlan_counters(
    lab: Lab, burst: Mapping[str, Any], devices: Mapping[str, Sequence[str]]
) -> dict[str, Any]:
    """Packets through each named VXLAN device across a burst of pings."""

    def snapshot() -> dict[str, dict[str, int]]:
        return {f"{n}:{d}": link_stats(lab.netns(n), d) for n, ds in devices.items() for d in ds}

    before = snapshot()
    count = str(burst["count"])
    done = in_netns(
        lab.netns(burst["from"]), "ping", "-c", count, "-i", "0.2", "-W", "2", burst["to"]
    )
    after = snapshot()
    delta = {
        key: {k: after[key].get(k, 0) - before[key].get(k, 0) for k in ("tx", "rx")}
        for key in before
    }
    return {"ping_ok": done.returncode == 0, "delta": delta}


def evpn_evidence(lab: Lab, node: str) -> dict[str, Any]:
    """The driver's EVPN getter (VNIs with remote VTEPs), FRR's raw VNI list and the EVPN
    routes by type."""
    device = napalm.get_network_driver("linuxfrr")(
        node, "", "", optional_args=lab.napalm_optional_args(node)
    )
    device.open()
    try:
        getter = device.get_evpn_vnis()
    finally:
        device.close()
    return {
        "get_evpn_vnis": getter,
        "vnis": vtysh_json(lab, node, "show evpn vni detail json"),
        "route_keys": _route_keys(vtysh_json(lab, node, "show bgp l2vpn evpn route json")),
    }


def _json_or_text(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def _route_keys(routes: Any) -> list[str]:
    """``[type]:...`` prefixes of every RD in ``show bgp l2vpn evpn route json``."""
    if not isinstance(routes, dict):
        return []
    keys = []
    for rd, entries in routes.items():
        if isinstance(entries, dict) and ":" in rd:
            keys += [f"{rd} {prefix}" for prefix in entries if prefix.startswith("[")]
    return sorted(keys)


def vtysh_json(lab: Lab, node: str, command: str) -> Any:
    layout = lab.layout(node)
    run_dir = layout.frr_run_dir or "/var/run/frr"
    argv = ["vtysh", "--config_dir", layout.frr_conf_dir, "--vty_socket", run_dir, "-c", command]
    return _json_or_text(in_netns(lab.netns(node), *argv).stdout)


def untouched_state(lab: Lab, leafs: Sequence[str], devices: Sequence[str]) -> dict[str, Any]:
    """What an unrelated change must not disturb: BGP sessions' connection counters, the
    named devices' ifindexes (a re-created device gets a new one), their remote MACs."""
    state: dict[str, Any] = {}
    for node in leafs:
        neighbors = vtysh_json(lab, node, "show bgp neighbors json")
        peers = {
            ip: [peer.get("connectionsEstablished"), peer.get("connectionsDropped")]
            for ip, peer in (neighbors.items() if isinstance(neighbors, dict) else [])
        }
        links = json.loads(in_netns(lab.netns(node), "ip", "-j", "link", "show").stdout)
        index = {link["ifname"]: link["ifindex"] for link in links}
        fdb = in_netns(lab.netns(node), "bridge", "-j", "fdb", "show", "br", "bridge").stdout
        macs = sorted(
            f"{e.get('ifname')} {e['mac']} {e.get('dst', '')}"
            for e in json.loads(fdb or "[]")
            if e.get("ifname") in devices and "permanent" not in e.get("state", "")
        )
        state[node] = {
            "bgp_connections": peers,  # [established, dropped]: a flap changes them
            "ifindex": {d: index.get(d) for d in devices},
            "remote_macs": macs,
        }
    return state


def kernel_recording(lab: Lab, node: str) -> dict[str, str]:
    """The driver's two kernel reads, for the driver's replayed unit tests."""
    netns = lab.netns(node)
    return {
        "ip -j -d addr show": in_netns(netns, "ip", "-j", "-d", "addr", "show").stdout,
        "bridge -j vlan show": in_netns(netns, "bridge", "-j", "vlan", "show").stdout,
    }


def change(lab: Lab, step: Mapping[str, Any], current: dict[str, str]) -> dict[str, Any]:
    """Push only the documents that differ from what each switch has, as a commit would."""
    changed = {n: d for n, d in step["documents"].items() if current.get(n) != d}
    before = untouched_state(lab, step["watch"], step["untouched_devices"])
    started = time.monotonic()
    pushes = {node: push(lab, node, doc, verify=False) for node, doc in changed.items()}
    pushed_s = time.monotonic() - started
    current.update(changed)
    attach_servers(lab, step.get("servers", {}))
    pings = wait_pings(lab, step.get("pings", []), float(step.get("wait_s", 60)))
    after = untouched_state(lab, step["watch"], step["untouched_devices"])
    devices = {n: sorted(json_names(lab, n)) for n in step["watch"]}
    return {
        "pushed": sorted(changed),
        "pushes": pushes,
        "push_s": round(pushed_s, 2),
        "pings": pings,
        "before": before,
        "after": after,
        "devices_after": devices,
        "vlans_after": {n: kernel_recording(lab, n)["bridge -j vlan show"] for n in step["watch"]},
    }


def json_names(lab: Lab, node: str) -> list[str]:
    return [i["ifname"] for i in json.loads(in_netns(lab.netns(node), "ip", "-j", "link").stdout)]


def run(job: Mapping[str, Any], result: dict[str, Any]) -> None:
    """Fill ``result`` phase by phase (what was measured survives a later failure)."""
    phases: dict[str, float] = {}
    result["phases_s"] = phases
    started = time.monotonic()
    lab = Lab()
    lab.up(job["topology"])
    phases["lab_up"] = round(time.monotonic() - started, 2)
    mark = time.monotonic()
    result["pushes"] = {node: push(lab, node, doc) for node, doc in job["documents"].items()}
    phases["pushes"] = round(time.monotonic() - mark, 2)
    attach_servers(lab, job["servers"])
    mark = time.monotonic()
    result["pings"] = wait_pings(lab, job["pings"], float(job["wait_s"]))
    phases["first_packets"] = round(time.monotonic() - mark, 2)
    result["vxlan"] = vxlan_counters(lab, job["burst"], job["vxlan_devices"])
    result["evpn"] = {node: evpn_evidence(lab, node) for node in job["evidence_from"]}
    result["recordings"] = {node: kernel_recording(lab, node) for node in job["evidence_from"]}
    result["isolation"] = {
        p["name"]: ping_once(lab, p["from"], p["to"]) for p in job.get("refused", [])
    }
    current = dict(job["documents"])
    result["steps"] = {}
    for step in job.get("steps", []):
        mark = time.monotonic()
        result["steps"][step["name"]] = change(lab, step, current)
        phases[f"step {step['name']}"] = round(time.monotonic() - mark, 2)
    phases["total_in_guest"] = round(time.monotonic() - started, 2)
    try:
        lab.down()
    except Exception:  # the kernel powers off next: a failed clean-up is reported, not fatal
        result["down_error"] = traceback.format_exc()


def wait_file(folder: Path, names: Sequence[str], timeout: float) -> str | None:
    """The first of ``names`` to appear in ``folder`` (the machine writes it), or None."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for name in names:
            if (folder / name).exists():
                return name
        time.sleep(0.5)
    return None


def serve(job: Mapping[str, Any], result: dict[str, Any], folder: Path) -> None:
    """The lab with its management network: the machine's workers deploy every switch
    over SSH (``deployed`` appears in the job folder); then the servers, pings, evidence."""
    phases: dict[str, float] = {}
    result["phases_s"] = phases
    started = time.monotonic()
    lab = Lab()
    try:
        lab.up(job["topology"])
        phases["lab_up"] = round(time.monotonic() - started, 2)
        mark = time.monotonic()
        tenant_mgmt.serve(lab, job["mgmt"])
        phases["mgmt_up"] = round(time.monotonic() - mark, 2)
        (folder / "ready.json").write_text(json.dumps({"phases_s": phases}))
        mark = time.monotonic()
        got = wait_file(folder, ("deployed", "stop"), float(job["serve_timeout_s"]))
        phases["deploy_wait"] = round(time.monotonic() - mark, 2)
        if got != "deployed":
            result["error"] = f"the machine did not deploy the switches ({got or 'timeout'})"
            return
        attach_servers(lab, job["servers"])
        mark = time.monotonic()
        result["pings"] = wait_pings(lab, job["pings"], float(job["wait_s"]))
        phases["first_packets"] = round(time.monotonic() - mark, 2)
        result["vxlan"] = vxlan_counters(lab, job["burst"], job["vxlan_devices"])
        result["evpn"] = {node: evpn_evidence(lab, node) for node in job["evidence_from"]}
        result["mgmt_after"] = {
            node: mgmt_state(lab, node) for node in job["mgmt"]["switch_addresses"]
        }
        if job.get("requests"):  # the machine's further checks, until it says stop
            (folder / "checked.json.part").write_text(json.dumps(result))
            (folder / "checked.json.part").rename(folder / "checked.json")
            result["requests"] = serve_requests(lab, folder, float(job["serve_timeout_s"]))
    finally:
        phases["total_in_guest"] = round(time.monotonic() - started, 2)
        try:
            lab.down()
        except Exception:  # the kernel powers off next: a failed clean-up is reported
            result["down_error"] = traceback.format_exc()


REQUEST_POLL_S = 0.05


def serve_requests(lab: Lab, folder: Path, timeout: float) -> int:
    """Answer ``request-N.json`` with ``response-N.json`` (N = 1, 2, ...) until ``stop``
    appears or ``timeout`` passes without one; the number answered."""
    deadline, number = time.monotonic() + timeout, 1
    while time.monotonic() < deadline and not (folder / "stop").exists():
        asked = folder / f"request-{number}.json"
        if not asked.exists():
            time.sleep(REQUEST_POLL_S)
            continue
        request = json.loads(asked.read_text())
        try:
            answer = {"ok": True, **handle(lab, request)}
        except Exception:  # the machine reports it with the request it made
            answer = {"ok": False, "error": traceback.format_exc()}
        partial = folder / f"response-{number}.json.part"
        partial.write_text(json.dumps(answer))
        partial.rename(folder / f"response-{number}.json")
        number, deadline = number + 1, time.monotonic() + timeout
    return number - 1


def handle(lab: Lab, request: Mapping[str, Any]) -> dict[str, Any]:
    """One request of the machine: what it asks by ``action`` (see ``ACTIONS``)."""
    action = request.get("action")
    if action == "attach":
        attach_servers(lab, request["servers"])
        return {}
    if action == "ping_until":
        return ping_until(lab, request["from"], request["to"], float(request["wait_s"]))
    if action == "untouched":
        return {"state": untouched_state(lab, request["leafs"], request["devices"])}
    if action == "links":
        return {"links": {n: sorted(json_names(lab, n)) for n in request["nodes"]}}
    raise ValueError(f"unknown request {action!r} (allowed: {', '.join(ACTIONS)})")


ACTIONS = ("attach", "ping_until", "untouched", "links")


def ping_until(lab: Lab, source: str, address: str, wait_s: float) -> dict[str, Any]:
    """A ``ping`` sending every 0.2 s (no deadline: with one, iputils' ping gives up at
    the first "host unreachable" of a failed ARP; one that exits anyway is started
    again), stopped at its first answer or after ``wait_s``. The kernel's clock is not
    the machine's (UML's runs slow when the kernel waits for the host): the machine
    times the answer's arrival."""
    ping = ["stdbuf", "-oL", "ping", "-n", "-i", "0.2", address]  # a line per answer
    argv = ["ip", "netns", "exec", lab.netns(source), *ping]
    started = time.monotonic()
    answered, runs = False, 0
    while not answered and time.monotonic() - started < wait_s:
        runs += 1
        left = max(0.1, wait_s - (time.monotonic() - started))
        answered = _first_answer(argv, left)
        if not answered:
            time.sleep(0.2)
    return {"answered": answered, "runs": runs, "guest_s": round(time.monotonic() - started, 3)}


def _first_answer(argv: Sequence[str], wait_s: float) -> bool:
    """Whether ``argv`` (a ping) printed an answer before it exited or ``wait_s`` passed."""
    with subprocess.Popen(
        list(argv), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    ) as process:
        assert process.stdout is not None
        timer = threading.Timer(wait_s, process.kill)  # the read ends at EOF once killed
        timer.start()
        try:
            return any(" bytes from " in line for line in process.stdout)
        finally:
            timer.cancel()
            process.kill()


def mgmt_state(lab: Lab, node: str) -> dict[str, Any]:
    """The management port and VRF as the kernel has them after the deploys."""
    links = json.loads(in_netns(lab.netns(node), "ip", "-j", "-d", "addr", "show").stdout)
    found = {i["ifname"]: i for i in links if i["ifname"] in ("eth0", "mgmt")}
    tables = {
        i["ifname"]: i["linkinfo"]["info_data"].get("table")
        for i in links
        if i.get("linkinfo", {}).get("info_kind") == "vrf"
    }
    return {"vrf_tables": tables} | {
        name: {
            "up": "UP" in item.get("flags", []),
            "master": item.get("master"),
            "addresses": [a["local"] for a in item.get("addr_info", []) if a["family"] == "inet"],
            "table": item.get("linkinfo", {}).get("info_data", {}).get("table"),
        }
        for name, item in found.items()
    }


def main(job_dir: str) -> None:
    folder = Path(job_dir)
    job = json.loads((folder / "job.json").read_text())
    result: dict[str, Any] = {}
    try:
        if "mgmt" in job:
            serve(job, result, folder)
        else:
            run(job, result)
    except Exception:  # the machine's side reports it; nothing else reads the guest
        result["error"] = traceback.format_exc()
    (folder / "result.json").write_text(json.dumps(result, indent=1, sort_keys=True))


if __name__ == "__main__":
    main(sys.argv[1])
