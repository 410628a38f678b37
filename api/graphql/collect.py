"""GraphQL: a telemetry collection round on demand (``collectTelemetry``)."""

from __future__ import annotations

from typing import Any

import strawberry

from api.auth import Role
from api.graphql.common import call, require
from api.graphql.context import Info


@strawberry.type(description="What one collection round of a blueprint observed and raised.")
class CollectionRound:
    blueprint: str
    status: str  # collected | busy (a round of this blueprint was already running)
    devices: int
    unreachable: list[str]
    observations: int
    changed: int
    anomalies_raised: int
    anomalies_cleared: int
    root_causes_opened: int
    root_causes_cleared: int
    seconds: float

    @staticmethod
    def of(row: dict[str, Any]) -> CollectionRound:
        return CollectionRound(
            blueprint=row["blueprint"],
            status=row["status"],
            devices=int(row.get("devices", 0)),
            unreachable=list(row.get("unreachable", [])),
            observations=int(row.get("observations", 0)),
            changed=int(row.get("changed", 0)),
            anomalies_raised=int(row.get("anomalies_raised", 0)),
            anomalies_cleared=int(row.get("anomalies_cleared", 0)),
            root_causes_opened=int(row.get("root_causes_opened", 0)),
            root_causes_cleared=int(row.get("root_causes_cleared", 0)),
            seconds=float(row.get("seconds", 0.0)),
        )


@strawberry.type
class CollectMutation:
    @strawberry.mutation(
        description="collect telemetry from every switch of a blueprint now, on the workers"
    )
    async def collect_telemetry(
        self, info: Info, blueprint: str, timeout_s: float = 60.0
    ) -> CollectionRound:
        from workers.collect import request_round

        require(info, Role.OPERATOR, "collect telemetry")
        return CollectionRound.of(
            await call(request_round, info.context.graph, blueprint, timeout_s)
        )
