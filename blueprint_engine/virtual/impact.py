"""The VMs an impact reaches (pure): a VM follows its hypervisor's server.

A VM has no path of its own into the fabric: it loses all connectivity when its
server does, and its redundancy when its server does. For the impact of a virtual
network itself, only the VMs with a vNIC in that network lose it (on the servers
losing connectivity in that network); their other networks stay up.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from blueprint_engine.impact.model import ElementKind, Impact, ImpactedServer, ImpactedVm

CONNECTIVITY_LOST = "connectivity_lost"
REDUNDANCY_LOST = "redundancy_lost"


def affected_servers(result: Impact) -> list[str]:
    return sorted(
        {s.id for s in (*result.servers_losing_connectivity, *result.servers_losing_redundancy)}
    )


def _natural(text: str) -> tuple[str | int, ...]:
    return tuple(int(p) if i % 2 else p for i, p in enumerate(re.split(r"(\d+)", text)))


def _vms(
    servers: Iterable[ImpactedServer],
    vms_by_server: Mapping[str, Sequence[Mapping[str, Any]]],
    effect: str,
    network: str | None,
) -> tuple[ImpactedVm, ...]:
    rows = [
        ImpactedVm(
            str(vm["id"]),
            str(vm["name"]),
            str(vm["hypervisor"]),
            server.id,
            server.rack,
            tuple(sorted(set(vm["networks"]))),
            effect,
        )
        for server in servers
        for vm in vms_by_server.get(server.id, ())
        if network is None or network in vm["networks"]
    ]
    return tuple(sorted(rows, key=lambda v: _natural(v.id)))


def with_vms(result: Impact, vms_by_server: Mapping[str, Sequence[Mapping[str, Any]]]) -> Impact:
    """``result`` with the VMs of its servers (``vms_by_server``: VM rows per server id,
    each with ``id``, ``name``, ``hypervisor`` and ``networks``)."""
    network = result.id if result.kind == ElementKind.VIRTUAL_NETWORK else None
    return replace(
        result,
        vms_losing_connectivity=_vms(
            result.servers_losing_connectivity, vms_by_server, CONNECTIVITY_LOST, network
        ),
        vms_losing_redundancy=_vms(
            result.servers_losing_redundancy, vms_by_server, REDUNDANCY_LOST, network
        ),
    )


def impacted_vms(
    impacted_servers: Iterable[Mapping[str, Any]],
    vms_by_server: Mapping[str, Sequence[Mapping[str, Any]]],
) -> list[dict[str, Any]]:
    """A root cause's ``impacted_servers`` evidence (server, status) -> its VMs."""
    out = []
    for row in impacted_servers:
        status = CONNECTIVITY_LOST if row["status"] == "isolated" else REDUNDANCY_LOST
        for vm in vms_by_server.get(str(row["server"]), ()):
            out.append(
                {
                    "vm": vm["id"],
                    "name": vm["name"],
                    "server": row["server"],
                    "networks": sorted(set(vm["networks"])),
                    "status": status,
                }
            )
    return sorted(out, key=lambda v: _natural(str(v["vm"])))
