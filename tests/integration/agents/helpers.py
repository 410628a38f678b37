"""Off-box agent tests: credential sets written where the workers look, clean-up, waits."""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from blueprint_engine.devices.agents import Agents
from blueprint_engine.graph.db import Graph, Query

RECORDINGS = Path(__file__).resolve().parents[3] / "fixtures" / "napalm_recordings"

DROP = Query(
    "test.drop_agents",
    """
    MATCH (a:Agent) WHERE a.name IN $names
    OPTIONAL MATCH (a)-[:MANAGES]->(d:Device)
    OPTIONAL MATCH (d)-[:HAS_CONFIG|HAD_EVENT|HAS_DEPLOYMENT]->(x)
    DETACH DELETE x, d, a
    """,
)
DROP_SERIALS = Query(
    "test.drop_serials",
    """
    MATCH (d:Device) WHERE d.serial IN $serials
    OPTIONAL MATCH (d)-[:HAS_CONFIG|HAD_EVENT|HAS_DEPLOYMENT]->(x)
    DETACH DELETE x, d
    """,
)


def recorded_facts(recording: str) -> dict[str, Any]:
    facts: dict[str, Any] = json.loads((RECORDINGS / recording / "get_facts.1").read_text())
    return facts


def recorded_running(recording: str) -> str:
    config = json.loads((RECORDINGS / recording / "get_config.1").read_text())
    return str(config["running"])


def credentials_dir() -> Path:
    """Where the workers of this checkout read credential files (workers.credentials)."""
    state = os.environ.get("FG_STATE_DIR", ".state")
    return Path(os.environ.get("FG_CREDENTIALS_DIR", os.path.join(state, "credentials")))


@contextmanager
def credential_set(username: str, password: str) -> Iterator[str]:
    """A credential set in a root-only file for the duration; its name."""
    name = f"t-{uuid.uuid4().hex[:10]}"
    directory = credentials_dir()
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = directory / f"{name}.yaml"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(f"username: {username}\npassword: {password}\n")
    try:
        yield name
    finally:
        path.unlink(missing_ok=True)


def wait_for(
    graph: Graph, names: list[str], done: Callable[[dict[str, Any]], bool], timeout: float
) -> list[dict[str, Any]]:
    """The agents once ``done`` holds for each (bounded); AssertionError naming the rest."""
    agents = Agents(graph)
    deadline = time.monotonic() + timeout
    while True:
        rows = agents.list(names)
        pending = [r for r in rows if not done(r)]
        if not pending and len(rows) == len(names):
            return rows
        if time.monotonic() > deadline:
            shown = [(r["name"], r["status"], r["reason"]) for r in pending[:5]]
            raise AssertionError(f"{len(pending)} agents not done after {timeout} s: {shown}")
        time.sleep(0.2)


def cleanup(graph: Graph, names: list[str], serials: list[str] = ()) -> None:  # type: ignore[assignment]
    graph.write(DROP, names=names)
    if serials:
        graph.write(DROP_SERIALS, serials=list(serials))
