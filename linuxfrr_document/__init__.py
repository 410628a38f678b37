"""The Linux/FRR configuration document (docs/linux-frr-config.md), shared by the renderer
that writes it and the NAPALM driver that reads it. Pure, and imports nothing of ours."""

from linuxfrr_document.document import (
    FRR,
    HEADER,
    HOSTNAME,
    INTERFACES,
    LLDPD,
    SECTION_ORDER,
    Document,
    DocumentError,
    merge_documents,
    parse_document,
    render_document,
)

__all__ = [
    "FRR",
    "HEADER",
    "HOSTNAME",
    "INTERFACES",
    "LLDPD",
    "SECTION_ORDER",
    "Document",
    "DocumentError",
    "merge_documents",
    "parse_document",
    "render_document",
]
