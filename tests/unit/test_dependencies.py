"""The dependency rules of the README's architecture section, checked from the imports.

Every module of ours is parsed (``ast``, nothing imported or run) and each absolute
import naming one of our packages is an arrow, including imports inside functions.
A new arrow is a decision: it is added to the rules here and in the README, never
by accident.

    api ──► workers ──► telemetry ──► blueprint_engine ──► graph_schema
     │   (enqueue)  │        ▲               │
     └──────────────┴────────┘               └──► renderers ──► linuxfrr_document
                                                                    ▲
    napalm_linuxfrr (the NAPALM driver) ────────────────────────────┘
    lab (the virtual lab) ──► napalm_linuxfrr
    labharness, ops, bench, tests: above everything, nothing in the product imports them
"""

from __future__ import annotations

import ast
import functools
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# What each package may import of ours, besides itself (arrows point down only).
MAY_IMPORT: dict[str, frozenset[str]] = {
    "graph_schema": frozenset(),
    "linuxfrr_document": frozenset(),
    "napalm_linuxfrr": frozenset({"linuxfrr_document"}),
    "renderers": frozenset({"linuxfrr_document"}),
    "blueprint_engine": frozenset({"graph_schema", "renderers"}),
    "telemetry": frozenset({"blueprint_engine", "graph_schema"}),
    "workers": frozenset({"telemetry", "blueprint_engine", "graph_schema", "renderers"}),
    "api": frozenset({"workers", "telemetry", "blueprint_engine", "graph_schema", "renderers"}),
    "lab": frozenset({"napalm_linuxfrr"}),
}
PRODUCT = frozenset(MAY_IMPORT) - {"lab"}
# Above the product: may import anything; nothing in the product imports them.
HARNESS = frozenset({"lab", "labharness", "ops", "bench", "tests"})
OURS = frozenset(MAY_IMPORT) | HARNESS

# The operator's console (`fabricgraph lab ...`, `lab-up`, the tour) is the one place
# the product reaches the lab; the API server and the workers never import it.
CONSOLE = frozenset({"api.cli", "api.tour"})
CONSOLE_IMPORTERS = frozenset({"api.cli", "api.__main__"})

# The API reaches the workers only through what enqueues work (or pings the workers).
WORKER_ENTRY_POINTS: dict[str, frozenset[str]] = {
    "workers.app": frozenset({"create_celery"}),
    "workers.collect": frozenset({"request_round"}),
    "workers.device_ops": frozenset({"DeviceOps"}),
    "workers.agent_ops": frozenset({"AgentOps"}),
    # the typed outcome of an enqueued task (data, no behaviour)
    "workers.outcome": frozenset({"Outcome", "Status"}),
}

# Outside the renderers, rendering goes through the engine's edge, which translates the
# renderers' errors; the renderers' data types (contexts, stages, NOS) may be used anywhere.
RENDERING_EDGE = "blueprint_engine.configs.rendering"
RENDERER_TYPES = "renderers.context"

# The domain knows no transport.
DOMAIN = frozenset({"blueprint_engine", "telemetry"})
TRANSPORTS = frozenset(
    {"celery", "redis", "starlette", "strawberry", "uvicorn", "httpx", "napalm", "typer", "rich"}
)


@dataclass(frozen=True)
class Arrow:
    """``importer`` (a module) imports ``target`` (a module), naming ``names``."""

    importer: str
    target: str
    names: tuple[str, ...]
    line: int

    @property
    def source_package(self) -> str:
        return self.importer.split(".")[0]

    @property
    def target_package(self) -> str:
        return self.target.split(".")[0]

    def __str__(self) -> str:
        named = f" ({', '.join(self.names)})" if self.names else ""
        return f"{self.importer}:{self.line} imports {self.target}{named}"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def arrows_of(module: str, source: str) -> list[Arrow]:
    """Every absolute import of ``source`` (also inside functions) as arrows."""
    found: list[Arrow] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [Arrow(module, alias.name, (), node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = tuple(alias.name for alias in node.names)
            found.append(Arrow(module, node.module, names, node.lineno))
    return found


@functools.cache
def _scanned() -> tuple[Arrow, ...]:
    arrows: list[Arrow] = []
    for package in sorted(OURS):
        for path in sorted((ROOT / package).rglob("*.py")):
            if ".venv" in path.parts:
                continue
            arrows += arrows_of(module_name(path), path.read_text())
    return tuple(arrows)


def all_arrows() -> list[Arrow]:
    return list(_scanned())


def layer_violations(arrows: list[Arrow]) -> list[str]:
    """Arrows from a package to one of ours it may not import."""
    bad = []
    for arrow in arrows:
        source, target = arrow.source_package, arrow.target_package
        if source not in MAY_IMPORT or target not in OURS or target == source:
            continue
        if arrow.importer in CONSOLE and target in {"lab", "labharness"}:
            continue
        if target not in MAY_IMPORT[source]:
            allowed = ", ".join(sorted(MAY_IMPORT[source])) or "nothing of ours"
            bad.append(f"{arrow}; {source} may import: {allowed}")
    return bad


def console_violations(arrows: list[Arrow]) -> list[str]:
    """The console modules (which reach the lab) imported from elsewhere in the product."""
    return [
        f"{a}; only {', '.join(sorted(CONSOLE_IMPORTERS))} may import the console"
        for a in arrows
        if a.target in CONSOLE
        and a.source_package in PRODUCT
        and a.importer not in CONSOLE_IMPORTERS
    ]


def worker_entry_violations(arrows: list[Arrow]) -> list[str]:
    bad = []
    for arrow in arrows:
        if arrow.source_package != "api" or arrow.target_package != "workers":
            continue
        entry = WORKER_ENTRY_POINTS.get(arrow.target, frozenset())
        if not arrow.names or not set(arrow.names) <= entry:
            allowed = "; ".join(
                f"{m}: {', '.join(sorted(n))}" for m, n in WORKER_ENTRY_POINTS.items()
            )
            bad.append(f"{arrow}; the api may import from workers only: {allowed}")
    return bad


def rendering_edge_violations(arrows: list[Arrow]) -> list[str]:
    return [
        f"{a}; outside the renderers only {RENDERING_EDGE} renders ({RENDERER_TYPES} is free)"
        for a in arrows
        if a.target_package == "renderers"
        and a.source_package in PRODUCT - {"renderers"}
        and a.importer != RENDERING_EDGE
        and not a.target.startswith(RENDERER_TYPES)
    ]


def transport_violations(arrows: list[Arrow]) -> list[str]:
    return [
        f"{a}; the domain ({', '.join(sorted(DOMAIN))}) imports no transport"
        for a in arrows
        if a.source_package in DOMAIN and a.target_package in TRANSPORTS
    ]


def test_the_scan_sees_every_package_and_its_known_arrows() -> None:
    arrows = all_arrows()
    assert {a.source_package for a in arrows} == OURS
    edges = {(a.source_package, a.target_package) for a in arrows}
    assert ("blueprint_engine", "graph_schema") in edges
    assert ("napalm_linuxfrr", "linuxfrr_document") in edges
    assert ("api", "workers") in edges


def test_each_package_imports_only_the_packages_below_it() -> None:
    assert layer_violations(all_arrows()) == []


def test_only_the_console_reaches_the_lab_and_nothing_else_imports_the_console() -> None:
    assert console_violations(all_arrows()) == []


def test_the_api_reaches_the_workers_only_through_their_enqueue_entry_points() -> None:
    assert worker_entry_violations(all_arrows()) == []


def test_outside_the_renderers_rendering_goes_through_the_engines_edge() -> None:
    assert rendering_edge_violations(all_arrows()) == []


def test_the_domain_imports_no_transport() -> None:
    assert transport_violations(all_arrows()) == []


def test_each_rule_names_an_arrow_that_breaks_it() -> None:
    """The rules flag the arrows they forbid (so a green run is not a vacuous one)."""
    arrow = arrows_of
    cases = [
        (layer_violations, arrow("blueprint_engine.x", "from workers.app import app")),
        (layer_violations, arrow("renderers.x", "import blueprint_engine.errors")),
        (layer_violations, arrow("napalm_linuxfrr.x", "from renderers import render")),
        (layer_violations, arrow("lab.x", "from blueprint_engine.errors import FabricError")),
        (layer_violations, arrow("workers.x", "from labharness import rollout")),
        (layer_violations, arrow("telemetry.x", "def f():\n    from lab import Lab\n")),
        (console_violations, arrow("api.app", "from api.tour import tour")),
        (worker_entry_violations, arrow("api.x", "from workers.deploy import deploy")),
        (worker_entry_violations, arrow("api.x", "import workers.collect")),
        (rendering_edge_violations, arrow("workers.x", "from renderers import render")),
        (transport_violations, arrow("telemetry.x", "import redis")),
    ]
    for rule, arrows in cases:
        assert len(rule(arrows)) == 1, (rule.__name__, [str(a) for a in arrows])
    allowed = arrow("api.tour", "from labharness import rollout")
    allowed += arrow("workers.x", "from renderers.context import Stage")
    allowed += arrow("api.x", "from workers.collect import request_round")
    for rule in (layer_violations, console_violations, worker_entry_violations):
        assert rule(allowed) == []
    assert rendering_edge_violations(allowed) == []
