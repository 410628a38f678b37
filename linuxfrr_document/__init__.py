"""The Linux/FRR configuration document (docs/linux-frr-config.md), shared by the renderer
that writes it and the NAPALM driver that reads it. Pure, and imports nothing of ours."""

from linuxfrr_document.document import (
    FRR,
    HEADER,
    HOSTNAME,
    INTERFACES,
    LLDPD,
    SECTIONS,
    Document,
    DocumentError,
    from_lines,
    parse_document,
    render_document,
    replace_files,
)

__all__ = [
    "FRR",
    "HEADER",
    "HOSTNAME",
    "INTERFACES",
    "LLDPD",
    "SECTIONS",
    "Document",
    "DocumentError",
    "from_lines",
    "parse_document",
    "render_document",
    "replace_files",
]
