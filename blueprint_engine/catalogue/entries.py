"""The design catalogue: logical devices, device profiles, interface maps, rack types
and templates, loaded from YAML (``fixtures/catalogue/``) or created one by one.

A catalogue file is a YAML mapping whose keys are sections (``logical_devices``,
``device_profiles``, ``interface_maps``, ``rack_types``, ``templates``), each a
list of entries (see ``catalogue_models``). ``load_catalogue`` reads a file or
every ``*.yaml``/``*.yml`` file of a folder, validates every entry and every
cross reference, and raises one ``CatalogueError`` listing each problem with
its file, line and field. ``create_entry`` adds one entry (from the API) with
the same validation.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, TypeVar

import pydantic

from blueprint_engine.catalogue.checks import check_catalogue
from blueprint_engine.catalogue.models import (
    ENTRY_KINDS,
    Configlet,
    DeviceProfile,
    Entry,
    InterfaceMap,
    LogicalDevice,
    PortRole,
    RackType,
    Template,
    allowed_fields,
)
from blueprint_engine.catalogue.yaml_lines import (
    CatalogueError,
    CatalogueProblem,
    YamlDocument,
    YamlPath,
    read_yaml,
)
from blueprint_engine.errors import ConflictError, NotFoundError, ValidationError

EntryT = TypeVar("EntryT", bound=Entry)


@dataclass(frozen=True)
class MappedPort:
    """A logical port of a switch and the physical port serving it."""

    logical: int  # 1-based logical port number
    name: str  # physical port name, e.g. "swp3"
    speed_mbps: int
    media: str
    roles: tuple[PortRole, ...]


@dataclass(frozen=True)
class Source:
    """Where an entry was defined: its document and path (for error lines)."""

    document: YamlDocument
    path: YamlPath

    def problem(self, field: YamlPath, message: str) -> CatalogueProblem:
        return self.document.problem((*self.path, *field), message)


def _frozen(entries: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(sorted(entries.items())))


@dataclass(frozen=True)
class Catalogue:
    logical_devices: Mapping[str, LogicalDevice]
    device_profiles: Mapping[str, DeviceProfile]
    interface_maps: Mapping[str, InterfaceMap]
    rack_types: Mapping[str, RackType]
    templates: Mapping[str, Template]
    configlets: Mapping[str, Configlet]
    sources: Mapping[tuple[str, str], Source]  # (section, name) -> definition

    def section(self, kind: str) -> Mapping[str, Entry]:
        entries: Mapping[str, Entry] = getattr(self, kind)
        return entries

    def having(self, kind: str, name: str) -> Catalogue:
        """This catalogue (a fixed catalogue is its own ``edit_model.CatalogueSource``)."""
        return self

    def confirm(self, tx: object, entries: object) -> None:
        """A fixed catalogue never changes: nothing to confirm."""

    def source(self, kind: str, name: str) -> Source:
        return self.sources[(kind, name)]

    def configlet(self, name: str) -> Configlet:
        return _get(self.configlets, name, "configlet")

    def template(self, name: str) -> Template:
        return _get(self.templates, name, "template")

    def rack_type(self, name: str) -> RackType:
        return _get(self.rack_types, name, "rack type")

    def logical_device(self, name: str) -> LogicalDevice:
        return _get(self.logical_devices, name, "logical device")

    def device_profile(self, name: str) -> DeviceProfile:
        return _get(self.device_profiles, name, "device profile")

    def interface_map_for(self, logical_device: str, device_profile: str) -> InterfaceMap:
        for entry in self.interface_maps.values():
            if (entry.logical_device, entry.device_profile) == (logical_device, device_profile):
                return entry
        raise NotFoundError(
            f"no interface map for logical device {logical_device} on profile {device_profile}",
            allowed=[
                f"{m.logical_device} on {m.device_profile}" for m in self.interface_maps.values()
            ],
        )

    def switch_ports(self, logical_device: str, device_profile: str) -> tuple[MappedPort, ...]:
        """Every logical port of a switch with its physical port, in logical order."""
        logical = self.logical_device(logical_device)
        profile = self.device_profile(device_profile)
        mapping = self.interface_map_for(logical_device, device_profile)
        physical = profile.physical_ports
        index = {port.name: position for position, port in enumerate(physical)}
        mapped: list[MappedPort] = []
        for block in mapping.ports:
            start = index[block.physical_first]
            for offset in range(block.count):
                number = block.logical_first + offset
                port = physical[start + offset]
                roles = logical.ports[number - 1].roles
                mapped.append(MappedPort(number, port.name, port.speed_mbps, port.media, roles))
        return tuple(sorted(mapped, key=lambda port: port.logical))


def _get(entries: Mapping[str, EntryT], name: str, what: str) -> EntryT:
    try:
        return entries[name]
    except KeyError:
        raise NotFoundError(
            f"{what} {name!r} is not in the catalogue", allowed=list(entries)
        ) from None


def _pydantic_problems(
    error: pydantic.ValidationError, kind: str, source: Source
) -> list[CatalogueProblem]:
    problems = []
    details = error.errors(include_url=False)
    for detail in details:
        location: YamlPath = tuple(detail["loc"])
        if detail["type"] == "too_short" and any(
            len(other["loc"]) > len(location) and tuple(other["loc"][: len(location)]) == location
            for other in details
        ):
            continue  # an item below was refused, so the list came out short: said already
        message = detail["msg"]
        if detail["type"] == "extra_forbidden":
            allowed = allowed_fields(ENTRY_KINDS[kind], location[:-1])
            message = f"unknown field (allowed fields: {', '.join(allowed)})"
        problems.append(source.problem(location, message))
    return problems


def _validate_entry(
    kind: str, data: Any, source: Source
) -> tuple[Entry | None, list[CatalogueProblem]]:
    try:
        return ENTRY_KINDS[kind].model_validate(data), []
    except pydantic.ValidationError as exc:
        return None, _pydantic_problems(exc, kind, source)


@dataclass
class _Collector:
    entries: dict[str, dict[str, Entry]]
    sources: dict[tuple[str, str], Source]
    problems: list[CatalogueProblem]

    def add(self, kind: str, data: Any, source: Source) -> None:
        entry, problems = _validate_entry(kind, data, source)
        self.problems += problems
        if entry is None:
            return
        name = entry.name
        if (kind, name) in self.sources:
            first = self.sources[(kind, name)].problem(("name",), "")
            message = f"{kind} {name!r} is already defined at {first.file}:{first.line}"
            self.problems.append(source.problem(("name",), message + " (names must be unique)"))
            return
        self.entries[kind][name] = entry
        self.sources[(kind, name)] = source

    def add_document(self, document: YamlDocument) -> None:
        if not isinstance(document.data, dict):
            message = (
                f"a catalogue file is a mapping of sections (allowed: {', '.join(ENTRY_KINDS)})"
            )
            self.problems.append(document.problem((), message))
            return
        for kind, items in document.data.items():
            if kind not in ENTRY_KINDS:
                message = f"unknown section (allowed: {', '.join(ENTRY_KINDS)})"
                self.problems.append(document.problem((str(kind),), message))
            elif not isinstance(items, list):
                self.problems.append(document.problem((kind,), "a section is a list of entries"))
            else:
                for index, data in enumerate(items):
                    self.add(kind, data, Source(document, (kind, index)))

    def build(self) -> Catalogue:
        catalogue = Catalogue(
            **{kind: _frozen(self.entries[kind]) for kind in ENTRY_KINDS},
            sources=MappingProxyType(dict(self.sources)),
        )
        problems = self.problems + check_catalogue(catalogue)
        if problems:
            raise CatalogueError(problems)
        return catalogue


def _empty_collector() -> _Collector:
    return _Collector({kind: {} for kind in ENTRY_KINDS}, {}, [])


def catalogue_files(path: Path) -> list[Path]:
    if path.is_dir():
        return sorted(item for item in path.iterdir() if item.suffix in (".yaml", ".yml"))
    return [path]


def load_catalogue(path: str | Path) -> Catalogue:
    """Load and validate a catalogue file, or every YAML file of a folder."""
    collector = _empty_collector()
    for file in catalogue_files(Path(path)):
        try:
            document = read_yaml(file)
        except CatalogueError as exc:
            collector.problems += exc.problems
            continue
        collector.add_document(document)
    return collector.build()


@dataclass(frozen=True)
class NewEntry:
    """An entry to add to a catalogue, with where it came from (for error messages)."""

    kind: str
    data: Mapping[str, Any]
    source: Source


def entry_source(data: Any, origin: str = "<api>") -> Source:
    """The source of an entry given as data (API, graph): problems name ``origin``, no line."""
    return Source(YamlDocument(origin, data, {}), ())


def definition(entry: Entry) -> dict[str, Any]:
    """An entry as plain JSON data (defaults filled in); validates back to the same entry."""
    data: dict[str, Any] = entry.model_dump(mode="json", exclude_none=True)
    return data


def extend_catalogue(catalogue: Catalogue, entries: Sequence[NewEntry]) -> Catalogue:
    """A new catalogue holding ``entries`` too, each validated like a loaded one.

    Unknown kinds and names already taken are refused first; then every problem of the
    new entries (fields, references, port counts, speeds...) is raised together as one
    ``CatalogueError``. ``catalogue`` itself is never changed.
    """
    for new in entries:
        if new.kind not in ENTRY_KINDS:
            raise ValidationError(f"unknown catalogue kind {new.kind!r}", allowed=list(ENTRY_KINDS))
        name = new.data.get("name") if isinstance(new.data, Mapping) else None
        if isinstance(name, str) and name in catalogue.section(new.kind):
            where = _where(catalogue.source(new.kind, name))
            raise ConflictError(
                f"{new.kind} {name!r} already exists ({where})",
                allowed="a name not used by another entry of the same kind",
            )
    collector = _empty_collector()
    for existing_kind in ENTRY_KINDS:
        collector.entries[existing_kind].update(catalogue.section(existing_kind))
    collector.sources.update(catalogue.sources)
    for new in entries:
        data = dict(new.data) if isinstance(new.data, Mapping) else new.data
        collector.add(new.kind, data, new.source)
    return collector.build()


def _where(source: Source) -> str:
    line = source.document.line_of(source.path)
    return source.document.file if line is None else f"{source.document.file}:{line}"


def create_entry(
    catalogue: Catalogue, kind: str, data: Mapping[str, Any], *, origin: str = "<api>"
) -> Catalogue:
    """A new catalogue holding one more entry, validated like a loaded one."""
    return extend_catalogue(catalogue, [NewEntry(kind, data, entry_source(dict(data), origin))])
