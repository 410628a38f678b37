"""The configuration document: files, each introduced by ``### <path>``.

See ``docs/linux-frr-config.md``. Files always appear in ``SECTIONS`` order, each at
most once. Pure functions only; the one model of the document for the renderer that
writes it and the driver that reads it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

HOSTNAME = "/etc/hostname"
INTERFACES = "/etc/network/interfaces"
LLDPD = "/etc/lldpd.d/fabricgraph.conf"
FRR = "/etc/frr/frr.conf"
SECTIONS = (HOSTNAME, INTERFACES, LLDPD, FRR)
HEADER = "### "

_FIELDS = {HOSTNAME: "hostname", INTERFACES: "interfaces", LLDPD: "lldpd", FRR: "frr"}


class DocumentError(ValueError):
    """The document does not follow the ``### <path>`` structure; says what is allowed."""

    def __init__(self, message: str, *, allowed: str) -> None:
        self.message = message
        self.allowed = allowed
        super().__init__(f"{message} (allowed: {allowed})")


@dataclass(frozen=True)
class Document:
    """The four files of a device; ``None`` means the file is absent."""

    hostname: str | None = None
    interfaces: str | None = None
    lldpd: str | None = None
    frr: str | None = None

    def sections(self) -> dict[str, str | None]:
        """Every file by path, in ``SECTIONS`` order."""
        return {path: getattr(self, name) for path, name in _FIELDS.items()}

    def lines(self, path: str) -> list[str]:
        """The lines of one file (``[]`` when it is absent or empty)."""
        text: str | None = getattr(self, _field(path))
        return text.splitlines() if text else []

    def __getitem__(self, path: str) -> list[str]:
        return self.lines(path)

    def with_lines(self, path: str, lines: list[str]) -> Document:
        """A copy whose file ``path`` holds ``lines`` (present, maybe empty)."""
        return dataclasses.replace(self, **{_field(path): _text(lines)})


def _field(path: str) -> str:
    try:
        return _FIELDS[path]
    except KeyError:
        raise DocumentError(f"unknown file {path!r}", allowed=", ".join(SECTIONS)) from None


def _text(lines: list[str]) -> str:
    return "\n".join(lines) + "\n" if lines else ""


def from_lines(files: dict[str, list[str]]) -> Document:
    """A document holding each given file (path -> lines)."""
    return Document(**{_field(path): _text(lines) for path, lines in files.items()})


def _check_header(path: str, number: int, seen: list[str]) -> None:
    if path not in SECTIONS:
        raise DocumentError(f"line {number}: unknown file {path!r}", allowed=", ".join(SECTIONS))
    if path in seen:
        raise DocumentError(
            f"line {number}: file {path!r} appears twice", allowed="each file at most once"
        )
    if seen and SECTIONS.index(path) < SECTIONS.index(seen[-1]):
        raise DocumentError(
            f"line {number}: {path!r} is out of order", allowed="the order " + ", ".join(SECTIONS)
        )


def parse_document(text: str) -> Document:
    """Split a document into its files; headers must be known, ordered and unique."""
    found: dict[str, list[str]] = {}
    current: list[str] | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        if line.startswith(HEADER):
            path = line[len(HEADER) :].strip()
            _check_header(path, number, list(found))
            current = found.setdefault(path, [])
        elif current is None:
            if line.strip():
                raise DocumentError(
                    f"line {number}: text before the first '### <path>' header",
                    allowed="lines inside a file introduced by '### <path>'",
                )
        else:
            current.append(line)
    if not found:
        raise DocumentError(
            "no '### <path>' header found; the document has no files",
            allowed="files introduced by '### <path>', paths " + ", ".join(SECTIONS),
        )
    return from_lines({path: _trimmed(lines) for path, lines in found.items()})


def _trimmed(lines: list[str]) -> list[str]:
    while lines and not lines[-1].strip():
        lines = lines[:-1]
    return lines


def render_document(doc: Document) -> str:
    """Join the present files, in the fixed order, each under its header."""
    parts: list[str] = []
    for path, body in doc.sections().items():
        if body is None:
            continue
        parts.append(f"{HEADER}{path}\n{body}")
    return "".join(parts)


def replace_files(base: Document, extra: Document) -> Document:
    """Files of ``extra`` replace the same files of ``base``; the others are kept."""
    return Document(
        **{
            name: getattr(extra, name) if getattr(extra, name) is not None else getattr(base, name)
            for name in _FIELDS.values()
        }
    )
