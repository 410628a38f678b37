"""Operations views on a deployed lab: a real Prometheus scraping the API, the topology page.

One lab session for the module (``deployed_lab`` holds the machine-wide lab lock):

    spine1   spine2                      the `lab` template, deployed through the
     |  \\ /  |                           lifecycle (every switch IS-ACTIVE, eBGP up)
    leaf x4 (rack1, rack2, rack3 pair)   the API runs in this process (uvicorn thread);
     |                                   Prometheus (Debian package) scrapes its /metrics
    servers x4                           every second, with its own config, port, data dir

Every PromQL expression of the provisioned dashboards must return data; the
topology page (Playwright driving Debian's Chromium) must draw every system and link.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import uvicorn
import yaml

from api.app import create_app
from api.topology import read_topology
from blueprint_engine.design.model import LinkRole
from blueprint_engine.design.reader import read_cabling
from blueprint_engine.errors import FabricError
from blueprint_engine.graph.db import Graph
from ops import schema_check
from ops.panels import DASHBOARDS, substitute
from tests.integration.lab.helpers import deployed_lab, eventually

# the module fixture deploys the whole lab and starts Prometheus: minutes on a loaded machine
pytestmark = [pytest.mark.integration, pytest.mark.lab, pytest.mark.timeout(900)]
ROOT = Path(__file__).resolve().parents[3]
CHROMIUM = "/usr/bin/chromium"
NEEDS = {
    t.expr: t.needs for spec in DASHBOARDS for p in spec.panels for t in getattr(p, "targets", ())
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as resp:
        return json.loads(resp.read())


class ApiServer:
    """The real application under uvicorn, in a thread of the test process."""

    def __init__(self) -> None:
        self.port = free_port()
        config = uvicorn.Config(
            create_app(), host="127.0.0.1", port=self.port, log_level="warning", ws="websockets"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> ApiServer:
        self.thread.start()
        eventually(lambda: self.server.started, timeout=20, interval=0.1)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


class Prometheus:
    """Debian's prometheus with the repo's scrape config pointed at the test API."""

    def __init__(self, workdir: Path, target_port: int) -> None:
        self.port = free_port()
        config = yaml.safe_load((ROOT / "deploy" / "prometheus" / "prometheus.yml").read_text())
        config["global"]["scrape_interval"] = "1s"
        config["global"]["evaluation_interval"] = "1s"
        config["scrape_configs"][0]["static_configs"] = [{"targets": [f"127.0.0.1:{target_port}"]}]
        (workdir / "prometheus.yml").write_text(yaml.safe_dump(config))
        self.argv = [
            "prometheus",
            f"--config.file={workdir / 'prometheus.yml'}",
            f"--storage.tsdb.path={workdir / 'data'}",
            f"--web.listen-address=127.0.0.1:{self.port}",
            "--log.level=warn",
        ]
        self.log = (workdir / "prometheus.log").open("w")
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Prometheus:
        self.proc = subprocess.Popen(self.argv, stdout=self.log, stderr=self.log)
        eventually(self.ready, timeout=30)
        return self

    def ready(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/-/ready", timeout=2) as resp:
                return bool(resp.status == 200)
        except OSError:
            return False

    def __exit__(self, *exc: object) -> None:
        assert self.proc is not None
        self.proc.terminate()
        self.proc.wait(timeout=20)
        self.log.close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def query(self, expr: str) -> list[dict[str, Any]]:
        q = urllib.parse.urlencode({"query": expr})
        body = get_json(f"{self.url}/api/v1/query?{q}")
        assert body["status"] == "success", body
        return list(body["data"]["result"])


@pytest.fixture(scope="module")
def lab(graph: Graph, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    if shutil.which("prometheus") is None:
        pytest.skip("Debian package prometheus is needed (deploy/install-debian.sh)")
    with deployed_lab_retrying(graph) as (blueprints, lab_, bp), ApiServer() as api:
        collect_once(graph, bp)
        work = tmp_path_factory.mktemp("prometheus")
        with Prometheus(work, api.port) as prom:
            # two scrapes or more inside every rate() window
            eventually(lambda: len(prom.query('up{job="fabricgraph"} == 1')) == 1, timeout=30)
            time.sleep(6)
            yield {"bp": bp, "api": api, "prom": prom, "lab": lab_, "blueprints": blueprints}


def collectors() -> Any:
    """The telemetry collection rounds (workers.collect.collect_round), or None."""
    try:
        from workers import collect
    except ImportError:
        return None
    return collect if hasattr(collect, "collect_round") else None


def collect_once(graph: Graph, bp: str) -> dict[str, Any] | None:
    """One telemetry collection round on the lab, when the collectors are there."""
    collect = collectors()
    if collect is None:
        return None
    import redis

    result: dict[str, Any] = collect.collect_round(
        graph, redis.Redis.from_url(graph.settings.redis_url), bp
    )
    return result


@contextmanager
def deployed_lab_retrying(graph: Graph, attempts: int = 3) -> Iterator[Any]:
    """``deployed_lab``, tried again when a push finds a device's deploy lease taken.

    Device serials (LAB-<system>) are machine-wide: a lab run killed mid-push elsewhere
    leaves its lease for up to 300 s, or its task redelivered to another checkout's
    worker; the lease then refuses this run's push ("another deployment ... in progress").
    """
    for attempt in range(1, attempts + 1):
        manager = deployed_lab(graph, "ops")
        try:
            value = manager.__enter__()
        except FabricError as exc:
            if "in progress" not in str(exc) or attempt == attempts:
                raise
            time.sleep(30)
            continue
        try:
            yield value
        except BaseException as exc:
            if not manager.__exit__(type(exc), exc, exc.__traceback__):
                raise
        else:
            manager.__exit__(None, None, None)
        return


def dashboard_exprs() -> list[str]:
    return [
        target["expr"]
        for board in schema_check.provisioned().values()
        for panel in board["panels"]
        if panel["datasource"]["type"] == "prometheus"
        for target in panel["targets"]
    ]


def test_every_promql_expression_of_the_dashboards_returns_data(
    graph: Graph, lab: dict[str, Any]
) -> None:
    bp = lab["bp"]
    design = read_cabling(graph, bp)
    link = next(lk.id for lk in design.links if lk.role == LinkRole.SPINE_LEAF)
    values = {"blueprint": bp, "system": "spine1", "link": link, "__rate_interval": "30s"}
    exprs = dashboard_exprs()
    assert len(exprs) >= 30
    telemetry_running = bool(lab["prom"].query(f'fabricgraph_observations{{blueprint="{bp}"}}'))
    empty = []
    for expr in exprs:
        if NEEDS.get(expr) == "telemetry" and not telemetry_running:
            continue
        if NEEDS.get(expr) == "anomaly":  # checked after a fault, below
            continue
        if not lab["prom"].query(substitute(expr, values)):
            empty.append(expr)
    assert empty == []
    # the figures behind them are the lab's: every switch in service, no anomaly raised
    switches = len([s for s in design.systems if s.role != "server"])
    active = lab["prom"].query(f'sum(fabricgraph_devices{{blueprint="{bp}", state="IS-ACTIVE"}})')
    assert float(active[0]["value"][1]) == switches
    pushes = lab["prom"].query("sum(fabricgraph_deployment_duration_seconds_count)")
    assert float(pushes[0]["value"][1]) >= 3 * switches  # discovery1, discovery2, service


def chromium_page(url: str) -> Any:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.skip("Debian package chromium is needed (deploy/install-debian.sh)")
    pw = sync_playwright().start()
    browser = pw.chromium.launch(
        executable_path=CHROMIUM,
        headless=True,
        args=[
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    )
    page = browser.new_page(viewport={"width": 1400, "height": 640})
    page.goto(url)
    page.wait_for_selector("body[data-loaded]", timeout=15_000)
    return pw, browser, page


def test_topology_page_draws_the_healthy_lab(graph: Graph, lab: dict[str, Any]) -> None:
    bp = lab["bp"]
    design = read_cabling(graph, bp)
    pw, browser, page = chromium_page(f"{lab['api'].url}/topology?blueprint={bp}")
    try:
        drawn_nodes = page.eval_on_selector_all("[data-node]", "ns => ns.map(n => n.dataset.node)")
        drawn_links = page.eval_on_selector_all(
            "line[data-link]", "ls => ls.map(l => l.dataset.link)"
        )
        assert sorted(drawn_nodes) == sorted(s.id for s in design.systems)
        assert sorted(drawn_links) == sorted(lk.id for lk in design.links)
        assert page.locator("line.state-down").count() == 0
        assert page.locator(".node.impacted").count() == 0
        # a click shows the element's config stages (the lifecycle stored them) and impact
        page.click('[data-node="spine1"]')
        page.wait_for_selector('#details[data-element="spine1"]')
        stages = page.eval_on_selector_all(
            "#details details summary", "ss => ss.map(s => s.textContent)"
        )
        for stage in ("pristine", "discovery1", "discovery2", "service", "golden"):
            assert f"spine1: {stage}" in stages
        page.screenshot(path=str(ROOT / "docs" / "topology-healthy.png"))
    finally:
        browser.close()
        pw.stop()


def test_transceiver_fault_turns_its_link_down_and_marks_the_servers_it_cuts_off(
    graph: Graph, lab: dict[str, Any]
) -> None:
    """transceiver_fail on a leaf's server port:

        rack1-leaf1 :swp3 ──X── eth0: rack1-server1   (single-homed: loses connectivity)

    The collectors see it (a real collection round on the lab), the engine raises the
    anomalies and their root cause, and the page, refreshed by the `events`
    subscription, draws that link down and the server behind it impacted.
    """
    collect = collectors()
    if collect is None:
        pytest.skip("needs the telemetry collection rounds (workers.collect.collect_round)")
    import redis

    bp, lab_ = lab["bp"], lab["lab"]
    design = read_cabling(graph, bp)
    port = "rack1-leaf1:swp3"
    link = next(lk for lk in design.links if port in (lk.a, lk.b))
    roles = {s.id: s.role for s in design.systems}
    cut_off = sorted(
        i.system
        for i in design.interfaces
        if i.id in (link.a, link.b) and roles[i.system] == "server"
    )
    client = redis.Redis.from_url(graph.settings.redis_url)
    collect.collect_round(graph, client, bp)  # a healthy round first: every link observed
    pw, browser, page = chromium_page(f"{lab['api'].url}/topology?blueprint={bp}")
    try:
        page.wait_for_selector("#live:text('live')", timeout=10_000)
        assert page.locator("line.state-down").count() == 0
        lab_.transceiver_fail(*port.split(":"))
        try:
            eventually(
                lambda: (
                    collect.collect_round(graph, client, bp)["root_causes_opened"]
                    or page.locator("line.state-down").count()
                ),
                timeout=30,
            )
            # attached, not "visible": a vertical SVG line has a zero-width bounding box
            page.wait_for_selector(
                f'line[data-link="{link.id}"].state-down', state="attached", timeout=15_000
            )
            for server in cut_off:
                page.wait_for_selector(
                    f'[data-node="{server}"].impacted', state="attached", timeout=15_000
                )

            def drawn() -> tuple[list[str], list[str]]:
                down = page.eval_on_selector_all(
                    "line.state-down", "ls => ls.map(l => l.dataset.link)"
                )
                impacted = page.eval_on_selector_all(
                    ".node.impacted", "ns => ns.map(n => n.dataset.node)"
                )
                return down, sorted(impacted)

            # the page settles on the fault alone (a session another link lost for a
            # moment on a loaded machine comes back and is redrawn up); bounded
            try:
                eventually(lambda: drawn() == ([link.id], cut_off), timeout=30)
            except AssertionError:
                assert drawn() == ([link.id], cut_off)
            causes = [c["uid"] for c in read_topology(graph, bp).root_causes]
            assert causes and len(causes) == len(set(causes))  # each cause drawn once
            page.screenshot(path=str(ROOT / "docs" / "topology-fault.png"))
            time.sleep(3)  # a few scrapes with the anomalies raised
            values = {"blueprint": bp, "system": "rack1-leaf1", "link": link.id}
            for expr in (e for e in dashboard_exprs() if NEEDS.get(e) == "anomaly"):
                assert lab["prom"].query(substitute(expr, values)), expr
        finally:
            lab_.repair_all()
    finally:
        browser.close()
        pw.stop()
