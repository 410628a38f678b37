"""The Linux/FRR configuration document (docs/linux-frr-config.md): sections and merging.

The document itself (its files, their order, parsing) is ``linuxfrr_document``'s, shared
with the driver; this module holds the renderer's rules on top of it.

How a stage's rendered document is merged with the pristine one (section by section):

- ``/etc/hostname`` holds one name: the rendered one (the device's own name in
  discovery1, the blueprint's afterwards) replaces the pristine line.
- ``/etc/network/interfaces`` is merged by stanza: pristine stanzas come first in
  their order; a rendered stanza for an interface the pristine config already has
  (e.g. ``lo``) appends its options to that stanza (options already present are not
  repeated); the other rendered stanzas follow in rendered order.
- ``/etc/lldpd.d/fabricgraph.conf`` and ``/etc/frr/frr.conf``: pristine lines first,
  then the rendered lines. Single-valued settings the rendered section sets
  (``hostname``, ``frr defaults``, ``configure system hostname``) replace the
  pristine ones, and lines of the rendered preamble (before its first ``!``) that
  the pristine section already has at top level are not repeated. Those
  single-valued settings lead the section (``frr defaults`` first: FRR reads it
  before anything else).
"""

from __future__ import annotations

from linuxfrr_document import (
    FRR,
    HEADER,
    HOSTNAME,
    INTERFACES,
    LLDPD,
    SECTIONS,
    Document,
    DocumentError,
    from_lines,
)
from linuxfrr_document import parse_document as parse_files
from renderers.errors import RenderError

__all__ = ["FRR", "HOSTNAME", "INTERFACES", "LLDPD", "SECTIONS", "Document"]

# Per section: line prefixes of settings that hold one value (rendered wins).
_SINGLE_VALUED = {
    LLDPD: ("configure system hostname ",),
    FRR: ("frr defaults ", "hostname "),
}


def parse_document(text: str, *, what: str = "document") -> Document:
    """Split a document into its files (an empty text is a document without files)."""
    if not text.strip():
        return Document()
    try:
        return parse_files(text)
    except DocumentError as exc:
        raise RenderError(f"{what}: {exc.message}", allowed=exc.allowed) from exc


def join_document(doc: Document) -> str:
    """The document text: every file in order (absent ones empty), each with its header."""
    lines: list[str] = []
    for path in SECTIONS:
        body = doc.lines(path)
        while body and not body[-1].strip():
            body.pop()
        lines.append(HEADER + path)
        lines.extend(body)
    return "\n".join(line.rstrip() for line in lines) + "\n"


def section_hostname(doc: Document) -> str | None:
    """The name in a document's /etc/hostname, if any."""
    names = [line.strip() for line in doc.lines(HOSTNAME) if line.strip()]
    return names[0] if names else None


def _stanzas(lines: list[str]) -> list[tuple[str, list[str]]]:
    """Group interfaces lines into (interface name, lines) stanzas; '' for loose lines."""
    stanzas: list[tuple[str, list[str]]] = []
    for line in lines:
        words = line.split()
        if not line.strip():
            continue
        if words[0] in ("auto", "iface") and len(words) > 1 and not line[0].isspace():
            if stanzas and stanzas[-1][0] == words[1]:
                stanzas[-1][1].append(line)
            else:
                stanzas.append((words[1], [line]))
        elif stanzas:
            stanzas[-1][1].append(line)
        else:
            stanzas.append(("", [line]))
    return stanzas


def _merge_interfaces(pristine: list[str], rendered: list[str]) -> list[str]:
    merged = _stanzas(pristine)
    index = {name: body for name, body in merged if name}
    for name, body in _stanzas(rendered):
        if name in index:
            existing = index[name]
            existing.extend(line for line in body if line not in existing)
        else:
            merged.append((name, body))
    out: list[str] = []
    for _, body in merged:
        out.extend([*body, ""])
    return out


def _merge_lines(path: str, pristine: list[str], rendered: list[str]) -> list[str]:
    keys = tuple(k for k in _SINGLE_VALUED.get(path, ()) if any(r.startswith(k) for r in rendered))
    kept = [line for line in pristine if not line.startswith(keys)]
    top_level = {line for line in kept if line.strip() and not line[0].isspace()}
    preamble_end = rendered.index("!") if "!" in rendered else len(rendered)
    fresh = [
        line
        for number, line in enumerate(rendered)
        if number >= preamble_end or line not in top_level or line.startswith(keys)
    ]
    lead = [line for line in fresh if line.startswith("frr defaults ")]
    lead += [line for line in fresh if line.startswith(keys) and line not in lead]
    return lead + kept + [line for line in fresh if line not in lead]


def merge_documents(pristine: Document, rendered: Document) -> Document:
    """The stage's document: the pristine one with the rendered one merged in (see above)."""
    merged: dict[str, list[str]] = {}
    for path in SECTIONS:
        old, new = pristine.lines(path), rendered.lines(path)
        if path == HOSTNAME:
            merged[path] = new or old
        elif path == INTERFACES:
            merged[path] = _merge_interfaces(old, new)
        else:
            merged[path] = _merge_lines(path, old, new)
    return from_lines(merged)
