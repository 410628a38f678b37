"""The push API's one entry point (GraphQL, REST and CLI): sync a source, then check.

Every source sits behind one adapter interface, ``InventorySource``: a name, a full
snapshot of what it reports now, and the incremental events since the last call (empty
when it offers none). ``sync_from`` runs one level-triggered pass of an adapter: the
snapshot (a full re-sync), then its events. The API's push routes are the same path for
sources that push; ``JsonFileSource`` (the CLI's) reads a file.

A sync writes the source's inventory (``blueprint_engine.virtual.store``: a full
snapshot, or a batch of events) and then recomputes the virtual layer's anomalies of
the blueprint (``telemetry.virtual_anomalies``), publishing their events and
regrouping root causes. The answer counts both.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

from api.clients import redis_client
from blueprint_engine.errors import ValidationError
from blueprint_engine.graph.db import Graph
from blueprint_engine.settings import Settings
from blueprint_engine.virtual import store
from telemetry.virtual_anomalies import check_blueprint


def sync_inventory(
    graph: Graph,
    settings: Settings,
    bp: str,
    source: str,
    *,
    snapshot: object = None,
    events: object = None,
) -> dict[str, Any]:
    """Exactly one of ``snapshot`` (a full re-sync) and ``events`` (incremental)."""
    if (snapshot is None) == (events is None):
        raise ValidationError(
            "a sync takes a snapshot or events, not both and not neither",
            allowed="snapshot: {hypervisors, vms} or events: [{op, ...}]",
        )
    if snapshot is not None:
        if not isinstance(snapshot, Mapping):
            raise ValidationError(
                "the snapshot is not a JSON object", allowed="{hypervisors: [...], vms: [...]}"
            )
        result = store.sync_snapshot(graph, bp, source, snapshot)
    else:
        result = store.sync_events(graph, bp, source, events)
    client = redis_client(settings.redis_url)
    try:
        checked = check_blueprint(graph, client, bp, known=result.inventory)
    finally:
        client.close()
    return {
        **result.counts(),
        "vnics_checked": checked.vnics_checked,
        "anomalies_raised": checked.raised,
        "anomalies_cleared": checked.cleared,
        "anomalies_open": checked.open,
    }


class InventorySource(Protocol):
    """What every virtualization source adapter provides (vCenter, libvirt, a file)."""

    name: str

    def snapshot(self) -> Mapping[str, Any]:
        """Everything the source reports now: ``{"hypervisors": [...], "vms": [...]}``."""
        ...

    def events(self) -> list[dict[str, Any]]:
        """Incremental events since the last call (``[]`` when the source has none)."""
        ...


def sync_from(
    graph: Graph, settings: Settings, bp: str, source: InventorySource
) -> list[dict[str, Any]]:
    """One pass of an adapter: a full re-sync, then its pending events (if any)."""
    done = [sync_inventory(graph, settings, bp, source.name, snapshot=source.snapshot())]
    events = source.events()
    if events:
        done.append(sync_inventory(graph, settings, bp, source.name, events=events))
    return done


MAX_FILE_BYTES = 64 * 1024 * 1024


class JsonFileSource:
    """A source read from a JSON file: ``{hypervisors, vms}`` is a snapshot; a file with
    only ``{"events": [...]}`` is a batch of events on top of what the graph holds."""

    def __init__(self, name: str, path: Path) -> None:
        self.name = name
        self.body = _read(path)

    @property
    def has_snapshot(self) -> bool:
        return set(self.body) != {"events"}

    def snapshot(self) -> Mapping[str, Any]:
        return {k: v for k, v in self.body.items() if k != "events"}

    def events(self) -> list[dict[str, Any]]:
        events = self.body.get("events", [])
        if not isinstance(events, list):
            raise ValidationError("'events' is not a list", allowed="[{op, ...}, ...]")
        return events


def _read(path: Path) -> dict[str, Any]:
    if not path.is_file() or path.stat().st_size > MAX_FILE_BYTES:
        raise ValidationError(
            f"{path} is not a readable file",
            allowed=f"a JSON file of at most {MAX_FILE_BYTES} bytes",
        )
    try:
        body = json.loads(path.read_text())
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValidationError(f"{path} is not JSON: {exc}", allowed="a JSON object") from exc
    if not isinstance(body, dict):
        raise ValidationError(f"{path} is not a JSON object", allowed="a JSON object")
    return body
