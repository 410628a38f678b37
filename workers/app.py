"""The Celery application (Redis broker). Tasks take ids and small JSON values only."""

from __future__ import annotations

from celery import Celery, Task

from blueprint_engine.blueprints import Blueprints
from blueprint_engine.graph.db import Graph
from blueprint_engine.settings import Settings, load_settings


def create_celery(settings: Settings) -> Celery:
    celery = Celery("fabricgraph", broker=settings.redis_url, backend=settings.redis_url)
    celery.conf.update(
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        task_acks_late=True,  # a worker killed mid-task leaves the message for another
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        result_expires=3600,
        result_extended=True,  # a result names the worker that ran it (which pool served)
        broker_connection_retry_on_startup=True,
        task_default_queue=settings.celery_queue,
        imports=(
            "workers.tasks",
            "workers.reconciler",
            "workers.collect",
            "workers.pools",
            "workers.agents",
            "workers.virtual",
        ),
        # level-triggered: every managed device is reconciled and collected from (its
        # running config compared with golden in the same round as its telemetry) on a
        # fixed period, whatever happened to earlier messages
        beat_schedule={
            "reconcile": {
                "task": "fabricgraph.reconcile_all",
                "schedule": settings.reconcile_interval_s,
                "options": {"expires": settings.reconcile_interval_s},
            },
            "collect-telemetry": {
                "task": "fabricgraph.collect_all",
                "schedule": settings.collect_interval_s,
                "options": {"expires": settings.collect_interval_s},
            },
            # every pool's beat sends it; one check runs at a time (workers.pools)
            "pools-check": {
                "task": "fabricgraph.pools_check",
                "schedule": settings.pool_check_interval_s,
                "options": {"expires": settings.pool_check_interval_s},
            },
            "virtual-sweep": {
                "task": "fabricgraph.virtual_sweep",
                "schedule": settings.telemetry_sweep_interval_s,
                "options": {"expires": settings.telemetry_sweep_interval_s},
            },
            "telemetry-sweep": {
                "task": "fabricgraph.telemetry_sweep",
                "schedule": settings.telemetry_sweep_interval_s,
                "options": {"expires": settings.telemetry_sweep_interval_s},
            },
        },
    )
    return celery


class GraphTask(Task):  # type: ignore[type-arg]
    """Base task with one lazily opened Neo4j connection per worker process, and one
    blueprint service over it (its catalogue parsed once per process; entries created
    at run time are read from the graph on a miss)."""

    _graph: Graph | None = None
    _settings: Settings | None = None
    _blueprints: Blueprints | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            type(self)._settings = load_settings()
        assert self._settings is not None
        return self._settings

    @property
    def graph(self) -> Graph:
        if self._graph is None:
            type(self)._graph = Graph(self.settings)
        assert self._graph is not None
        return self._graph

    @property
    def blueprints(self) -> Blueprints:
        if self._blueprints is None:
            GraphTask._blueprints = Blueprints(self.graph)
        assert self._blueprints is not None
        return self._blueprints


app = create_celery(load_settings())
