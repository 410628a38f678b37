"""The lab's record of everything it created (``lab.json`` in the state directory)."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from typing import Any

from napalm_linuxfrr.layout import DEFAULT_LAB_STATE_DIR

STATE_FILE = "lab.json"


@dataclass
class LabState:
    """Namespaces, veths, pids, current cabling and active faults of the running lab.

    ``pids`` is informative (taken after start-up); teardown kills every process found in
    the lab's namespaces, so daemons restarted later are never missed.
    """

    name: str
    topology: dict[str, Any]
    namespaces: list[str] = field(default_factory=list)
    veths: list[str] = field(default_factory=list)
    pids: dict[str, list[int]] = field(default_factory=dict)
    faults: list[dict[str, Any]] = field(default_factory=list)
    cabling: list[list[str | None]] = field(default_factory=list)
    veth_index: int = 0
    state_dir: str = DEFAULT_LAB_STATE_DIR


def state_path(state_dir: str = DEFAULT_LAB_STATE_DIR) -> str:
    return os.path.join(state_dir, STATE_FILE)


def load_state(state_dir: str) -> LabState | None:
    try:
        with open(state_path(state_dir), encoding="utf-8") as fh:
            data = json.load(fh)
    except (FileNotFoundError, json.JSONDecodeError):
        return None
    return LabState(**data)


def save_state(state_dir: str, state: LabState) -> None:
    os.makedirs(state_dir, mode=0o755, exist_ok=True)
    tmp = state_path(state_dir) + ".tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(asdict(state), fh, indent=1, sort_keys=True)
    os.replace(tmp, state_path(state_dir))
