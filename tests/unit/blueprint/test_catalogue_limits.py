"""Limits a real fabric could need and no more, checked at the edge (pure).

Each refusal names the field and the limit; entries inside the limits still load.
"""

from __future__ import annotations

from typing import Any

import pytest
from test_catalogue_entries import LEAF, PROFILE, TEMPLATE, problems

from blueprint_engine import grammar
from blueprint_engine.catalogue.entries import Catalogue, create_entry
from blueprint_engine.design.model import Pool
from blueprint_engine.errors import ValidationError
from blueprint_engine.resources.pools import check_ranges


def _with(data: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return {**data, **changes}


@pytest.mark.parametrize(
    ("kind", "data", "field", "says"),
    [
        (
            "logical_devices",
            {
                "name": "huge",
                "port_groups": [{"count": 10**9, "speed_mbps": 10000, "roles": ["leaf"]}],
            },
            "port_groups[0].count",
            f"less than or equal to {grammar.MAX_PORTS_PER_DEVICE}",
        ),
        (
            "logical_devices",
            {
                "name": "wide",
                "port_groups": [{"count": 4000, "speed_mbps": 10000, "roles": ["leaf"]}] * 2,
            },
            "name: huge",
            "8000 ports in all (allowed: at most 4096 ports per device)",
        ),
        (
            "logical_devices",
            {"name": "neg", "port_groups": [{"count": 4, "speed_mbps": -5, "roles": ["leaf"]}]},
            "speed_mbps",
            "speed_mbps -5 is not allowed (allowed: 100, 1000",
        ),
        (
            "logical_devices",
            {
                "name": "fast",
                "port_groups": [{"count": 4, "speed_mbps": "fast", "roles": ["leaf"]}],
            },
            "speed_mbps",
            "valid integer",
        ),
        (
            "device_profiles",
            _with(PROFILE, name="evil", hardware_model="box\nhostname evil"),
            "hardware_model",
            "no newline",
        ),
        (
            "device_profiles",
            _with(
                PROFILE, name="long", ports=[{"prefix": "e" * 40, "count": 8, "speed_mbps": 10000}]
            ),
            "prefix",
            "at most 32 characters",
        ),
    ],
)
def test_entries_beyond_a_limit_are_refused_naming_field_and_limit(
    catalogue: Catalogue, kind: str, data: dict[str, Any], field: str, says: str
) -> None:
    found = problems(catalogue, kind, data)
    assert any(says in p for p in found), found
    if field != "name: huge":
        assert any(field in p for p in found), found


def _pools(**changes: Any) -> dict[str, Any]:
    return {**TEMPLATE["pools"], **changes}


@pytest.mark.parametrize(
    ("template", "says"),
    [
        (
            _with(
                TEMPLATE,
                name="t0",
                pools=_pools(
                    **{"ipv4-loopback": {"kind": "ipv4", "ranges": ["0.0.0.0/0"], "prefix_len": 32}}
                ),
            ),
            "is a /0: a pool range is at most a /8",
        ),
        (
            _with(TEMPLATE, name="t1", spines={**TEMPLATE["spines"], "count": 1000}),
            f"less than or equal to {grammar.MAX_SPINES}",
        ),
        (
            _with(TEMPLATE, name="t2", racks=[{"rack_type": "u-rack", "count": 600}] * 2),
            "1200 racks in all (allowed: at most 1024 racks per template)",
        ),
        (
            _with(
                TEMPLATE,
                name="t3",
                pools=_pools(
                    **{
                        "ipv4-vn": {"kind": "ipv4", "ranges": ["10.100.0.0/14"], "prefix_len": 16},
                        "vlan": {"kind": "vlan", "ranges": ["100-199"]},
                    }
                ),
                virtual_networks=[{"name": "lonely"}],
            ),
            "virtual network lonely is bound to no rack (allowed: at least one rack",
        ),
    ],
)
def test_templates_beyond_a_limit_are_refused(
    catalogue: Catalogue, template: dict[str, Any], says: str
) -> None:
    found = problems(catalogue, "templates", template)
    assert any(says in p for p in found), found


def test_a_pool_put_over_rest_may_not_be_the_whole_address_space() -> None:
    pool = Pool("ipv4-loopback", "ipv4", ("10.0.0.0/24",), 32)
    with pytest.raises(ValidationError, match="at most a /8"):
        check_ranges(pool, ["0.0.0.0/0"], [])
    assert check_ranges(pool, ["10.0.0.0/8"], []).ranges == ("10.0.0.0/8",)


def test_entries_inside_the_limits_still_load(catalogue: Catalogue) -> None:
    big = {
        "name": "chassis",
        "port_groups": [{"count": 4096, "speed_mbps": 400000, "roles": ["leaf"]}],
    }
    assert (
        len(create_entry(catalogue, "logical_devices", big).logical_device("chassis").ports) == 4096
    )
    assert create_entry(catalogue, "logical_devices", _with(LEAF, name="l2")).logical_device("l2")
