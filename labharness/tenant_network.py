"""A new virtual network on the tenant lab deployed over SSH, through the product's path:
staged and committed on the blueprint as an operator does, then the workers' reconciler
tasks (one per switch of the blueprint; each decides for itself) push the incremental
config over SSH to the switches whose intent changed, and the lab's servers ping across
the racks in the new network until one answers. The reconcile tasks are the ones the
API's commit sends (``DeviceOps.reconcile_touched``: the switches the revision touched,
at once, not at the next sweep).

The lab is ``lab.uml.tenants.served_tenant_lab`` with a job asking for ``requests`` and
already deployed (``labharness.tenant_ssh.deploy``). Timestamps are this machine's wall
clock (the UML kernel's clock is this machine's); the phases of ``add`` are the commit,
the dispatch up to the first push's start (the workers' ``started`` deployment event),
each push (started -> succeeded event) and the first packet after the last push.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import redis
from celery.result import AsyncResult

from blueprint_engine.blueprints import Blueprints
from blueprint_engine.devices.registry import Devices
from blueprint_engine.events import EventKind, channel
from blueprint_engine.settings import load_settings
from lab.uml.tenants import ServedLab
from labharness import rollout, tenant_fabric
from labharness.tenant_fabric import ADDED, AUTHOR, Fabric
from workers.app import app
from workers.device_ops import DeviceOps
from workers.outcome import Outcome

DISPATCH_WAIT_S = 300.0  # every reconcile task's bound (a push over SSH into UML: 3-15 s)
PING_WAIT_S = 90.0


class DeploymentEvents:
    """The workers' deployment events (Redis pub/sub) of one blueprint, as they come."""

    def __init__(self, bp: str) -> None:
        self.bp = bp
        self.seen: list[dict[str, Any]] = []
        self.client = redis.Redis.from_url(load_settings().redis_url)
        self.pubsub = self.client.pubsub(ignore_subscribe_messages=True)  # type: ignore[no-untyped-call]
        self.pubsub.subscribe(channel(EventKind.DEPLOYMENT))
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._listen, daemon=True)
        self.thread.start()

    def _listen(self) -> None:
        while not self.stopped.is_set():
            message = self.pubsub.get_message(timeout=0.1)
            if message and message.get("type") == "message":
                event = json.loads(message["data"])
                if event.get("blueprint") == self.bp:
                    self.seen.append(event)

    def close(self) -> None:
        self.stopped.set()
        self.thread.join(timeout=5)
        self.pubsub.close()
        self.client.close()


@contextmanager
def deployment_events(bp: str) -> Iterator[DeploymentEvents]:
    events = DeploymentEvents(bp)
    try:
        yield events
    finally:
        events.close()


def commit(blueprints: Blueprints, bp: str, edit: dict[str, Any], message: str) -> dict[str, Any]:
    """Stage ``edit`` and commit it as an operator does; wall-clock marks and seconds, and
    the switches the revision touched."""
    started = time.time()
    version = blueprints.staging.version(bp)
    version = blueprints.staging.stage(bp, edit, base_version=version, author=AUTHOR)
    staged = time.time()
    revision = blueprints.commit(bp, base_version=version, author=AUTHOR, message=message)
    done = time.time()
    return {
        "started_at": started,
        "stage_s": staged - started,
        "commit_s": done - staged,
        "committed_at": done,
        "touched": list(revision.devices),
    }


def dispatch(blueprints: Blueprints, bp: str, touched: list[str]) -> list[Any]:
    """What the API's commit does next: a reconcile task for each device of a switch the
    revision touched, on its pool's queue (``DeviceOps.reconcile_touched``); the tasks'
    handles."""
    client = redis.Redis.from_url(load_settings().redis_url)
    try:
        sent = DeviceOps(blueprints.graph, client, blueprints).reconcile_touched(bp, touched)
    finally:
        client.close()
    return [AsyncResult(task, app=app) for task in sent.values()]


def wait_outcomes(handles: list[Any]) -> list[dict[str, Any]]:
    outcomes = [Outcome.of(h.get(timeout=DISPATCH_WAIT_S)) for h in handles]
    failed = [o for o in outcomes if o.status.value == "failed"]
    if failed:
        raise RuntimeError("push failed on " + "; ".join(f"{o.serial}: {o.why}" for o in failed))
    return [o.as_dict() for o in outcomes]


def deployments(blueprints: Blueprints, bp: str) -> dict[str, list[dict[str, Any]]]:
    """Every switch's deployments, newest first."""
    serials = {rollout.lab_serial(s): s for s, _ in rollout.switches(blueprints, bp)}
    found = Devices(blueprints.graph).deployments_of(list(serials), limit=50)
    return {serials[serial]: rows for serial, rows in found.items()}


def new_deployments(
    before: dict[str, list[dict[str, Any]]], after: dict[str, list[dict[str, Any]]]
) -> dict[str, list[dict[str, Any]]]:
    """Per switch, the deployments recorded since ``before`` (by uid)."""
    return {
        system: [d for d in rows if d["uid"] not in {b["uid"] for b in before.get(system, [])}]
        for system, rows in after.items()
    }


def pushes_of(events: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """Per switch, its push's started and finished (succeeded or failed) times."""
    pushes: dict[str, dict[str, float]] = {}
    for event in events:
        system = str(event.get("system"))
        if event.get("status") == "started":
            pushes.setdefault(system, {})["started_at"] = float(event["at"])
        elif event.get("status") in ("succeeded", "failed"):
            pushes.setdefault(system, {})["finished_at"] = float(event["at"])
            pushes[system]["seconds"] = float(event.get("seconds") or 0.0)
            pushes[system]["succeeded"] = float(event.get("status") == "succeeded")
    return pushes


def watched(base: Fabric) -> dict[str, Any]:
    """What the new network must not disturb: every switch's BGP sessions, the existing
    stretched network's and the zone's devices on the leafs."""
    web = base.networks[tenant_fabric.STRETCHED]
    devices = [f"vni{web.vni}", f"vni{base.l3vni}", f"vlan{web.vlan}", "bridge"]
    return {"leafs": [*base.leafs, *base.spines], "devices": devices}


def add(blueprints: Blueprints, served: ServedLab, bp: str, base: Fabric) -> dict[str, Any]:
    """Commit ``app`` stretched over every rack, let the workers push it, ping across the
    racks in it; the phases (seconds) and the evidence."""
    racks = sorted({rack for _, rack, _ in base.servers.values()})
    edit = {"kind": "add_virtual_network", "params": {**ADDED, "racks": racks}}
    untouched_before = served.request("untouched", watched(base))["state"]
    history_before = deployments(blueprints, bp)
    with deployment_events(bp) as events:
        marks = commit(blueprints, bp, edit, f"{ADDED['name']} stretched over {', '.join(racks)}")
        handles = dispatch(blueprints, bp, marks["touched"])
        dispatched_at = time.time()
        added = tenant_fabric.read_fabric(blueprints, bp)
        network = added.networks[str(ADDED["name"])]
        source, far = added.server_of(network.leafs[0]), added.server_of(network.leafs[-1])
        servers = {s: added.vlans_of(s, only=[network.name]) for s in sorted(added.servers)}
        served.request("attach", {"servers": servers})
        to = added.address(far, network.name).split("/")[0]
        asked = {"from": source, "to": to, "wait_s": PING_WAIT_S}
        ping = served.request("ping_until", asked, wait_s=PING_WAIT_S + 60)
        outcomes = wait_outcomes(handles)
        time.sleep(0.5)  # the last events' delivery
        seen = list(events.seen)
    untouched_after = served.request("untouched", watched(base))["state"]
    links = served.request("links", {"nodes": [*added.leafs, *added.spines]})["links"]
    pushes = pushes_of(seen)
    return {
        "network": {
            "name": network.name,
            "vlan": network.vlan,
            "vni": network.vni,
            "leafs": list(network.leafs),
        },
        "phases_s": phases(marks, dispatched_at, pushes, ping),
        "pushes": pushes,
        "ping": ping,
        "outcomes": outcomes,
        "deployments": new_deployments(history_before, deployments(blueprints, bp)),
        "untouched_before": untouched_before,
        "untouched_after": untouched_after,
        "links_after": links,
    }


def phases(
    marks: dict[str, float], dispatched_at: float, pushes: dict[str, dict[str, float]],
    ping: dict[str, Any],
) -> dict[str, Any]:  # fmt: skip
    """commit, dispatch -> first push start, each push, last push end -> first packet, and
    the whole: commit start -> first packet across the racks."""
    starts = [p["started_at"] for p in pushes.values() if "started_at" in p]
    ends = [p["finished_at"] for p in pushes.values() if "finished_at" in p]
    answered = ping["answered_at"] if ping.get("answered") else None
    out: dict[str, Any] = {
        "stage": round(marks["stage_s"], 3),
        "commit": round(marks["commit_s"], 3),
        "dispatch_sent_after_commit": round(dispatched_at - marks["committed_at"], 3),
        "dispatch_to_first_push_start": round(min(starts) - marks["committed_at"], 3)
        if starts else None,
        "pushes": {
            s: round(p["finished_at"] - p["started_at"], 3)
            for s, p in sorted(pushes.items()) if "started_at" in p and "finished_at" in p
        },
        "pushes_wall": round(max(ends) - min(starts), 3) if starts and ends else None,
        "first_packet_after_last_push": round(answered - max(ends), 3)
        if answered and ends else None,
        "ping_started_after_commit": round(ping["asked_at"] - marks["committed_at"], 3),
        "total": round(answered - marks["started_at"], 3) if answered else None,
    }  # fmt: skip
    return out


def remove(blueprints: Blueprints, served: ServedLab, bp: str, base: Fabric) -> dict[str, Any]:
    """Commit the removal of ``app``; the workers push it; what is left on the switches."""
    history_before = deployments(blueprints, bp)
    untouched_before = served.request("untouched", watched(base))["state"]
    edit = {"kind": "remove_virtual_network", "params": {"name": ADDED["name"]}}
    with deployment_events(bp) as events:
        marks = commit(blueprints, bp, edit, f"{ADDED['name']} removed")
        outcomes = wait_outcomes(dispatch(blueprints, bp, marks["touched"]))
        time.sleep(0.5)
        seen = list(events.seen)
    links = served.request("links", {"nodes": [*base.leafs, *base.spines]})["links"]
    return {
        "commit_s": round(marks["commit_s"], 3),
        "untouched_before": untouched_before,
        "untouched_after": served.request("untouched", watched(base))["state"],
        "pushes": pushes_of(seen),
        "outcomes": outcomes,
        "deployments": new_deployments(history_before, deployments(blueprints, bp)),
        "links_after": links,
    }
