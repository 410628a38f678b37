"""The background pools that ``deploy/services.sh`` starts (``make worker``) run at a
lower CPU priority than the API, so that their collection rounds never make a liveness
probe wait for a core (B12): niceness ``FG_BACKGROUND_NICE``, default 10."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[3]
STATE = Path(os.environ.get("FG_STATE_DIR", ROOT / ".state"))


def _niceness(service: str) -> int:
    pid = int((STATE / f"{service}.pid").read_text())
    return os.getpriority(os.PRIO_PROCESS, pid) - os.getpriority(os.PRIO_PROCESS, 0)


@pytest.mark.parametrize("service", ["worker", "beat"])
def test_the_pool_runs_below_the_api_priority(service: str) -> None:
    if not (STATE / f"{service}.pid").exists():
        pytest.skip(f"no {service} started by deploy/services.sh here (make worker)")
    assert _niceness(service) == int(os.environ.get("FG_BACKGROUND_NICE", "10"))
