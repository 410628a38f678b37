"""Off-box agents in the graph: created, connected (by the workers), stopped, deleted.

``(:Agent {name, address, platform, credential, group, profile, options, status,
reason, detail, serial})-[:MANAGES]->(:Device)``. The agent holds the *name* of its
credential set, never a secret. Its status says what the last connection found:

- ``pending``: created, not yet tried; ``registered``: its device is in the graph;
- ``unreachable`` with ``reason`` one of ``UNREACHABLE_REASONS``;
- ``refused``: reached, but the device cannot be registered (``no_profile``...);
- ``stopped``: stopped by an operator (its device is no longer collected from).

Decommissioning (seed 001) is undeploy -> unassign -> stop agent -> delete: each
step is refused out of order naming the allowed next one, and a refusal changes
nothing in the graph.
"""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Any

from blueprint_engine.devices.agent_spec import AgentSpec
from blueprint_engine.devices.lifecycle import (
    DecommissionStep,
    DeviceState,
    Event,
    Liveness,
    decommission_plan,
    transition,
)
from blueprint_engine.devices.registry import Devices
from blueprint_engine.errors import ConflictError, NotFoundError, TransitionError
from blueprint_engine.graph.db import Graph, Query, Tx


class AgentStatus(StrEnum):
    PENDING = "pending"
    REGISTERED = "registered"
    UNREACHABLE = "unreachable"
    REFUSED = "refused"
    STOPPED = "stopped"


class Reason(StrEnum):
    """Why an agent is unreachable or refused: distinct, never carrying a secret."""

    DNS = "dns"  # the management hostname does not resolve
    TCP_REFUSED = "tcp_refused"  # nothing listens on the management port
    AUTH_FAILED = "auth_failed"  # reached, but the credential set was rejected
    TIMEOUT = "timeout"  # no answer within the agent's timeout
    CREDENTIAL_MISSING = "credential_missing"  # no secrets source knows the credential set
    CREDENTIAL_UNSAFE = "credential_unsafe"  # its file is readable by others
    DRIVER_UNKNOWN = "driver_unknown"  # no NAPALM driver or plugin of that name
    NO_PROFILE = "no_profile"  # no device profile fits the reported model
    HOST_KEY_MISMATCH = "host_key_mismatch"  # its SSH host key is not the pinned one
    ERROR = "error"  # anything else the driver raised (its type and message)


UNREACHABLE_REASONS = frozenset({Reason.DNS, Reason.TCP_REFUSED, Reason.TIMEOUT})

CREATE = Query(
    "agents.create",
    """
    UNWIND $rows AS r
    CREATE (a:Agent {name: r.name, address: r.address, platform: r.platform,
                     credential: r.credential, group: r.group, profile: r.profile,
                     options: r.options, status: $pending, created_by: $author,
                     created_at: datetime()})
    RETURN count(a) AS created
    """,
)
EXISTING = Query(
    "agents.existing",
    "MATCH (a:Agent) WHERE a.name IN $names RETURN a.name AS name ORDER BY name",
)
LIST = Query(
    "agents.list",
    """
    MATCH (a:Agent) WHERE $names IS NULL OR a.name IN $names
    OPTIONAL MATCH (a)-[:MANAGES]->(d:Device)
    RETURN a {.name, .address, .platform, .credential, .group, .profile, .options, .status,
              .reason, .detail, serial: d.serial, checked_at: toString(a.checked_at)} AS a
    ORDER BY a.name
    """,
)
STATUS = Query(
    "agents.status",
    """
    MATCH (a:Agent {name: $name})
    SET a.status = $status, a.reason = $reason, a.detail = $detail, a.checked_at = datetime()
    """,
)
LINK = Query(
    "agents.link",
    """
    MATCH (a:Agent {name: $name}), (d:Device {serial: $serial})
    OPTIONAL MATCH (a)-[old:MANAGES]->(:Device)
    DELETE old
    MERGE (a)-[:MANAGES]->(d)
    SET a.status = $registered, a.reason = null, a.detail = null, a.checked_at = datetime(),
        d.agent = a.name, d.agent_stopped = false
    """,
)
STOP = Query(
    "agents.stop",
    """
    MATCH (a:Agent {name: $name})
    SET a.status = $stopped, a.reason = null, a.detail = 'stopped by an operator',
        a.checked_at = datetime()
    WITH a
    OPTIONAL MATCH (a)-[:MANAGES]->(d:Device)
    FOREACH (_ IN CASE WHEN d IS NULL THEN [] ELSE [1] END |
             SET d.agent_stopped = true, d.liveness = $unavailable)
    """,
)
DELETE_AGENT = Query("agents.delete", "MATCH (a:Agent {name: $name}) DETACH DELETE a")
DELETE_DEVICE = Query(
    "agents.delete_device",
    """
    MATCH (d:Device {serial: $serial})
    OPTIONAL MATCH (d)-[:HAS_CONFIG|HAS_DEPLOYMENT|HAD_EVENT]->(x)
    DETACH DELETE x, d
    """,
)


def _sequence(plan: tuple[DecommissionStep, ...]) -> tuple[DecommissionStep, ...]:
    """The remaining steps of undeploy -> unassign -> stop agent -> delete (draining first
    is advised for a device carrying traffic, not required)."""
    return tuple(step for step in plan if step is not DecommissionStep.DRAIN)


def _row(row: dict[str, Any]) -> dict[str, Any]:
    return {**row, "options": json.loads(row.get("options") or "{}")}


class Agents:
    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        self.devices = Devices(graph)

    def create(self, specs: list[AgentSpec], author: str) -> list[dict[str, Any]]:
        """Create every agent or none (a name already taken is a conflict naming it)."""
        names = [s.name for s in specs]
        rows = [{**s.as_row(), "options": json.dumps(s.options, sort_keys=True)} for s in specs]

        def work(tx: Tx) -> None:
            taken = [r["name"] for r in self.graph.run(tx, EXISTING, names=names)]
            if taken:
                raise ConflictError(
                    f"agents already exist: {', '.join(taken[:20])}",
                    allowed="new names, or delete those agents first",
                )
            self.graph.run(tx, CREATE, rows=rows, pending=str(AgentStatus.PENDING), author=author)

        self.graph.write_tx(work)
        return self.list(names)

    def list(self, names: list[str] | None = None) -> list[dict[str, Any]]:
        return [_row(r["a"]) for r in self.graph.read(LIST, names=names)]

    def get(self, name: str) -> dict[str, Any]:
        rows = self.list([name])
        if not rows:
            raise NotFoundError(f"no agent named {name!r}", allowed="an agent's name (agent list)")
        return rows[0]

    def spec(self, name: str) -> AgentSpec:
        row = self.get(name)
        fields = ("name", "address", "platform", "credential", "group", "profile", "options")
        return AgentSpec(**{k: row[k] for k in fields})

    def failed(self, name: str, status: AgentStatus, reason: Reason, detail: str) -> None:
        self.graph.write(STATUS, name=name, status=str(status), reason=str(reason), detail=detail)

    def registered(self, name: str, serial: str) -> None:
        self.graph.write(LINK, name=name, serial=serial, registered=str(AgentStatus.REGISTERED))

    def stop(self, name: str) -> dict[str, Any]:
        """Stop an agent: refused while its device is assigned (next step named)."""
        agent = self.get(name)
        if agent["serial"]:
            record = self.devices.get(agent["serial"]).record
            plan = _sequence(decommission_plan(record))
            if record.state in (DeviceState.IS_READY, DeviceState.IS_ACTIVE):
                raise TransitionError(
                    f"cannot stop agent {name}: its device {record.device_id} is assigned "
                    f"({record.state}, deploy mode {record.deploy_mode}); "
                    f"next step: {plan[0].value}",
                    allowed=plan[0].value,
                )
        self.graph.write(
            STOP, name=name, stopped=str(AgentStatus.STOPPED), unavailable=str(Liveness.UNAVAILABLE)
        )
        return self.get(name)

    def delete(self, name: str) -> dict[str, Any]:
        """The last step: delete the agent and decommission its device. Refused, naming
        the next step, unless the device is unassigned and the agent stopped."""
        agent = self.get(name)
        serial = agent["serial"]
        if serial:
            record = self.devices.get(serial).record
            if agent["status"] != AgentStatus.STOPPED:
                nxt = _sequence(decommission_plan(record))[0]
                if nxt is DecommissionStep.DECOMMISSION:
                    nxt = DecommissionStep.STOP_AGENT
                raise TransitionError(
                    f"cannot delete agent {name}: its device {serial} is managed "
                    f"({record.state or 'not managed'}, deploy mode {record.deploy_mode}) and "
                    f"the agent runs; next step: {nxt.value}",
                    allowed=nxt.value,
                )
            transition(record, Event.DECOMMISSION)  # refuses an assigned device, naming steps
        self.graph.write_tx(lambda tx: self._delete(tx, name, serial))
        return agent

    def _delete(self, tx: Tx, name: str, serial: str | None) -> None:
        if serial:
            self.graph.run(tx, DELETE_DEVICE, serial=serial)
        self.graph.run(tx, DELETE_AGENT, name=name)
