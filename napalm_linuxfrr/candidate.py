"""Validating a candidate document and describing how it differs from the running one."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, replace

import linuxfrr_document as doc_mod
from linuxfrr_document import Document, replace_files
from napalm_linuxfrr import lldp
from napalm_linuxfrr.ifaces import (
    check_ports,
    merge_interfaces,
    parse_interfaces,
    render_interfaces,
)

_HOSTNAME = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9-]+)*$")


class CandidateError(ValueError):
    """The candidate document is invalid; the message says what and what is allowed."""


@dataclass(frozen=True)
class Candidate:
    """A loaded candidate: the full target document, or a merge of extra FRR lines."""

    document: Document
    merge_frr: str | None = None

    @property
    def is_merge(self) -> bool:
        return self.merge_frr is not None


def check_static_parts(doc: Document, device_ports: list[str]) -> None:
    """Hostname, interfaces and lldpd checks that need no daemon (FRR is checked by vtysh)."""
    if doc.hostname is not None:
        lines = [ln for ln in doc.hostname.splitlines() if ln.strip()]
        if len(lines) != 1 or not _HOSTNAME.match(lines[0].strip()):
            raise CandidateError(
                f"{doc_mod.HOSTNAME} must hold one hostname, got {doc.hostname!r} "
                "(allowed: letters, digits, '-' and '.')"
            )
    try:
        if doc.interfaces is not None:
            check_ports(parse_interfaces(doc.interfaces), device_ports)
        if doc.lldpd is not None:
            lldp.parse_lldpd_conf(doc.lldpd)
    except ValueError as exc:
        raise CandidateError(str(exc)) from exc


def merged_target(running: Document, extra: Document) -> Candidate:
    """Merge: files in ``extra`` replace running ones; interface stanzas merge by name."""
    interfaces = running.interfaces
    if extra.interfaces is not None:
        base = parse_interfaces(running.interfaces or "")
        interfaces = render_interfaces(
            merge_interfaces(base, parse_interfaces(extra.interfaces)).values()
        )
    target = replace(replace_files(running, extra), interfaces=interfaces, frr=running.frr)
    return Candidate(document=target, merge_frr=extra.frr or "")


def canonical_interfaces(text: str | None) -> str:
    return render_interfaces(parse_interfaces(text or "").values())


def canonical_lldpd(text: str | None) -> str | None:
    return None if text is None else lldp.render_lldpd_conf(lldp.parse_lldpd_conf(text))


def file_diff(path: str, running: str | None, candidate: str | None) -> str:
    """A unified diff of one file; '' when equal."""
    before = (running or "").splitlines(keepends=True)
    after = (candidate or "").splitlines(keepends=True)
    lines = difflib.unified_diff(before, after, f"running:{path}", f"candidate:{path}")
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines).rstrip("\n")


def static_diff(running: Document, target: Document) -> list[str]:
    """Hostname, interfaces and lldpd differences (FRR comes from frr-reload)."""
    parts = []
    if target.hostname is not None:
        parts.append(file_diff(doc_mod.HOSTNAME, running.hostname, target.hostname))
    parts.append(
        file_diff(
            doc_mod.INTERFACES,
            canonical_interfaces(running.interfaces),
            canonical_interfaces(target.interfaces),
        )
    )
    parts.append(file_diff(doc_mod.LLDPD, running.lldpd, canonical_lldpd(target.lldpd)))
    return [p for p in parts if p]
