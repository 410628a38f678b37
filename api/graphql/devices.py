"""Managed devices over GraphQL: status, every config stage, history; lifecycle mutations.

Config stages, history and deployments of a list of devices are read through
dataloaders: one query per field for the whole list, never one per device.
"""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator
from typing import Any, cast

import strawberry
from strawberry.dataloader import DataLoader
from strawberry.scalars import JSON

from api.auth import Role
from api.clients import listening_client
from api.graphql.common import call, device_ops, require
from api.graphql.context import Info
from blueprint_engine.configs.stored import INCREMENTAL, RENDERED
from blueprint_engine.devices.host_key import fingerprint
from blueprint_engine.devices.lifecycle import DeployMode, Event
from blueprint_engine.devices.registry import DEVICE_CONFIG_STAGES, Devices
from blueprint_engine.errors import ValidationError
from blueprint_engine.events import EventKind, channel

# stages kept on the device node, and the blueprint's per-system stages
DEVICE_STAGES = DEVICE_CONFIG_STAGES
SYSTEM_STAGES = (RENDERED, INCREMENTAL)


@strawberry.type
class StageText:
    stage: str
    text: str


@strawberry.type
class DeviceEvent:
    event: str
    from_state: str | None
    from_mode: str | None
    state: str | None
    deploy_mode: str
    system: str | None
    reason: str | None
    at: str


@strawberry.type
class Deployment:
    uid: str
    stage: str
    push: str
    status: str
    detail: str
    diff: str
    seconds: float
    manual: bool
    at: str
    by: str | None = strawberry.field(
        default=None, description="the queue of the worker pool that pushed"
    )


def _loader(info: Info, name: str, load: Any) -> DataLoader[str, Any]:
    loaders = info.context.loaders
    if name not in loaders:
        loaders[name] = DataLoader(load_fn=load)
    loader: DataLoader[str, Any] = loaders[name]
    return loader


@strawberry.type
class ManagedDevice:
    serial: str
    hostname: str
    device_profile: str
    nos: str | None
    state: str | None
    deploy_mode: str
    liveness: str
    deviation: str
    deviation_reason: str | None
    last_deploy: str | None
    last_error: str | None
    reconcile_action: str | None
    reconcile_reason: str | None
    system: str | None
    blueprint: str | None
    vendor: str | None = strawberry.field(default=None, description="as the device reported it")
    model: str | None = strawberry.field(default=None, description="as the device reported it")
    os_version: str | None = strawberry.field(
        default=None, description="the NOS version the device reported"
    )
    agent: str | None = strawberry.field(default=None, description="the off-box agent's name")
    nos_version_ok: bool | None = strawberry.field(
        default=None, description="whether its device profile's OS version range allows it"
    )
    nos_version_allowed: str | None = strawberry.field(
        default=None, description="its device profile's OS version range, min..max"
    )
    host_key: str | None = strawberry.field(
        default=None,
        description="the SSH host key pinned when the driver first connected "
        "('ssh-ed25519 AAAA...'; an agent's host_key option pins one itself); "
        "any other key is refused before credentials are sent",
    )

    @strawberry.field(description="the pinned SSH host key's SHA256 fingerprint, as OpenSSH")
    def host_key_fingerprint(self) -> str | None:
        return fingerprint(self.host_key)

    @strawberry.field(
        description=f"config stages: {', '.join(DEVICE_STAGES)} (running: last collected), "
        f"{' and '.join(SYSTEM_STAGES)} (the blueprint's, for its system)"
    )
    async def configs(self, info: Info, stages: list[str] | None = None) -> list[StageText]:
        devices = Devices(info.context.graph)

        async def load(serials: list[str]) -> list[dict[str, str]]:
            found = await call(devices.configs_of, serials)
            return [found[s] for s in serials]

        stored: dict[str, str] = await _loader(info, "device_configs", load).load(self.serial)
        wanted = stages or [*DEVICE_STAGES, *SYSTEM_STAGES]
        if self.blueprint and self.system and any(s in SYSTEM_STAGES for s in wanted):
            loader = _loader(info, "system_configs", _system_configs(info))
            stored = {**stored, **await loader.load(f"{self.blueprint}/{self.system}")}
        return [StageText(stage=s, text=stored[s]) for s in wanted if s in stored]

    @strawberry.field(description="lifecycle events, oldest first")
    async def history(self, info: Info) -> list[DeviceEvent]:
        devices = Devices(info.context.graph)

        async def load(serials: list[str]) -> list[list[dict[str, Any]]]:
            found = await call(devices.histories_of, serials)
            return [found[s] for s in serials]

        events = await _loader(info, "device_history", load).load(self.serial)
        return [DeviceEvent(**e) for e in events]

    @strawberry.field(description="deployments, newest first (at most 20)")
    async def deployments(self, info: Info) -> list[Deployment]:
        devices = Devices(info.context.graph)

        async def load(serials: list[str]) -> list[list[dict[str, Any]]]:
            found = await call(devices.deployments_of, serials, 20)
            return [found[s] for s in serials]

        rows = await _loader(info, "device_deployments", load).load(self.serial)
        return [Deployment(**{**r, "manual": bool(r.get("manual"))}) for r in rows]


def _system_configs(info: Info) -> Any:
    """Loader of the blueprint's stages per "<blueprint>/<system>": one query per
    blueprint and stage for the whole list."""
    configs = info.context.blueprints.configs

    async def load(keys: list[str]) -> list[dict[str, str]]:
        by_bp: dict[str, list[str]] = {}
        for key in keys:
            bp, _, system = key.partition("/")
            by_bp.setdefault(bp, []).append(system)
        found: dict[str, dict[str, str]] = {key: {} for key in keys}
        for bp, systems in by_bp.items():
            for stage in SYSTEM_STAGES:
                texts = await call(configs.stored, bp, systems, stage)
                for system, text in texts.items():
                    found[f"{bp}/{system}"][stage] = text
        return [found[key] for key in keys]

    return load


def _device(row: dict[str, Any]) -> ManagedDevice:
    fields: dict[str, Any] = {f: row.get(f) for f in ManagedDevice.__annotations__}
    return ManagedDevice(**fields)


@strawberry.type
class DeviceQuery:
    @strawberry.field(description="managed devices, optionally of one blueprint")
    async def devices(self, info: Info, blueprint: str | None = None) -> list[ManagedDevice]:
        rows = await call(Devices(info.context.graph).find, blueprint)
        return [_device(r) for r in rows]

    @strawberry.field(description="one managed device by serial")
    async def device(self, info: Info, serial: str) -> ManagedDevice:
        devices = Devices(info.context.graph)
        await call(devices.get, serial)  # NotFoundError naming the serial
        rows = await call(devices.find, None, [serial])
        return _device(rows[0])


# the GraphQL enum is the lifecycle's DeployMode itself; each mode an operator may set
# is reached by one lifecycle event (not_set is where a device starts, never a choice)
DeployModeChange = strawberry.enum(
    DeployMode, name="DeployModeChange", description="a deploy mode (not_set cannot be chosen)"
)
MODE_EVENTS = {
    DeployMode.DEPLOY: Event.DEPLOY,
    DeployMode.DRAIN: Event.DRAIN,
    DeployMode.UNDEPLOY: Event.UNDEPLOY,
    DeployMode.READY: Event.SET_READY,
}


def mode_event(mode: DeployMode) -> Event:
    if mode not in MODE_EVENTS:
        raise ValidationError(
            f"deploy mode {mode.name} cannot be set by an operator",
            allowed=[m.name for m in MODE_EVENTS],
        )
    return MODE_EVENTS[mode]


@strawberry.type
class DeviceAction:
    serial: str
    state: str | None
    deploy_mode: str
    reason: str
    deployment: JSON | None = strawberry.field(
        description="the reconciler's outcome, or {status: queued, task} when not waited for"
    )


async def _event(info: Info, serial: str, event: Event, wait: bool, **where: str) -> DeviceAction:
    outcome, result = await call(device_ops(info).event, serial, event, wait=wait, **where)
    return DeviceAction(
        serial=serial,
        state=str(outcome.state) if outcome.state else None,
        deploy_mode=str(outcome.deploy_mode),
        reason=outcome.reason,
        deployment=cast(JSON, result),
    )


@strawberry.type
class DeviceMutation:
    @strawberry.mutation(description="acknowledge a quarantined device: discovery 1 is pushed")
    async def acknowledge(self, info: Info, serial: str, wait: bool = False) -> DeviceAction:
        require(info, Role.OPERATOR, "acknowledge a device")
        return await _event(info, serial, Event.ACKNOWLEDGE, wait)

    @strawberry.mutation(description="assign to a blueprint system: discovery 2 is pushed")
    async def assign(
        self, info: Info, serial: str, blueprint: str, system: str, wait: bool = False
    ) -> DeviceAction:
        require(info, Role.OPERATOR, "assign a device")
        return await _event(info, serial, Event.ASSIGN, wait, blueprint=blueprint, system=system)

    @strawberry.mutation(description="set the deploy mode: deploy, drain, undeploy or ready")
    async def change_deploy_mode(
        self, info: Info, serial: str, mode: DeployMode, wait: bool = False
    ) -> DeviceAction:
        require(info, Role.OPERATOR, "change a device's deploy mode")
        return await _event(info, serial, mode_event(mode), wait)

    @strawberry.mutation(description="unassign from its blueprint system: discovery 1 again")
    async def unassign(self, info: Info, serial: str, wait: bool = False) -> DeviceAction:
        require(info, Role.OPERATOR, "unassign a device")
        return await _event(info, serial, Event.UNASSIGN, wait)

    @strawberry.mutation(description="suppress an open config deviation; golden and intent stay")
    async def accept_changes(self, info: Info, serial: str) -> ManagedDevice:
        require(info, Role.OPERATOR, "accept config changes")
        await call(device_ops(info).accept_changes, serial)
        rows = await call(Devices(info.context.graph).find, None, [serial])
        return _device(rows[0])

    @strawberry.mutation(
        description="forget the device's pinned SSH host key (its key was changed on "
        "purpose): the next connection pins the key it is offered"
    )
    async def forget_host_key(self, info: Info, serial: str) -> ManagedDevice:
        by = require(info, Role.ADMIN, "forget a device's SSH host key")
        await call(Devices(info.context.graph).forget_host_key, serial, by)
        rows = await call(Devices(info.context.graph).find, None, [serial])
        return _device(rows[0])

    @strawberry.mutation(
        description="push the full intended config, overwriting out-of-band changes; "
        "refused unless confirm is true"
    )
    async def full_push(
        self, info: Info, serial: str, confirm: bool = False, wait: bool = False
    ) -> JSON:
        require(info, Role.ADMIN, "run a manual full push")
        result = await call(device_ops(info).full_push, serial, confirm=confirm, wait=wait)
        return cast(JSON, result)


@strawberry.type
class DeviceSubscription:
    @strawberry.subscription(description="deployment progress: started, succeeded, failed")
    async def deployment_progress(
        self, info: Info, serial: str | None = None, blueprint: str | None = None
    ) -> AsyncGenerator[JSON, None]:
        client = listening_client(info.context.settings.redis_url)
        pubsub = client.pubsub(ignore_subscribe_messages=True)
        await pubsub.subscribe(channel(EventKind.DEPLOYMENT))
        try:
            async for message in pubsub.listen():
                event = json.loads(message["data"])
                if serial and event.get("serial") != serial:
                    continue
                if blueprint and event.get("blueprint") != blueprint:
                    continue
                yield event
        finally:
            await pubsub.unsubscribe()
            await client.aclose()
