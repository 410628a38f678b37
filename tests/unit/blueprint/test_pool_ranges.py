"""A pool's ranges may change only while every allocated value stays inside them."""

import pytest

from blueprint_engine.design.model import Pool
from blueprint_engine.errors import ValidationError
from blueprint_engine.resources.pools import check_ranges

LOOPBACKS = Pool("ipv4-loopback", "ipv4", ("10.0.0.0/24",), 32)
ASNS = Pool("asn-leaf", "asn", ("65100-65199",))


def test_widening_keeps_every_allocated_value() -> None:
    assert check_ranges(LOOPBACKS, ["10.0.0.0/23"], ["10.0.0.1/32"]).ranges == ("10.0.0.0/23",)


def test_moving_away_from_allocated_values_is_refused_and_names_them() -> None:
    with pytest.raises(ValidationError) as err:
        check_ranges(ASNS, ["65200-65299"], ["65100", "65101"])
    assert "2 allocated value(s)" in err.value.message and "65100, 65101" in err.value.message


def test_malformed_ranges_are_refused_naming_the_pool() -> None:
    with pytest.raises(ValidationError, match="asn-leaf"):
        check_ranges(ASNS, ["65100-"], [])
