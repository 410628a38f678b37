"""Event-driven evaluation: the expectations touched by changed observations."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from blueprint_engine.db import Graph
from blueprint_engine.events import Publisher

if TYPE_CHECKING:
    from telemetry.ingest import Change


@dataclass
class Outcome:
    raised: list[dict[str, Any]] = field(default_factory=list)
    cleared: list[dict[str, Any]] = field(default_factory=list)
    causes_opened: list[dict[str, Any]] = field(default_factory=list)
    causes_cleared: list[dict[str, Any]] = field(default_factory=list)


def evaluate_changes(graph: Graph, redis: Publisher, bp: str, changes: Sequence[Change]) -> Outcome:
    """Evaluation is not wired yet in this revision: nothing is raised."""
    return Outcome()
