"""From an inventory to the rows the graph should hold, and what differs (pure).

``rows(bp, inventory)`` gives, per label, one row per node with its ``uid`` and a
fingerprint of its properties; ``plan(wanted, stored)`` compares them with the
fingerprints the graph holds for the source: rows to create or update, uids to
delete (what the source no longer reports). ``apply_events`` turns an incremental
batch into the next full inventory, so events and snapshots share one path.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from blueprint_engine.errors import NotFoundError, ValidationError
from blueprint_engine.grammar import shown
from blueprint_engine.virtual import inventory as inv
from blueprint_engine.virtual.inventory import Hypervisor, Inventory, Vm

KINDS = ("hypervisor", "switch", "vm", "vnic")  # write order (parents first)
EVENT_OPS = ("vm_upsert", "vm_delete", "hypervisor_upsert", "hypervisor_delete")


def vm_uid(bp: str, source: str, vm_id: str) -> str:
    return f"{bp}/{source}/{vm_id}"


def _fp(row: Mapping[str, Any]) -> str:
    """A short fingerprint of a node's properties (equal properties, equal text)."""
    text = json.dumps(row, sort_keys=True, separators=(",", ":"))
    return hashlib.blake2b(text.encode(), digest_size=12).hexdigest()


def rows(bp: str, inventory: Inventory) -> dict[str, list[dict[str, Any]]]:
    """Per kind, the node rows of the inventory (``uid``, ``id``, properties, ``fp``)."""
    src = inventory.source
    out: dict[str, list[dict[str, Any]]] = {kind: [] for kind in KINDS}
    for h in inventory.hypervisors:
        hid = f"{src}/{h.id}"
        out["hypervisor"].append({"id": hid, "name": h.name, "server": h.server})
        for s in h.switches:
            out["switch"].append(
                {"id": f"{hid}/{s.name}", "hypervisor": hid, "name": s.name,
                 "server": h.server, "uplinks": list(s.uplinks)}
            )  # fmt: skip
    for v in inventory.vms:
        vid = f"{src}/{v.id}"
        hid = f"{src}/{v.hypervisor}"
        out["vm"].append({"id": vid, "name": v.name, "hypervisor": hid, "state": v.state.value})
        for n in v.vnics:
            out["vnic"].append(
                {"id": f"{vid}/{n.id}", "vm": vid, "mac": n.mac, "ips": list(n.ips),
                 "vlan": n.vlan, "port_group": n.port_group,
                 "switch": None if n.switch is None else f"{hid}/{n.switch}"}
            )  # fmt: skip
    for kind_rows in out.values():
        for row in kind_rows:
            row["fp"] = _fp(row)
            row["uid"] = f"{bp}/{row['id']}"
    return out


@dataclass
class Plan:
    """What one sync writes: per kind the rows to create/update and the uids to delete."""

    upsert: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    delete: dict[str, list[str]] = field(default_factory=dict)
    created: int = 0
    updated: int = 0
    deleted: int = 0

    def __bool__(self) -> bool:
        return bool(self.created or self.updated or self.deleted)


def plan(
    wanted: Mapping[str, Sequence[dict[str, Any]]], stored: Mapping[str, Mapping[str, str]]
) -> Plan:
    """``stored``: per kind, ``{uid: fp}`` of the source's nodes in the graph now."""
    out = Plan()
    for kind in KINDS:
        have = stored.get(kind, {})
        rows_ = wanted.get(kind, ())
        out.upsert[kind] = [r for r in rows_ if have.get(r["uid"]) != r["fp"]]
        out.created += sum(1 for r in rows_ if r["uid"] not in have)
        out.updated += sum(1 for r in rows_ if r["uid"] in have and have[r["uid"]] != r["fp"])
        keep = {r["uid"] for r in rows_}
        out.delete[kind] = sorted(uid for uid in have if uid not in keep)
        out.deleted += len(out.delete[kind])
    return out


# -- incremental events -----------------------------------------------------------------


def apply_events(current: Inventory, events: object) -> Inventory:
    """The inventory after a batch of events, in order, checked as a whole.

    ``{"op": "vm_upsert", "vm": {...}}`` creates or replaces a VM,
    ``{"op": "vm_delete", "id": "..."}`` removes one; ``hypervisor_upsert`` /
    ``hypervisor_delete`` likewise (a hypervisor that still hosts VMs cannot be
    deleted: delete or move them first, in the same batch if need be)."""
    batch = inv._list("events", events, inv.MAX_EVENTS)
    hvs = {h.id: h for h in current.hypervisors}
    vms = {v.id: v for v in current.vms}
    for i, event in enumerate(batch):
        field_ = f"events[{i}]"
        op = event.get("op") if isinstance(event, dict) else None
        if op not in EVENT_OPS:
            raise ValidationError(f"{field_}.op {shown(op)} is not allowed", allowed=EVENT_OPS)
        if op == "vm_upsert":
            body = inv._obj(field_, event, {"op", "vm"}, set())
            item: Vm = inv.vm(f"{field_}.vm", body["vm"])
            vms[item.id] = item
        elif op == "hypervisor_upsert":
            body = inv._obj(field_, event, {"op", "hypervisor"}, set())
            hv: Hypervisor = inv.hypervisor(f"{field_}.hypervisor", body["hypervisor"])
            hvs[hv.id] = hv
        else:
            body = inv._obj(field_, event, {"op", "id"}, set())
            ident = inv._checked(inv.ID, f"{field_}.id", body["id"])
            _delete(op, ident, field_, hvs, vms)
    nxt = replace(current, hypervisors=tuple(hvs.values()), vms=tuple(vms.values()))
    inv.check_consistent(nxt)
    return nxt


def _delete(
    op: str, ident: str, field_: str, hvs: dict[str, Hypervisor], vms: dict[str, Vm]
) -> None:
    known = vms if op == "vm_delete" else hvs
    if ident not in known:
        raise NotFoundError(
            f"{field_}: no {op.removesuffix('_delete')} {ident!r} in the source's inventory",
            allowed=inv._some(sorted(known)),
        )
    if op == "hypervisor_delete":
        hosted = sorted(v.id for v in vms.values() if v.hypervisor == ident)
        if hosted:
            raise ValidationError(
                f"{field_}: hypervisor {ident} still hosts VM(s) {inv._some(hosted)}",
                allowed="delete or move its VMs first (vm_delete / vm_upsert)",
            )
    del known[ident]
