"""Device lifecycle: managed state, deploy mode and config stage (normative: seed 001).

Every decision is read from one table, ``RULES``: one row per row of the seed's
lifecycle table, plus the deploy-mode changes the seed describes in prose
(deploy -> ready, drain -> deploy, decommission). What an event does, what is
refused and which events are allowed instead all come from that table, so the
three can never disagree.

Liveness is kept apart from the managed state: a device whose agent is not
connected is UNAVAILABLE but keeps its managed state and deploy mode.

This module is pure: frozen dataclasses and enums in, plain data out.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import TypedDict, Unpack

from blueprint_engine.errors import ConflictError, TransitionError, ValidationError


class DeviceState(StrEnum):
    """Managed device state. A device with no agent registered has none (``None``)."""

    OOS_QUARANTINED = "OOS-QUARANTINED"
    OOS_READY = "OOS-READY"
    IS_READY = "IS-READY"
    IS_ACTIVE = "IS-ACTIVE"


class Liveness(StrEnum):
    """Whether the device agent is connected; UNAVAILABLE keeps the managed state.
    UNKNOWN: nobody can tell (the worker pool the device is placed on is down)."""

    CONNECTED = "connected"
    UNAVAILABLE = "unavailable"
    UNKNOWN = "unknown"


class DeployMode(StrEnum):
    NOT_SET = "not_set"  # "not assigned" in the seed's table
    READY = "ready"
    DEPLOY = "deploy"
    DRAIN = "drain"
    UNDEPLOY = "undeploy"


# deploy modes in which a device carries (or is being drained of) its service config
DEPLOYED_MODES = frozenset({DeployMode.DEPLOY, DeployMode.DRAIN})


class ConfigStage(StrEnum):
    """Configuration stages; undeploy and deploy -> ready lead back to DISCOVERY2."""

    FACTORY = "factory"
    PRE_INSTALL = "pre_install"
    PRISTINE = "pristine"
    DISCOVERY1 = "discovery1"
    DISCOVERY2 = "discovery2"
    SERVICE = "service"
    INCREMENTAL = "incremental"
    DRAIN = "drain"


class PushKind(StrEnum):
    FULL = "full"  # replace the whole running config
    INCREMENTAL = "incremental"  # apply the delta only
    NONE = "none"  # nothing is pushed by Fabricgraph


class DeviationStatus(StrEnum):
    """Running config versus golden config for one device."""

    NONE = "none"
    OPEN = "open"  # a deviation anomaly is raised and blocks deployments
    ACCEPTED = "accepted"  # suppressed by "accept changes"; golden and intent unchanged


class Event(StrEnum):
    NEW_DEVICE = "new_device"
    PRE_INSTALL_CONFIG = "pre_install_config"
    INSTALL_AGENT = "install_agent"  # the agent registers the device
    ACKNOWLEDGE = "acknowledge"
    ASSIGN = "assign"  # to a blueprint system, deploy mode ready
    DEPLOY = "deploy"  # deploy mode deploy, committed
    COMMIT_INCREMENTAL = "commit_incremental"
    DRAIN = "drain"
    UNDEPLOY = "undeploy"
    SET_READY = "set_ready"  # deploy mode back to ready
    UNASSIGN = "unassign"
    DECOMMISSION = "decommission"


class Requirement(StrEnum):
    NO_OPEN_DEVIATION = "no_open_deviation"
    AGENT_STOPPED = "agent_stopped"


class DecommissionStep(StrEnum):
    DRAIN = "drain"
    UNDEPLOY = "undeploy"
    UNASSIGN = "unassign"
    STOP_AGENT = "stop_agent"
    DECOMMISSION = "decommission"


@dataclass(frozen=True)
class DeviceRecord:
    """What the graph holds about one device's lifecycle."""

    device_id: str
    device_profile: str
    state: DeviceState | None = None  # None: no agent registered ("n/a" in the seed)
    deploy_mode: DeployMode = DeployMode.NOT_SET
    liveness: Liveness = Liveness.UNAVAILABLE
    system_id: str | None = None  # the blueprint system it is assigned to
    deviation: DeviationStatus = DeviationStatus.NONE


@dataclass(frozen=True)
class Transition:
    """The outcome of one accepted event."""

    device_id: str
    event: Event
    state: DeviceState | None
    deploy_mode: DeployMode
    config_stage: ConfigStage | None  # None: the device's config is left as it is
    push: PushKind
    reason: str
    system_id: str | None
    removed: bool = False  # the device record leaves the system


class Facts(TypedDict, total=False):
    """Facts an event may need that the device record does not hold."""

    system_id: str  # assign: the blueprint system
    system_profile: str  # assign: the device profile that system requires
    system_occupant: str | None  # assign: the device already on that system, if any


Source = tuple[DeviceState | None, DeployMode]

UNMANAGED: Source = (None, DeployMode.NOT_SET)
QUARANTINED: Source = (DeviceState.OOS_QUARANTINED, DeployMode.NOT_SET)
ACKNOWLEDGED: Source = (DeviceState.OOS_READY, DeployMode.NOT_SET)
READY: Source = (DeviceState.IS_READY, DeployMode.READY)
ACTIVE: Source = (DeviceState.IS_ACTIVE, DeployMode.DEPLOY)
DRAINED: Source = (DeviceState.IS_READY, DeployMode.DRAIN)
UNDEPLOYED: Source = (DeviceState.IS_READY, DeployMode.UNDEPLOY)


@dataclass(frozen=True)
class Rule:
    """One row: from any of ``sources``, ``event`` leads to ``target`` and pushes ``stage``."""

    event: Event
    sources: tuple[Source, ...]
    target: Source
    stage: ConfigStage | None
    push: PushKind
    reason: str
    requires: tuple[Requirement, ...] = ()
    removes: bool = False

    def requirements(self) -> tuple[Requirement, ...]:
        """Every row that pushes config is refused while a deviation is open."""
        if self.push is PushKind.NONE:
            return self.requires
        return (Requirement.NO_OPEN_DEVIATION, *self.requires)


RULES: tuple[Rule, ...] = (
    # --- the seed's table, row by row ---
    Rule(
        Event.NEW_DEVICE,
        (UNMANAGED,),
        UNMANAGED,
        ConfigStage.FACTORY,
        PushKind.NONE,
        "new device: factory default configuration",
    ),
    Rule(
        Event.PRE_INSTALL_CONFIG,
        (UNMANAGED,),
        UNMANAGED,
        ConfigStage.PRE_INSTALL,
        PushKind.NONE,
        "user-required management config added: factory + pre-install",
    ),
    Rule(
        Event.INSTALL_AGENT,
        (UNMANAGED,),
        QUARANTINED,
        ConfigStage.PRISTINE,
        PushKind.NONE,
        "agent registered: pristine = factory + pre-install + agent install config",
    ),
    Rule(
        Event.ACKNOWLEDGE,
        (QUARANTINED,),
        ACKNOWLEDGED,
        ConfigStage.DISCOVERY1,
        PushKind.FULL,
        "acknowledged: discovery 1 = pristine + interfaces enabled",
    ),
    Rule(
        Event.ASSIGN,
        (ACKNOWLEDGED,),
        READY,
        ConfigStage.DISCOVERY2,
        PushKind.FULL,
        "assigned to a blueprint: discovery 2 = discovery 1 + basic config",
    ),
    Rule(
        Event.DEPLOY,
        (READY, UNDEPLOYED),
        ACTIVE,
        ConfigStage.SERVICE,
        PushKind.FULL,
        "deployed: service config = discovery 2 + full rendered config",
    ),
    Rule(
        Event.COMMIT_INCREMENTAL,
        (ACTIVE,),
        ACTIVE,
        ConfigStage.INCREMENTAL,
        PushKind.INCREMENTAL,
        "committed: delta of the blueprint changes",
    ),
    Rule(
        Event.DRAIN,
        (ACTIVE,),
        DRAINED,
        ConfigStage.DRAIN,
        PushKind.INCREMENTAL,
        "drained: drain config added",
    ),
    Rule(
        Event.UNDEPLOY,
        (ACTIVE, DRAINED),
        UNDEPLOYED,
        ConfigStage.DISCOVERY2,
        PushKind.FULL,
        "undeployed: rendered config removed, back to discovery 2",
    ),
    Rule(
        Event.UNASSIGN,
        (READY, UNDEPLOYED),
        ACKNOWLEDGED,
        ConfigStage.DISCOVERY1,
        PushKind.FULL,
        "unassigned: discovery 1 re-applied",
    ),
    # --- deploy-mode changes the seed describes in prose ---
    Rule(
        Event.SET_READY,
        (ACTIVE, DRAINED),
        READY,
        ConfigStage.DISCOVERY2,
        PushKind.FULL,
        "deploy mode ready: rendered config removed, back to discovery 2",
    ),
    Rule(
        Event.SET_READY,
        (UNDEPLOYED,),
        READY,
        ConfigStage.DISCOVERY2,
        PushKind.NONE,
        "deploy mode ready: already at discovery 2",
    ),
    Rule(
        Event.DEPLOY,
        (DRAINED,),
        ACTIVE,
        ConfigStage.SERVICE,
        PushKind.INCREMENTAL,
        "back in service: drain config removed",
    ),
    Rule(
        Event.DECOMMISSION,
        (UNMANAGED, QUARANTINED),
        UNMANAGED,
        None,
        PushKind.NONE,
        "decommissioned: device removed (never acknowledged)",
        removes=True,
    ),
    Rule(
        Event.DECOMMISSION,
        (ACKNOWLEDGED,),
        UNMANAGED,
        None,
        PushKind.NONE,
        "decommissioned: device removed",
        requires=(Requirement.AGENT_STOPPED,),
        removes=True,
    ),
)

# Why a refused event is refused, by event and current managed state (the table says *that*
# it is refused; these say what to do instead, in words).
REFUSAL_HINTS: tuple[tuple[Event, tuple[DeviceState | None, ...], str], ...] = (
    (
        Event.DEPLOY,
        (None, DeviceState.OOS_QUARANTINED),
        "a device must be acknowledged and assigned to a blueprint before it is deployed",
    ),
    (Event.DEPLOY, (DeviceState.OOS_READY,), "assign it to a blueprint system first"),
    (Event.DEPLOY, (DeviceState.IS_ACTIVE,), "it is already deployed"),
    (Event.ASSIGN, (None, DeviceState.OOS_QUARANTINED), "acknowledge it first"),
    (
        Event.ASSIGN,
        (DeviceState.IS_READY, DeviceState.IS_ACTIVE),
        "it is already assigned; unassign it first",
    ),
    (Event.ACKNOWLEDGE, (None,), "no agent has registered it yet"),
    (
        Event.ACKNOWLEDGE,
        (DeviceState.OOS_READY, DeviceState.IS_READY, DeviceState.IS_ACTIVE),
        "it is already acknowledged",
    ),
    (Event.INSTALL_AGENT, tuple(DeviceState), "its agent is already registered"),
    (
        Event.DRAIN,
        (None, *DeviceState),
        "only a deployed device (IS-ACTIVE, deploy) can be drained",
    ),
    (
        Event.COMMIT_INCREMENTAL,
        (None, *DeviceState),
        "incremental config applies to deployed devices only",
    ),
    (
        Event.UNASSIGN,
        (DeviceState.IS_ACTIVE, DeviceState.IS_READY),
        "undeploy it (and commit) before unassigning it",
    ),
    (
        Event.UNASSIGN,
        (None, DeviceState.OOS_QUARANTINED, DeviceState.OOS_READY),
        "it is not assigned",
    ),
    (Event.UNDEPLOY, (None, *DeviceState), "only a deployed or drained device can be undeployed"),
    (
        Event.SET_READY,
        (None, *DeviceState),
        "deploy mode ready is set on an assigned device that is deployed, drained or undeployed",
    ),
)

REQUIREMENT_TEXT: dict[Requirement, str] = {
    Requirement.NO_OPEN_DEVIATION: (
        "a config deviation is open and not accepted (running config differs from golden); "
        "accept changes or run a confirmed manual full push first"
    ),
    Requirement.AGENT_STOPPED: (
        "its agent is connected and would re-register it within seconds; "
        "next step: stop the device agent"
    ),
}

REQUIREMENT_CHECKS: dict[Requirement, Callable[[DeviceRecord], bool]] = {
    Requirement.NO_OPEN_DEVIATION: lambda d: d.deviation is not DeviationStatus.OPEN,
    Requirement.AGENT_STOPPED: lambda d: d.liveness is Liveness.UNAVAILABLE,
}

# The config stage each (state, deploy mode) settles at: what the reconciler keeps deployed.
STEADY_STAGE: dict[Source, ConfigStage] = {
    QUARANTINED: ConfigStage.PRISTINE,
    ACKNOWLEDGED: ConfigStage.DISCOVERY1,
    READY: ConfigStage.DISCOVERY2,
    ACTIVE: ConfigStage.SERVICE,
    DRAINED: ConfigStage.DRAIN,
    UNDEPLOYED: ConfigStage.DISCOVERY2,
}


def _source(device: DeviceRecord) -> Source:
    return (device.state, device.deploy_mode)


def _rule_for(device: DeviceRecord, event: Event) -> Rule | None:
    here = _source(device)
    return next((r for r in RULES if r.event is event and here in r.sources), None)


def _unmet(device: DeviceRecord, rule: Rule) -> list[Requirement]:
    return [req for req in rule.requirements() if not REQUIREMENT_CHECKS[req](device)]


def allowed_events(device: DeviceRecord) -> list[Event]:
    """Events the table accepts from the device's current state, in lifecycle order."""
    return [
        event
        for event in Event
        if (rule := _rule_for(device, event)) is not None and not _unmet(device, rule)
    ]


def describe(device: DeviceRecord) -> str:
    """``device leaf1-sn (IS-READY, deploy mode ready, system leaf1)``: for messages."""
    state = device.state.value if device.state is not None else "not managed"
    where = f", system {device.system_id}" if device.system_id else ""
    return (
        f"device {device.device_id} ({state}, deploy mode {device.deploy_mode.value}"
        f"{where}, agent {device.liveness.value})"
    )


def _allowed_text(device: DeviceRecord) -> list[str]:
    return [event.value for event in allowed_events(device)] or ["none"]


def _refuse(device: DeviceRecord, event: Event, why: str) -> TransitionError:
    return TransitionError(
        f"cannot {event.value} {describe(device)}: {why}", allowed=_allowed_text(device)
    )


def _hint(device: DeviceRecord, event: Event) -> str:
    if event is Event.DECOMMISSION:
        steps = ", ".join(step.value for step in decommission_plan(device))
        return f"decommissioning is a sequence; remaining steps: {steps}"
    for hinted, states, text in REFUSAL_HINTS:
        if hinted is event and device.state in states:
            return text
    return "not allowed from this state"


def _check_assignment(device: DeviceRecord, facts: Facts) -> str:
    system_id = facts.get("system_id")
    profile = facts.get("system_profile")
    if not system_id or not profile:
        raise ValidationError(
            f"assigning device {device.device_id} needs the blueprint system and its profile",
            allowed="system_id=<blueprint system id>, system_profile=<its device profile>",
        )
    if profile != device.device_profile:
        raise TransitionError(
            f"cannot assign device {device.device_id} with device profile "
            f"{device.device_profile} to system {system_id}, which requires device profile "
            f"{profile}",
            allowed=f"a device with device profile {profile}",
        )
    occupant = facts.get("system_occupant")
    if occupant and occupant != device.device_id:
        raise ConflictError(
            f"system {system_id} already has device {occupant} assigned",
            allowed=f"unassign {occupant} from {system_id} first, or choose another system",
        )
    return system_id


def transition(device: DeviceRecord, event: Event, **facts: Unpack[Facts]) -> Transition:
    """What ``event`` does to ``device``; raises TransitionError when the table refuses it."""
    rule = _rule_for(device, event)
    if rule is None:
        raise _refuse(device, event, _hint(device, event))
    unmet = _unmet(device, rule)
    if unmet:
        raise _refuse(device, event, "; ".join(REQUIREMENT_TEXT[req] for req in unmet))
    system_id = device.system_id
    if event is Event.ASSIGN:
        system_id = _check_assignment(device, facts)
    elif rule.target[0] not in (DeviceState.IS_READY, DeviceState.IS_ACTIVE):
        system_id = None
    return Transition(
        device_id=device.device_id,
        event=event,
        state=rule.target[0],
        deploy_mode=rule.target[1],
        config_stage=rule.stage,
        push=rule.push,
        reason=rule.reason,
        system_id=system_id,
        removed=rule.removes,
    )


def apply(device: DeviceRecord, outcome: Transition) -> DeviceRecord | None:
    """The record after ``outcome``; ``None`` once the device has been removed."""
    if outcome.removed:
        return None
    return replace(
        device,
        state=outcome.state,
        deploy_mode=outcome.deploy_mode,
        system_id=outcome.system_id,
    )


def intended_stage(state: DeviceState | None, mode: DeployMode) -> ConfigStage | None:
    """The config stage a device in ``state``/``mode`` should have; None when unmanaged."""
    return STEADY_STAGE.get((state, mode))


def decommission_plan(device: DeviceRecord) -> tuple[DecommissionStep, ...]:
    """The remaining steps of the decommissioning sequence, next step first.

    deploy -> drain -> undeploy -> unassign -> stop the agent -> decommission. An
    acknowledged device cannot simply be deleted while its agent is connected: it
    would re-register within seconds.
    """
    steps: list[DecommissionStep] = []
    if device.deploy_mode is DeployMode.DEPLOY:
        steps += [DecommissionStep.DRAIN, DecommissionStep.UNDEPLOY]
    elif device.deploy_mode is DeployMode.DRAIN:
        steps.append(DecommissionStep.UNDEPLOY)
    if device.state in (DeviceState.IS_READY, DeviceState.IS_ACTIVE):
        steps.append(DecommissionStep.UNASSIGN)
    acknowledged = device.state not in (None, DeviceState.OOS_QUARANTINED)
    if acknowledged and device.liveness is Liveness.CONNECTED:
        steps.append(DecommissionStep.STOP_AGENT)
    steps.append(DecommissionStep.DECOMMISSION)
    return tuple(steps)


def accept_changes(device: DeviceRecord) -> DeviceRecord:
    """Suppress an open deviation; golden config and intent stay as they are."""
    if device.deviation is not DeviationStatus.OPEN:
        raise TransitionError(
            f"cannot accept changes on {describe(device)}: no config deviation is open "
            f"(deviation {device.deviation.value})",
            allowed="accept changes while a config deviation is open",
        )
    return replace(device, deviation=DeviationStatus.ACCEPTED)
