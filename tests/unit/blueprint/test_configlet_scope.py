"""Which attached configlets a switch gets, and the property values it sees (pure)."""

from __future__ import annotations

import json

import pytest

from blueprint_engine.catalogue.models import Configlet
from blueprint_engine.configs.configlets import (
    Attached,
    SwitchFacts,
    for_device,
    in_scope,
    properties,
)

LEAF = SwitchFacts("rack2-leaf1", "leaf", "frr-vswitch-8x10", "rack2", ("edge",))
SPINE = SwitchFacts("spine1", "spine", "frr-vswitch-8x10", None, ())


@pytest.mark.parametrize(
    ("scope", "leaf", "spine"),
    [
        ({}, True, True),
        ({"roles": ["leaf"]}, True, False),
        ({"roles": ["spine", "leaf"]}, True, True),
        ({"racks": ["rack2"]}, True, False),
        ({"racks": ["rack1"]}, False, False),
        ({"systems": ["spine1"]}, False, True),
        ({"tags": ["edge"]}, True, False),
        ({"roles": ["leaf"], "tags": ["core"]}, False, False),  # every field must match
        ({"device_profiles": ["frr-vswitch-8x10"], "roles": []}, True, True),
    ],
)
def test_every_given_scope_field_must_match(
    scope: dict[str, list[str]], leaf: bool, spine: bool
) -> None:
    assert in_scope(scope, LEAF) is leaf
    assert in_scope(scope, SPINE) is spine


def attached(name: str, scope: dict[str, list[str]]) -> Attached:
    entry = Configlet.model_validate(
        {
            "name": name,
            "generators": {
                "linux_frr": {"template": "log facility {{ f }}", "section": "frr"},
                "eos": {"template": "ntp server {{ n }}", "negation": "no ntp server {{ n }}"},
            },
        }
    )
    return Attached(name, json.loads(entry.model_dump_json(exclude_none=True)), scope)


def test_a_switch_gets_the_generator_of_its_nos_in_name_order() -> None:
    configlets = [attached("a-log", {"roles": ["leaf"]}), attached("b-log", {})]
    assert for_device(configlets, "linux_frr", LEAF) == [
        {"name": "a-log", "template": "log facility {{ f }}", "section": "frr"},
        {"name": "b-log", "template": "log facility {{ f }}", "section": "frr"},
    ]
    assert for_device(configlets, "eos", SPINE) == [
        {"name": "b-log", "template": "ntp server {{ n }}", "negation": "no ntp server {{ n }}"}
    ]
    assert for_device(configlets, "junos", LEAF) == []  # no generator for junos


def test_system_values_override_the_blueprints_key_by_key() -> None:
    merged = properties(json.dumps({"ntp": "192.0.2.1", "f": "local4"}), json.dumps({"f": "x"}))
    assert merged == {"ntp": "192.0.2.1", "f": "x"}
    assert properties(None, None) == {}
