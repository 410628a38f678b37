"""B12: soak. 30 concurrent clients for 5 minutes against the API over HTTP, on a
`medium` blueprint, while the lab is deployed and collected (targets: 0 errors,
`/health/live` p99 <= 50 ms, `/health` never above 1 s).

Each client loops over a weighted mix of operations, one request at a time:

* ``nested``: GraphQL, leafs of the blueprint with their interfaces and links;
* ``impact``: GraphQL, the impact of a random transceiver;
* ``health``: ``GET /health`` (readiness: Neo4j, Redis, workers);
* ``live``: ``GET /health/live`` (liveness: touches no dependency);
* ``stage``: GraphQL ``setProperty`` of a leaf's hostname on the staged version just
  read (operator token). Two clients staging on one version is the documented conflict
  naming the current version (``current_version``): counted as ``conflicts`` and retried
  on that version, not an error; so is ``busy`` (the edit waited too long behind the
  blueprint's others), counted as ``busy``. A client retries its edit until it is
  staged, as an operator would; an edit not staged within the request timeout (60 s) is
  an error. ``stage`` times the whole edit, ``stage_try`` each ``setProperty`` request
  (staged or refused). Every 25 staged versions the staged log is discarded.

The targets for ``/health/live`` and ``/health`` are read by ``bench.b12_probe``, a
process of its own probing one request at a time (as an orchestrator does; ``live``
and ``health`` in ``B12.json``, the value is the probed ``/health/live`` p99); the
clients' own ``live`` and ``health`` requests are part of the load, and their figures
(``operations``) include the lag of the soak's event loop (``client_loop_lag``: 30
clients parse their answers on one loop). The API's own loop lag is ``api_loop_lag``.

Meanwhile the ``lab`` blueprint is deployed into the lab (the machine's lab lock) and
the workers collect it every 2 s (Celery beat), so the graph takes telemetry writes
throughout. An error is any failed request: a transport error or timeout, an HTTP
status other than 200 (503 from ``/health`` included), or a GraphQL error other than
the staging conflict. ``errors`` is their total; the first ones are kept as samples.

``FG_B12_DURATION_S`` (default 300) and ``FG_B12_CLIENTS`` (default 30) shorten a
trial run; ``FG_B12_LAB=0`` leaves the lab out (a trial, not the benchmark). The API
is the one this checkout's settings name; when nothing answers
there the benchmark starts it with ``deploy/services.sh start api`` (and stops it
afterwards).
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import time
import uuid
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench.b7_lab_fault import exclusive_lab
from bench.common import engine, write_result
from blueprint_engine.blueprints import Blueprints
from blueprint_engine.design.reader import blueprint_lab_topology
from blueprint_engine.graph.db import Query
from labharness import rollout

ROOT = Path(__file__).resolve().parents[1]
DURATION_S = float(os.environ.get("FG_B12_DURATION_S", "300"))
CLIENTS = int(os.environ.get("FG_B12_CLIENTS", "30"))
WITH_LAB = os.environ.get("FG_B12_LAB", "1") != "0"  # 0: no lab (a quick trial only)
TIMEOUT_S = 60.0  # a request slower than this counts as failed
WEIGHTS = {"nested": 3, "impact": 3, "health": 1, "live": 2, "stage": 1}
DISCARD_EVERY = 25
OPERATOR = {"Authorization": "Bearer dev-operator"}
ERROR_SAMPLES = 20
LAG_TICK_S = 0.01

NESTED = """query($bp: String!) { blueprint(name: $bp) { leafs
  systems(role: "leaf", limit: 16) { id asn loopback
    interfaces { name ipv4 link { id subnet } } } } }"""
IMPACT = """query($bp: String!, $id: String!) {
  impact(blueprint: $bp, kind: TRANSCEIVER, id: $id) {
    links { id effect } bgpSessions { id effect } systems { id effect }
    serversLosingRedundancy { id } serversLosingConnectivity { id } } }"""
VERSION = "query($bp: String!) { blueprint(name: $bp) { stagedVersion } }"
STAGE = """mutation($bp: String!, $v: Int!, $id: String!, $name: JSON!) {
  setProperty(blueprint: $bp, baseVersion: $v, kind: "System", id: $id, key: "hostname",
              value: $name) { stagedVersion } }"""
DISCARD = """mutation($bp: String!, $v: Int!) { discardStaged(blueprint: $bp, baseVersion: $v) }"""
ELEMENTS = Query(
    "bench.b12.elements",
    """
    MATCH (x:Transceiver {blueprint: $bp}) WITH collect(x.id) AS transceivers
    MATCH (s:System {blueprint: $bp, role: 'leaf'})
    RETURN transceivers, collect(s.id) AS leafs
    """,
)


@dataclass
class Tally:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    samples: list[str] = field(default_factory=list)
    conflicts: int = 0
    busy: int = 0

    def error(self, op: str, what: str) -> None:
        self.errors[op] += 1
        if len(self.samples) < ERROR_SAMPLES:
            self.samples.append(f"{op}: {what[:300]}")


@dataclass(frozen=True)
class Target:
    base: str
    bp: str
    transceivers: list[str]
    leafs: list[str]


def _refusal(body: dict[str, Any]) -> str | None:
    """The code of the only error when it is a documented staging refusal to retry: the
    conflict (a stale base version) or busy (other edits kept this one waiting too long)."""
    errors = body.get("errors") or []
    code = (errors[0].get("extensions") or {}).get("code") if len(errors) == 1 else None
    return code if code in ("conflict", "busy") else None


def _conflict(body: dict[str, Any]) -> bool:
    return _refusal(body) == "conflict"


async def _version(http: httpx.AsyncClient, t: Target) -> int:
    body = await _graphql(http, t, VERSION, {"bp": t.bp})
    return int(body["data"]["blueprint"]["stagedVersion"])


async def _graphql(
    http: httpx.AsyncClient, t: Target, query: str, variables: dict[str, Any], **kw: Any
) -> dict[str, Any]:
    response = await http.post(
        f"{t.base}/graphql", json={"query": query, "variables": variables}, **kw
    )
    if response.status_code != 200:
        raise RuntimeError(f"HTTP {response.status_code}: {response.text[:200]}")
    body: dict[str, Any] = response.json()
    return body


async def _stage(http: httpx.AsyncClient, t: Target, rng: random.Random, tally: Tally) -> None:
    """One staged edit, retried as a refusal says (re-read the version, try again) until
    it is staged; an edit not staged within ``TIMEOUT_S`` is an error."""
    leaf = rng.choice(t.leafs)
    deadline = time.monotonic() + TIMEOUT_S
    version: int | None = None  # a conflict names the version to retry on
    while True:
        variables = {
            "bp": t.bp,
            "v": await _version(http, t) if version is None else version,
            "id": leaf,
            "name": f"{leaf}-b{rng.randrange(1000)}",
        }
        started = time.perf_counter()
        body = await _graphql(http, t, STAGE, variables, headers=OPERATOR)
        tally.latencies["stage_try"].append(time.perf_counter() - started)
        refusal = _refusal(body)
        if refusal is None:
            break
        if refusal == "busy":
            tally.busy += 1
            version = None
        else:
            tally.conflicts += 1
            version = (body["errors"][0].get("extensions") or {}).get("current_version")
        if time.monotonic() > deadline:
            raise RuntimeError(f"edit not staged within {TIMEOUT_S:g} s: {body['errors']}")
    if "errors" in body:
        raise RuntimeError(f"GraphQL: {body['errors']}")
    staged = int(body["data"]["setProperty"]["stagedVersion"])
    if staged % DISCARD_EVERY == 0:
        done = await _graphql(http, t, DISCARD, {"bp": t.bp, "v": staged}, headers=OPERATOR)
        if "errors" in done and not _conflict(done):
            raise RuntimeError(f"discard: {done['errors']}")


async def _one(
    http: httpx.AsyncClient, t: Target, op: str, rng: random.Random, tally: Tally
) -> None:
    if op == "nested":
        body = await _graphql(http, t, NESTED, {"bp": t.bp})
    elif op == "impact":
        body = await _graphql(http, t, IMPACT, {"bp": t.bp, "id": rng.choice(t.transceivers)})
    elif op in ("health", "live"):
        response = await http.get(f"{t.base}/health" + ("/live" if op == "live" else ""))
        if response.status_code != 200:
            raise RuntimeError(f"HTTP {response.status_code}: {response.text[:200]}")
        return
    else:
        await _stage(http, t, rng, tally)
        return
    if "errors" in body:
        raise RuntimeError(f"GraphQL: {body['errors']}")


async def _client(n: int, http: httpx.AsyncClient, t: Target, until: float, tally: Tally) -> None:
    rng = random.Random(n)
    ops, weights = list(WEIGHTS), list(WEIGHTS.values())
    async with http:
        while time.monotonic() < until:
            op = rng.choices(ops, weights)[0]
            started = time.perf_counter()
            try:
                await _one(http, t, op, rng, tally)
            except (httpx.HTTPError, RuntimeError, KeyError, TypeError, ValueError) as exc:
                tally.error(op, f"{type(exc).__name__}: {exc}")
            tally.latencies[op].append(time.perf_counter() - started)


def _pct(ordered: list[float], q: float) -> float:
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def figures(samples: list[float], seconds: float) -> dict[str, float]:
    ms = sorted(s * 1000 for s in samples)
    if not ms:
        return {"n": 0}
    return {
        "n": len(ms),
        "per_s": round(len(ms) / seconds, 1),
        "p50_ms": round(statistics.median(ms), 1),
        "p95_ms": round(_pct(ms, 0.95), 1),
        "p99_ms": round(_pct(ms, 0.99), 1),
        "max_ms": round(ms[-1], 1),
    }


def server_loop_lag(http: httpx.Client, base: str) -> dict[str, float]:
    """The API's own event-loop lag since it started, from its ``/metrics``: the worst,
    and the share of 50 ms ticks that woke more than 10 / 50 ms late."""
    text = http.get(f"{base}/metrics").text
    values = {
        name: float(value)
        for line in text.splitlines()
        if line.startswith("fabricgraph_event_loop_lag")
        for name, _, value in [line.rpartition(" ")]
    }
    total = values.get('fabricgraph_event_loop_lag_seconds_bucket{le="+Inf"}', 0.0) or 1.0

    def over(bound: str) -> float:
        at_most = values.get(f'fabricgraph_event_loop_lag_seconds_bucket{{le="{bound}"}}', 0.0)
        return round(100 * (1 - at_most / total), 2)

    return {
        "max_ms": round(1000 * values.get("fabricgraph_event_loop_lag_max_seconds", -1), 1),
        "ticks": total,
        "over_10ms_pct": over("0.01"),
        "over_50ms_pct": over("0.05"),
    }


def _answers(base: str) -> bool:
    try:
        return httpx.get(f"{base}/health", timeout=5).status_code in (200, 503)
    except httpx.HTTPError:
        return False


@contextmanager
def api_running(base: str) -> Iterator[None]:
    """This checkout's API, started (and afterwards stopped) when nothing answers."""
    if _answers(base):
        yield
        return
    services = str(ROOT / "deploy" / "services.sh")
    subprocess.run([services, "start", "api"], check=True, timeout=120)
    try:
        yield
    finally:
        subprocess.run([services, "stop", "api"], check=False, timeout=60)


@contextmanager
def probing(base: str) -> Iterator[dict[str, Any]]:
    """``bench.b12_probe`` in a process of its own for the soak's duration; its figures
    (``live``, ``health``, ``failed``) fill the dict yielded once the block ends."""
    prober = subprocess.Popen(
        [sys.executable, "-m", "bench.b12_probe", base, str(DURATION_S)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
    )
    probed: dict[str, Any] = {}
    try:
        yield probed
    finally:
        out, _ = prober.communicate(timeout=TIMEOUT_S + 30)
        probed.update(json.loads(out or b"{}"))


@contextmanager
def lab_collected(bps: Blueprints) -> Iterator[str | None]:
    """The ``lab`` blueprint deployed into the lab; the workers collect it meanwhile."""
    if not WITH_LAB:
        yield None
        return
    with exclusive_lab() as lab:
        bp = f"b12-lab-{uuid.uuid4().hex[:6]}"
        bps.create(bp, "lab")
        rollout.forget_lab_devices(bps.graph)
        try:
            lab.up(blueprint_lab_topology(bps.graph, bp))
            rollout.register_lab_agents(bps, lab, bp)
            rollout.deploy_all(bps, bp, report=lambda _: None)
            rollout.wait_bgp(bps, bp, expected=16, timeout=120)
            yield bp
        finally:
            lab.down()
            rollout.forget_lab_devices(bps.graph)
            bps.delete(bp)


def _medium(bps: Blueprints) -> str:
    name = "bench-b12-medium"  # its own: the soak stages edits on it
    if name not in bps.names():
        print(f"building {name} ...", flush=True)
        bps.create(name, "medium")
    return name


async def _loop_lag(until: float, tally: Tally) -> None:
    """The soak's own event-loop lag (``client_loop_lag``): how late a 10 ms sleep wakes.
    The clients share one loop in this process, so a latency figure includes this lag;
    the API's own lag is ``fabricgraph_event_loop_lag_seconds`` in its ``/metrics``."""
    while time.monotonic() < until:
        asked = time.perf_counter()
        await asyncio.sleep(LAG_TICK_S)
        tally.latencies["client_loop_lag"].append(time.perf_counter() - asked - LAG_TICK_S)


async def _soak(t: Target) -> tuple[Tally, float]:
    tally = Tally()
    # the clients are made before the clock starts: each builds a TLS context (its CA
    # bundle parsed on this loop), 30 of them a stall of seconds on a loaded machine
    # that would be counted as the first requests' latency
    clients = [httpx.AsyncClient(timeout=TIMEOUT_S) for _ in range(CLIENTS)]
    started = time.monotonic()
    until = started + DURATION_S
    await asyncio.gather(
        _loop_lag(until, tally),
        *(_client(n, http, t, until, tally) for n, http in enumerate(clients)),
    )
    return tally, time.monotonic() - started


def run() -> None:
    bps = engine()
    settings = bps.graph.settings
    base = f"http://{settings.api_host}:{settings.api_port}"
    bp = _medium(bps)
    row = bps.graph.read(ELEMENTS, bp=bp)[0]
    target = Target(base, bp, sorted(row["transceivers"]), sorted(row["leafs"]))
    with api_running(base), lab_collected(bps) as lab_bp:
        print(f"soak: {CLIENTS} clients for {DURATION_S:.0f} s on {bp}; lab {lab_bp} collected")
        load_before = os.getloadavg()
        with probing(base) as probed:
            tally, seconds = asyncio.run(_soak(target))
        load_after = os.getloadavg()
        with httpx.Client(timeout=TIMEOUT_S) as http:  # leave the staged log empty
            version = http.post(
                f"{base}/graphql", json={"query": VERSION, "variables": {"bp": bp}}
            ).json()["data"]["blueprint"]
            http.post(
                f"{base}/graphql",
                headers=OPERATOR,
                json={"query": DISCARD, "variables": {"bp": bp, "v": version["stagedVersion"]}},
            )
            server_lag = server_loop_lag(http, base)
    per_op = {op: figures(tally.latencies[op], seconds) for op in [*WEIGHTS, "stage_try"]}
    client_lag = figures(tally.latencies["client_loop_lag"], seconds)
    total = sum(len(tally.latencies[op]) for op in WEIGHTS)
    for failed in probed.get("failed", []):
        tally.error("probe", failed)
    errors = sum(tally.errors.values())
    live, health = figures(probed["live"], seconds), figures(probed["health"], seconds)
    print(
        f"{total} requests in {seconds:.0f} s ({total / seconds:.1f}/s), {errors} errors, "
        f"{tally.conflicts} staging conflicts; probed: /health/live p99 {live.get('p99_ms')} "
        f"ms, /health max {health.get('max_ms')} ms; in the soak's mix: /health/live p99 "
        f"{per_op['live'].get('p99_ms')} ms, /health max {per_op['health'].get('max_ms')} "
        f"ms; the soak's own loop lag p99 "
        f"{client_lag.get('p99_ms')} ms; the API's loop lag {server_lag}"
    )
    write_result(
        "B12",
        live.get("p99_ms", -1.0),
        "ms",
        "0 errors, /health/live p99 <= 50 ms, /health never above 1 s",
        bp,
        errors=errors,
        errors_by_operation=dict(tally.errors),
        error_samples=tally.samples,
        requests=total,
        throughput_per_s=round(total / seconds, 1),
        seconds=round(seconds, 1),
        clients=CLIENTS,
        staging_conflicts=tally.conflicts,
        staging_busy=tally.busy,
        operations=per_op,
        health_live=live,
        health_max_ms=health.get("max_ms"),
        probe_health=health,
        mix_health_live_p99_ms=per_op["live"].get("p99_ms"),
        mix_health_max_ms=per_op["health"].get("max_ms"),
        client_loop_lag=client_lag,
        api_loop_lag=server_lag,
        lab_blueprint_collected=lab_bp,
        load_average_before=[round(x, 2) for x in load_before],
        load_average_after=[round(x, 2) for x in load_after],
        cpu_count=os.cpu_count(),
    )
