"""The rows that write a design carry every port and optic of it exactly once, with the
values of the design (pure: the statements' rows read back as their Cypher reads them).

A new blueprint's ports go one row per system with their optics, unused ports as one
row per system naming a shared shape; the integration tests compare the graph itself.
"""

from __future__ import annotations

from typing import Any

import pytest

from blueprint_engine.catalogue.entries import Catalogue
from blueprint_engine.design.build import build_design
from blueprint_engine.design.model import BlueprintDesign
from blueprint_engine.design.store import BATCH, design_nodes, design_rows
from blueprint_engine.reads import sort_key


def _expected(design: BlueprintDesign) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    ports = {
        i.id: {
            "system": i.system,
            "name": i.name,
            "speed_mbps": i.speed_mbps,
            "ipv4": i.ipv4,
            "breakouts": list(i.breakouts),
            "sort_key": sort_key(i.name),
        }
        for i in design.interfaces
    }
    optics = {x.id: (x.interface, x.media) for x in design.transceivers}
    return ports, optics


def _written(design: BlueprintDesign) -> tuple[list[tuple[str, dict[str, Any]]], list[Any]]:
    """(id, properties) of every port and (id, (port, media)) of every optic, as the
    statements of a new blueprint's write create them."""
    ports: list[tuple[str, dict[str, Any]]] = []
    optics: list[Any] = []
    for statement in design_rows(design, fresh=True):
        name = statement.query.name
        for row in statement.rows:
            if name == "blueprint.ports_new":
                for p in row["ports"]:
                    props = {k: v for k, v in p.items() if k not in ("id", "optics")}
                    ports.append((p["id"], props))
                    optics.extend((x["id"], (p["id"], x["media"])) for x in p["optics"])
            elif name == "blueprint.unused_ports":
                for p in statement.shared["shapes"][row["shape"]]:
                    ident = f"{row['system']}:{p['name']}"
                    ports.append((ident, {"system": row["system"], "ipv4": None, **p}))
            elif name == "blueprint.transceivers_new":
                optics.append((row["id"], (row["interface"], row["media"])))
            elif name == "blueprint.interfaces":
                ports.append((row["id"], {k: v for k, v in row.items() if k != "id"}))
    return ports, optics


@pytest.mark.parametrize("template", ["lab5", "medium5", "lab-collapsed"])
def test_every_port_and_optic_is_written_once_with_the_designs_values(
    catalogue: Catalogue, template: str
) -> None:
    design = build_design(catalogue, template, "bp")
    want_ports, want_optics = _expected(design)
    ports, optics = _written(design)
    assert len(ports) == len(want_ports) and dict(ports) == want_ports
    assert len(optics) == len(want_optics) and dict(optics) == want_optics
    unused = next(s for s in design_rows(design, True) if s.query.name == "blueprint.unused_ports")
    linked = {end for link in design.links for end in (link.a, link.b)}
    # every unused switch port is created by the server, from fewer shapes than switches
    assert sum(unused.weights or []) == sum(1 for i in design.interfaces if i.id not in linked)
    assert 0 < len(unused.shared["shapes"]) < len(unused.rows)


def test_batches_hold_at_most_a_batch_of_nodes_and_nodes_are_counted_without_rows(
    catalogue: Catalogue,
) -> None:
    design = build_design(catalogue, "medium5", "bp")
    statements = design_rows(design, fresh=True)
    for statement in statements:
        batches = list(statement.batches())
        assert sum(len(rows) for rows, _ in batches) == len(statement.rows)
        for rows, nodes in batches:
            assert nodes <= BATCH or len(rows) == 1
    written = sum(nodes for s in statements for _, nodes in s.batches())
    pool_last = next(s for s in statements if s.query.name == "blueprint.pool_last")
    assert design_nodes(design) == written - len(pool_last.rows)
