"""Observations are validated on the way in: kind, ids, value shape, time."""

from __future__ import annotations

from typing import Any

import pytest

from blueprint_engine.errors import ValidationError
from telemetry.model import Observation, ObservationKind, canonical_json, check


def obs(kind: str = "interface", value: dict[str, object] | None = None, **kw: Any) -> Observation:
    fields: dict[str, Any] = {
        "blueprint": "bp",
        "kind": kind,
        "observer": "leaf1",
        "subject": "leaf1:swp1",
        "value": value if value is not None else {"oper_up": True, "admin_up": True},
        "observed_at": 10.0,
    }
    fields.update(kw)
    return Observation(**fields)


def test_a_well_formed_observation_passes_and_has_a_stable_uid() -> None:
    o = check(obs())
    assert o.uid == "bp/interface/leaf1/leaf1:swp1"
    assert o.value_json() == '{"admin_up":true,"oper_up":true}'


def test_equal_values_give_equal_text_whatever_the_key_order() -> None:
    assert canonical_json({"b": 1, "a": 2}) == canonical_json({"a": 2, "b": 1})


def test_unknown_kind_names_the_allowed_kinds() -> None:
    with pytest.raises(ValidationError) as err:
        check(obs(kind="temperature"))
    assert "temperature" in err.value.message
    assert "lldp" in err.value.allowed


@pytest.mark.parametrize(
    ("value", "word"),
    [
        ({"oper_up": True}, "missing"),
        ({"oper_up": True, "admin_up": True, "speed": 1}, "unknown"),
        ({"oper_up": "up", "admin_up": True}, "oper_up"),
    ],
)
def test_malformed_values_name_the_key(value: dict[str, object], word: str) -> None:
    with pytest.raises(ValidationError) as err:
        check(obs(value=value))
    assert word in err.value.message
    assert "oper_up: bool" in err.value.allowed


def test_a_number_is_not_a_bool_and_nan_is_not_a_power() -> None:
    with pytest.raises(ValidationError):
        check(obs(value={"oper_up": 1, "admin_up": True}))
    with pytest.raises(ValidationError):
        check(obs("optics", {"present": True, "rx_power_dbm": float("nan")}, subject="x"))


def test_device_and_config_observations_are_about_their_observer() -> None:
    with pytest.raises(ValidationError) as err:
        check(obs("device", {"reachable": True, "hostname": "leaf1"}, subject="spine1"))
    assert "subject = observer" in err.value.allowed


def test_ids_and_time_are_checked() -> None:
    with pytest.raises(ValidationError):
        check(obs(observer=""))
    with pytest.raises(ValidationError):
        check(obs(subject="a/b"))
    with pytest.raises(ValidationError):
        check(obs(observed_at=-1.0))


def test_config_last_deploy_is_a_deploy_result() -> None:
    check(obs("config", {"deviated": False, "last_deploy": None}, subject="leaf1"))
    with pytest.raises(ValidationError):
        check(obs("config", {"deviated": False, "last_deploy": "maybe"}, subject="leaf1"))
    assert ObservationKind("config") is ObservationKind.CONFIG


def test_a_kind_given_as_text_comes_back_as_the_enum() -> None:
    assert check(obs("interface")).kind is ObservationKind.INTERFACE
