"""B16: off-box agents against a management network where nothing answers.

Creates N agents (default 100) from one CSV text through the same entry point as the
API (``AgentOps.create_from_file``), against loopback addresses 127.0.0.2.. on a port
where nothing listens, and measures the seconds until every one is reported
unreachable with its reason, on the workers of this checkout. Target: all N within
60 s, none registered. Writes ``bench/results/B16.json``.

    .venv/bin/python -m bench B16          (100 agents)
    .venv/bin/python -m bench.b16_agents --count 500
"""

from __future__ import annotations

import argparse
import socket
import time
import uuid
from collections import Counter

from bench.common import engine, write_result
from blueprint_engine.devices.agents import Agents
from blueprint_engine.graph.db import Query
from workers.agent_ops import AgentOps

DROP = Query("bench.drop_agents", "MATCH (a:Agent) WHERE a.name IN $names DETACH DELETE a")
TARGET_S = 60.0


def refused_port(address: str) -> int:
    for port in range(2, 400):
        try:
            socket.create_connection((address, port), timeout=1).close()
        except ConnectionRefusedError:
            return port
    raise SystemExit(f"no closed port found on {address}")


def run(count: int = 100) -> None:
    bps = engine()
    tag = uuid.uuid4().hex[:6]
    port = refused_port("127.0.0.2")
    names = [f"b16-{tag}-{n}" for n in range(count)]
    lines = ["name,address,platform,credential,port,timeout"]
    lines += [f"{n},127.0.0.{2 + i % 250},nxos_ssh,b16,{port},3" for i, n in enumerate(names)]
    agents = Agents(bps.graph)
    try:
        started = time.perf_counter()
        AgentOps(bps.graph).create_from_file("\n".join(lines), "csv", author="bench")
        while True:
            rows = agents.list(names)
            if all(r["status"] != "pending" for r in rows):
                break
            if time.perf_counter() - started > 10 * TARGET_S:
                break
            time.sleep(0.1)
        seconds = time.perf_counter() - started
        outcomes = Counter(f"{r['status']}/{r['reason']}" for r in rows)
        write_result(
            "B16",
            seconds,
            "s",
            f"all {count} reported unreachable with a reason within {TARGET_S:.0f} s",
            "-",
            count=count,
            outcomes=dict(outcomes),
            met=seconds <= TARGET_S and outcomes == {"unreachable/tcp_refused": count},
        )
    finally:
        bps.graph.write(DROP, names=names)
        bps.graph.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=100)
    run(parser.parse_args().count)
