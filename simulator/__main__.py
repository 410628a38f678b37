"""SIMULATION: ``python -m simulator serve|register|forget``.

    python -m simulator serve BLUEPRINT... [--port 7990] [--latency-ms 30] [--jitter-ms 10]
                                           [--open-ms 50]
    python -m simulator register BLUEPRINT [--port 7990] [--queue QUEUE]
    python -m simulator forget BLUEPRINT

``register`` gives every switch of the blueprint a simulated device (serial
``SIM-<blueprint>-<system>``, driver ``fgsim``) moved to deployed through the
lifecycle (no push); ``forget`` drops them with their configs and history.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from blueprint_engine.graph.db import Graph
from blueprint_engine.settings import load_settings
from napalm_fgsim.driver import DEFAULT_PORT
from simulator.devices import forget_devices, register_devices
from simulator.model import load_samples
from simulator.server import Latency, Simulator, load_fabric, serve


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m simulator", description="SIMULATION of switches")
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("serve", help="answer the getters of every switch of the blueprints")
    s.add_argument("blueprints", nargs="+")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=DEFAULT_PORT)
    s.add_argument("--latency-ms", type=float, default=30.0)
    s.add_argument("--jitter-ms", type=float, default=10.0)
    s.add_argument("--open-ms", type=float, default=50.0)
    r = sub.add_parser("register", help="simulated devices for every switch, deployed")
    r.add_argument("blueprint")
    r.add_argument("--host", default="127.0.0.1")
    r.add_argument("--port", type=int, default=DEFAULT_PORT)
    r.add_argument("--queue", default=None, help="worker queue serving them (default: none)")
    f = sub.add_parser("forget", help="drop the simulated devices of a blueprint")
    f.add_argument("blueprint")
    return p


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    graph = Graph(load_settings())
    try:
        if args.cmd == "serve":
            fabric = load_fabric(graph, args.blueprints, load_samples())
            graph.close()
            latency = Latency(args.latency_ms, args.jitter_ms, args.open_ms)
            asyncio.run(serve(Simulator(fabric, latency), args.host, args.port))
        elif args.cmd == "register":
            serials = register_devices(graph, args.blueprint, args.host, args.port, args.queue)
            print(f"registered {len(serials)} simulated devices of {args.blueprint}")
        else:
            print(f"forgot {forget_devices(graph, args.blueprint)} simulated devices")
    except KeyboardInterrupt:
        pass
    finally:
        graph.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
