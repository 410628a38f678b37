"""SIMULATION: one process answering the NAPALM getters of thousands of switches.

A TCP server on 127.0.0.1 (asyncio: one connection per open driver, like an SSH
session to a real switch). The protocol is one JSON object per line each way:

    {"op": "open", "switch": "<blueprint>/<system>"}   -> {"ok": {"hostname": ...}}
    {"op": "get", "getter": "get_facts", "args": {}}   -> {"ok": <the getter's result>}
    {"op": "load_replace", "config": "..."} | {"op": "compare"} | {"op": "commit"}
    | {"op": "discard"}                                -> {"ok": ...}
    anything refused                                   -> {"error": "what was wrong"}

Every request waits ``latency_ms`` +/- ``jitter_ms`` before its answer (``open_ms``
for ``open``), like a switch's CLI or API; the waits overlap (asyncio), so the
server itself costs little CPU. Answers are serialised once per switch and
getter. Pushed configs become the switch's running config (``get_config``);
nothing of it survives a restart.
"""

from __future__ import annotations

import asyncio
import difflib
import json
import random
import time
from dataclasses import dataclass, field
from typing import Any

from blueprint_engine.design.reader import read_cabling
from blueprint_engine.graph.db import Graph
from simulator.model import (
    GETTERS,
    Samples,
    counters_at,
    initial_running_config,
    simulated_switches,
)
from telemetry.collect_intent import read_intents

MAX_LINE = 16 * 1024 * 1024  # a pushed config fits; anything longer is refused


@dataclass(frozen=True)
class Latency:
    latency_ms: float = 30.0
    jitter_ms: float = 10.0
    open_ms: float = 50.0

    def call_s(self, rng: random.Random) -> float:
        return max(0.0, self.latency_ms + rng.uniform(-self.jitter_ms, self.jitter_ms)) / 1000

    def open_s(self, rng: random.Random) -> float:
        return max(0.0, self.open_ms + rng.uniform(-self.jitter_ms, self.jitter_ms)) / 1000


@dataclass
class SimSwitch:
    hostname: str
    getters: dict[str, Any]
    running: str
    candidate: str | None = None
    encoded: dict[str, bytes] = field(default_factory=dict)
    started: float = field(default_factory=time.monotonic)

    def answer(self, getter: str, args: dict[str, Any]) -> bytes:
        if getter == "get_config":
            retrieve = args.get("retrieve", "all")
            return _ok(
                {
                    "running": self.running if retrieve in ("all", "running") else "",
                    "startup": "",
                    "candidate": self.candidate or "",
                }
            )
        if getter == "get_route_to" and args.get("destination"):
            rib = self.getters[getter]
            wanted = str(args["destination"])
            return _ok({k: v for k, v in rib.items() if k == wanted or k.split("/")[0] == wanted})
        if getter == "get_interfaces_counters":  # counters grow with time
            elapsed = time.monotonic() - self.started
            return _ok(counters_at(self.getters[getter], elapsed))
        if getter not in self.encoded:
            self.encoded[getter] = _ok(self.getters[getter])
        return self.encoded[getter]


def _ok(value: Any) -> bytes:
    return json.dumps({"ok": value}, separators=(",", ":")).encode() + b"\n"


def _error(message: str) -> bytes:
    return json.dumps({"error": message}).encode() + b"\n"


def load_fabric(graph: Graph, blueprints: list[str], samples: Samples) -> dict[str, SimSwitch]:
    """``{"<blueprint>/<system>": SimSwitch}`` for every switch of ``blueprints``."""
    out: dict[str, SimSwitch] = {}
    for bp in blueprints:
        design = read_cabling(graph, bp)
        intents = read_intents(graph, bp, golden=False)
        for system, getters in simulated_switches(design, intents, samples).items():
            hostname = getters["get_facts"]["hostname"]
            out[f"{bp}/{system}"] = SimSwitch(hostname, getters, initial_running_config(hostname))
    return out


class Simulator:
    """The request handling of one connection; ``serve`` runs it for every connection."""

    def __init__(self, switches: dict[str, SimSwitch], latency: Latency, seed: int = 14) -> None:
        self.switches = switches
        self.latency = latency
        self.rng = random.Random(seed)
        self.calls = 0

    def handle(self, state: dict[str, SimSwitch], request: dict[str, Any]) -> bytes:
        op = request.get("op")
        if op == "open":
            switch = self.switches.get(str(request.get("switch")))
            if switch is None:
                return _error(
                    f"no simulated switch named {request.get('switch')!r} "
                    f"(this simulator serves {len(self.switches)} switches)"
                )
            state["switch"] = switch
            return _ok({"hostname": switch.hostname})
        switch_or_none = state.get("switch")
        if switch_or_none is None:
            return _error("not opened: send {'op': 'open', 'switch': '<blueprint>/<system>'}")
        sw = switch_or_none
        if op == "get":
            getter = str(request.get("getter"))
            if getter not in (*GETTERS, "get_config"):
                return _error(
                    f"unknown getter {getter!r} (allowed: {', '.join(GETTERS)}, get_config)"
                )
            return sw.answer(getter, dict(request.get("args") or {}))
        if op == "load_replace":
            sw.candidate = str(request.get("config", ""))
            return _ok(True)
        if op == "compare":
            if sw.candidate is None:
                return _ok("")
            diff = difflib.unified_diff(
                sw.running.splitlines(),
                sw.candidate.splitlines(),
                "running",
                "candidate",
                lineterm="",
            )
            return _ok("\n".join(diff))
        if op in ("commit", "discard"):
            if op == "commit" and sw.candidate is not None:
                sw.running = sw.candidate
            sw.candidate = None
            return _ok(True)
        return _error(
            f"unknown op {op!r} (allowed: open, get, load_replace, compare, commit, discard)"
        )

    async def connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        state: dict[str, SimSwitch] = {}
        try:
            while line := await reader.readline():
                try:
                    request = json.loads(line)
                    if not isinstance(request, dict):
                        raise ValueError("a request is a JSON object")
                except ValueError as exc:
                    writer.write(_error(f"malformed request: {exc}"))
                    await writer.drain()
                    continue
                opening = request.get("op") == "open"
                wait = self.latency.open_s(self.rng) if opening else self.latency.call_s(self.rng)
                await asyncio.sleep(wait)
                self.calls += 1
                try:
                    answer = self.handle(state, request)
                except (TypeError, ValueError, KeyError) as exc:
                    answer = _error(f"malformed request: {type(exc).__name__}: {exc}")
                writer.write(answer)
                await writer.drain()
        except (ConnectionError, asyncio.LimitOverrunError, ValueError):
            pass  # the driver went away or sent an over-long line: drop the connection
        finally:
            writer.close()


async def serve(sim: Simulator, host: str, port: int) -> None:
    server = await asyncio.start_server(sim.connection, host, port, limit=MAX_LINE, backlog=4096)
    print(
        f"fgsim: SIMULATION of {len(sim.switches)} switches on {host}:{port} "
        f"(latency {sim.latency.latency_ms} +/- {sim.latency.jitter_ms} ms, "
        f"open {sim.latency.open_ms} ms)",
        flush=True,
    )
    async with server:
        await server.serve_forever()
