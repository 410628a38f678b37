"""Which catalogue entries an entry refers to, and which refer to it (pure).

An entry is named ``(kind, name)`` with kind a catalogue section. References:
an interface map names a logical device and a device profile; a rack type its leaf's
logical device, device profile and interface map, and its servers' logical device; a
template its spines' and superspines' (the same three), its rack types and its pods'
templates. A switch needs the interface
map of its (logical device, device profile) pair, so that map is a reference too.
"""

from __future__ import annotations

from collections.abc import Iterable

from blueprint_engine.catalogue.entries import Catalogue
from blueprint_engine.catalogue.models import SwitchSpec

EntryRef = tuple[str, str]  # (kind, name)


def _switch(catalogue: Catalogue, spec: SwitchSpec) -> set[EntryRef]:
    refs = {
        ("logical_devices", spec.logical_device),
        ("device_profiles", spec.device_profile),
    }
    refs |= {
        ("interface_maps", m.name)
        for m in catalogue.interface_maps.values()
        if (m.logical_device, m.device_profile) == (spec.logical_device, spec.device_profile)
    }
    return refs


def references(catalogue: Catalogue, kind: str, name: str) -> set[EntryRef]:
    """The entries ``(kind, name)`` refers to directly (empty for an unknown entry)."""
    if kind == "interface_maps" and name in catalogue.interface_maps:
        imap = catalogue.interface_maps[name]
        return {
            ("logical_devices", imap.logical_device),
            ("device_profiles", imap.device_profile),
        }
    if kind == "rack_types" and name in catalogue.rack_types:
        rack = catalogue.rack_types[name]
        refs = _switch(catalogue, rack.leaf)
        return refs | {("logical_devices", rack.servers.logical_device)}
    if kind == "templates" and name in catalogue.templates:
        template = catalogue.templates[name]
        refs = {("rack_types", r.rack_type) for r in template.racks}
        for spec in (template.spines, template.superspines):
            if spec is not None:
                refs |= _switch(catalogue, spec)
        return refs | {("templates", pod.template) for pod in template.pods}
    return set()


def dependencies(catalogue: Catalogue, entries: Iterable[EntryRef]) -> set[EntryRef]:
    """``entries`` and everything they refer to, transitively."""
    seen: set[EntryRef] = set()
    todo = list(entries)
    while todo:
        entry = todo.pop()
        if entry not in seen:
            seen.add(entry)
            todo.extend(references(catalogue, *entry))
    return seen


def users(catalogue: Catalogue, kind: str, name: str) -> list[EntryRef]:
    """The entries that refer to ``(kind, name)`` directly, by kind then name."""
    return sorted(
        (other_kind, other)
        for other_kind in ("interface_maps", "rack_types", "templates")
        for other in catalogue.section(other_kind)
        if (kind, name) in references(catalogue, other_kind, other)
    )
