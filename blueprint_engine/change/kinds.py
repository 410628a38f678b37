"""The one registry of edit kinds: the base edits and the additions.

``PUBLIC_KINDS`` are what an operator stages (CLI, GraphQL); the other kinds are the
inverses and batches the engine generates, refused at the public entry point.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from blueprint_engine.change.additions import ADDITION_KINDS
from blueprint_engine.change.custom import CUSTOM_KINDS
from blueprint_engine.change.edits import BASE_KINDS
from blueprint_engine.change.model import EditKind, public_kinds

REGISTRY: Mapping[str, EditKind[Any]] = MappingProxyType(
    {kind.name: kind for kind in (*ADDITION_KINDS, *BASE_KINDS, *CUSTOM_KINDS)}
)
PUBLIC_KINDS: tuple[str, ...] = tuple(public_kinds(REGISTRY))
INTERNAL_KINDS: tuple[str, ...] = tuple(k for k in REGISTRY if k not in PUBLIC_KINDS)
