"""The configuration document: files, each introduced by ``### <path>``.

See ``docs/linux-frr-config.md``. Pure functions only.
"""

from __future__ import annotations

from dataclasses import dataclass

HOSTNAME = "/etc/hostname"
INTERFACES = "/etc/network/interfaces"
LLDPD = "/etc/lldpd.d/fabricgraph.conf"
FRR = "/etc/frr/frr.conf"
SECTION_ORDER = (HOSTNAME, INTERFACES, LLDPD, FRR)
HEADER = "### "


class DocumentError(ValueError):
    """The document does not follow the ``### <path>`` structure."""


@dataclass(frozen=True)
class Document:
    """The four files of a device; ``None`` means the file is absent."""

    hostname: str | None = None
    interfaces: str | None = None
    lldpd: str | None = None
    frr: str | None = None

    def sections(self) -> dict[str, str | None]:
        return {
            HOSTNAME: self.hostname,
            INTERFACES: self.interfaces,
            LLDPD: self.lldpd,
            FRR: self.frr,
        }


def parse_document(text: str) -> Document:
    """Split a document into its files; headers must be known, ordered and unique."""
    found: dict[str, list[str]] = {}
    current: list[str] | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        if line.startswith(HEADER):
            path = line[len(HEADER) :].strip()
            if path not in SECTION_ORDER:
                raise DocumentError(
                    f"line {number}: unknown file {path!r}; allowed: {', '.join(SECTION_ORDER)}"
                )
            if path in found:
                raise DocumentError(f"line {number}: file {path!r} appears twice")
            if found and SECTION_ORDER.index(path) < SECTION_ORDER.index(list(found)[-1]):
                raise DocumentError(
                    f"line {number}: {path!r} is out of order; order: {', '.join(SECTION_ORDER)}"
                )
            current = found.setdefault(path, [])
        elif current is None:
            if line.strip():
                raise DocumentError(f"line {number}: text before the first '### <path>' header")
        else:
            current.append(line)
    if not found:
        raise DocumentError("no '### <path>' header found; the document has no files")
    texts = {path: _body(lines) for path, lines in found.items()}
    return Document(
        hostname=texts.get(HOSTNAME),
        interfaces=texts.get(INTERFACES),
        lldpd=texts.get(LLDPD),
        frr=texts.get(FRR),
    )


def _body(lines: list[str]) -> str:
    while lines and not lines[-1].strip():
        lines = lines[:-1]
    return "\n".join(lines) + "\n" if lines else ""


def render_document(doc: Document) -> str:
    """Join the present files, in the fixed order, each under its header."""
    parts: list[str] = []
    for path, body in doc.sections().items():
        if body is None:
            continue
        parts.append(f"{HEADER}{path}\n{body}")
    return "".join(parts)


def merge_documents(base: Document, extra: Document) -> Document:
    """A merge candidate: files of ``extra`` replace the same files of ``base``."""
    return Document(
        hostname=extra.hostname if extra.hostname is not None else base.hostname,
        interfaces=extra.interfaces if extra.interfaces is not None else base.interfaces,
        lldpd=extra.lldpd if extra.lldpd is not None else base.lldpd,
        frr=extra.frr if extra.frr is not None else base.frr,
    )
