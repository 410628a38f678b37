"""The libvirt source: read a libvirt host's domains with ``virsh`` and sync them.

``read_host`` lists the host's domains and reads each one's XML and state
(``virsh list --all --uuid``, ``dumpxml``, ``domstate``; every call bounded by
``VIRSH_TIMEOUT_S``); ``sync_host`` turns them into a full snapshot
(``blueprint_engine.virtual.libvirt``) and syncs it like a pushed one. The virtual sweep
(``workers.virtual``) does this for every host of ``FG_LIBVIRT_SOURCES`` (a JSON file: a
list of ``{blueprint, source, uri, hypervisor, server, bridges}``) on its period, so the
graph follows the host level-triggered: a domain defined, started, stopped or undefined
shows at the next sweep. ``virsh`` (Debian's libvirt-clients) is libvirt's own client;
no binding has to be built.
"""

from __future__ import annotations

import json
import subprocess
from typing import Any

from blueprint_engine.errors import ServiceUnavailableError, ValidationError
from blueprint_engine.events import Publisher
from blueprint_engine.graph.db import Graph
from blueprint_engine.virtual import libvirt, store
from blueprint_engine.virtual.store import SyncResult
from telemetry.virtual_anomalies import CheckResult, check_blueprint

VIRSH_TIMEOUT_S = 10.0
MAX_SOURCES = 64


def virsh(uri: str, *args: str) -> str:
    argv = ["virsh", "-q", "-c", uri, *args]
    try:
        done = subprocess.run(
            argv, capture_output=True, text=True, timeout=VIRSH_TIMEOUT_S, check=False
        )
    except subprocess.TimeoutExpired:
        raise ServiceUnavailableError(
            f"libvirt at {uri}: virsh {args[0]} gave no answer in {VIRSH_TIMEOUT_S:.0f} s",
            allowed="a running libvirt daemon (deploy/libvirt.sh start)",
        ) from None
    except FileNotFoundError:
        raise ServiceUnavailableError(
            "virsh is not installed", allowed="apt-get install libvirt-clients"
        ) from None
    if done.returncode != 0:
        raise ServiceUnavailableError(
            f"libvirt at {uri}: virsh {args[0]} failed: {' '.join(done.stderr.split())[:300]}",
            allowed="a running libvirt daemon (deploy/libvirt.sh start)",
        )
    return done.stdout


def read_host(host: libvirt.LibvirtHost) -> dict[str, Any]:
    """The host's full snapshot, read now."""
    vms = []
    for uuid in libvirt.domain_uuids(virsh(host.uri, "list", "--all", "--uuid")):
        state = virsh(host.uri, "domstate", uuid)
        vms.append(libvirt.vm(host, virsh(host.uri, "dumpxml", uuid), state))
    return libvirt.snapshot(host, vms)


def sync_host(
    graph: Graph, redis: Publisher | None, host: libvirt.LibvirtHost
) -> tuple[SyncResult, CheckResult]:
    """Read the host and make the graph hold exactly what it has; then the checks."""
    result = store.sync_snapshot(graph, host.blueprint, host.source, read_host(host))
    return result, check_blueprint(graph, redis, host.blueprint, known=result.inventory)


def load_hosts(path: str) -> list[libvirt.LibvirtHost]:
    """The hosts of a ``FG_LIBVIRT_SOURCES`` file ("" -> none)."""
    if not path:
        return []
    try:
        with open(path, encoding="utf-8") as fh:
            raw = json.load(fh)
    except (OSError, ValueError) as exc:
        raise ValidationError(
            f"libvirt sources {path!r} are unreadable: {exc}", allowed="a JSON list"
        ) from None
    if not isinstance(raw, list) or len(raw) > MAX_SOURCES:
        raise ValidationError(
            f"libvirt sources {path!r} are not a list", allowed=f"at most {MAX_SOURCES} hosts"
        )
    return [libvirt.parse_host(f"libvirt_sources[{i}]", h) for i, h in enumerate(raw)]
