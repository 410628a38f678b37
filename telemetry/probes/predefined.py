"""The probes every blueprint has, defined like a user's and evaluated the same way.

* ``interface-flapping``: an interface of a link that changed its oper state at least 4
  times in the last minute (it went down and came back twice);
* ``bgp-prefixes-low``: a BGP session end that accepts fewer prefixes than the property
  ``bgp_expected_prefixes`` of its switch (or blueprint) says, by default fewer than 1;
* ``interface-error-rate``: an interface of a link whose errors and discards average more
  than ``interface_max_error_rate`` per second (default 1) over 30 s.

They cannot be deleted; their thresholds move with the property sets.
"""

from __future__ import annotations

from typing import Any

from telemetry.probes.model import Probe, parse

LINKED_INTERFACES = (
    "MATCH (:Link {blueprint: $bp})-[:ENDPOINT]->(i:Interface) RETURN DISTINCT i.id AS subject"
)
SESSIONS = "MATCH (s:BgpSession {blueprint: $bp}) RETURN s.id AS subject"

DEFINITIONS: tuple[dict[str, Any], ...] = (
    {
        "name": "interface-flapping",
        "scope": LINKED_INTERFACES,
        "kind": "interface",
        "field": "oper_up",
        "processors": [
            {"type": "state_changes", "window_s": 60},
            {"type": "threshold", "op": "ge", "value": 4},
        ],
        "anomaly": {"type": "interface_flapping", "severity": "warning"},
        "description": "oper state changed at least 4 times in a minute",
    },
    {
        "name": "bgp-prefixes-low",
        "scope": SESSIONS,
        "kind": "bgp_prefixes",
        "field": "accepted",
        "processors": [
            {"type": "current"},
            {"type": "property", "op": "lt", "property": "bgp_expected_prefixes", "default": 1},
        ],
        "anomaly": {"type": "bgp_prefixes_low", "severity": "warning"},
        "description": "fewer accepted prefixes than bgp_expected_prefixes (default 1)",
    },
    {
        "name": "interface-error-rate",
        "scope": LINKED_INTERFACES,
        "kind": "counters",
        "field": "errors_discards_ps",
        "processors": [
            {"type": "average", "window_s": 30},
            {
                "type": "property",
                "op": "gt",
                "property": "interface_max_error_rate",
                "default": 1,
            },
        ],
        "anomaly": {"type": "interface_errors", "severity": "warning"},
        "description": "errors and discards per second over interface_max_error_rate (default 1)",
    },
)

PREDEFINED: tuple[Probe, ...] = tuple(parse(d, predefined=True) for d in DEFINITIONS)
NAMES = frozenset(p.name for p in PREDEFINED)
