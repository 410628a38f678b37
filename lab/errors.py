"""Errors of the virtual lab; each names what was wrong and what is allowed."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


class LabError(Exception):
    """Root of the lab's errors (the lab knows nothing of the product's errors).

    ``code`` is stable and machine-readable; ``message`` says what was wrong;
    ``allowed`` says what would have been accepted.
    """

    code = "lab_error"

    def __init__(self, message: str, *, allowed: str | Sequence[str] = "") -> None:
        self.message = message
        self.allowed = allowed if isinstance(allowed, str) else ", ".join(allowed)
        text = message if not self.allowed else f"{message} (allowed: {self.allowed})"
        super().__init__(text)

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "allowed": self.allowed}


class TopologyError(LabError):
    """The topology document is malformed."""

    code = "invalid_topology"


class LabCommandError(LabError):
    """A host command (``ip``, a daemon) failed while building or changing the lab."""

    code = "lab_command_failed"


class LabNotRunningError(LabError):
    code = "lab_not_running"


class LabAlreadyRunningError(LabError):
    code = "lab_already_running"


class UnknownLabObjectError(LabError):
    """A node, port or link named in a fault does not exist in the running lab."""

    code = "unknown_lab_object"


class LabPrivilegeError(LabError):
    code = "lab_needs_root"
