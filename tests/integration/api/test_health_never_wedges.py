"""Item 1: a burst of health probes (HTTP or GraphQL aliases) never wedges the API."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from api.graphql.limits import TOKEN_BUDGET
from api.health import ANSWER_S, CHECK_DEADLINE_S

pytestmark = pytest.mark.integration


def health_aliases(n: int) -> str:
    return "{ " + " ".join(f"h{i}: health {{ ok }}" for i in range(n)) + " }"


HEALTH_ALIASES = health_aliases(300)
MOST_ALIASES = health_aliases(TOKEN_BUDGET.aliases)  # the most a caller with a token may ask


def test_liveness_touches_nothing_and_answers(http: httpx.Client) -> None:
    response = http.get("/health/live")
    assert response.status_code == 200 and response.json() == {"ok": True, "checks": []}


def test_readiness_names_each_service(http: httpx.Client) -> None:
    body = http.get("/health").json()
    assert [c["name"] for c in body["checks"]] == ["neo4j", "redis", "workers"]
    assert body["ok"] is True, body


def test_a_burst_of_probes_and_a_300_alias_query_all_complete(served: str) -> None:
    """60 concurrent GET /health (5x the 12 that wedged the API for good), 4 GraphQL
    queries of 100 `health` aliases (the most a token allows), 4 anonymous ones of 300 and
    20 other requests at once: every one completes, and the API still answers afterwards."""

    def get(path: str) -> tuple[int, str]:
        with httpx.Client(base_url=served, timeout=30.0) as c:
            response = c.get(path)
            return response.status_code, response.text

    def aliases(i: int) -> dict[str, object]:
        with httpx.Client(base_url=served, timeout=30.0) as c:
            body: dict[str, object] = c.post(
                "/graphql",
                json={"query": MOST_ALIASES if i % 2 else HEALTH_ALIASES},
                headers={"Authorization": "Bearer dev-admin"} if i % 2 else {},
            ).json()
            return body

    with ThreadPoolExecutor(max_workers=84) as pool:
        probes = [pool.submit(get, "/health") for _ in range(60)]
        queries = [pool.submit(aliases, i) for i in range(8)]
        others = [pool.submit(get, "/api/blueprints") for _ in range(20)]
        statuses = [f.result(timeout=60) for f in probes]
        answers = [f.result(timeout=60) for f in queries]
        other = [f.result(timeout=60) for f in others]
    # every probe completed with a full report (a check that misses its deadline on the
    # overloaded machine is reported down by name, never left hanging)
    assert {s for s, _ in statuses} <= {200, 503}, statuses
    for _, text in statuses:
        assert [c["name"] for c in httpx.Response(200, text=text).json()["checks"]] == [
            "neo4j",
            "redis",
            "workers",
        ]
    assert {s for s, _ in other} == {200}, other
    for answer in answers[1::2]:
        data = answer["data"]
        assert isinstance(data, dict) and len(data) == TOKEN_BUDGET.aliases
        assert all(set(v) == {"ok"} for v in data.values())
    for answer in answers[::2]:
        assert "300 aliases" in str(answer["errors"])
    with httpx.Client(base_url=served, timeout=30.0) as c:
        assert c.get("/api/blueprints").status_code == 200
        assert c.post("/graphql", json={"query": "{ graphVersion }"}).json()["data"]
        deadline = time.monotonic() + 30  # and readiness is back to all up once it is over
        while c.get("/health").status_code != 200:
            assert time.monotonic() < deadline, c.get("/health").text
            time.sleep(0.2)


def test_the_anonymous_300_alias_query_is_refused_by_its_budget(http: httpx.Client) -> None:
    body = http.post("/graphql", json={"query": HEALTH_ALIASES}).json()
    assert body["data"] is None
    assert "300 aliases" in body["errors"][0]["message"]
    assert body["errors"][0]["extensions"]["code"] == "query_too_costly"


def test_a_check_that_hangs_is_reported_down_within_the_deadline(
    http: httpx.Client, served: str
) -> None:
    """A broker address that never answers (a listening socket nobody serves): the
    readiness report still comes back, naming the check that did not answer."""
    import socket

    from api.health import HealthMonitor
    from blueprint_engine.graph.db import Graph
    from blueprint_engine.settings import load_settings

    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(16)  # accepts connections, never answers
    port = silent.getsockname()[1]
    settings = load_settings().model_copy(update={"redis_url": f"redis://127.0.0.1:{port}/0"})
    graph = Graph(settings)
    monitor = HealthMonitor(graph, settings)
    try:
        with ThreadPoolExecutor(max_workers=20) as pool:
            reports = [
                f.result(timeout=CHECK_DEADLINE_S + 5)
                for f in [pool.submit(monitor.report) for _ in range(20)]
            ]
        for report in reports:
            assert report["ok"] is False
            checks = {c["name"]: c for c in report["checks"]}  # type: ignore[attr-defined]
            assert checks["neo4j"]["up"] is True
            assert checks["redis"]["up"] is False
        # one check thread per service at most, however many callers asked
        assert len([t for t in monitor._pool._threads if t.is_alive()]) <= 4
    finally:
        monitor.close()
        graph.close()
        silent.close()
    assert http.get("/health/live").status_code == 200


def test_a_probe_with_only_an_old_report_waits_at_most_the_answer_bound(
    http: httpx.Client,
) -> None:
    """Once a report exists, a probe never waits for checks that hang (a broker that
    accepts and never answers: each refresh takes at least its 1 s socket timeout):
    with only a report older than ``STALE_S`` it gets, after ``ANSWER_S``, every check
    down saying the checks did not finish; the background refresh then brings the
    current report (Redis named down)."""
    import asyncio
    import socket

    from api.health import STALE_S, HealthMonitor
    from blueprint_engine.graph.db import Graph
    from blueprint_engine.settings import load_settings

    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(16)  # accepts connections, never answers
    port = silent.getsockname()[1]
    settings = load_settings().model_copy(update={"redis_url": f"redis://127.0.0.1:{port}/0"})
    graph = Graph(settings)
    skew = [0.0]  # the monitor's clock, moved forward to age its report
    monitor = HealthMonitor(graph, settings, clock=lambda: time.monotonic() + skew[0])
    try:
        first = monitor.report()  # the first report: waited for, whole
        assert {c["name"]: c["up"] for c in first["checks"]} == {  # type: ignore[attr-defined]
            "neo4j": True,
            "redis": False,
            "workers": False,
        }
        skew[0] += STALE_S + 1
        old = asyncio.run(monitor.areport(wait_s=ANSWER_S))
        assert old["ok"] is False
        details = [c["detail"] for c in old["checks"]]  # type: ignore[attr-defined]
        assert all(f"did not finish within {ANSWER_S:g} s" in d for d in details), details
        deadline = time.monotonic() + 60  # the refresh it started ends (bounded)
        while "did not finish" in str(monitor.report(wait_s=ANSWER_S)):
            assert time.monotonic() < deadline
            time.sleep(0.2)
        checks = {c["name"]: c for c in monitor.report()["checks"]}  # type: ignore[attr-defined]
        assert checks["neo4j"]["up"] is True and checks["redis"]["up"] is False
    finally:
        monitor.close()
        graph.close()
        silent.close()
    assert http.get("/health").status_code == 200  # the server's own monitor: all up
