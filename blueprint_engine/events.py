"""Change notifications on Redis pub/sub (see docs/telemetry-model.md)."""

from __future__ import annotations

import json
import time
from enum import StrEnum
from typing import Any, Protocol


class EventKind(StrEnum):
    TELEMETRY = "telemetry"
    ANOMALY = "anomaly"
    ROOT_CAUSE = "root_cause"
    DEPLOYMENT = "deployment"


CHANNEL_PREFIX = "fabricgraph.events."


class Publisher(Protocol):
    def publish(self, channel: str, message: str) -> Any: ...


def channel(kind: EventKind) -> str:
    return CHANNEL_PREFIX + kind.value


def publish(client: Publisher, kind: EventKind, payload: dict[str, Any]) -> None:
    """Send one event; ``payload`` must carry ``blueprint`` (or None)."""
    message = {"kind": kind.value, "at": time.time(), **payload}
    client.publish(channel(kind), json.dumps(message, sort_keys=True, default=str))
