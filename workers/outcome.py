"""What a device or collection task did: one typed outcome with an enum status.

Every task that acts on a device (reconcile, manual full push, golden collection)
or runs a collection round returns an ``Outcome``; Celery carries it as the JSON
object ``Outcome.as_dict`` returns (``Outcome.of`` reads it back), so results stay
JSON-serialisable and callers never compare status strings of their own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Status(StrEnum):
    SUCCEEDED = "succeeded"  # a push committed
    FAILED = "failed"  # the work ran and failed (a refused push, an unreachable device)
    ERRORED = "errored"  # the work raised something unexpected (see ``error``)
    NONE = "none"  # nothing to do: the device matches its intent
    BLOCKED = "blocked"  # something must happen first (see ``reason``)
    GOLDEN_COLLECTED = "golden_collected"  # in sync: the running config became golden
    BUSY = "busy"  # another job holds the device (or the round) and did not let go in time
    QUEUED = "queued"  # enqueued, not waited for (see ``task``)
    COLLECTED = "collected"  # a collection round finished


# the device is where its intent says it should be once the job is done
CONVERGED = frozenset({Status.SUCCEEDED, Status.NONE, Status.GOLDEN_COLLECTED})


@dataclass(frozen=True)
class Outcome:
    status: Status
    serial: str | None = None
    blueprint: str | None = None
    stage: str | None = None  # the config stage pushed
    push: str | None = None  # "full" | "incremental"
    seconds: float | None = None
    reason: str | None = None
    error: str | None = None
    code: str | None = None  # the error code of a refusal (``FabricError.code``)
    task: str | None = None  # the Celery task id of a queued job
    details: dict[str, Any] = field(default_factory=dict)  # e.g. a collection round's summary

    @property
    def converged(self) -> bool:
        return self.status in CONVERGED

    def as_dict(self) -> dict[str, Any]:
        """The JSON object Celery stores (fields left unset are omitted)."""
        out: dict[str, Any] = {"status": self.status.value}
        for name in (
            "serial",
            "blueprint",
            "stage",
            "push",
            "seconds",
            "reason",
            "error",
            "code",
            "task",
        ):
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        return {**self.details, **out}

    @classmethod
    def of(cls, data: dict[str, Any]) -> Outcome:
        """An outcome read back from its ``as_dict`` form."""
        known = (
            "serial",
            "blueprint",
            "stage",
            "push",
            "seconds",
            "reason",
            "error",
            "code",
            "task",
        )
        rest = {k: v for k, v in data.items() if k not in known and k != "status"}
        return cls(Status(data["status"]), **{k: data.get(k) for k in known}, details=rest)

    @property
    def why(self) -> str:
        return self.error or self.reason or self.status.value
