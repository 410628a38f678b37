"""Which attached configlets and property values a switch gets (pure).

An attached configlet (a ``Configlet`` node: the catalogue definition copied at attach
time and its scope) applies to a switch when every field its scope gives matches the
switch (any of the field's values): ``roles``, ``device_profiles``, ``racks``,
``systems``, ``tags`` (the system's own tags); an empty scope is every switch. The
switch gets the configlet's generator for its NOS (none: nothing), in configlet name
order. Property sets: the blueprint's, overridden key by key by the system's.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from renderers.context import ConfigletContext

SECTIONED_NOS = ("linux_frr",)  # the only NOS whose configlets name a file section


@dataclass(frozen=True)
class SwitchFacts:
    id: str
    role: str
    device_profile: str
    rack: str | None
    tags: tuple[str, ...]


@dataclass(frozen=True)
class Attached:
    id: str
    definition: Mapping[str, Any]
    scope: Mapping[str, Any]


def attached(rows: Iterable[Mapping[str, Any]]) -> list[Attached]:
    """Rows of ``CONFIGLETS`` as attached configlets, by name."""
    found = [
        Attached(str(r["id"]), json.loads(r["definition"]), json.loads(r["scope"] or "{}"))
        for r in rows
    ]
    return sorted(found, key=lambda c: c.id)


def switch_facts(row: Mapping[str, Any]) -> SwitchFacts:
    return SwitchFacts(
        id=str(row["id"]),
        role=str(row["role"]),
        device_profile=str(row["profile"]),
        rack=row.get("rack"),
        tags=tuple(row.get("tags") or ()),
    )


def in_scope(scope: Mapping[str, Any], facts: SwitchFacts) -> bool:
    checks: Sequence[tuple[str, Iterable[str]]] = (
        ("roles", [facts.role]),
        ("device_profiles", [facts.device_profile]),
        ("racks", [facts.rack] if facts.rack else []),
        ("systems", [facts.id]),
        ("tags", facts.tags),
    )
    for field, values in checks:
        wanted = scope.get(field) or []
        if wanted and not set(wanted) & set(values):
            return False
    return True


def for_device(
    configlets: Iterable[Attached], nos: str, facts: SwitchFacts
) -> list[ConfigletContext]:
    """The configlets of one switch, as the renderers take them."""
    out: list[ConfigletContext] = []
    for configlet in configlets:
        generator = configlet.definition.get("generators", {}).get(nos)
        if generator is None or not in_scope(configlet.scope, facts):
            continue
        context = ConfigletContext(name=configlet.id, template=str(generator["template"]))
        if nos in SECTIONED_NOS and generator.get("section"):
            context["section"] = str(generator["section"])
        if generator.get("negation"):
            context["negation"] = str(generator["negation"])
        out.append(context)
    return out


def properties(blueprint: str | None, system: str | None) -> dict[str, str]:
    """The property values a switch sees: the blueprint's, then its own over them."""
    merged: dict[str, str] = json.loads(blueprint or "{}")
    merged.update(json.loads(system or "{}"))
    return merged
