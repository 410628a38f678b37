"""Simulated transceivers: the one simulated part of the lab (veth has no optics).

Every switch port gets a 4-lane "100GBASE-SR4" module with plausible DOM readings,
stored as JSON in the switch's state directory, where the NAPALM driver's
``get_optics()`` reads it. ``transceiver_fail`` drives the receive power far out of
range. Values are derived from the port's name, so they are stable across runs.
Pure functions only.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

MODULE_TYPE = "100GBASE-SR4"
VENDOR = "FABRICLAB"
LANES = 4
RX_POWER_RANGE_DBM = (-10.0, 2.4)
TX_POWER_RANGE_DBM = (-8.4, 2.4)
FAILED_RX_POWER_DBM = -40.0


def _unit(seed: str) -> float:
    """A stable number in [0, 1) derived from ``seed``."""
    return int(hashlib.sha256(seed.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF


def healthy_transceiver(node: str, port: str) -> dict[str, Any]:
    serial = hashlib.sha256(f"{node}:{port}".encode()).hexdigest()[:10].upper()
    lanes = []
    for lane in range(LANES):
        seed = f"{node}:{port}:{lane}"
        lanes.append(
            {
                "index": lane,
                "rx_power_dbm": round(-3.0 + 2.0 * _unit(seed + ":rx"), 2),
                "tx_power_dbm": round(-1.5 + 1.5 * _unit(seed + ":tx"), 2),
                "laser_bias_ma": round(6.0 + 2.0 * _unit(seed + ":bias"), 2),
            }
        )
    return {
        "simulated": True,
        "type": MODULE_TYPE,
        "vendor": VENDOR,
        "part_number": "FL-QSFP28-SR4",
        "serial": f"FL{serial}",
        "rx_power_range_dbm": list(RX_POWER_RANGE_DBM),
        "tx_power_range_dbm": list(TX_POWER_RANGE_DBM),
        "failed": False,
        "lanes": lanes,
    }


def switch_transceivers(node: str, ports: Iterable[str]) -> dict[str, dict[str, Any]]:
    return {port: healthy_transceiver(node, port) for port in ports}


def failed_transceiver(module: dict[str, Any]) -> dict[str, Any]:
    """The same module with a dead receiver: rx power far below the range."""
    lanes = [{**lane, "rx_power_dbm": FAILED_RX_POWER_DBM} for lane in module["lanes"]]
    return {**module, "failed": True, "lanes": lanes}
