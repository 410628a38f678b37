"""Device drivers: NAPALM, chosen by the driver name the device registered with.

Credentials are resolved on the worker from the credential set the device's agent
names (``workers.credentials``), never from the graph, and never appear in logs,
results or errors (``scrub``). A device or agent whose ``recording`` option names a
NAPALM mock recording (``fixtures/napalm_recordings/<name>/``) is driven by NAPALM's
own ``mock`` driver over those recorded responses.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from blueprint_engine.devices.registry import Device, Devices
from blueprint_engine.errors import NotFoundError, ServiceUnavailableError
from workers.credentials import Credential, resolve, scrub

RECORDINGS = Path(__file__).resolve().parent.parent / "fixtures" / "napalm_recordings"
# options that are the agent's, not the driver's
AGENT_OPTIONS = ("timeout", "recording")


def recording_path(name: str) -> Path:
    path = RECORDINGS / name
    if not (path / "get_facts.1").is_file():
        known = sorted(p.name for p in RECORDINGS.iterdir() if p.is_dir())
        raise NotFoundError(f"no NAPALM recording named {name!r}", allowed=", ".join(known))
    return path


def build_driver(
    platform: str, address: str, options: dict[str, Any], credential: Credential
) -> Any:
    """An unopened NAPALM driver for ``platform`` (or the mock over a recording)."""
    # imported on first use: NAPALM loads every vendor driver it ships (netmiko, junos,
    # ncclient: ~45 MB per process), which processes that never open a device (the
    # Celery main process, a pool child that only renders) need not hold
    import napalm

    # the driver's own default unless the agent bounds it
    bound: dict[str, Any] = {"timeout": int(options["timeout"])} if "timeout" in options else {}
    if options.get("recording"):
        driver_class = napalm.get_network_driver("mock")
        optional: dict[str, Any] = {"path": str(recording_path(str(options["recording"])))}
    else:
        driver_class = napalm.get_network_driver(platform)
        optional = {k: v for k, v in options.items() if k not in AGENT_OPTIONS}
        if bound and platform in ("nxos_ssh", "junos"):
            optional["conn_timeout"] = bound["timeout"]  # netmiko / junos-eznc connection
        if credential.key_file:  # the option's name differs between NAPALM drivers
            optional["key_filename" if platform == "linuxfrr" else "key_file"] = credential.key_file
    return driver_class(
        hostname=address,
        username=credential.username,
        password=credential.password,
        optional_args=optional,
        **bound,
    )


def pinned_args(device: Device) -> dict[str, Any]:
    """The device's driver arguments with its SSH host key pinned: the key its agent
    names (``host_key`` option) or else the one recorded on first use."""
    args = dict(device.driver_args)
    if not args.get("host_key") and device.host_key:
        args["host_key"] = device.host_key
    return args


def first_host_key(driver: Any) -> str | None:
    """The SSH host key a driver trusted on first use (``linuxfrr`` over SSH), or None."""
    seen = getattr(driver, "host_key_seen", None)
    return seen if isinstance(seen, str) and seen else None


def open_driver(device: Device, devices: Devices | None = None) -> Any:
    """An opened NAPALM driver for ``device``; ServiceUnavailableError when unreachable.
    A host key trusted on first use is pinned on the device record through ``devices``."""
    credential = resolve(device.credential)
    args = pinned_args(device)
    address = str(args.pop("hostname", device.hostname))
    platform = str(args.pop("platform", device.driver))
    driver = build_driver(platform, address, args, credential)
    try:
        driver.open()
    except Exception as exc:  # NAPALM drivers raise their own ConnectionException kinds
        raise ServiceUnavailableError(
            f"device {device.record.device_id} ({device.hostname}) is unreachable: "
            + scrub(str(exc), credential.password),
            allowed="a running device agent (check the lab or the management network)",
        ) from None
    seen = first_host_key(driver)
    if seen is not None and devices is not None:
        devices.host_key_seen(device.record.device_id, seen)
    return driver
