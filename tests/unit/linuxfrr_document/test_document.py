"""The configuration document: files under ``### <path>`` headers, fixed order."""

from __future__ import annotations

import pytest

from linuxfrr_document import (
    Document,
    DocumentError,
    parse_document,
    render_document,
    replace_files,
)
from tests.unit.lab.replay import FIXTURES


def test_a_rendered_document_parses_back_to_the_same_files() -> None:
    text = (FIXTURES / "lab_fabric" / "leaf1.conf").read_text()
    doc = parse_document(text)
    assert doc.hostname == "leaf1\n"
    assert doc.interfaces is not None and "iface swp3" in doc.interfaces
    assert parse_document(render_document(doc)) == doc
    assert render_document(doc) == text


def test_absent_files_are_none_and_are_not_rendered() -> None:
    doc = parse_document("### /etc/hostname\nleaf1\n")
    assert doc == Document(hostname="leaf1\n")
    assert "### /etc/frr/frr.conf" not in render_document(doc)


def test_a_header_may_appear_only_once() -> None:
    with pytest.raises(DocumentError, match="appears twice"):
        parse_document("### /etc/hostname\na\n### /etc/hostname\nb\n")


def test_merge_takes_the_files_of_the_second_document() -> None:
    base = Document(hostname="a\n", frr="!\n")
    merged = replace_files(base, Document(hostname="b\n"))
    assert merged == Document(hostname="b\n", frr="!\n")
