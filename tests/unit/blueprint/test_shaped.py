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
    # the rows are flat: the port's values, the link's presence flag, then its values
    assert "[v0.name, v1 IS NOT NULL, v1.id, v0.ipv4]" in below.query.text
    assert " IS :: " not in below.query.text  # values are checked on the decoded rows


def test_rows_become_maps_in_selection_order_with_nested_nulls() -> None:
    level = shaped.plan(SYSTEM, "System")
    assert level is not None
    build = level.levels[0][1].build
    cabled = build(["swp1", True, "spine1:swp1--leaf1:swp1", "10.0.0.1/31"])
    unused = build(["swp9", False, None, None])
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
    assert "not a name" not in level.query.text


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


def test_intent_and_enabled_are_derived_from_the_one_cabling_value_of_a_row() -> None:
    port = Shape(
        "Interface",
        (
            Field("intent", "intent", TEXT),
            Field("enabled", "enabled", Leaf("BOOLEAN", nullable=False)),
            Field("link", "link", child=LINK),
        ),
    )
    level = shaped.plan(Shape("System", (Field("p", "interfaces", child=port),)), "System")
    assert level is not None
    below = level.levels[0][1]
    assert "[v0_cabled, v1 IS NOT NULL, v1.id]" in below.query.text
    assert below.build([True, True, "l1"]) == {
        "intent": "in_service",
        "enabled": True,
        "link": {"linkId": "l1"},
    }
    assert below.build([False, False, None])["intent"] == "unused"


SPEED = Leaf("INTEGER", nullable=False)
COLUMNS = (
    shaped.Column(TEXT, None),  # the port's name
    shaped.Column(SPEED, None),  # its speed
    shaped.Column(None, None, required=False),  # its link's flag (nullable)
    shaped.Column(TEXT, 2),  # the link's id
    shaped.Column(None, 2, required=True),  # the link's a end (non-null)
    shaped.Column(TEXT, 4),  # that end's name
)
GOOD = [["swp1", 10000, True, "l1", True, "swp3"], ["swp2", 10000, False, None, False, None]]


@pytest.mark.parametrize(
    ("misfit", "row"),
    [
        ("a null in a non-null field", ["swp3", None, False, None, False, None]),
        ("a float for an integer", ["swp3", 2.5, False, None, False, None]),
        ("a boolean for an integer", ["swp3", True, False, None, False, None]),
        ("an integer for a string", [7, 10000, False, None, False, None]),
        ("a link without its far end", ["swp3", 10000, True, "l2", False, None]),
        ("a null in a present object", ["swp3", 10000, True, "l2", True, None]),
    ],
)
def test_a_value_that_does_not_fit_its_column_fails_the_rows(
    misfit: str, row: list[object]
) -> None:
    assert shaped.fits(GOOD, COLUMNS)
    assert not shaped.fits([*GOOD, row], COLUMNS), misfit


def test_lists_are_checked_item_by_item() -> None:
    names = (shaped.Column(Leaf("STRING", nullable=False, list_of=True), None),)
    assert shaped.fits([[["1x100G"]], [[]]], names)
    assert not shaped.fits([[["1x100G", 2]]], names)
    assert not shaped.fits([[None]], names)
