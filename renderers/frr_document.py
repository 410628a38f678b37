"""The Linux/FRR configuration document (docs/linux-frr-config.md): sections and merging.

A document is a list of files, each introduced by ``### <path>``, always in
``SECTIONS`` order and at most once each.

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

from renderers.errors import RenderError

HOSTNAME = "/etc/hostname"
INTERFACES = "/etc/network/interfaces"
LLDPD = "/etc/lldpd.d/fabricgraph.conf"
FRR = "/etc/frr/frr.conf"
SECTIONS = (HOSTNAME, INTERFACES, LLDPD, FRR)
HEADER = "### "

# Per section: line prefixes of settings that hold one value (rendered wins).
_SINGLE_VALUED = {
    LLDPD: ("configure system hostname ",),
    FRR: ("frr defaults ", "hostname "),
}
Document = dict[str, list[str]]


def parse_document(text: str, *, what: str = "document") -> Document:
    """Split a document into its sections (every section present, maybe empty)."""
    sections: Document = {path: [] for path in SECTIONS}
    current: str | None = None
    seen: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if line.startswith(HEADER):
            current = line[len(HEADER) :].strip()
            if current not in sections or current in seen:
                raise RenderError(
                    f"{what}: line {number}: unexpected or repeated section {current!r}",
                    allowed=SECTIONS,
                )
            seen.append(current)
        elif current is None:
            if line.strip():
                raise RenderError(
                    f"{what}: line {number}: text before the first '### <path>' header",
                    allowed="lines inside a section introduced by '### <path>'",
                )
        else:
            sections[current].append(line)
    return sections


def join_document(sections: Document) -> str:
    """The document text: every section in order, each with its header."""
    lines: list[str] = []
    for path in SECTIONS:
        body = list(sections.get(path, []))
        while body and not body[-1].strip():
            body.pop()
        lines.append(HEADER + path)
        lines.extend(body)
    return "\n".join(line.rstrip() for line in lines) + "\n"


def section_hostname(sections: Document) -> str | None:
    """The name in a document's /etc/hostname, if any."""
    names = [line.strip() for line in sections.get(HOSTNAME, []) if line.strip()]
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
    merged: Document = {}
    for path in SECTIONS:
        old, new = pristine.get(path, []), rendered.get(path, [])
        if path == HOSTNAME:
            merged[path] = new or old
        elif path == INTERFACES:
            merged[path] = _merge_interfaces(old, new)
        else:
            merged[path] = _merge_lines(path, old, new)
    return merged
