"""Errors of the virtual lab; each names what was wrong and what is allowed."""

from __future__ import annotations

from blueprint_engine.errors import ConflictError, FabricError, NotFoundError, ValidationError


class TopologyError(ValidationError):
    """The topology document is malformed."""

    code = "invalid_topology"


class LabCommandError(FabricError):
    """A host command (``ip``, a daemon) failed while building or changing the lab."""

    code = "lab_command_failed"
    http_status = 500


class LabNotRunningError(NotFoundError):
    code = "lab_not_running"


class LabAlreadyRunningError(ConflictError):
    code = "lab_already_running"


class UnknownLabObjectError(NotFoundError):
    """A node, port or link named in a fault does not exist in the running lab."""

    code = "unknown_lab_object"


class LabPrivilegeError(FabricError):
    code = "lab_needs_root"
    http_status = 403
