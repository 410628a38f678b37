"""Telemetry over GraphQL: anomalies, root causes with symptoms, observation history,
and a subscription streaming the Redis events (telemetry, anomaly, root_cause,
deployment) over the WebSocket route (graphql-transport-ws)."""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator
from typing import Any

import strawberry
from graphql import GraphQLError
from starlette.concurrency import run_in_threadpool
from strawberry.dataloader import DataLoader
from strawberry.scalars import JSON

from api.clients import listening_client
from api.graphql.common import call
from api.graphql.context import Info
from blueprint_engine.errors import ValidationError
from blueprint_engine.events import EventKind, channel
from blueprint_engine.graph.db import Graph, Query
from telemetry import reads


def _loader(info: Info, name: str, query: Query) -> DataLoader[str, list[dict[str, Any]]]:
    """A per-request loader (the context's loaders never outlive the request)."""
    loaders = info.context.loaders
    if name not in loaders:
        graph: Graph = info.context.graph

        async def load(uids: list[str]) -> list[list[dict[str, Any]]]:
            return await run_in_threadpool(reads.grouped, graph, query, uids)

        loaders[name] = DataLoader(load_fn=load)
    loader: DataLoader[str, list[dict[str, Any]]] = loaders[name]
    return loader


@strawberry.type
class CausedAt:
    label: str
    id: str


@strawberry.type
class Anomaly:
    uid: str
    blueprint: str
    type: str
    subject: str
    device: str
    state: str = strawberry.field(description="raised | cleared")
    expected: bool = strawberry.field(description="explained by a drain")
    suppressed: bool = strawberry.field(description="an accepted config deviation")
    expected_value: JSON | None
    actual_value: JSON | None
    summary: str
    first_seen: float
    last_seen: float
    cleared_at: str | None
    probe: str | None = strawberry.field(
        default=None, description="type probe: the probe that raised it"
    )
    probe_type: str | None = strawberry.field(
        default=None, description="type probe: the probe's anomaly type"
    )
    severity: str | None = strawberry.field(
        default=None, description="type probe: info, warning or critical"
    )

    @strawberry.field(description="the root cause that explains this anomaly, if any")
    async def root_cause(self, info: Info) -> RootCause | None:
        rows = await _loader(info, "telemetry.causes_of", reads.CAUSES_OF).load(self.uid)
        return RootCause.of(rows[0]) if rows else None

    @staticmethod
    def of(row: dict[str, Any]) -> Anomaly:
        return Anomaly(
            uid=row["uid"],
            blueprint=row["blueprint"],
            type=row["type"],
            subject=row["subject"],
            device=row["device"],
            state=row["state"],
            expected=bool(row["expected"]),
            suppressed=bool(row["suppressed"]),
            expected_value=reads.as_json(row["expected_value"]),
            actual_value=reads.as_json(row["actual_value"]),
            summary=row["summary"] or "",
            first_seen=row["first_seen"],
            last_seen=row["last_seen"],
            cleared_at=row["cleared_at"],
            probe=row.get("probe"),
            probe_type=row.get("probe_type"),
            severity=row.get("severity"),
        )


@strawberry.type
class RootCause:
    uid: str
    blueprint: str
    kind: str
    subject: str
    state: str = strawberry.field(description="open | cleared")
    summary: str
    evidence: JSON = strawberry.field(description="observed values and impacted servers")
    first_seen: float
    last_seen: float
    cleared_at: str | None
    at: list[CausedAt] = strawberry.field(description="the intent nodes at fault")

    @strawberry.field(description="the anomalies this cause explains")
    async def symptoms(self, info: Info) -> list[Anomaly]:
        rows = await _loader(info, "telemetry.symptoms_of", reads.SYMPTOMS_OF).load(self.uid)
        return [Anomaly.of(r) for r in rows]

    @staticmethod
    def of(row: dict[str, Any]) -> RootCause:
        return RootCause(
            uid=row["uid"],
            blueprint=row["blueprint"],
            kind=row["kind"],
            subject=row["subject"],
            state=row["state"],
            summary=row["summary"] or "",
            evidence=reads.as_json(row["evidence"]),
            first_seen=row["first_seen"],
            last_seen=row["last_seen"],
            cleared_at=row["cleared_at"],
            at=[
                CausedAt(label=a["label"], id=a["id"])
                for a in row.get("at") or []
                if a.get("id") is not None
            ],
        )


@strawberry.type
class AnomalyPage:
    items: list[Anomaly]
    end_cursor: str | None
    has_next_page: bool


@strawberry.type
class Sample:
    kind: str
    observer: str
    subject: str
    value: JSON
    at: float


@strawberry.type
class Event:
    kind: str
    blueprint: str | None
    at: float
    payload: JSON


@strawberry.type(description="a VM whose connectivity the window around a change altered")
class AffectedVm:
    id: str
    server: str | None
    networks: list[str]
    effect: str = strawberry.field(
        description="connectivity_lost | redundancy_lost (from a root cause) | vm_network_missing"
    )
    change: str = strawberry.field(description="hurt | restored")


@strawberry.type
class ChangeWindow:
    revision: int
    at: str
    window_s: float
    open_before: list[Anomaly] = strawberry.field(description="open when it was committed")
    open_after: list[Anomaly] = strawberry.field(description="open window_s seconds later")
    vms_affected: list[AffectedVm] = strawberry.field(
        description="VMs a root cause opened or cleared in the window hurts or no longer "
        "hurts, and VMs of vm_network_missing anomalies raised or cleared in it"
    )

    @strawberry.field(description="raised by or after the change (open after, not before)")
    def raised(self) -> list[Anomaly]:
        before = {a.uid for a in self.open_before}
        return [a for a in self.open_after if a.uid not in before]

    @strawberry.field(description="cleared by or after the change (open before, not after)")
    def cleared(self) -> list[Anomaly]:
        after = {a.uid for a in self.open_after}
        return [a for a in self.open_before if a.uid not in after]


@strawberry.type
class TelemetryQuery:
    @strawberry.field(description="Anomalies before and after a committed revision.")
    async def around_change(
        self, info: Info, blueprint: str, revision: int, window_s: float = 300.0
    ) -> ChangeWindow:
        w = await call(reads.around_change, info.context.graph, blueprint, revision, window_s)
        return ChangeWindow(
            revision=w.revision,
            at=w.at,
            window_s=w.window_s,
            open_before=[Anomaly.of(r) for r in w.before],
            open_after=[Anomaly.of(r) for r in w.after],
            vms_affected=[AffectedVm(**v) for v in w.vms],
        )

    @strawberry.field(description="Anomalies of a blueprint, filtered, paged by cursor.")
    async def anomalies(
        self,
        info: Info,
        blueprint: str,
        device: str | None = None,
        type: str | None = None,
        state: str | None = None,
        first: int = 100,
        after: str | None = None,
    ) -> AnomalyPage:
        page = await call(
            reads.anomalies,
            info.context.graph,
            blueprint,
            device=device,
            type=type,
            state=state,
            first=first,
            after=after,
        )
        return AnomalyPage(
            items=[Anomaly.of(r) for r in page.rows],
            end_cursor=page.end_cursor,
            has_next_page=page.has_next,
        )

    @strawberry.field(description="Root causes of a blueprint with their symptoms.")
    async def root_causes(
        self, info: Info, blueprint: str, state: str | None = None
    ) -> list[RootCause]:
        rows = await call(reads.root_causes, info.context.graph, blueprint, state=state)
        return [RootCause.of(r) for r in rows]

    @strawberry.field(
        description="History (one sample per change) of what was observed "
        "about an intent node (interface, session, transceiver, system)."
    )
    async def telemetry(
        self,
        info: Info,
        blueprint: str,
        subject: str,
        kind: str | None = None,
        limit: int = 100,
    ) -> list[Sample]:
        rows = await call(reads.history, info.context.graph, blueprint, subject, kind, limit)
        return [
            Sample(
                kind=r["kind"],
                observer=r["observer"],
                subject=r["subject"],
                value=json.loads(r["value"]),
                at=r["at"],
            )
            for r in rows
        ]


def _kinds(kinds: list[str] | None) -> list[EventKind]:
    allowed = [k.value for k in EventKind]
    for kind in kinds or []:
        if kind not in allowed:
            exc = ValidationError(f"unknown event kind {kind!r}", allowed=allowed)
            raise GraphQLError(str(exc), extensions=exc.as_dict())
    return [EventKind(k) for k in kinds] if kinds else list(EventKind)


@strawberry.type
class TelemetrySubscription:
    @strawberry.subscription(
        description="Events as they are published on Redis: telemetry "
        "batches, anomalies raised/cleared, root causes, deployments."
    )
    async def events(
        self, info: Info, blueprint: str | None = None, kinds: list[str] | None = None
    ) -> AsyncGenerator[Event, None]:
        chosen = _kinds(kinds)
        client = listening_client(info.context.settings.redis_url)
        pubsub = client.pubsub()
        await pubsub.subscribe(*(channel(kind) for kind in chosen))
        try:
            async for message in pubsub.listen():
                if message["type"] != "message":
                    continue
                payload = json.loads(message["data"])
                if blueprint is not None and payload.get("blueprint") != blueprint:
                    continue
                yield Event(
                    kind=payload.get("kind", ""),
                    blueprint=payload.get("blueprint"),
                    at=float(payload.get("at", 0.0)),
                    payload=payload,
                )
        finally:
            await pubsub.aclose()  # type: ignore[no-untyped-call]
            await client.aclose()
