"""Cross-reference checks over a whole catalogue (each entry is valid on its own).

Every problem points at the referring entry's file, line and field, and says
what would be allowed: unknown names list the known ones; port shortages say
how many ports are needed and how many exist.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from blueprint_engine import grammar as limits
from blueprint_engine.catalogue.models import InterfaceMap, RackType, Template, TemplateType
from blueprint_engine.catalogue.yaml_lines import CatalogueProblem, YamlPath
from blueprint_engine.design.model import Overlay
from blueprint_engine.resources.allocation import PoolId

if TYPE_CHECKING:
    from blueprint_engine.catalogue.entries import Catalogue

Report = Callable[[YamlPath, str], None]


def _reporter(
    catalogue: Catalogue, kind: str, name: str, problems: list[CatalogueProblem]
) -> Report:
    source = catalogue.source(kind, name)

    def report(field: YamlPath, message: str) -> None:
        problems.append(source.problem(field, message))

    return report


def _known(
    report: Report, field: YamlPath, name: str, entries: Mapping[str, Any], what: str
) -> bool:
    if name in entries:
        return True
    known = ", ".join(entries) or "none defined"
    report(field, f"unknown {what} {name!r} (allowed: {known})")
    return False


def _ranges_problem(block_index: int, covered: set[int], first: int, count: int) -> str | None:
    overlap = covered.intersection(range(first, first + count))
    if overlap:
        return f"ports.{block_index} maps port {min(overlap)} twice (each port maps once)"
    covered.update(range(first, first + count))
    return None


def _check_mapping_block(
    imap: InterfaceMap,
    index: int,
    catalogue: Catalogue,
    seen: tuple[set[int], set[int]],
    report: Report,
) -> bool:
    """Check one block of an interface map; False when it has a problem."""
    logical = catalogue.logical_devices[imap.logical_device]
    profile = catalogue.device_profiles[imap.device_profile]
    names = [port.name for port in profile.physical_ports]
    block = imap.ports[index]
    field: YamlPath = ("ports", index)
    last = block.logical_first + block.count - 1
    if last > len(logical.ports):
        report(
            (*field, "count"),
            f"logical ports {block.logical_first}-{last} do not exist "
            f"(logical device {logical.name} has ports 1-{len(logical.ports)})",
        )
        return False
    if block.physical_first not in names:
        report(
            (*field, "physical_first"),
            f"profile {profile.name} has no port {block.physical_first!r} "
            f"(allowed: {names[0]}..{names[-1]})",
        )
        return False
    start = names.index(block.physical_first)
    if start + block.count > len(names):
        report(
            (*field, "count"),
            f"profile {profile.name} has only {len(names) - start} port(s) from "
            f"{block.physical_first} on, {block.count} needed",
        )
        return False
    ok = True
    for message in (
        _ranges_problem(index, seen[0], block.logical_first, block.count),
        _ranges_problem(index, seen[1], start, block.count),
    ):
        if message:
            report(field, message)
            ok = False
    for offset in range(block.count):
        wanted = logical.ports[block.logical_first - 1 + offset].speed_mbps
        port = profile.physical_ports[start + offset]
        if port.speed_mbps != wanted:
            report(
                field,
                f"logical port {block.logical_first + offset} needs {wanted} Mb/s but "
                f"{port.name} runs at {port.speed_mbps} Mb/s (allowed: ports of the same speed)",
            )
            return False
    return ok


def _check_interface_map(imap: InterfaceMap, catalogue: Catalogue, report: Report) -> None:
    ok = _known(
        report,
        ("logical_device",),
        imap.logical_device,
        catalogue.logical_devices,
        "logical device",
    )
    ok &= _known(
        report,
        ("device_profile",),
        imap.device_profile,
        catalogue.device_profiles,
        "device profile",
    )
    if not ok:
        return
    seen: tuple[set[int], set[int]] = (set(), set())
    blocks_ok = [
        _check_mapping_block(imap, index, catalogue, seen, report)
        for index in range(len(imap.ports))
    ]
    logical = catalogue.logical_devices[imap.logical_device]
    unmapped = sorted(set(range(1, len(logical.ports) + 1)) - seen[0])
    if unmapped and all(blocks_ok):
        profile = catalogue.device_profiles[imap.device_profile]
        report(
            ("ports",),
            f"logical ports {unmapped[0]}..{unmapped[-1]} of {logical.name} are not mapped "
            f"({len(unmapped)} port(s); profile {profile.name} has "
            f"{len(profile.physical_ports)} port(s), every logical port must map to one)",
        )
    twins = [
        other.name
        for other in catalogue.interface_maps.values()
        if other.name < imap.name
        and (other.logical_device, other.device_profile)
        == (imap.logical_device, imap.device_profile)
    ]
    if twins:
        report(
            ("name",),
            f"interface map {twins[0]} already maps {imap.logical_device} on "
            f"{imap.device_profile} (allowed: one map per logical device and profile)",
        )


def _check_switch(catalogue: Catalogue, spec: Any, report: Report, field: YamlPath) -> bool:
    ok = _known(
        report,
        (*field, "logical_device"),
        spec.logical_device,
        catalogue.logical_devices,
        "logical device",
    )
    ok &= _known(
        report,
        (*field, "device_profile"),
        spec.device_profile,
        catalogue.device_profiles,
        "device profile",
    )
    if ok and not any(
        (m.logical_device, m.device_profile) == (spec.logical_device, spec.device_profile)
        for m in catalogue.interface_maps.values()
    ):
        report(
            field,
            f"no interface map for {spec.logical_device} on {spec.device_profile} "
            f"(allowed: pairs that have an interface map)",
        )
        return False
    return ok


def server_links_per_leaf(rack: RackType) -> int:
    """Server links landing on the busiest leaf of a rack of this type."""
    servers = rack.servers
    if servers.homing == "dual" or rack.leaf_count == 1:
        return servers.count * servers.links_per_leaf
    return -(-servers.count // rack.leaf_count) * servers.links_per_leaf


def _need_ports(
    report: Report, field: YamlPath, device: str, role: str, have: int, need: int
) -> None:
    if need > have:
        report(
            field,
            f"needs {need} {role}-facing port(s) on {device} but it has {have} "
            f"(allowed: at most {have})",
        )


def _check_rack_type(rack: RackType, catalogue: Catalogue, report: Report) -> None:
    if _check_switch(catalogue, rack.leaf, report, ("leaf",)):
        leaf = catalogue.logical_devices[rack.leaf.logical_device]
        _need_ports(
            report,
            ("servers", "count"),
            leaf.name,
            "server",
            leaf.ports_for("server"),
            server_links_per_leaf(rack),
        )
        if leaf.ports_for("spine") == 0:
            report(
                ("leaf", "logical_device"),
                f"{leaf.name} has no spine-facing port (allowed: a "
                "logical device with a port group whose roles include spine)",
            )
    servers = rack.servers
    if _known(
        report,
        ("servers", "logical_device"),
        servers.logical_device,
        catalogue.logical_devices,
        "logical device",
    ):
        server = catalogue.logical_devices[servers.logical_device]
        homed = rack.leaf_count if servers.homing == "dual" else 1
        _need_ports(
            report,
            ("servers", "links_per_leaf"),
            server.name,
            "leaf",
            server.ports_for("leaf"),
            homed * servers.links_per_leaf,
        )


def _check_racks_known(template: Template, catalogue: Catalogue, report: Report) -> bool:
    known_racks = True
    for index, rack_count in enumerate(template.racks):
        known_racks &= _known(
            report,
            ("racks", index, "rack_type"),
            rack_count.rack_type,
            catalogue.rack_types,
            "rack type",
        )
    return known_racks


def _check_template_fabric(template: Template, catalogue: Catalogue, report: Report) -> None:
    if template.type == TemplateType.POD_BASED:
        _check_pods(template, catalogue, report)
        return
    known_racks = _check_racks_known(template, catalogue, report)
    if template.type == TemplateType.COLLAPSED:
        if known_racks:
            _check_collapsed(template, catalogue, report)
        return
    spines = template.spine_spec
    if not _check_switch(catalogue, spines, report, ("spines",)) or not known_racks:
        return
    spine = catalogue.logical_devices[spines.logical_device]
    leafs = sum(catalogue.rack_types[r.rack_type].leaf_count * r.count for r in template.racks)
    _need_ports(
        report, ("spines", "logical_device"), spine.name, "leaf", spine.ports_for("leaf"), leafs
    )
    for index, rack_count in enumerate(template.racks):
        leaf_name = catalogue.rack_types[rack_count.rack_type].leaf.logical_device
        leaf = catalogue.logical_devices.get(leaf_name)
        if leaf is not None:
            _need_ports(
                report,
                ("racks", index, "rack_type"),
                leaf.name,
                "spine",
                leaf.ports_for("spine"),
                spines.count,
            )


def _check_collapsed(template: Template, catalogue: Catalogue, report: Report) -> None:
    """A collapsed fabric: 2..MAX_COLLAPSED_LEAFS leafs, each cabled to every other."""
    leafs = sum(catalogue.rack_types[r.rack_type].leaf_count * r.count for r in template.racks)
    if not 2 <= leafs <= limits.MAX_COLLAPSED_LEAFS:
        report(
            ("racks",),
            f"a collapsed fabric of {leafs} leaf(s) (allowed: 2 to "
            f"{limits.MAX_COLLAPSED_LEAFS} leafs, in a full mesh)",
        )
        return
    for index, rack_count in enumerate(template.racks):
        leaf = catalogue.logical_devices.get(
            catalogue.rack_types[rack_count.rack_type].leaf.logical_device
        )
        if leaf is not None:
            _need_ports(
                report,
                ("racks", index, "rack_type"),
                leaf.name,
                "leaf",
                leaf.ports_for("leaf"),
                leafs - 1,
            )


def _pod_spines(template: Template, catalogue: Catalogue, report: Report) -> list[Template]:
    """The pods' templates in pod order (one per pod), reporting unusable ones."""
    pods: list[Template] = []
    for index, pod in enumerate(template.pods):
        field: YamlPath = ("pods", index, "template")
        if not _known(report, field, pod.template, catalogue.templates, "template"):
            continue
        pod_template = catalogue.templates[pod.template]
        if pod_template.type != TemplateType.RACK_BASED:
            report(
                field,
                f"pod template {pod.template!r} is {pod_template.type.value} "
                "(allowed: a rack_based template)",
            )
            continue
        planes = template.superspines.planes if template.superspines else 1
        if pod_template.spine_spec.count % planes:
            report(
                field,
                f"{pod_template.spine_spec.count} spines per pod cannot be spread over "
                f"{planes} planes (allowed: a multiple of {planes} spines)",
            )
            continue
        pods.extend([pod_template] * pod.count)
    return pods


def _check_pods(template: Template, catalogue: Catalogue, report: Report) -> None:
    superspines = template.superspines
    pods = _pod_spines(template, catalogue, report)
    if superspines is None or not pods:
        return
    if not _check_switch(catalogue, superspines, report, ("superspines",)):
        return
    upper = catalogue.logical_devices[superspines.logical_device]
    # every superspine of a plane takes one link from each pod spine of that plane
    per_superspine = sum(pod.spine_spec.count // superspines.planes for pod in pods)
    _need_ports(
        report,
        ("superspines", "logical_device"),
        upper.name,
        "spine",
        upper.ports_for("spine"),
        per_superspine * superspines.links_per_superspine,
    )
    racks = sum(r.count for pod in pods for r in pod.racks)
    if racks > limits.MAX_FABRIC_RACKS:
        report(
            ("pods",),
            f"{racks} racks in all pods (allowed: at most {limits.MAX_FABRIC_RACKS})",
        )
    for index, pod in enumerate(template.pods):
        pod_template = catalogue.templates.get(pod.template)
        if pod_template is None or pod_template.spines is None:
            continue
        spine = catalogue.logical_devices.get(pod_template.spines.logical_device)
        if spine is not None:
            _need_ports(
                report,
                ("pods", index, "template"),
                spine.name,
                "superspine",
                spine.ports_for("superspine"),
                superspines.per_plane * superspines.links_per_superspine,
            )


def _check_virtual_networks(template: Template, report: Report) -> None:
    rack_total = sum(r.count for r in template.racks)
    zones = {"default", *(zone.name for zone in template.routing_zones)}
    rack_types = {r.rack_type for r in template.racks}
    vn_pool = template.pools.get(PoolId.VIRTUAL_NETWORK)
    for index, network in enumerate(template.virtual_networks):
        field: YamlPath = ("virtual_networks", index)
        if not network.racks and not network.rack_types:
            report(
                field,
                f"virtual network {network.name} is bound to no rack "
                "(allowed: at least one rack, in racks or rack_types)",
            )
        if network.routing_zone not in zones:
            report(
                (*field, "routing_zone"),
                f"unknown routing zone {network.routing_zone!r} "
                f"(allowed: {', '.join(sorted(zones))})",
            )
        for position, rack in enumerate(network.racks):
            if int(rack.removeprefix("rack")) > rack_total:
                report(
                    (*field, "racks", position),
                    f"{rack} does not exist (allowed: rack1..rack{rack_total})",
                )
        for position, rack_type in enumerate(network.rack_types):
            if rack_type not in rack_types:
                report(
                    (*field, "rack_types", position),
                    f"rack type {rack_type!r} is not used by "
                    f"this template (allowed: {', '.join(sorted(rack_types))})",
                )
        # with EVPN a network is one stretched subnet: there are no rack slices to fit
        if vn_pool is not None and template.overlay != Overlay.EVPN:
            _check_slices(template, index, vn_pool.prefix_len or 32, report)


def _check_slices(template: Template, index: int, subnet_len: int, report: Report) -> None:
    """A virtual network's subnet must hold one rack slice per bound rack."""
    network = template.virtual_networks[index]
    field: YamlPath = ("virtual_networks", index, "rack_prefix_len")
    if subnet_len > network.rack_prefix_len:
        report(
            field,
            f"a /{network.rack_prefix_len} slice does not fit in a /{subnet_len} subnet "
            f"of pool ipv4-vn (allowed: >= {subnet_len})",
        )
        return
    types = [r.rack_type for r in template.racks for _ in range(r.count)]
    bound = {f"rack{n}" for n, rack_type in enumerate(types, 1) if rack_type in network.rack_types}
    bound |= set(network.racks)
    slices = 1 << (network.rack_prefix_len - subnet_len)
    if len(bound) > slices:
        report(
            field,
            f"{len(bound)} bound racks need {len(bound)} /{network.rack_prefix_len} slices but "
            f"a /{subnet_len} subnet holds {slices} (allowed: a longer rack_prefix_len)",
        )


def check_catalogue(catalogue: Catalogue) -> list[CatalogueProblem]:
    """Every cross-reference problem of the catalogue, in a stable order."""
    problems: list[CatalogueProblem] = []
    for imap in catalogue.interface_maps.values():
        _check_interface_map(
            imap, catalogue, _reporter(catalogue, "interface_maps", imap.name, problems)
        )
    for rack in catalogue.rack_types.values():
        _check_rack_type(rack, catalogue, _reporter(catalogue, "rack_types", rack.name, problems))
    for template in catalogue.templates.values():
        report = _reporter(catalogue, "templates", template.name, problems)
        _check_template_fabric(template, catalogue, report)
        _check_virtual_networks(template, report)
    return problems
