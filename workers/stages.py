"""The config text of one lifecycle stage for one managed device (pure rendering inputs
read from the graph: the device's pristine config, its profile, its blueprint system)."""

from __future__ import annotations

from blueprint_engine.blueprints import Blueprints
from blueprint_engine.configs.contexts import FABRIC_MTU as FABRIC_MTU_DEFAULT
from blueprint_engine.configs.rendering import render
from blueprint_engine.devices.registry import Device, Devices
from blueprint_engine.errors import TransitionError
from renderers.context import DeviceContext, InterfaceContext, Stage


def discovery1_context(device: Device, blueprints: Blueprints, pristine: str) -> DeviceContext:
    """An acknowledged device not yet in a blueprint: every profile port, its own name."""
    profile = blueprints.device_profile(device.record.device_profile)
    interfaces = [
        InterfaceContext(
            name=p.name,
            speed_mbps=p.speed_mbps,
            role="unused",
            description="",
            ipv4=None,
            peer_system=None,
            peer_interface=None,
            vlans=[],
            profile_speed_mbps=p.speed_mbps,
        )
        for p in profile.physical_ports
    ]
    return DeviceContext(
        hostname=device.hostname,
        nos=device.nos,
        role="leaf",
        pristine=pristine,
        interfaces=interfaces,
        fabric_mtu=FABRIC_MTU_DEFAULT,
    )


def config_for(device: Device, stage: Stage, blueprints: Blueprints, devices: Devices) -> str:
    """Render ``stage`` for ``device`` (discovery1 from its profile, later stages from
    its blueprint system's context, which carries its pristine config)."""
    if stage is Stage.DISCOVERY1:
        pristine = devices.configs(device.record.device_id).get("pristine", "")
        return render(discovery1_context(device, blueprints, pristine), stage)
    system, bp = device.record.system_id, device.blueprint
    if system is None or bp is None:
        raise TransitionError(
            f"device {device.record.device_id} is not assigned to a blueprint system, so "
            f"it has no {stage} config",
            allowed="assign it to a system first",
        )
    context = blueprints.configs.contexts(bp, [system])[system]
    return render(context, stage)
