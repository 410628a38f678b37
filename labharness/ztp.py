"""Bring the lab up through zero-touch provisioning (the tour, the lab tests, B8).

The switches boot factory-default on the management network, get an address and the
ZTP script's URL by DHCP, run the script and call home; the API creates each one's
off-box agent and a worker registers it quarantined. ``ApiServer`` serves the real
application in a thread of this process for callers that have no API running.
"""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

import uvicorn

from blueprint_engine.blueprints import Blueprints
from blueprint_engine.design.reader import blueprint_lab_topology
from blueprint_engine.errors import ServiceUnavailableError
from labharness import rollout

START_S = 20.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ApiServer:
    """The real application under uvicorn on loopback, in a thread of this process."""

    def __init__(self, port: int | None = None) -> None:
        from api.app import create_app

        self.port = port or free_port()
        config = uvicorn.Config(create_app(), host="127.0.0.1", port=self.port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> ApiServer:
        self.thread.start()
        deadline = time.monotonic() + START_S
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise ServiceUnavailableError(
                    f"the API did not start on port {self.port} within {START_S:.0f} s",
                    allowed="a free port and running services",
                )
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def up_by_ztp(blueprints: Blueprints, lab: Any, bp: str, api_port: int) -> dict[str, float]:
    """Lab up with its management network, then wait until every switch has provisioned
    itself and been registered: {"lab_up_s", "ztp_s"} (ZTP: from the last DHCP client's
    start to the last switch registered)."""
    started = time.monotonic()
    lab.up(blueprint_lab_topology(blueprints.graph, bp), ztp_api_port=api_port)
    lab_up = time.monotonic() - started
    ztp = rollout.wait_ztp(blueprints, bp)
    return {"lab_up_s": lab_up, "ztp_s": ztp}
