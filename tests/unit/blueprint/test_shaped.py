"""The shaped read's pure parts: statements from shapes, rows into response maps, pages.

Shape(System: hostname, ports: interfaces(first 2) { name  link { id } })
  -> two statements (systems, their interfaces); rows zipped in field order
"""

from __future__ import annotations

import pytest

from blueprint_engine import reads, shaped
from blueprint_engine.shaped import Field, Leaf, Shape

TEXT = Leaf("STRING", nullable=False)
OPTIONAL_TEXT = Leaf("STRING", nullable=True)
LINK = Shape("Link", (Field("linkId", "id", TEXT),))
PORT = Shape(
    "Interface",
    (
        Field("port", "name", TEXT),
        Field("link", "link", child=LINK),
        Field("ip", "ipv4", OPTIONAL_TEXT),
    ),
)
SYSTEM = Shape(
    "System",
    (Field("host", "hostname", TEXT), Field("ports", "interfaces", child=PORT, first=2)),
)


def test_a_shape_is_one_statement_per_list_level_and_no_alias_reaches_cypher() -> None:
    level = shaped.plan(SYSTEM, "System")
    assert level is not None
    assert level.query.name == "reads.shaped.systems"
    [(field, below)] = level.levels
    assert field.key == "ports" and below.query.name == "reads.shaped.interfaces_of_systems"
    for text in (level.query.text, below.query.text):
        for alias in ("host", "ports", "port", "linkId", "ip"):
            assert f"{alias}:" not in text and f" {alias}," not in text
    # the value checks are in the statement: a misfit row is counted, not returned raw
    assert "v0.name IS :: STRING NOT NULL" in below.query.text
    assert "v0.ipv4 IS NULL OR v0.ipv4 IS :: STRING NOT NULL" in below.query.text


def test_rows_become_maps_in_selection_order_with_nested_nulls() -> None:
    level = shaped.plan(SYSTEM, "System")
    assert level is not None
    build = level.levels[0][1].build
    cabled = build(["swp1", ["spine1:swp1--leaf1:swp1"], "10.0.0.1/31"])
    unused = build(["swp9", None, None])
    assert list(cabled) == ["port", "link", "ip"]
    assert cabled == {
        "port": "swp1",
        "link": {"linkId": "spine1:swp1--leaf1:swp1"},
        "ip": "10.0.0.1/31",
    }
    assert unused == {"port": "swp9", "link": None, "ip": None}


def test_a_key_that_is_not_a_graphql_name_is_still_built_without_code() -> None:
    odd = Shape("Link", (Field("not a name'", "id", TEXT), Field("b", "role", TEXT)))
    level = shaped.plan(odd, "Link")
    assert level is not None
    assert level.build(["x", "spine_leaf"]) == {"not a name'": "x", "b": "spine_leaf"}


def test_interfaces_below_a_single_object_are_not_planned() -> None:
    inner = Shape("System", (Field("interfaces", "interfaces", child=PORT),))
    port = Shape("Interface", (Field("system", "system", child=inner, nullable=False),))
    outer = Shape("System", (Field("interfaces", "interfaces", child=port),))
    assert shaped.plan(outer, "System") is None
    assert shaped.plan(Shape("System", (Field("x", "no_such_field", TEXT),)), "System") is None


@pytest.mark.parametrize(
    ("first", "after"), [(100, None), (3, None), (4, "swp000000000002"), (2, "swp000000000010")]
)
def test_a_page_of_ports_is_what_the_general_path_pages(first: int, after: str | None) -> None:
    names = ["swp10", "swp2", "swp1", "swp33", "swp3", "eth0"]
    rows = [[f"leaf1:{name}", name] for name in names]  # as reads.IF_FIELDS: id, name
    assert shaped._page(names, rows, first, after) == reads.ports_page(rows, first, after)
