"""Device drivers: NAPALM, chosen by the driver name the device registered with.

Credentials come from the worker's environment (FG_DEVICE_USERNAME /
FG_DEVICE_PASSWORD), never from the graph, and never appear in logs or results.
"""

from __future__ import annotations

import os
from typing import Any

from blueprint_engine.devices.registry import Device
from blueprint_engine.errors import ServiceUnavailableError


def open_driver(device: Device) -> Any:
    """An opened NAPALM driver for ``device``; ServiceUnavailableError when unreachable."""
    # imported on first use: NAPALM loads every vendor driver it ships (netmiko, junos,
    # ncclient: ~45 MB per process), which processes that never open a device (the
    # Celery main process, a pool child that only renders) need not hold
    import napalm

    driver_class = napalm.get_network_driver(device.driver)
    driver = driver_class(
        hostname=device.driver_args.get("hostname", device.hostname),
        username=os.environ.get("FG_DEVICE_USERNAME", ""),
        password=os.environ.get("FG_DEVICE_PASSWORD", ""),
        optional_args={k: v for k, v in device.driver_args.items() if k != "hostname"},
    )
    try:
        driver.open()
    except Exception as exc:  # NAPALM drivers raise their own ConnectionException kinds
        raise ServiceUnavailableError(
            f"device {device.record.device_id} ({device.hostname}) is unreachable: {exc}",
            allowed="a running device agent (check the lab or the management network)",
        ) from exc
    return driver
