"""Staged edits of customisation: configlets attached, property sets, tags.

- ``attach_configlet`` / ``detach_configlet``: a catalogue configlet becomes a
  ``Configlet`` node of the blueprint (``HAS_CONFIGLET``) holding a copy of its
  definition and its scope (the catalogue's default, or one given with the edit).
- ``set_property_set``: keys of the blueprint's property set, or of one system's (which
  override the blueprint's), set or (with ``null``) removed; stored as JSON on the
  ``Blueprint`` / ``System`` node (``property_set``), so a system removed with its rack
  takes its own set with it and a restore brings it back.
- ``set_tags``: the tags of a system, link or interface (``tags``), replaced.

Each records its logical diff and its exact inverse, like every edit.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pydantic

from blueprint_engine.catalogue.models import ConfigletScope
from blueprint_engine.change.edits import DeleteNodes, _delete_rows
from blueprint_engine.change.model import (
    Applied,
    DiffEntry,
    EditContext,
    EditKind,
    Params,
    added,
    choice,
    items,
    mapping,
    modified,
    text,
)
from blueprint_engine.errors import ConflictError, NotFoundError, ValidationError
from blueprint_engine.grammar import (
    MAX_PROPERTIES,
    MAX_TAGS,
    PROPERTY_KEY,
    PROPERTY_VALUE,
    TAG,
    Grammar,
)
from blueprint_engine.graph.db import Query

NAME = Grammar("a configlet name: [a-z0-9][a-z0-9._-]{0,62}", TAG.valid)
TAGGABLE = ("System", "Link", "Interface")

CONFIGLET = Query(
    "custom.configlet",
    """
    MATCH (:Blueprint {name: $bp})-[:HAS_CONFIGLET]->(c:Configlet {uid: $bp + '/' + $id})
    RETURN elementId(c) AS eid, 'Configlet' AS kind, c.id AS id
    """,
)
ATTACH = Query(
    "custom.attach_configlet",
    """
    MATCH (b:Blueprint {name: $bp})
    CREATE (b)-[:HAS_CONFIGLET]->(:Configlet {uid: $bp + '/' + $id, blueprint: $bp, id: $id,
            configlet: $configlet, definition: $definition, scope: $scope})
    """,
)
BLUEPRINT_PROPERTIES = Query(
    "custom.blueprint_properties",
    "MATCH (n:Blueprint {name: $bp}) RETURN n.property_set AS properties",
)
SYSTEM_PROPERTIES = Query(
    "custom.system_properties",
    "MATCH (n:System {uid: $bp + '/' + $system}) RETURN n.property_set AS properties",
)
SET_BLUEPRINT_PROPERTIES = Query(
    "custom.set_blueprint_properties",
    "MATCH (n:Blueprint {name: $bp}) SET n.property_set = $properties",
)
SET_SYSTEM_PROPERTIES = Query(
    "custom.set_system_properties",
    "MATCH (n:System {uid: $bp + '/' + $system}) SET n.property_set = $properties",
)


def _tags_query(label: str) -> Query:
    # label is one of TAGGABLE (schema names only)
    return Query(
        f"custom.set_tags.{label}",
        f"""
        MATCH (n:{label} {{uid: $bp + '/' + $id}})
        WITH n, n.tags AS before SET n.tags = $tags
        RETURN before
        """,
    )


SET_TAGS = {label: _tags_query(label) for label in TAGGABLE}


def _scope(value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise ValidationError("parameter scope must be an object", allowed=_scope_fields())
    try:
        scope = ConfigletScope.model_validate(dict(value))
    except pydantic.ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(part) for part in first["loc"])
        raise ValidationError(f"scope {where}: {first['msg']}", allowed=_scope_fields()) from None
    dumped: dict[str, Any] = scope.model_dump(mode="json")
    return dumped


def _scope_fields() -> str:
    return "an object with any of " + ", ".join(ConfigletScope.model_fields)


# -- attach_configlet / detach_configlet -------------------------------------------------
@dataclass(frozen=True)
class AttachConfiglet(Params):
    KIND = "attach_configlet"
    configlet: str
    scope: dict[str, Any] | None = None  # None: the catalogue entry's scope

    @classmethod
    def parse(cls, params: Mapping[str, Any]) -> AttachConfiglet:
        return cls(text(params, "configlet", NAME), _scope(params.get("scope")))


def attach_configlet(ctx: EditContext, edit: AttachConfiglet) -> Applied:
    entry = ctx.design_catalogue("configlets", edit.configlet).configlet(edit.configlet)
    if ctx.graph.run(ctx.tx, CONFIGLET, bp=ctx.blueprint, id=edit.configlet):
        raise ConflictError(
            f"configlet {edit.configlet!r} is already attached to blueprint {ctx.blueprint!r}",
            allowed="a configlet not attached yet (detach it first to change its scope)",
        )
    definition = entry.model_dump(mode="json", exclude_none=True)
    scope = edit.scope if edit.scope is not None else definition["scope"]
    ctx.graph.run(
        ctx.tx,
        ATTACH,
        bp=ctx.blueprint,
        id=edit.configlet,
        configlet=edit.configlet,
        definition=json.dumps(definition, sort_keys=True),
        scope=json.dumps(scope, sort_keys=True),
    )
    uid = f"{ctx.blueprint}/{edit.configlet}"
    return Applied(
        diff=[added("Configlet", edit.configlet)],
        inverse=[DeleteNodes([{"label": "Configlet", "prop": "uid", "value": uid}]).as_edit()],
    )


@dataclass(frozen=True)
class DetachConfiglet(Params):
    KIND = "detach_configlet"
    configlet: str

    @classmethod
    def parse(cls, params: Mapping[str, Any]) -> DetachConfiglet:
        return cls(text(params, "configlet", NAME))


def detach_configlet(ctx: EditContext, edit: DetachConfiglet) -> Applied:
    rows = ctx.graph.run(ctx.tx, CONFIGLET, bp=ctx.blueprint, id=edit.configlet)
    if not rows:
        raise NotFoundError(
            f"no configlet {edit.configlet!r} attached to blueprint {ctx.blueprint!r}"
        )
    return _delete_rows(ctx, rows)


# -- set_property_set -------------------------------------------------------------------
def _values(params: Mapping[str, Any]) -> dict[str, str | None]:
    values = mapping(params, "values")
    if not values or len(values) > MAX_PROPERTIES:
        raise ValidationError(
            f"parameter values has {len(values)} keys", allowed=f"1 to {MAX_PROPERTIES} keys"
        )
    for key, value in values.items():
        PROPERTY_KEY.check("property key", key)
        if value is not None:
            PROPERTY_VALUE.check(f"property {key}", value)
    return dict(sorted(values.items()))


@dataclass(frozen=True)
class SetPropertySet(Params):
    KIND = "set_property_set"
    values: dict[str, str | None]  # None removes the key
    system: str | None = None  # None: the blueprint's property set

    @classmethod
    def parse(cls, params: Mapping[str, Any]) -> SetPropertySet:
        system = text(params, "system") if params.get("system") is not None else None
        return cls(_values(params), system)


def set_property_set(ctx: EditContext, edit: SetPropertySet) -> Applied:
    read, write = (
        (BLUEPRINT_PROPERTIES, SET_BLUEPRINT_PROPERTIES)
        if edit.system is None
        else (SYSTEM_PROPERTIES, SET_SYSTEM_PROPERTIES)
    )
    rows = ctx.graph.run(ctx.tx, read, bp=ctx.blueprint, system=edit.system)
    if not rows:
        raise NotFoundError(f"no system {edit.system!r} in blueprint {ctx.blueprint!r}")
    before: dict[str, str] = json.loads(rows[0]["properties"] or "{}")
    after = {k: v for k, v in before.items() if edit.values.get(k, v) is not None}
    after.update({k: v for k, v in edit.values.items() if v is not None})
    if len(after) > MAX_PROPERTIES:
        raise ValidationError(
            f"the property set would hold {len(after)} keys", allowed=f"at most {MAX_PROPERTIES}"
        )
    stored = json.dumps(dict(sorted(after.items()))) if after else None
    ctx.graph.run(ctx.tx, write, bp=ctx.blueprint, system=edit.system, properties=stored)
    kind, ident = ("Blueprint", ctx.blueprint) if edit.system is None else ("System", edit.system)
    diff: list[DiffEntry] = [
        modified(kind, ident, f"property_set.{key}", before.get(key), value)
        for key, value in edit.values.items()
        if before.get(key) != value
    ]
    undo = {key: before.get(key) for key in edit.values}
    return Applied(diff=diff, inverse=[SetPropertySet(undo, edit.system).as_edit()])


# -- set_tags ----------------------------------------------------------------------------
@dataclass(frozen=True)
class SetTags(Params):
    KIND = "set_tags"
    kind: str
    id: str
    tags: list[str]

    @classmethod
    def parse(cls, params: Mapping[str, Any]) -> SetTags:
        kind, ident = choice(params, "kind", TAGGABLE), text(params, "id")
        tags = items(params, "tags", MAX_TAGS)
        for tag in tags:
            TAG.check("tag", tag)
        return cls(kind, ident, sorted(set(tags)))


def set_tags(ctx: EditContext, edit: SetTags) -> Applied:
    rows = ctx.graph.run(ctx.tx, SET_TAGS[edit.kind], bp=ctx.blueprint, id=edit.id, tags=edit.tags)
    if not rows:
        raise NotFoundError(f"no {edit.kind} {edit.id!r} in blueprint {ctx.blueprint!r}")
    before = list(rows[0]["before"] or [])
    diff = [] if before == edit.tags else [modified(edit.kind, edit.id, "tags", before, edit.tags)]
    return Applied(diff=diff, inverse=[SetTags(edit.kind, edit.id, before).as_edit()])


CUSTOM_KINDS: tuple[EditKind[Any], ...] = (
    EditKind(
        "attach_configlet",
        AttachConfiglet.parse,
        attach_configlet,
        uses=lambda e: [("configlets", e.configlet)],
    ),
    EditKind("detach_configlet", DetachConfiglet.parse, detach_configlet),
    EditKind("set_property_set", SetPropertySet.parse, set_property_set),
    EditKind("set_tags", SetTags.parse, set_tags),
)
