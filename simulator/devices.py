"""SIMULATION: simulated devices in the graph, one per switch of a blueprint.

Each is registered with driver ``fgsim`` (reached through the simulator's TCP
port) and moved through acknowledge, assign and deploy by lifecycle events
only: nothing is pushed, so the graph holds no golden config for them.
"""

from __future__ import annotations

from blueprint_engine.blueprints import Blueprints
from blueprint_engine.design.model import Role
from blueprint_engine.design.reader import read_cabling
from blueprint_engine.devices.lifecycle import DeployMode, Event
from blueprint_engine.devices.registry import Devices
from blueprint_engine.graph.db import Graph, Query

FORGET = Query(
    "simulator.forget",
    """
    MATCH (d:Device) WHERE d.serial STARTS WITH $prefix
    OPTIONAL MATCH (d)-[:HAS_CONFIG|HAS_DEPLOYMENT|HAD_EVENT]->(x)
    DETACH DELETE x, d
    RETURN count(DISTINCT d) AS n
    """,
)


def serial_prefix(bp: str) -> str:
    return f"SIM-{bp}-"


def register_devices(graph: Graph, bp: str, host: str, port: int, queue: str | None) -> list[str]:
    """A deployed simulated device for every switch of ``bp`` (kept when already there)."""
    blueprints = Blueprints(graph)
    devices = Devices(graph)
    serials: list[str] = []
    for s in read_cabling(graph, bp).systems:
        if s.role == Role.SERVER:
            continue
        serial = serial_prefix(bp) + s.id
        profile = str(s.device_profile)
        nos = str(blueprints.device_profile(profile).nos)
        args = {"hostname": host, "port": port, "switch": f"{bp}/{s.id}"}
        devices.register(
            serial,
            hostname=s.hostname,
            profile=profile,
            nos=nos,
            driver="fgsim",
            driver_args=args,
            pristine="",
            worker_queue=queue,
        )
        if devices.get(serial).record.deploy_mode is not DeployMode.DEPLOY:
            for event in (Event.ACKNOWLEDGE, Event.ASSIGN, Event.DEPLOY):
                devices.event(serial, event, blueprint=bp, system=s.id)
        serials.append(serial)
    return serials


def forget_devices(graph: Graph, bp: str) -> int:
    return int(graph.write(FORGET, prefix=serial_prefix(bp))[0]["n"])
