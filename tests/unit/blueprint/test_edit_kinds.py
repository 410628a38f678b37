"""The one registry of edit kinds and their typed parameters (pure: no graph)."""

from __future__ import annotations

from typing import Any

import pytest

from blueprint_engine.change.additions import AddRack, AddVirtualNetwork
from blueprint_engine.change.edits import DeleteNodes, RecableLink, SetDeployMode, SetProperty
from blueprint_engine.change.kinds import INTERNAL_KINDS, PUBLIC_KINDS, REGISTRY
from blueprint_engine.errors import ValidationError


def test_one_registry_holds_every_kind_and_marks_the_engine_s_own_as_internal() -> None:
    assert set(PUBLIC_KINDS) == {
        "add_rack",
        "add_pod",
        "remove_rack",
        "add_virtual_network",
        "remove_virtual_network",
        "recable_link",
        "set_property",
        "set_deploy_mode",
        "attach_configlet",
        "detach_configlet",
        "set_property_set",
        "set_tags",
    }
    assert set(INTERNAL_KINDS) == {"restore", "delete_nodes", "set_port_addresses", "apply_edits"}
    assert set(REGISTRY) == set(PUBLIC_KINDS) | set(INTERNAL_KINDS)


def test_parameters_parse_into_typed_edits_that_serialise_back_to_the_same_json() -> None:
    params = {"kind": "System", "id": "spine1", "key": "hostname", "value": "sp1"}
    edit = SetProperty.parse(params)
    assert edit == SetProperty("System", "spine1", "hostname", "sp1")
    assert edit.as_edit() == {"kind": "set_property", "params": params}
    assert SetDeployMode.parse({"system": "spine1", "mode": "drain"}).as_edit() == {
        "kind": "set_deploy_mode",
        "params": {"system": "spine1", "mode": "drain"},
    }
    assert AddRack.parse({"rack_type": "lab-leaf-pair"}).rack_type == "lab-leaf-pair"
    vn = AddVirtualNetwork.parse({"name": "db", "racks": ["rack3"]})
    assert vn.as_edit()["params"]["racks"] == ["rack3"]


@pytest.mark.parametrize(
    ("parse", "params", "says"),
    [
        (SetProperty.parse, {"kind": "System", "id": "s"}, "missing parameter key"),
        (SetProperty.parse, {"kind": "System", "id": "s", "key": "asn"}, "cannot be set"),
        (SetDeployMode.parse, {"system": "s", "mode": "melt"}, "unknown mode 'melt'"),
        (RecableLink.parse, {"link": "l", "side": "c", "interface": "x:y"}, "unknown side"),
        (RecableLink.parse, {"link": ["l"], "side": "a", "interface": "x:y"}, "parameter link"),
        (DeleteNodes.parse, {"nodes": [{"label": "GraphMeta", "value": 1}]}, "GraphMeta"),
    ],
)
def test_bad_parameters_are_refused_naming_the_field(
    parse: Any, params: dict[str, Any], says: str
) -> None:
    with pytest.raises(ValidationError) as err:
        parse(params)
    assert says in err.value.message
