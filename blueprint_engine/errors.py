"""One root exception; every error names what was wrong and what is allowed."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


class FabricError(Exception):
    """Root of every error Fabricgraph raises on purpose.

    ``code`` is stable and machine-readable; ``message`` says what was wrong;
    ``allowed`` says what would have been accepted.
    """

    code = "fabric_error"
    http_status = 400

    def __init__(self, message: str, *, allowed: str | Sequence[str] = "") -> None:
        self.message = message
        self.allowed = allowed if isinstance(allowed, str) else ", ".join(allowed)
        text = message if not self.allowed else f"{message} (allowed: {self.allowed})"
        super().__init__(text)

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "allowed": self.allowed}


class ValidationError(FabricError):
    code = "invalid_input"


class RenderError(ValidationError):
    """A device's config cannot be rendered (translated from the renderers' ``RenderError``)."""

    code = "render_error"


class ConfigletError(ValidationError):
    """A configlet fails or tries to leave its sandbox (from the renderers' ``ConfigletError``)."""

    code = "configlet_error"


class NotFoundError(FabricError):
    code = "not_found"
    http_status = 404


class ConflictError(FabricError):
    """A stale edit, a duplicate name, or a second deployment on one device.

    A stale edit carries ``current_version``, the staged version to retry on (so a
    client need not read it again)."""

    code = "conflict"
    http_status = 409

    def __init__(
        self,
        message: str,
        *,
        allowed: str | Sequence[str] = "",
        current_version: int | None = None,
    ) -> None:
        super().__init__(message, allowed=allowed)
        self.current_version = current_version

    def as_dict(self) -> dict[str, Any]:
        out = super().as_dict()
        if self.current_version is not None:
            out["current_version"] = self.current_version
        return out


class BusyError(FabricError):
    """Too many concurrent requests for one thing (a blueprint's staged log): refused at
    once instead of queueing without bound; the caller retries."""

    code = "busy"
    http_status = 429


class TransitionError(FabricError):
    """An illegal lifecycle transition; names the current state and next steps."""

    code = "illegal_transition"
    http_status = 409


class PoolExhaustedError(FabricError):
    code = "pool_exhausted"
    http_status = 409


class BuildError(FabricError):
    """Staged intent that cannot be committed (each problem is listed)."""

    code = "build_errors"
    http_status = 422

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__(
            f"{len(self.problems)} build error(s): " + "; ".join(self.problems),
            allowed="fix every listed problem in the staged blueprint, then commit",
        )


class AuthError(FabricError):
    code = "forbidden"
    http_status = 403


class ServiceUnavailableError(FabricError):
    """Neo4j, Redis or a device could not be reached."""

    code = "service_unavailable"
    http_status = 503
