"""`GET /metrics`: Prometheus text computed at scrape time from the graph and the broker.

A custom collector runs the aggregate statements of ``api.fabric_metrics``
in one read transaction, reads queue depths from Redis, and adds counters of the
events seen on the Redis channels since the API started (telemetry ingest rate).
Its own cost is exported as ``fabricgraph_scrape_seconds{part}``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field

import redis
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from api import fabric_metrics
from api.clients import listening_client
from api.loop_lag import LoopLag
from blueprint_engine.devices.worker_pools import WorkerPools
from blueprint_engine.errors import FabricError
from blueprint_engine.events import CHANNEL_PREFIX
from blueprint_engine.graph.db import Graph
from blueprint_engine.settings import Settings

PREFIX = "fabricgraph_"
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# zero-filled series follow telemetry's enums (one home per vocabulary)
VOCABULARY = fabric_metrics.Vocabulary(
    anomaly_types=fabric_metrics.ANOMALY_TYPES, root_cause_kinds=fabric_metrics.ROOT_CAUSE_KINDS
)
HELP = {
    "blueprints": "Blueprints in the graph",
    "systems": "Intent systems by blueprint, role and deploy mode",
    "devices": "Managed devices by lifecycle state, deploy mode and agent liveness",
    "device_info": "NOS inventory per device (1): vendor, model, OS version as reported, "
    "device profile, and whether the profile's OS version range allows it",
    "agents": "Off-box agents by status and reason of their last connection",
    "anomalies": "Anomalies by type and state (raised, cleared)",
    "anomalies_active": "Raised anomalies that are neither expected (drain) nor suppressed",
    "root_causes": "Root causes by kind and state (open, cleared)",
    "bgp_sessions": "BGP sessions by observed state (up, down, unknown = not observed)",
    "links": "Links by role and observed state (up, down, unknown = not observed)",
    "observations": "Telemetry observations held in the graph, by kind",
    "observation_age_seconds": "Seconds since the newest observation of each kind",
    # per-element series: blueprints of up to ELEMENT_SERIES_MAX_SWITCHES switches only
    "device_reachable": "1 when the device's last observation says it is reachable",
    "interface_up": "1 when the interface's last observation says it is operationally up",
    "bgp_session_up": "1 when the device's last observation of the session says established",
    "optics_rx_power_dbm": "Last observed receive power of a transceiver",
    "device_anomalies": "Raised anomalies per system and type",
    "link_up": "Per observed link: 0 when an anomaly puts it down, 1 otherwise",
    "link_throughput_bps": "Per link end: bits per second received (rx) and sent (tx)",
}


@dataclass
class EventCounts:
    """Events seen on the Redis channels since this process started."""

    by_kind: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    observations: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    listening: bool = False

    def record(self, kind: str, payload: dict[str, object]) -> None:
        self.by_kind[kind] += 1
        if kind == "telemetry":
            # one event per ingested batch: {"observations": <batch size>, ...}
            count = payload.get("observations")
            if isinstance(count, list):
                count = len(count)
            if not isinstance(count, int):
                count = 1
            self.observations[str(payload.get("blueprint") or "")] += count


async def listen_events(settings: Settings, counts: EventCounts) -> None:
    """Count every `fabricgraph.events.*` message until cancelled (reconnects on errors)."""
    while True:
        client = listening_client(settings.redis_url)
        try:
            async with client.pubsub() as pubsub:
                await pubsub.psubscribe(CHANNEL_PREFIX + "*")
                counts.listening = True
                async for message in pubsub.listen():
                    if message.get("type") != "pmessage":
                        continue
                    kind = message["channel"].decode().removeprefix(CHANNEL_PREFIX)
                    try:
                        payload = json.loads(message["data"])
                    except ValueError:
                        payload = {}
                    counts.record(kind, payload if isinstance(payload, dict) else {})
        except (redis.RedisError, OSError):
            counts.listening = False
            await asyncio.sleep(2)
        finally:
            counts.listening = False
            with contextlib.suppress(redis.RedisError, OSError):
                await client.aclose()


def queue_depths(client: redis.Redis) -> tuple[dict[str, int], int]:
    """{queue: messages waiting} for every queue bound on the broker, and unacked tasks."""
    queues: set[str] = set()
    for key in client.scan_iter(match="_kombu.binding.*", count=1000):
        exchange = key.decode().removeprefix("_kombu.binding.")
        if exchange.endswith("pidbox") or exchange == "celeryev":
            continue
        for member in client.smembers(key):
            text = member.decode() if isinstance(member, bytes) else str(member)
            queues.add(text.split("\x06\x16")[-1])
    pipe = client.pipeline()
    for name in sorted(queues):
        pipe.llen(name)
    pipe.hlen("unacked")
    values = pipe.execute()
    return dict(zip(sorted(queues), values[:-1], strict=True)), int(values[-1])


class FabricCollector(Collector):
    """Computes every metric at scrape time; nothing is cached between scrapes."""

    def __init__(self, graph: Graph, settings: Settings, events: EventCounts, lag: LoopLag) -> None:
        self.graph, self.settings, self.events, self.lag = graph, settings, events, lag

    def collect(self) -> Iterator[Metric]:
        timings: dict[str, float] = {}
        started = time.perf_counter()
        try:
            facts = fabric_metrics.read_graph_facts(self.graph, time.time(), VOCABULARY)
            graph_up = 1.0
        except FabricError:
            facts, graph_up = fabric_metrics.GraphFacts(), 0.0
        timings["graph"] = time.perf_counter() - started
        yield from self._graph_metrics(facts)
        yield from self._pool_metrics()
        up = GaugeMetricFamily(PREFIX + "graph_up", "1 when the graph answered this scrape")
        up.add_metric([], graph_up)
        yield up
        started = time.perf_counter()
        yield from self._broker_metrics()
        timings["broker"] = time.perf_counter() - started
        yield from self._event_metrics()
        yield from self._loop_metrics()
        cost = GaugeMetricFamily(
            PREFIX + "scrape_seconds", "Time this scrape spent per source", labels=["part"]
        )
        for part, seconds in timings.items():
            cost.add_metric([part], seconds)
        yield cost

    def _graph_metrics(self, facts: fabric_metrics.GraphFacts) -> Iterator[Metric]:
        families: dict[str, GaugeMetricFamily] = {}
        for sample in facts.samples:
            family = families.get(sample.name)
            if family is None:
                family = GaugeMetricFamily(
                    PREFIX + sample.name,
                    HELP.get(sample.name, sample.name),
                    labels=list(sample.labels),
                )
                families[sample.name] = family
            family.add_metric(list(sample.labels.values()), float(sample.value))
        yield from families.values()
        hist = HistogramMetricFamily(
            PREFIX + "deployment_duration_seconds",
            "Duration of device deployments (config pushes) recorded in the graph",
            labels=["stage", "status"],
        )
        for h in facts.histograms:
            hist.add_metric(list(h.labels.values()), h.buckets, h.sum)
        yield hist

    def _pool_metrics(self) -> Iterator[Metric]:
        """Worker pools as the last pool check recorded them (no broadcast per scrape)."""
        labels = ["pool", "queue"]
        devices = GaugeMetricFamily(
            PREFIX + "worker_pool_devices", "Devices placed on each worker pool", labels=labels
        )
        capacity = GaugeMetricFamily(
            PREFIX + "worker_pool_capacity", "Devices each worker pool takes", labels=labels
        )
        workers = GaugeMetricFamily(
            PREFIX + "worker_pool_workers",
            "Workers of each pool that answered the last pool check",
            labels=labels,
        )
        up = GaugeMetricFamily(
            PREFIX + "worker_pool_up",
            "1 when a worker of the pool answered the last pool check",
            labels=labels,
        )
        try:
            listed = WorkerPools(self.graph).listing()
        except FabricError:
            listed = []
        for p in listed:
            key = [p["name"], p["queue"]]
            devices.add_metric(key, len(p["devices"]))
            capacity.add_metric(key, p["capacity"])
            workers.add_metric(key, len(p["workers"] or []))
            up.add_metric(key, 1.0 if p["liveness"] == "up" else 0.0)
        yield from (devices, capacity, workers, up)

    def _broker_metrics(self) -> Iterator[Metric]:
        depth = GaugeMetricFamily(
            PREFIX + "celery_queue_length", "Tasks waiting in each Celery queue", labels=["queue"]
        )
        unacked = GaugeMetricFamily(
            PREFIX + "celery_tasks_unacked", "Tasks delivered to a worker and not yet acknowledged"
        )
        up = GaugeMetricFamily(PREFIX + "broker_up", "1 when Redis answered this scrape")
        client = redis.Redis.from_url(
            self.settings.redis_url, socket_connect_timeout=1, socket_timeout=1
        )
        try:
            queues, in_flight = queue_depths(client)
            queues.setdefault(self.settings.celery_queue, 0)
            for name, n in sorted(queues.items()):
                depth.add_metric([name], n)
            unacked.add_metric([], in_flight)
            up.add_metric([], 1.0)
        except (redis.RedisError, OSError):
            up.add_metric([], 0.0)
        finally:
            client.close()
        yield from (depth, unacked, up)

    def _event_metrics(self) -> Iterator[Metric]:
        events = CounterMetricFamily(
            PREFIX + "events",
            "Events seen on the Redis channels fabricgraph.events.<kind> by this API process",
            labels=["kind"],
        )
        for kind in ("telemetry", "anomaly", "root_cause", "deployment"):
            self.events.by_kind.setdefault(kind, 0)
        for kind, n in sorted(self.events.by_kind.items()):
            events.add_metric([kind], n)
        ingest = CounterMetricFamily(
            PREFIX + "telemetry_observations",
            "Observations announced on the telemetry channel (rate() = ingest rate)",
            labels=["blueprint"],
        )
        self.events.observations.setdefault("", 0)
        for bp, n in sorted(self.events.observations.items()):
            ingest.add_metric([bp], n)
        listening = GaugeMetricFamily(
            PREFIX + "events_listening", "1 while the API is subscribed to the event channels"
        )
        listening.add_metric([], 1.0 if self.events.listening else 0.0)
        yield from (events, ingest, listening)

    def _loop_metrics(self) -> Iterator[Metric]:
        lag = HistogramMetricFamily(
            PREFIX + "event_loop_lag_seconds",
            "How late this API process's event loop woke from a short sleep (every "
            "request is served on that loop)",
        )
        lag.add_metric([], self.lag.cumulative(), self.lag.total_s)
        worst = GaugeMetricFamily(
            PREFIX + "event_loop_lag_max_seconds", "The worst event-loop lag since start"
        )
        worst.add_metric([], self.lag.max_s)
        yield from (lag, worst)


def make_registry(
    graph: Graph, settings: Settings, events: EventCounts, lag: LoopLag
) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(FabricCollector(graph, settings, events, lag))
    return registry


def metrics_endpoint(registry: CollectorRegistry) -> Callable[[Request], Awaitable[Response]]:
    async def metrics(request: Request) -> Response:
        body = await run_in_threadpool(generate_latest, registry)
        return Response(body, media_type=CONTENT_TYPE)

    return metrics
